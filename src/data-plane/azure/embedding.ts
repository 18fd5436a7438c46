// Embeddings (POST …/embeddings), wire ⇄ canonical: string, string array, token array or array
// of token arrays in; float arrays or base64 (little-endian float32, as OpenAI encodes) out.

import type { EmbeddingResult } from '../../core/index.js';
import { dataPlaneErrors as errors } from '../../errors/index.js';
import { badValue, isObject, optInteger, optString, rejectUnknown, wrongType } from './read.js';

const KNOWN = new Set(['input', 'model', 'encoding_format', 'dimensions', 'user', 'input_type']);

export interface WireEmbeddingRequest {
  input: (string | number[])[];
  base64: boolean;
  dimensions?: number;
}

function readInput(value: unknown): (string | number[])[] {
  if (value === undefined || value === null) {
    throw errors.invalidRequest('missing_required_parameter', "Missing required parameter: 'input'.", 'input');
  }
  const isTokens = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((t) => Number.isInteger(t) && t >= 0);
  let inputs: (string | number[])[];
  if (typeof value === 'string') inputs = [value];
  else if (isTokens(value)) inputs = [value];
  else if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string' || isTokens(v))) inputs = value as (string | number[])[];
  else throw wrongType('input', 'a string, an array of strings, an array of token ids, or an array of those', value);
  if (inputs.length > 2048) throw badValue('input', `expected at most 2048 inputs, but got ${inputs.length}.`);
  const empty = inputs.findIndex((v) => v === '');
  if (empty >= 0) throw badValue(inputs.length === 1 ? 'input' : `input[${empty}]`, 'an input must not be empty.');
  return inputs;
}

export function readEmbeddingRequest(body: unknown): WireEmbeddingRequest {
  if (!isObject(body)) throw errors.invalidRequest('invalid_type', 'The request body must be a JSON object.');
  rejectUnknown(body, KNOWN);
  const format = optString(body, 'encoding_format') ?? 'float';
  if (format !== 'float' && format !== 'base64') throw badValue('encoding_format', `'${format}' is not one of float, base64.`);
  optString(body, 'user');
  optString(body, 'input_type');
  const request: WireEmbeddingRequest = { input: readInput(body.input), base64: format === 'base64' };
  const dimensions = optInteger(body, 'dimensions', 1);
  if (dimensions !== undefined) request.dimensions = dimensions;
  return request;
}

function toBase64(vector: number[]): string {
  const buffer = Buffer.alloc(vector.length * 4);
  vector.forEach((v, i) => buffer.writeFloatLE(v, i * 4));
  return buffer.toString('base64');
}

export function embeddingBody(result: EmbeddingResult, model: string, base64: boolean) {
  return {
    object: 'list',
    data: result.embeddings.map((embedding, index) => ({ object: 'embedding', index, embedding: base64 ? toBase64(embedding) : embedding })),
    model,
    usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
  };
}
