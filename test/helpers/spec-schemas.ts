// Validates response bodies and stream chunks against the official Azure OpenAI spec
// (../shared/specs/azure-openai-inference-2024-10-21-stable.json), so conformance is checked
// against Microsoft's schemas rather than against our own idea of them.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { ROOT } from './server.js';

const SPEC_FILE = resolve(ROOT, '../shared/specs/azure-openai-inference-2024-10-21-stable.json');
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => void;

// OpenAPI 3.0 keywords Ajv does not know (example, x-ms-*) are ignored; `nullable` is understood.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const cache = new Map<string, ValidateFunction>();

/**
 * OpenAPI 3.0's `nullable: true` adds null to a schema's values, enum included; Ajv only honours
 * it when the enum lists null itself. Make that explicit so the spec means what it says.
 */
function nullableEnums(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(nullableEnums);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = nullableEnums(v);
  if (out.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  return out;
}

ajv.addSchema(nullableEnums(JSON.parse(readFileSync(SPEC_FILE, 'utf8'))) as object, 'spec');

function validator(pointer: string): ValidateFunction {
  let fn = cache.get(pointer);
  if (!fn) cache.set(pointer, (fn = ajv.compile({ $ref: `spec#${pointer}` })));
  return fn;
}

function check(pointer: string, value: unknown): void {
  const fn = validator(pointer);
  if (!fn(value)) {
    throw new Error(`does not match ${pointer}:\n${ajv.errorsText(fn.errors, { separator: '\n' })}\n${JSON.stringify(value).slice(0, 2000)}`);
  }
}

const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const operationResponse = (path: string) => `/paths/${esc(path)}/post/responses/200/content/application~1json/schema`;

export const spec = {
  chatCompletion: (body: unknown) => check('/components/schemas/createChatCompletionResponse', body),
  chatChunk: (chunk: unknown) => check('/components/schemas/createChatCompletionStreamResponse', chunk),
  completion: (body: unknown) => check('/components/schemas/createCompletionResponse', body),
  embeddings: (body: unknown) => check(operationResponse('/deployments/{deployment-id}/embeddings'), body),
  error: (body: unknown) => check('/components/schemas/errorResponse', body),
  promptFilterResults: (value: unknown) => check('/components/schemas/promptFilterResults', value),
};
