// JSON Schema → the subset node-llama-cpp turns into a grammar (its GbnfJsonSchema). Output is
// constrained token by token, so it must always validate against the caller's schema; any keyword
// the grammar cannot enforce (pattern, minimum, allOf, …) is refused with the path that uses it,
// rather than silently producing output that does not validate. What the grammar generator does:
// node_modules/node-llama-cpp/dist/utils/gbnfJson/utils/getGbnfJsonTerminalForGbnfJsonSchema.js
// Pure: runs in the server (to refuse early) and needs nothing from node-llama-cpp.

import type { JsonSchema } from '../../core/inference.js';

export class SchemaNotSupportedError extends Error {
  override readonly name = 'SchemaNotSupportedError';
}

/** Keywords that annotate and never constrain: dropped. */
const ANNOTATIONS = new Set([
  'title', 'description', 'default', 'examples', '$schema', '$id', '$comment', 'deprecated', 'readOnly', 'writeOnly',
]);
/** Keywords the grammar enforces, by the type they apply to. */
const BY_TYPE: Record<string, ReadonlySet<string>> = {
  object: new Set(['properties', 'required', 'additionalProperties', 'minProperties', 'maxProperties']),
  array: new Set(['items', 'prefixItems', 'minItems', 'maxItems', 'uniqueItems']),
  string: new Set(['minLength', 'maxLength', 'format']),
  number: new Set(),
  integer: new Set(),
  boolean: new Set(),
  null: new Set(),
};
/** String formats node-llama-cpp has grammars for. */
const FORMATS = new Set(['date-time', 'date', 'time']);
const SCALARS = new Set(['string', 'number', 'integer', 'boolean', 'null']);

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Schema = Record<string, unknown>;

/**
 * Returns the schema in the form node-llama-cpp's grammar generator reads (anyOf as oneOf,
 * `definitions` as `$defs`, type unions split into alternatives), or throws
 * SchemaNotSupportedError naming the unsupported keyword and where it is.
 */
export function toGrammarSchema(schema: JsonSchema): Record<string, unknown> {
  const root = schema as Schema;
  const defs = { ...asObject(root.definitions, '#/definitions'), ...asObject(root.$defs, '#/$defs') };
  const normalizedDefs: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(defs)) normalizedDefs[name] = normalize(def, `#/$defs/${name}`, defs);
  const { definitions: _d, $defs: _D, ...rest } = root;
  const top = normalize(rest, '#', defs) as Schema;
  // $defs at the root scope are visible from every $ref (node-llama-cpp joins scopes downward).
  return Object.keys(normalizedDefs).length > 0 ? { ...top, $defs: normalizedDefs } : top;
}

function asObject(value: unknown, path: string): Schema {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw unsupported(path, 'must be an object');
  return value as Schema;
}

function unsupported(path: string, what: string): SchemaNotSupportedError {
  return new SchemaNotSupportedError(`${path}: ${what}`);
}

