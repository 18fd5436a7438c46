import { describe, expect, it, vi } from 'vitest';
import type { InferenceBackend } from '../../core/inference.js';

// Spies on the encodings' modules themselves: each factory runs when its module is first imported.
const imported = vi.hoisted(() => ({ o200k_base: 0, cl100k_base: 0 }));
vi.mock('gpt-tokenizer/encoding/o200k_base', async (importOriginal) => {
  imported.o200k_base++;
  return importOriginal();
});
vi.mock('gpt-tokenizer/encoding/cl100k_base', async (importOriginal) => {
  imported.cl100k_base++;
  return importOriginal();
});

const { encodingTokenizer, openAIEncoding, tokenizerFor } = await import('./tokenizer.js');

/** A backend as far as tokenizerFor looks at it. */
const backend = (countTokens?: (texts: string[]) => Promise<number>): InferenceBackend =>
  ({ modelId: 'm', ...(countTokens === undefined ? {} : { countTokens }) }) as unknown as InferenceBackend;

describe('lazy loading', () => {
  // First in this file: nothing has imported an encoding yet.
  it('imports an encoding on the first count that needs it, and once', async () => {
    expect(imported).toEqual({ o200k_base: 0, cl100k_base: 0 });
    const gpt4o = tokenizerFor('gpt-4o', backend());
    const gguf = tokenizerFor('my-llama', backend(async (texts) => texts.length));
    expect(imported).toEqual({ o200k_base: 0, cl100k_base: 0 }); // choosing loads nothing
    expect(await gguf.count(['a', 'b'])).toBe(2);
    expect(imported).toEqual({ o200k_base: 0, cl100k_base: 0 }); // the backend's own tokenizer
    expect(await gpt4o.count(['hello world'])).toBe(2);
    expect(imported).toEqual({ o200k_base: 1, cl100k_base: 0 });
    await Promise.all([tokenizerFor('gpt-35-turbo', backend()).count(['x']), tokenizerFor('gpt-4', backend()).count(['y'])]);
    await tokenizerFor('o3-mini', backend()).count(['z']);
    expect(imported).toEqual({ o200k_base: 1, cl100k_base: 1 });
  });
});

describe('openAIEncoding', () => {
  it.each([
    ['gpt-4o', 'o200k_base'],
    ['gpt-4o-mini', 'o200k_base'],
    ['GPT-4o', 'o200k_base'],
    ['gpt-4.1', 'o200k_base'],
    ['gpt-4.1-nano', 'o200k_base'],
    ['gpt-4.5-preview', 'o200k_base'],
    ['gpt-5', 'o200k_base'],
    ['gpt-5-mini', 'o200k_base'],
    ['gpt-5.1-chat', 'o200k_base'],
    ['o1', 'o200k_base'],
    ['o1-mini', 'o200k_base'],
    ['o3-mini', 'o200k_base'],
    ['o4-mini', 'o200k_base'],
    ['gpt-oss-120b', 'o200k_base'],
    ['model-router', 'o200k_base'],
    ['gpt-35-turbo', 'cl100k_base'],
    ['gpt-35-turbo-16k', 'cl100k_base'],
    ['gpt-35-turbo-instruct', 'cl100k_base'],
    ['gpt-4', 'cl100k_base'],
    ['gpt-4-32k', 'cl100k_base'],
    ['text-embedding-ada-002', 'cl100k_base'],
    ['text-embedding-3-small', 'cl100k_base'],
    ['text-embedding-3-large', 'cl100k_base'],
  ])('%s → %s', (name, encoding) => {
    expect(openAIEncoding(name)).toBe(encoding);
  });

  it.each(['llama-3.1-8b', 'stories260K', 'omni-moderation-latest', 'gpt-40', 'o', 'phi-4', 'mistral-large', ''])('%s is not an OpenAI family', (name) => {
    expect(openAIEncoding(name)).toBeUndefined();
  });
});

describe('tokenizerFor', () => {
  it("counts with the family's encoding, as gpt-tokenizer does", async () => {
    const o200k = await import('gpt-tokenizer/encoding/o200k_base');
    const cl100k = await import('gpt-tokenizer/encoding/cl100k_base');
    const texts = ['Ünïcödé and emoji 🦊 are more tokens', '   spaced\n\nlines', 'def f(x):\n    return x * 2'];
    const sum = (count: (t: string) => number): number => texts.reduce((s, t) => s + count(t), 0);
    expect(sum(o200k.countTokens)).not.toBe(sum(cl100k.countTokens)); // the texts tell the two apart
    expect(await tokenizerFor('gpt-4o-mini', backend()).count(texts)).toBe(sum(o200k.countTokens));
    expect(await tokenizerFor('gpt-4-32k', backend()).count(texts)).toBe(sum(cl100k.countTokens));
    // Unknown vocabulary, no backend count: cl100k_base as the approximation.
    expect(await tokenizerFor('mistral-large', backend()).count(texts)).toBe(sum(cl100k.countTokens));
    expect(await tokenizerFor('gpt-4o', backend()).count([])).toBe(0);
  });

  it('counts special-token text as plain text instead of throwing', async () => {
    const tokens = await tokenizerFor('gpt-4o', backend()).count(['<|endoftext|>', 'a <|im_start|> b']);
    expect(tokens).toBeGreaterThan(2);
  });

  it("prefers the backend's own tokenizer, also under an OpenAI model name", async () => {
    const countTokens = vi.fn(async (texts: string[]) => texts.join('').length);
    expect(await tokenizerFor('gpt-4o-mini', backend(countTokens)).count(['abc', 'de'])).toBe(5);
    expect(countTokens).toHaveBeenCalledWith(['abc', 'de']);
  });

  it('falls back when the backend cannot count', async () => {
    const o200k = await import('gpt-tokenizer/encoding/o200k_base');
    const failing = backend(async () => {
      throw new Error('model process gone');
    });
    expect(await tokenizerFor('gpt-4o', failing).count(['hello world'])).toBe(o200k.countTokens('hello world'));
    expect(await tokenizerFor('local', failing).count(['hello world'])).toBe(await encodingTokenizer('cl100k_base').count(['hello world']));
  });
});
