import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnsupportedRequestError } from '../../core/errors.js';
import type { JsonSchema } from '../../core/inference.js';
import { writeTinyGguf } from '../../../test/fixtures/gguf.js';
import { withoutExponents } from './grammars.js';
import { loadLlamaBackend, type LlamaBackend } from './llama-backend.js';
import { collect, STORIES_260K, tempDir, userTurn } from './testing.js';

/** Just enough JSON Schema validation for the schemas below; returns what is wrong. */
function violations(value: unknown, schema: JsonSchema, path = '$'): string[] {
  if (Array.isArray(schema.enum)) return schema.enum.includes(value) ? [] : [`${path}: not in enum`];
  switch (schema.type) {
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${path}: not a boolean`];
    case 'integer':
      return Number.isInteger(value) ? [] : [`${path}: not an integer`];
    case 'string': {
      if (typeof value !== 'string') return [`${path}: not a string`];
      if (value.includes('\uFFFD')) return [`${path}: invalid UTF-8`];
      const max = schema.maxLength as number | undefined;
      return max === undefined || [...value].length <= max ? [] : [`${path}: longer than ${max}`];
    }
    case 'array': {
      if (!Array.isArray(value)) return [`${path}: not an array`];
      const errors = value.flatMap((item, i) => violations(item, schema.items as JsonSchema, `${path}[${i}]`));
      if (schema.minItems !== undefined && value.length < (schema.minItems as number)) errors.push(`${path}: too few items`);
      if (schema.maxItems !== undefined && value.length > (schema.maxItems as number)) errors.push(`${path}: too many items`);
      return errors;
    }
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: not an object`];
      const properties = schema.properties as Record<string, JsonSchema>;
      const record = value as Record<string, unknown>;
      const errors = ((schema.required as string[]) ?? []).filter((k) => !(k in record)).map((k) => `${path}.${k}: missing`);
      for (const [key, item] of Object.entries(record)) {
        if (key in properties) errors.push(...violations(item, properties[key]!, `${path}.${key}`));
        else if (schema.additionalProperties === false) errors.push(`${path}.${key}: not allowed`);
      }
      return errors;
    }
    default:
      return [`${path}: unknown schema`];
  }
}

const PET_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 12 },
    kind: { enum: ['cat', 'dog', 'bird'] },
    friendly: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string', maxLength: 8 }, minItems: 1, maxItems: 3 },
    owner: {
      type: 'object',
      properties: { first: { type: 'string', maxLength: 10 }, age: { enum: [3, 4, 5] } },
      required: ['first', 'age'],
      additionalProperties: false,
    },
  },
  required: ['name', 'kind', 'friendly', 'tags', 'owner'],
  additionalProperties: false,
};

let backend: LlamaBackend;
beforeAll(async () => {
  backend = await loadLlamaBackend({ kind: 'llama', modelPath: STORIES_260K, contextSize: 512 }, { threads: 1, onFailure: () => {} });
});
afterAll(() => backend.close());

