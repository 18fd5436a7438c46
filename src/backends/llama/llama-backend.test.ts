import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BackendUnavailableError, ContextLengthExceededError } from '../../core/errors.js';
import { writeTinyGguf } from '../../../test/fixtures/gguf.js';
import { loadLlamaBackend, type LlamaBackend } from './llama-backend.js';
import { collect, STORIES_260K, tempDir, userTurn } from './testing.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
let tinyPath: string;

beforeAll(async () => {
  dir = await tempDir('lapis-llama-');
  tinyPath = dir.path('tiny.gguf');
  await writeTinyGguf(tinyPath, { contextLength: 1024, suppressEndTokens: true });
});
afterAll(() => dir.remove());

describe('generated model', () => {
  let backend: LlamaBackend;
  const onFailure = vi.fn();
  beforeAll(async () => {
    backend = await loadLlamaBackend({ kind: 'llama', modelPath: tinyPath, parallel: 1 }, { threads: 1, onFailure });
  });
  afterAll(async () => {
    await backend.close();
    expect(onFailure).not.toHaveBeenCalled(); // closing is not a failure
  });

  it('loads with its name, context, ChatML template and capabilities', () => {
    expect(backend.modelId).toBe('lapis-tiny');
    expect(backend.contextSize).toBe(1024);
    expect(backend.chatWrapper).toBe('ChatML');
    expect(backend.capabilities).toEqual({
      chat: true,
      completions: true,
      embeddings: true,
      tools: true,
      jsonSchema: true,
      logprobs: true,
      vision: false,
      contextSize: 1024,
      embeddingDimensions: 64,
    });
  });

  it('chats and ends with done, then usage counted with its own tokenizer', async () => {
    const out = await collect(backend.chat(userTurn('hello world', { maxTokens: 16, seed: 1 })));
    expect(out.choices).toHaveLength(1);
    expect(out.choices[0]!.text.length).toBeGreaterThan(0);
    expect(out.events.at(-2)).toEqual({ type: 'done', choice: 0, finishReason: 'length' });
    expect(out.events.at(-1)).toEqual({ type: 'usage', usage: { promptTokens: expect.any(Number), completionTokens: 16 } });
    expect(out.usage!.promptTokens).toBeGreaterThan(0);
  });

  it("finishes with 'length' when maxTokens is reached", async () => {
    const out = await collect(backend.chat(userTurn('tell me a story', { maxTokens: 5, temperature: 0 })));
    expect(out.choices[0]!.finishReason).toBe('length');
    expect(out.usage?.completionTokens).toBe(5);
  });

  it('gives the same text for the same seed', async () => {
    const params = { maxTokens: 40, temperature: 1, seed: 1234 };
    const first = await collect(backend.chat(userTurn('once upon a time', params)));
    await collect(backend.chat(userTurn('something else in between', { maxTokens: 10 })));
    const second = await collect(backend.chat(userTurn('once upon a time', params)));
    expect(second.choices[0]!.text).toBe(first.choices[0]!.text);
    expect(second.usage).toEqual(first.usage);
  });

  it('ends the iteration on abort and serves the next request', async () => {
    const controller = new AbortController();
    let chunks = 0;
    // This model cannot emit an end token (suppressEndTokens): only the abort stops it early.
    for await (const event of backend.chat(userTurn('hello', { temperature: 0 }, { signal: controller.signal }))) {
      expect(event.type).toBe('text');
      if (++chunks === 3) controller.abort();
    }
    expect(chunks).toBe(3);
    const next = await collect(backend.chat(userTurn('hello again', { maxTokens: 4 })));
    expect(next.choices[0]!.finishReason).toBe('length');
  });

  it('stops decoding when the consumer breaks out', async () => {
    for await (const event of backend.chat(userTurn('hello', { temperature: 0 }))) {
      if (event.type === 'text') break;
    }
    const next = await collect(backend.chat(userTurn('hello', { maxTokens: 3 })));
    expect(next.usage?.completionTokens).toBe(3);
  });

  it('queues requests beyond `parallel`; one aborted while queued is dropped', async () => {
    const queuedAbort = new AbortController();
    const first = collect(backend.chat(userTurn('the cat', { maxTokens: 30, seed: 2 })));
    const dropped = collect(backend.chat(userTurn('the dog', { maxTokens: 30 }, { signal: queuedAbort.signal })));
    const third = collect(backend.chat(userTurn('the story', { maxTokens: 30, seed: 3 })));
    queuedAbort.abort();
    const [a, b, c] = await Promise.all([first, dropped, third]);
    expect(a.usage?.completionTokens).toBe(30);
    expect(b.events).toEqual([]);
    expect(c.usage?.completionTokens).toBe(30);
  });

  it('counts tokens with its own tokenizer, as a completion counts its prompt', async () => {
    const text = 'once upon a time there was a little cat';
    const out = await collect(backend.complete({ prompt: text, params: { maxTokens: 1 }, signal: new AbortController().signal }));
    // A completion's prompt gets the model's BOS token (add_bos_token); counted texts do not:
    // they are pieces of one prompt, which gets one BOS at most.
    expect(await backend.countTokens!([text])).toBe(out.usage!.promptTokens - 1);
    // Summed over texts; the generated vocabulary has every word of these as one piece.
    expect(await backend.countTokens!(['hello world', 'the cat', ''])).toBe(4);
    expect(await backend.countTokens!([])).toBe(0);
  });

  it('treats an already aborted signal as nothing to do', async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await collect(backend.chat(userTurn('hello', {}, { signal: controller.signal })))).events).toEqual([]);
  });
});