function normalize(input: unknown, path: string, defs: Schema): unknown {
  if (input === true) return {};
  if (input === false) throw unsupported(path, 'a `false` schema accepts nothing');
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw unsupported(path, 'a schema must be an object');
  const schema: Schema = {};
  for (const [key, value] of Object.entries(input)) if (!ANNOTATIONS.has(key)) schema[key] = value;
  const description = typeof (input as Schema).description === 'string' ? { description: (input as Schema).description } : {};
  if (schema.$defs !== undefined || schema.definitions !== undefined) {
    throw unsupported(path, '$defs are supported at the root of the schema only');
  }

  if ('$ref' in schema) return ref(schema, path, defs, description);
  if ('allOf' in schema) return allOf(schema, path, defs, description);
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (key in schema) {
      only(schema, [key], path, `${key} cannot be combined with other keywords here`);
      const alternatives = schema[key];
      if (!Array.isArray(alternatives) || alternatives.length === 0) throw unsupported(`${path}/${key}`, 'must be a non-empty array');
      // The grammar emits one alternative: valid for anyOf, and for oneOf when alternatives do not overlap.
      return { oneOf: alternatives.map((alt, i) => normalize(alt, `${path}/${key}/${i}`, defs)), ...description };
    }
  }
  if ('const' in schema) {
    only(schema, ['const', 'type'], path, 'const cannot be combined with other keywords');
    literal(schema.const, `${path}/const`, schema.type);
    return { const: schema.const, ...description };
  }
  if ('enum' in schema) {
    only(schema, ['enum', 'type'], path, 'enum cannot be combined with other keywords');
    if (!Array.isArray(schema.enum) || schema.enum.length === 0) throw unsupported(`${path}/enum`, 'must be a non-empty array');
    schema.enum.forEach((v, i) => literal(v, `${path}/enum/${i}`, schema.type));
    return { enum: schema.enum, ...description };
  }

  const type = schema.type;
  if (type === undefined) {
    // No type and no constraint: any value is valid; the grammar then writes `null`.
    only(schema, [], path, 'keywords without a `type` are not supported');
    return { ...description };
  }
  const types = Array.isArray(type) ? (type as unknown[]) : [type];
  for (const t of types) {
    if (typeof t !== 'string' || !(t in BY_TYPE)) throw unsupported(`${path}/type`, `unknown type ${JSON.stringify(t)}`);
  }
  if (types.length === 0) throw unsupported(`${path}/type`, 'must not be empty');
  const others = Object.keys(schema).filter((k) => k !== 'type');
  if (types.length > 1) {
    // A union of scalars without further keywords is native; anything else becomes alternatives.
    if (others.length === 0 && types.every((t) => SCALARS.has(t as string))) return { type: types, ...description };
    // Type-specific keywords apply to values of their type only (JSON Schema), so each
    // alternative keeps its own.
    const stray = others.find((key) => !types.some((t) => BY_TYPE[t as string]!.has(key)));
    if (stray !== undefined) throw unsupported(`${path}/${stray}`, `\`${stray}\` is not supported for types ${JSON.stringify(types)}`);
    const alternative = (t: string): Schema =>
      Object.fromEntries([['type', t], ...others.filter((key) => BY_TYPE[t]!.has(key)).map((key) => [key, schema[key]])]);
    return { oneOf: types.map((t) => normalize(alternative(t as string), path, defs)), ...description };
  }
  return typed(types[0] as string, schema, path, defs, description);
}

function typed(type: string, schema: Schema, path: string, defs: Schema, description: object): Schema {
  const allowed = BY_TYPE[type] ?? new Set<string>();
  for (const key of Object.keys(schema)) {
    if (key !== 'type' && !allowed.has(key)) throw unsupported(`${path}/${key}`, `\`${key}\` is not supported for type ${type}`);
  }
  const out: Schema = { type, ...description };
  switch (type) {
    case 'object':
      return { ...out, ...object(schema, path, defs) };
    case 'array':
      return { ...out, ...array(schema, path, defs) };
    case 'string':
      if (schema.format !== undefined) {
        if (typeof schema.format !== 'string' || !FORMATS.has(schema.format)) {
          throw unsupported(`${path}/format`, `format ${JSON.stringify(schema.format)} is not supported (only ${[...FORMATS].join(', ')})`);
        }
        if (schema.minLength !== undefined || schema.maxLength !== undefined) {
          throw unsupported(path, 'format cannot be combined with minLength/maxLength');
        }
        return { ...out, format: schema.format };
      }
      return { ...out, ...counts(schema, ['minLength', 'maxLength'], path) };
    default:
      return out;
  }
}

