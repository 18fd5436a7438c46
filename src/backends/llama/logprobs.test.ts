import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnsupportedRequestError } from '../../core/errors.js';
import type { TokenLogprob } from '../../core/inference.js';
import { buildVocab, writeTinyGguf } from '../../../test/fixtures/gguf.js';
import { loadLlamaBackend, type LlamaBackend } from './llama-backend.js';
import { collect, STORIES_260K, tempDir, userTurn } from './testing.js';

function expectWellFormed(entries: TokenLogprob[], top: number): void {
  for (const entry of entries) {
    expect(entry.logprob).toBeLessThanOrEqual(0);
    expect(entry.topLogprobs).toHaveLength(top);
    const values = entry.topLogprobs.map((t) => t.logprob);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    for (const alt of entry.topLogprobs) expect(alt.logprob).toBeLessThanOrEqual(0);
    // The chosen token can be no likelier than the most likely alternative.
    if (top > 0) expect(entry.logprob).toBeLessThanOrEqual(values[0]! + 1e-9);
    if (entry.bytes !== null) expect(Buffer.from(entry.bytes).toString('utf8')).toBe(entry.token);
  }
}

let stories: LlamaBackend;
let tiny: LlamaBackend;
let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir('lapis-llama-logprobs-');
  await writeTinyGguf(dir.path('tiny.gguf'), { contextLength: 512, suppressEndTokens: true });
  [stories, tiny] = await Promise.all([
    loadLlamaBackend({ kind: 'llama', modelPath: STORIES_260K, contextSize: 512 }, { threads: 1, onFailure: () => {} }),
    loadLlamaBackend({ kind: 'llama', modelPath: dir.path('tiny.gguf') }, { threads: 1, onFailure: () => {} }),
  ]);
});
afterAll(async () => {
  await Promise.all([stories.close(), tiny.close()]);
  await dir.remove();
});

describe('chat logprobs', () => {
  it('reports one entry per token, with as many sorted alternatives as asked', async () => {
    for (const top of [0, 3, 20]) {
      const out = await collect(stories.chat(userTurn('Once upon a time', { maxTokens: 12, seed: 9, logprobs: top })));
      const choice = out.choices[0]!;
      expect(choice.logprobs).toHaveLength(out.usage!.completionTokens - (choice.finishReason === 'stop' ? 1 : 0));
      expect(choice.logprobs.map((l) => l.token).join('')).toBe(choice.text);
      expectWellFormed(choice.logprobs, top);
    }
  });

  it('at temperature 0 the chosen token is the most likely one', async () => {
    const out = await collect(stories.chat(userTurn('Once upon a time', { maxTokens: 10, temperature: 0, logprobs: 1 })));
    for (const entry of out.choices[0]!.logprobs) {
      expect(entry.logprob).toBeCloseTo(entry.topLogprobs[0]!.logprob, 6);
      expect(entry.token).toBe(entry.topLogprobs[0]!.token);
    }
  });

  it('describes the model, not the temperature', async () => {
    const params = { maxTokens: 1, seed: 3, logprobs: 5 };
    const cool = await collect(stories.chat(userTurn('Once upon a time', { ...params, temperature: 0.5 })));
    const hot = await collect(stories.chat(userTurn('Once upon a time', { ...params, temperature: 1.5 })));
    const tops = (c: typeof cool): number[] => c.choices[0]!.logprobs[0]!.topLogprobs.map((t) => t.logprob);
    tops(cool).forEach((value, i) => expect(value).toBeCloseTo(tops(hot)[i]!, 3));
  });

  it('refuses more than 20 alternatives', async () => {
    const err = await collect(stories.chat(userTurn('hi', { logprobs: 21 }))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedRequestError);
    expect((err as UnsupportedRequestError).param).toBe('top_logprobs');
  });
});