describe('context window', () => {
  it('rejects a prompt that does not fit with ContextLengthExceededError', async () => {
    const backend = await loadLlamaBackend(
      { kind: 'llama', modelPath: tinyPath, contextSize: 200, parallel: 1 },
      { threads: 1, onFailure: () => {} },
    );
    try {
      // llama.cpp rounds the window up (to 256 here); the backend reports what it allocated.
      expect(backend.contextSize).toBeGreaterThanOrEqual(200);
      const long = 'hello world '.repeat(backend.contextSize);
      const err = await collect(backend.chat(userTurn(long))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ContextLengthExceededError);
      expect((err as ContextLengthExceededError).contextSize).toBe(backend.contextSize);
      expect((err as ContextLengthExceededError).promptTokens).toBeGreaterThan(backend.contextSize);
      // Without maxTokens, generation runs to the end of the window and reports 'length'.
      const out = await collect(backend.chat(userTurn('hello', { temperature: 0 })));
      expect(out.choices[0]!.finishReason).toBe('length');
      expect(out.usage!.promptTokens + out.usage!.completionTokens).toBe(backend.contextSize - 1);
      // maxTokens beyond the window stops at its end too.
      const capped = await collect(backend.chat(userTurn('hello', { temperature: 0, maxTokens: 10_000 })));
      expect(capped.usage).toEqual(out.usage);
    } finally {
      await backend.close();
    }
  });
});

describe('stories260K (real weights)', () => {
  let backend: LlamaBackend;
  beforeAll(async () => {
    backend = await loadLlamaBackend({ kind: 'llama', modelPath: STORIES_260K }, { threads: 1, onFailure: () => {} });
  });
  afterAll(() => backend.close());

  it('chats through the Llama 2 fallback template', async () => {
    expect(backend.chatWrapper).toBe('Llama2Chat');
    const out = await collect(backend.chat(userTurn('Once upon a time', { maxTokens: 48, temperature: 0 })));
    expect(out.choices[0]!.text).toMatch(/[a-z]+ [a-z]+/i);
    expect(out.usage?.completionTokens).toBeGreaterThan(0);
  });

  it('stops before a stop string, does not emit it, and still reports usage', async () => {
    const params = { maxTokens: 64, temperature: 0 };
    const full = (await collect(backend.chat(userTurn('Once upon a time', params)))).choices[0]!.text;
    const words = full.trim().split(/\s+/);
    expect(words.length).toBeGreaterThan(4);
    const stop = ` ${words[3]}`;
    const cut = await collect(backend.chat(userTurn('Once upon a time', { ...params, stop: [stop] })));
    expect(cut.choices[0]!.finishReason).toBe('stop');
    expect(cut.choices[0]!.text).toBe(full.slice(0, full.indexOf(stop)));
    expect(cut.usage?.completionTokens).toBeGreaterThan(0);
  });

  it('counts tokens as its completions count their prompt', async () => {
    const text = 'Once upon a time, there was a little girl named Lily.';
    const out = await collect(backend.complete({ prompt: text, params: { maxTokens: 1 }, signal: new AbortController().signal }));
    expect(await backend.countTokens!([text])).toBe(out.usage!.promptTokens - 1); // the BOS
  });

  it('applies presence and frequency penalties', async () => {
    const params = { maxTokens: 64, temperature: 0 };
    const plain = await collect(backend.chat(userTurn('Once upon a time', params)));
    const penalised = await collect(
      backend.chat(userTurn('Once upon a time', { ...params, presencePenalty: 1.5, frequencyPenalty: 1.5 })),
    );
    expect(penalised.choices[0]!.text).not.toBe(plain.choices[0]!.text);
  });
});

describe('a model process that dies after load', () => {
  it('fails in-flight chats with BackendUnavailableError and reports once', async () => {
    const onFailure = vi.fn();
    const backend = await loadLlamaBackend({ kind: 'llama', modelPath: tinyPath }, { threads: 1, onFailure });
    const pending = collect(backend.chat(userTurn('hello', { temperature: 0 })));
    process.kill(backend.pid!, 'SIGKILL');
    await expect(pending).rejects.toBeInstanceOf(BackendUnavailableError);
    expect(onFailure).toHaveBeenCalledTimes(1);
    expect(onFailure.mock.calls[0]![0]).toMatch(/killed \(SIGKILL\)/);
    await expect(collect(backend.chat(userTurn('hello')))).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(backend.embed({ input: ['hello'], signal: new AbortController().signal })).rejects.toBeInstanceOf(BackendUnavailableError);
    await backend.close();
    await backend.close();
    expect(onFailure).toHaveBeenCalledTimes(1);
  });

  it('close() is idempotent and later chats are refused', async () => {
    const onFailure = vi.fn();
    const backend = await loadLlamaBackend({ kind: 'llama', modelPath: tinyPath }, { threads: 1, onFailure });
    await Promise.all([backend.close(), backend.close()]);
    await backend.close();
    await expect(collect(backend.chat(userTurn('hello')))).rejects.toBeInstanceOf(BackendUnavailableError);
    expect(onFailure).not.toHaveBeenCalled();
  });
});
