// Small strict readers for JSON request bodies of the data plane. Each failure names the
// offending parameter in OpenAI's `invalid_request_error` form, which the SDKs surface as
// BadRequestError with `.param` and `.code`.

import type { GenerationParams } from '../../core/index.js';
import { dataPlaneErrors as errors } from '../../errors/index.js';

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

export function wrongType(param: string, expected: string, got: unknown): Error {
  return errors.invalidRequest('invalid_type', `Invalid type for '${param}': expected ${expected}, but got ${typeName(got)} instead.`, param);
}

export function badValue(param: string, message: string): Error {
  return errors.invalidRequest('invalid_value', `Invalid value for '${param}': ${message}`, param);
}

/** Refuses members that are not in `known`. */
export function rejectUnknown(obj: JsonObject, known: ReadonlySet<string>, prefix = ''): void {
  for (const key of Object.keys(obj)) {
    if (!known.has(key)) {
      const param = prefix + key;
      throw errors.invalidRequest('unknown_parameter', `Unrecognized request argument supplied: ${param}`, param);
    }
  }
}

/** Known to the API but not (yet) implemented by Lapis: refused by name, never ignored. */
export function rejectUnsupported(obj: JsonObject, names: readonly string[], why: string): void {
  for (const name of names) {
    if (obj[name] !== undefined && obj[name] !== null) {
      throw errors.invalidRequest('unsupported_parameter', `Unsupported parameter: '${name}' ${why}`, name);
    }
  }
}

export function optNumber(obj: JsonObject, key: string, min: number, max: number): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw wrongType(key, 'a number', v);
  if (v < min || v > max) throw badValue(key, `expected a value between ${min} and ${max}, but got ${v} instead.`);
  return v;
}

export function optInteger(obj: JsonObject, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw wrongType(key, 'an integer', v);
  if (v < min || v > max) throw badValue(key, `expected a value between ${min} and ${max}, but got ${v} instead.`);
  return v;
}

export function optBoolean(obj: JsonObject, key: string, param = key): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw wrongType(param, 'a boolean', v);
  return v;
}

export function optString(obj: JsonObject, key: string, param = key): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw wrongType(param, 'a string', v);
  return v;
}

/** `stop`: a string or up to 4 strings. */
export function optStop(obj: JsonObject): string[] | undefined {
  const v = obj.stop;
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v === '' ? undefined : [v];
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) throw wrongType('stop', 'a string or an array of strings', v);
  if (v.length > 4) throw badValue('stop', `expected at most 4 sequences, but got ${v.length} instead.`);
  return (v as string[]).filter((s) => s !== '');
}

/**
 * The sampling parameters chat and legacy completions share, without the ones left unset.
 * `maxTokens` and `logprobs` differ between the two APIs and are the caller's to add.
 */
export function readSamplingParams(body: JsonObject): GenerationParams {
  const params: GenerationParams = {
    temperature: optNumber(body, 'temperature', 0, 2),
    topP: optNumber(body, 'top_p', 0, 1),
    presencePenalty: optNumber(body, 'presence_penalty', -2, 2),
    frequencyPenalty: optNumber(body, 'frequency_penalty', -2, 2),
    seed: optInteger(body, 'seed', Number.MIN_SAFE_INTEGER),
    stop: optStop(body),
    logitBias: readLogitBias(body.logit_bias),
    user: optString(body, 'user'),
  };
  return withoutUnset(params);
}

/** The object without its undefined members (so params compare and serialize as set). */
export function withoutUnset<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** `logit_bias`: token id (as a string) → bias in [-100, 100]. */
export function readLogitBias(value: unknown): Record<string, number> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw wrongType('logit_bias', 'an object', value);
  const entries = Object.entries(value);
  if (entries.length > 300) throw badValue('logit_bias', `expected at most 300 entries, but got ${entries.length}.`);
  for (const [token, bias] of entries) {
    if (!/^\d+$/.test(token)) throw badValue('logit_bias', `keys are token ids, but got '${token}'.`);
    if (typeof bias !== 'number' || !Number.isFinite(bias) || bias < -100 || bias > 100) {
      throw badValue('logit_bias', `the bias of token ${token} must be a number between -100 and 100.`);
    }
  }
  return entries.length > 0 ? (value as Record<string, number>) : undefined;
}
