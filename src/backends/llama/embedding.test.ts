import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContextLengthExceededError, UnsupportedRequestError } from '../../core/errors.js';
import { loadLlamaBackend, type LlamaBackend } from './llama-backend.js';
import { STORIES_260K } from './testing.js';

const signal = (): AbortSignal => new AbortController().signal;
const norm = (v: number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const dot = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

let backend: LlamaBackend;
beforeAll(async () => {
  backend = await loadLlamaBackend({ kind: 'llama', modelPath: STORIES_260K, contextSize: 256 }, { threads: 1, onFailure: () => {} });
});
afterAll(() => backend.close());

describe('embeddings', () => {
  it('embeds text: native size, unit length, the same vector for the same input', async () => {
    expect(backend.capabilities.embeddingDimensions).toBe(64);
    const { embeddings, promptTokens } = await backend.embed({ input: ['the cat sat', 'a dog ran', 'the cat sat'], signal: signal() });
    expect(embeddings).toHaveLength(3);
    for (const vector of embeddings) {
      expect(vector).toHaveLength(64);
      expect(norm(vector)).toBeCloseTo(1, 5);
    }
    expect(embeddings[2]).toEqual(embeddings[0]);
    expect(dot(embeddings[0]!, embeddings[1]!)).toBeLessThan(0.9999);
    expect(promptTokens).toBeGreaterThan(3);
    // Asked again, in another request: identical.
    expect((await backend.embed({ input: ['the cat sat'], signal: signal() })).embeddings[0]).toEqual(embeddings[0]);
  });

  it('embeds token ids', async () => {
    const { embeddings, promptTokens } = await backend.embed({ input: [[1, 426, 300, 261]], signal: signal() });
    expect(embeddings[0]).toHaveLength(64);
    expect(promptTokens).toBeGreaterThanOrEqual(4);
  });

  it('accepts only the native number of dimensions', async () => {
    await expect(backend.embed({ input: ['x'], dimensions: 64, signal: signal() })).resolves.toBeDefined();
    const err = await backend.embed({ input: ['x'], dimensions: 32, signal: signal() }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedRequestError);
    expect((err as UnsupportedRequestError).param).toBe('dimensions');
  });

  it('refuses empty input and unknown tokens; an input beyond the context fails', async () => {
    await expect(backend.embed({ input: [''], signal: signal() })).rejects.toMatchObject({ param: 'input' });
    await expect(backend.embed({ input: [[5, 70000]], signal: signal() })).rejects.toMatchObject({ param: 'input' });
    await expect(backend.embed({ input: ['once upon a time '.repeat(200)], signal: signal() })).rejects.toBeInstanceOf(
      ContextLengthExceededError,
    );
  });
});