describe('logit bias', () => {
  const vocab = buildVocab().tokens;
  const id = (piece: string): number => vocab.indexOf(piece);

  it('+100 forces a token', async () => {
    const out = await collect(tiny.chat(userTurn('hello', { maxTokens: 8, seed: 1, logitBias: { [id('▁cat')]: 100 } })));
    expect(out.choices[0]!.text.trim()).toBe(Array(8).fill('cat').join(' '));
  });

  it('-100 bans a token', async () => {
    // The greedy answer's most frequent tokens, then the same request with them banned.
    const plain = await collect(tiny.chat(userTurn('the little dog', { maxTokens: 40, temperature: 0, logprobs: 0 })));
    const counts = new Map<string, number>();
    for (const { bytes } of plain.choices[0]!.logprobs) {
      const key = JSON.stringify(bytes);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const frequent = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([key]) => key);
    const pieces = frequent.map((key) => {
      const bytes = JSON.parse(key) as number[];
      const text = Buffer.from(bytes).toString('utf8').replace(/^ /, '▁');
      return bytes.length === 1 && bytes[0]! >= 0x80 ? `<0x${bytes[0]!.toString(16).toUpperCase()}>` : text;
    });
    const ids = pieces.map(id);
    expect(ids.every((i) => i >= 0)).toBe(true);
    const banned = await collect(
      tiny.chat(userTurn('the little dog', { maxTokens: 40, temperature: 0, logprobs: 0, logitBias: Object.fromEntries(ids.map((i) => [i, -100])) })),
    );
    const seen = new Set(banned.choices[0]!.logprobs.map((l) => JSON.stringify(l.bytes)));
    for (const key of frequent) expect(seen.has(key)).toBe(false);
    expect(banned.choices[0]!.text).not.toBe(plain.choices[0]!.text);
  });

  it('refuses a token the vocabulary does not have', async () => {
    const err = await collect(tiny.chat(userTurn('hi', { logitBias: { 999999: 5 } }))).catch((e: unknown) => e);
    expect((err as UnsupportedRequestError).param).toBe('logit_bias');
  });
});

describe('completions', () => {
  it('continues raw text, echoes it with the logprobs of its tokens, and counts usage', async () => {
    const prompt = 'Once upon a time';
    const out = await collect(stories.complete({ prompt, params: { maxTokens: 8, seed: 2, logprobs: 2 }, echo: true, signal: new AbortController().signal }));
    const first = out.events[0] as { type: string; choice: number; text: string };
    expect(first).toMatchObject({ type: 'text', choice: 0 });
    expect(first.text.startsWith(prompt)).toBe(true);
    // The model process batches its messages, so the echo may share an event with what follows:
    // take the entries that spell the prompt. BOS comes first and is not text: every text token
    // of the prompt is scored.
    const all = out.events.flatMap((e) => (e.type === 'text' ? (e.logprobs ?? []) : []));
    const promptEntries: TokenLogprob[] = [];
    for (let joined = ''; joined !== prompt && promptEntries.length < all.length; ) {
      const entry = all[promptEntries.length]!;
      joined += entry.token;
      promptEntries.push(entry);
    }
    expect(promptEntries.map((l) => l.token).join('')).toBe(prompt);
    expectWellFormed(promptEntries, 2);
    expect(out.choices[0]!.text.startsWith(prompt)).toBe(true);
    expect(out.choices[0]!.text.length).toBeGreaterThan(prompt.length);
    expect(out.usage).toEqual({ promptTokens: promptEntries.length + 1, completionTokens: 8 });
    expect(out.choices[0]!.finishReason).toBe('length');
  });

  it('takes token ids verbatim; without BOS the first token has no logprob', async () => {
    const ids = [426, 300, 261]; // three stories260K tokens, no BOS
    const out = await collect(stories.complete({ prompt: ids, params: { maxTokens: 0, logprobs: 0 }, echo: true, signal: new AbortController().signal }));
    expect((out.events[0] as { logprobs: TokenLogprob[] }).logprobs).toHaveLength(ids.length - 1);
    expect(out.usage).toEqual({ promptTokens: 3, completionTokens: 0 });
    expect(out.choices[0]!.finishReason).toBe('length');
  });

  it('gives n choices, stops at a stop string, and refuses unknown token ids', async () => {
    const out = await collect(
      stories.complete({ prompt: 'Once upon a time', params: { maxTokens: 40, seed: 5, stop: ['.'] }, n: 3, signal: new AbortController().signal }),
    );
    expect(out.choices).toHaveLength(3);
    for (const choice of out.choices) {
      expect(choice.text).not.toContain('.');
      expect(['stop', 'length']).toContain(choice.finishReason);
    }
    const err = await collect(stories.complete({ prompt: [1, 100000], params: {}, signal: new AbortController().signal })).catch((e: unknown) => e);
    expect((err as UnsupportedRequestError).param).toBe('prompt');
  });
});