function object(schema: Schema, path: string, defs: Schema): Schema {
  const properties = asObject(schema.properties, `${path}/properties`);
  const out: Schema = {};
  if (schema.properties !== undefined) {
    const normalized: Schema = {};
    for (const [name, prop] of Object.entries(properties)) normalized[name] = normalize(prop, `${path}/properties/${name}`, defs);
    out.properties = normalized;
  }
  // The grammar writes every listed property (optional ones too, which is valid); a required
  // name that is not listed would be missing from the output.
  if (schema.required !== undefined) {
    if (!Array.isArray(schema.required)) throw unsupported(`${path}/required`, 'must be an array');
    for (const name of schema.required) {
      if (typeof name !== 'string' || !(name in properties)) {
        throw unsupported(`${path}/required`, `${JSON.stringify(name)} is required but not among the properties`);
      }
    }
  }
  const additional = schema.additionalProperties;
  if (additional !== undefined && additional !== false) {
    out.additionalProperties = additional === true ? true : normalize(additional, `${path}/additionalProperties`, defs);
  }
  return { ...out, ...counts(schema, ['minProperties', 'maxProperties'], path) };
}

function array(schema: Schema, path: string, defs: Schema): Schema {
  if (schema.uniqueItems === true) throw unsupported(`${path}/uniqueItems`, 'uniqueItems is not supported');
  const out: Schema = {};
  if (schema.items !== undefined) {
    if (typeof schema.items === 'boolean') throw unsupported(`${path}/items`, 'a boolean `items` is not supported');
    out.items = normalize(schema.items, `${path}/items`, defs);
  }
  if (schema.prefixItems !== undefined) {
    if (!Array.isArray(schema.prefixItems)) throw unsupported(`${path}/prefixItems`, 'must be an array');
    out.prefixItems = schema.prefixItems.map((item, i) => normalize(item, `${path}/prefixItems/${i}`, defs));
  }
  return { ...out, ...counts(schema, ['minItems', 'maxItems'], path) };
}

function counts(schema: Schema, keys: string[], path: string): Schema {
  const out: Schema = {};
  for (const key of keys) {
    const value = schema[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw unsupported(`${path}/${key}`, 'must be a non-negative integer');
    }
    out[key] = value;
  }
  const [min, max] = keys.map((k) => out[k] as number | undefined);
  if (min !== undefined && max !== undefined && max < min) throw unsupported(path, `${keys[1]} is below ${keys[0]}`);
  return out;
}

function ref(schema: Schema, path: string, defs: Schema, description: object): Schema {
  only(schema, ['$ref'], path, '$ref cannot be combined with other keywords');
  const target = schema.$ref;
  const match = typeof target === 'string' ? /^#\/(?:\$defs|definitions)\/([^/]+)$/.exec(target) : null;
  if (match === null) throw unsupported(`${path}/$ref`, `only references to #/$defs/… are supported, got ${JSON.stringify(target)}`);
  const name = match[1]!;
  if (!(name in defs)) throw unsupported(`${path}/$ref`, `${JSON.stringify(target)} is not defined`);
  return { $ref: `#/$defs/${name}`, ...description };
}

function allOf(schema: Schema, path: string, defs: Schema, description: object): unknown {
  // Pydantic writes `allOf: [{$ref}]` to attach a description to a reference: that one is plain.
  only(schema, ['allOf'], path, 'allOf cannot be combined with other keywords');
  if (!Array.isArray(schema.allOf) || schema.allOf.length !== 1) {
    throw unsupported(`${path}/allOf`, 'allOf is supported with a single schema only');
  }
  const inner = normalize(schema.allOf[0], `${path}/allOf/0`, defs) as Schema;
  return { ...inner, ...description };
}

function only(schema: Schema, keys: string[], path: string, message: string): void {
  const extra = Object.keys(schema).filter((k) => !keys.includes(k));
  if (extra.length > 0) throw unsupported(path, `${message} (found ${extra.map((k) => `\`${k}\``).join(', ')})`);
}

function literal(value: unknown, path: string, type: unknown): void {
  const ok = value === null || ['string', 'number', 'boolean'].includes(typeof value);
  if (!ok) throw unsupported(path, 'only string, number, boolean and null literals are supported');
  if (type === undefined) return;
  const types = Array.isArray(type) ? type : [type];
  const actual = value === null ? 'null' : typeof value;
  const fits = types.some((t) => t === actual || (t === 'integer' && Number.isInteger(value)));
  if (!fits) throw unsupported(path, `${JSON.stringify(value as Json)} is not of type ${JSON.stringify(type)}`);
}
