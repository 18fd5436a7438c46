import { describe, expect, it } from 'vitest';
import { SchemaNotSupportedError, toGrammarSchema } from './json-schema.js';

const refused = (schema: Record<string, unknown>): string => {
  try {
    toGrammarSchema(schema);
  } catch (err) {
    expect(err).toBeInstanceOf(SchemaNotSupportedError);
    return (err as Error).message;
  }
  throw new Error('expected the schema to be refused');
};

describe('toGrammarSchema', () => {
  it('keeps what the grammar enforces and drops annotations', () => {
    expect(
      toGrammarSchema({
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        title: 'Weather',
        type: 'object',
        properties: {
          city: { type: 'string', maxLength: 20, description: 'where' },
          unit: { enum: ['c', 'f'] },
          days: { type: 'array', items: { type: 'integer' }, maxItems: 3 },
        },
        required: ['city', 'unit'],
        additionalProperties: false,
      }),
    ).toEqual({
      type: 'object',
      properties: {
        city: { type: 'string', maxLength: 20, description: 'where' },
        unit: { enum: ['c', 'f'] },
        days: { type: 'array', items: { type: 'integer' }, maxItems: 3 },
      },
    });
  });

  it('rewrites anyOf, type unions, definitions and single allOf into what node-llama-cpp reads', () => {
    expect(
      toGrammarSchema({
        type: 'object',
        properties: {
          a: { anyOf: [{ type: 'string' }, { type: 'null' }] },
          b: { type: ['object', 'null'], properties: { x: { type: 'boolean' } } },
          c: { type: ['string', 'null'] },
          d: { allOf: [{ $ref: '#/definitions/Point' }], description: 'a point' },
        },
        definitions: { Point: { type: 'object', properties: { x: { type: 'number' } } } },
      }),
    ).toEqual({
      type: 'object',
      properties: {
        a: { oneOf: [{ type: 'string' }, { type: 'null' }] },
        b: { oneOf: [{ type: 'object', properties: { x: { type: 'boolean' } } }, { type: 'null' }] },
        c: { type: ['string', 'null'] },
        d: { $ref: '#/$defs/Point', description: 'a point' },
      },
      $defs: { Point: { type: 'object', properties: { x: { type: 'number' } } } },
    });
  });

  it('refuses constraints the grammar cannot enforce, naming where', () => {
    expect(refused({ type: 'object', properties: { n: { type: 'integer', minimum: 1 } } })).toMatch(/#\/properties\/n\/minimum/);
    expect(refused({ type: 'string', pattern: '^a+$' })).toMatch(/pattern/);
    expect(refused({ type: 'string', format: 'email' })).toMatch(/format "email"/);
    expect(refused({ allOf: [{ type: 'string' }, { maxLength: 3 }] })).toMatch(/allOf/);
    expect(refused({ not: { type: 'string' } })).toMatch(/without a `type`/);
    expect(refused({ type: 'array', uniqueItems: true })).toMatch(/uniqueItems/);
    expect(refused({ $ref: 'https://example.com/schema' })).toMatch(/\$defs/);
    expect(refused({ type: 'object', properties: { a: { type: 'string' } }, required: ['b'] })).toMatch(/"b" is required/);
    expect(refused({ enum: [{ a: 1 }] })).toMatch(/literals/);
    expect(refused({ type: 'string', enum: ['a', 1] })).toMatch(/not of type/);
  });
});
