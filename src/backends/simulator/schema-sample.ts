// A deterministic value that satisfies a JSON Schema: what the simulator answers for tool
// arguments and json_schema response formats. Covers what structured outputs and tool
// definitions use (https://platform.openai.com/docs/guides/structured-outputs#supported-schemas):
// type (also as a list), properties/required, items, enum, const, anyOf/oneOf/allOf, $ref to
// #/$defs or #/definitions, string formats and length bounds, numeric bounds, array sizes.
// Not covered (values may not match): `pattern`, `not`, if/then/else, dependent schemas.

import { pick, words, type Rng } from './text.js';

type Schema = Record<string, unknown>;

/** Past this depth recursive schemas stop growing: only required properties, minimal arrays. */
const MAX_DEPTH = 6;

export function sampleSchema(schema: unknown, r: Rng): unknown {
  const root = isSchema(schema) ? schema : {};
  return sample(root, root, r, 0);
}

function sample(schema: Schema, root: Schema, r: Rng, depth: number): unknown {
  if (typeof schema.$ref === 'string') return sample(resolve(schema.$ref, root), root, r, depth + 1);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return pick(r, schema.enum);
  const alternatives = (schema.anyOf ?? schema.oneOf) as unknown;
  if (Array.isArray(alternatives) && alternatives.length > 0) {
    // The first alternative that is not null: a value says more than a null.
    const chosen = alternatives.find((a) => isSchema(a) && a.type !== 'null') ?? alternatives[0];
    return sample(isSchema(chosen) ? chosen : {}, root, r, depth + 1);
  }
  if (Array.isArray(schema.allOf)) {
    const merged: Schema = { ...schema, allOf: undefined };
    for (const part of schema.allOf) if (isSchema(part)) mergeInto(merged, part);
    return sample(merged, root, r, depth + 1);
  }
  switch (typeOf(schema)) {
    case 'object':
      return sampleObject(schema, root, r, depth);
    case 'array':
      return sampleArray(schema, root, r, depth);
    case 'string':
      return sampleString(schema, r);
    case 'integer':
      return sampleNumber(schema, r, true);
    case 'number':
      return sampleNumber(schema, r, false);
    case 'boolean':
      return r() < 0.5;
    case 'null':
      return null;
    default:
      return words(r, 3);
  }
}

function typeOf(schema: Schema): string | undefined {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return (type.find((t) => t !== 'null') ?? type[0]) as string | undefined;
  if (isSchema(schema.properties)) return 'object';
  if (schema.items !== undefined) return 'array';
  return undefined;
}

function sampleObject(schema: Schema, root: Schema, r: Rng, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const properties = isSchema(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  for (const [name, prop] of Object.entries(properties)) {
    if (depth >= MAX_DEPTH && !required.has(name)) continue;
    out[name] = sample(isSchema(prop) ? prop : {}, root, r, depth + 1);
  }
  // Required names without a property schema still need a value.
  for (const name of required) if (!(name in out)) out[name] = words(r, 2);
  return out;
}

function sampleArray(schema: Schema, root: Schema, r: Rng, depth: number): unknown[] {
  const min = num(schema.minItems) ?? 0;
  const max = num(schema.maxItems) ?? Math.max(min, 3);
  const length = depth >= MAX_DEPTH ? min : Math.min(max, Math.max(min, 1 + Math.floor(r() * 3)));
  const items = isSchema(schema.items) ? schema.items : {};
  const out: unknown[] = [];
  for (let i = 0; i < length; i++) out.push(sample(items, root, r, depth + 1));
  return out;
}

function sampleString(schema: Schema, r: Rng): string {
  let value: string;
  switch (schema.format) {
    case 'date-time':
      value = new Date(Date.UTC(2024, Math.floor(r() * 12), 1 + Math.floor(r() * 28), Math.floor(r() * 24))).toISOString();
      break;
    case 'date':
      value = new Date(Date.UTC(2024, Math.floor(r() * 12), 1 + Math.floor(r() * 28))).toISOString().slice(0, 10);
      break;
    case 'time':
      value = '12:00:00Z';
      break;
    case 'email':
      value = `${pick(r, ['ada', 'grace', 'linus', 'alan'])}@example.com`;
      break;
    case 'uri':
    case 'url':
      value = `https://example.com/${words(r, 2).replace(/\W+/g, '-').toLowerCase()}`;
      break;
    case 'uuid':
      value = uuid(r);
      break;
    default:
      value = words(r, 2 + Math.floor(r() * 4));
  }
  const min = num(schema.minLength) ?? 0;
  const max = num(schema.maxLength);
  while (value.length < min) value += ` ${words(r, 2)}`;
  if (max !== undefined && value.length > max) value = value.slice(0, max);
  return value;
}

function sampleNumber(schema: Schema, r: Rng, integer: boolean): number {
  let lo = num(schema.minimum) ?? (num(schema.exclusiveMinimum) !== undefined ? (num(schema.exclusiveMinimum) as number) + 1 : 0);
  let hi = num(schema.maximum) ?? (num(schema.exclusiveMaximum) !== undefined ? (num(schema.exclusiveMaximum) as number) - 1 : lo + 100);
  if (hi < lo) hi = lo;
  if (integer) {
    lo = Math.ceil(lo);
    hi = Math.floor(hi);
    return hi < lo ? lo : lo + Math.floor(r() * (hi - lo + 1));
  }
  const step = num(schema.multipleOf);
  if (step !== undefined && step > 0) {
    const first = Math.ceil(lo / step);
    const count = Math.max(0, Math.floor(hi / step) - first);
    return (first + Math.floor(r() * (count + 1))) * step;
  }
  return Math.min(hi, Math.max(lo, Math.round((lo + r() * (hi - lo)) * 100) / 100));
}

function uuid(r: Rng): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(r() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

function resolve(ref: string, root: Schema): Schema {
  if (ref === '#') return root;
  if (!ref.startsWith('#/')) return {};
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    node = isSchema(node) ? node[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  }
  return isSchema(node) ? node : {};
}

function mergeInto(target: Schema, part: Schema): void {
  for (const [key, value] of Object.entries(part)) {
    if (key === 'properties' && isSchema(value)) target.properties = { ...(isSchema(target.properties) ? target.properties : {}), ...value };
    else if (key === 'required' && Array.isArray(value)) target.required = [...(Array.isArray(target.required) ? target.required : []), ...value];
    else target[key] = value;
  }
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