describe('response_format', () => {
  it('json_object: the output is JSON from its first character, and parses when it stops', async () => {
    for (const seed of [1, 2]) {
      const out = await collect(
        backend.chat(userTurn('Tell me about a pet as JSON.', { maxTokens: 200, seed }, { responseFormat: { type: 'json_object' } })),
      );
      const choice = out.choices[0]!;
      expect(choice.text).toMatch(/^\{/);
      // stories260K writes stories inside JSON strings until maxTokens: the text is then cut, as OpenAI's is.
      if (choice.finishReason === 'stop') expect(JSON.parse(choice.text)).toBeTypeOf('object');
    }
    // With every quote-bearing token banned (stories260K ids: '"', '▁"', byte 0x22) a string cannot
    // start: the grammar can only close the object, and the output still parses.
    const banned = { 436: -100, 313: -100, 37: -100 };
    const out = await collect(
      backend.chat(userTurn('JSON please.', { maxTokens: 50, seed: 3, logitBias: banned }, { responseFormat: { type: 'json_object' } })),
    );
    expect(out.choices[0]!.finishReason).toBe('stop');
    expect(JSON.parse(out.choices[0]!.text)).toEqual({});
    expect(out.choices[0]!.text).toBe(out.choices[0]!.text.trim());
  });

  it('json_schema: the output parses and validates, whatever the seed', async () => {
    const texts = new Set<string>();
    for (const seed of [1, 2, 3, 4]) {
      const out = await collect(
        backend.chat(
          userTurn('Describe a pet.', { maxTokens: 300, seed }, { responseFormat: { type: 'json_schema', name: 'pet', schema: PET_SCHEMA, strict: true } }),
        ),
      );
      const choice = out.choices[0]!;
      expect(choice.finishReason).toBe('stop');
      const value: unknown = JSON.parse(choice.text);
      expect(violations(value, PET_SCHEMA)).toEqual([]);
      texts.add(choice.text);
      expect(out.usage?.completionTokens).toBeGreaterThan(0);
    }
    expect(texts.size).toBeGreaterThan(1); // constrained, not canned
  });

  it('json_schema (not strict) with optional properties still validates', async () => {
    const schema: JsonSchema = { type: 'object', properties: { a: { type: 'boolean' }, b: { enum: ['x', 'y'] } }, required: ['a'] };
    const out = await collect(
      backend.chat(userTurn('Answer.', { maxTokens: 100, seed: 5 }, { responseFormat: { type: 'json_schema', name: 'x', schema, strict: false } })),
    );
    expect(violations(JSON.parse(out.choices[0]!.text), schema)).toEqual([]);
  });

  it('refuses a schema the grammar cannot enforce, naming the parameter', async () => {
    const schema: JsonSchema = { type: 'object', properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'] };
    const err = await collect(
      backend.chat(userTurn('Answer.', {}, { responseFormat: { type: 'json_schema', name: 'x', schema, strict: true } })),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedRequestError);
    expect((err as UnsupportedRequestError).param).toBe('response_format');
    expect((err as Error).message).toMatch(/properties\/n\/minimum/);
  });
});

describe('json_schema on an untrained model (random bytes, random digits)', () => {
  it('still validates: integers without exponents, strings of valid UTF-8 within maxLength', async () => {
    const dir = await tempDir('lapis-llama-schema-');
    await writeTinyGguf(dir.path('tiny.gguf'), { contextLength: 1024 });
    const tiny = await loadLlamaBackend({ kind: 'llama', modelPath: dir.path('tiny.gguf'), parallel: 4 }, { threads: 1, onFailure: () => {} });
    try {
      const schema: JsonSchema = {
        type: 'object',
        properties: { name: { type: 'string', maxLength: 12 }, age: { type: 'integer' }, colour: { enum: ['red', 'green', 'blue'] } },
        required: ['name', 'age', 'colour'],
        additionalProperties: false,
      };
      const outs = await Promise.all(
        Array.from({ length: 12 }, (_, seed) =>
          collect(tiny.chat(userTurn('Invent a person.', { maxTokens: 200, seed }, { responseFormat: { type: 'json_schema', name: 'p', schema, strict: true } }))),
        ),
      );
      for (const out of outs) {
        expect(out.choices[0]!.finishReason).toBe('stop');
        expect(violations(JSON.parse(out.choices[0]!.text), schema)).toEqual([]);
      }
    } finally {
      await tiny.close();
      await dir.remove();
    }
  });

  it('rewrites the number rules of a generated grammar', () => {
    const gbnf = [
      'root ::= "{" integer-number-rule "}"',
      'integer-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15}) ([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?',
      'fractional-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?',
    ].join('\n');
    expect(withoutExponents(gbnf).split('\n')).toEqual([
      'root ::= "{" integer-number-rule "}"',
      'integer-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15})',
      'fractional-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})?',
    ]);
  });
});
