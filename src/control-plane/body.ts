// Strict reading of ARM request bodies. Unknown members are refused with ARM's own wording
// ("Could not find member 'x' on object of type 'T'"), wrong types name their path.

import { controlPlaneErrors as errors } from '../errors/index.js';

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks that `value` is an object with only `allowed` members. */
export function readObject(value: unknown, path: string, typeName: string, allowed: readonly string[]): Json {
  if (!isObject(value)) {
    throw errors.invalidRequestContent(`Expected an object of type '${typeName}' at path '${path || '$'}'.`);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      const at = path ? `${path}.${key}` : key;
      throw errors.invalidRequestContent(`Could not find member '${key}' on object of type '${typeName}'. Path '${at}'.`);
    }
  }
  return value;
}

export function optionalString(obj: Json, key: string, path: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw errors.invalidRequestContent(`Error converting value to type 'String'. Path '${path}.${key}'.`);
  return v;
}

export function requiredString(obj: Json, key: string, path: string): string {
  const v = optionalString(obj, key, path);
  if (v === undefined || v === '') {
    throw errors.invalidResourceProperties(`The property '${path ? `${path}.` : ''}${key}' is required.`, path ? `${path}.${key}` : key);
  }
  return v;
}

export function optionalInteger(obj: Json, key: string, path: string): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw errors.invalidRequestContent(`Error converting value to type 'Int32'. Path '${path}.${key}'.`);
  }
  return v;
}

export function optionalBoolean(obj: Json, key: string, path: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw errors.invalidRequestContent(`Error converting value to type 'Boolean'. Path '${path}.${key}'.`);
  return v;
}

export function stringMap(value: unknown, path: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw errors.invalidRequestContent(`Expected an object of string values at path '${path}'.`);
  }
  return value as Record<string, string>;
}
