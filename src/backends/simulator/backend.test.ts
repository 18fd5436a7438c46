import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { performance } from 'node:perf_hooks';
import { BackendUnavailableError, ContextLengthExceededError, UnsupportedRequestError, UpstreamHttpError } from '../../core/errors.js';
import type { ChatGenerationRequest, GenerationEvent } from '../../core/inference.js';
import type { SimulatorBackendSpec } from '../../core/resources.js';
import { assemble, collect } from '../../../test/helpers/upstream.js';
import { createSimulatorBackend } from './backend.js';

const sim = (extra: Partial<SimulatorBackendSpec> = {}) => createSimulatorBackend({ kind: 'simulator', ...extra });
const signal = () => new AbortController().signal;
const chat = (content: string, extra: Partial<ChatGenerationRequest> = {}): ChatGenerationRequest => ({
  messages: [{ role: 'user', content }],
  params: {},
  signal: signal(),
  ...extra,
});

const weather = {
  name: 'get_weather',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] }, days: { type: 'integer', minimum: 1, maximum: 7 } },
    required: ['city', 'unit'],
    additionalProperties: false,
  },
};

describe('simulator text', () => {
  it('is a function of the prompt and seed', async () => {
    const backend = sim();
    const a = assemble(await collect(backend.chat(chat('Tell me a story', { params: { seed: 1 } }))));
    const b = assemble(await collect(backend.chat(chat('Tell me a story', { params: { seed: 1 } }))));
    const c = assemble(await collect(backend.chat(chat('Tell me a story', { params: { seed: 2 } }))));
    const d = assemble(await collect(backend.chat(chat('Tell me a poem', { params: { seed: 1 } }))));
    expect(a).toEqual(b);
    expect(c.choices[0]!.text).not.toBe(a.choices[0]!.text);
    expect(d.choices[0]!.text).not.toBe(a.choices[0]!.text);
  });

  it('ends on its own after 16–64 tokens, or at max_tokens with finish length', async () => {
    const backend = sim();
    for (let seed = 0; seed < 20; seed++) {
      const { choices, usage } = assemble(await collect(backend.chat(chat('Hi', { params: { seed } }))));
      expect(choices[0]!.finishReason).toBe('stop');
      expect(choices[0]!.text).toMatch(/^[A-Z].*\.$/);
      expect(usage!.completionTokens).toBeGreaterThanOrEqual(16);
      expect(usage!.completionTokens).toBeLessThanOrEqual(64);
    }
    const { choices, usage } = assemble(await collect(backend.chat(chat('Hi', { params: { maxTokens: 5 } }))));
    expect(choices[0]!.finishReason).toBe('length');
    expect(usage!.completionTokens).toBe(5);
    expect(choices[0]!.text.split(' ')).toHaveLength(5);
  });

  it('cuts at a stop string, which is not part of the text', async () => {
    const backend = sim();
    const whole = assemble(await collect(backend.chat(chat('Hi', { params: { seed: 3 } })))).choices[0]!.text;
    const stop = whole.slice(20, 24);
    const cut = assemble(await collect(backend.chat(chat('Hi', { params: { seed: 3, stop: [stop] } }))));
    expect(cut.choices[0]!.text).toBe(whole.slice(0, whole.indexOf(stop)));
    expect(cut.choices[0]!.finishReason).toBe('stop');
  });

  it('gives n different choices, each with its own done, and one usage for all', async () => {
    const events = await collect(sim().chat(chat('Hi', { n: 3, params: { maxTokens: 4 } })));
    const { choices, usage } = assemble(events);
    expect(choices).toHaveLength(3);
    expect(new Set(choices.map((c) => c.text)).size).toBe(3);
    expect(events.filter((e) => e.type === 'done')).toHaveLength(3);
    expect(events.at(-1)).toEqual({ type: 'usage', usage: { promptTokens: usage!.promptTokens, completionTokens: 12 } });
  });

  it('counts prompt tokens as ⌈chars/4⌉ + 4 per message + 3', async () => {
    const { usage } = assemble(await collect(sim().chat(chat('12345678', { params: { maxTokens: 1 } }))));
    expect(usage!.promptTokens).toBe(2 + 4 + 3);
  });

  it('refuses a prompt larger than the context', async () => {
    const backend = sim({ contextSize: 10 });
    await expect(collect(backend.chat(chat('x'.repeat(100))))).rejects.toBeInstanceOf(ContextLengthExceededError);
  });

  it('reports plausible logprobs: ≤ 0, the asked number of alternatives, best first', async () => {
    const { choices } = assemble(await collect(sim().chat(chat('Hi', { params: { maxTokens: 8, logprobs: 3 } }))));
    expect(choices[0]!.logprobs).toHaveLength(8);
    for (const t of choices[0]!.logprobs) {
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.topLogprobs).toHaveLength(3);
      expect(t.topLogprobs[0]!.token).toBe(t.token);
      for (let k = 1; k < 3; k++) expect(t.topLogprobs[k]!.logprob).toBeLessThanOrEqual(t.topLogprobs[k - 1]!.logprob);
    }
    expect(choices[0]!.logprobs.map((t) => t.token).join('')).toBe(choices[0]!.text);
  });
});

describe('simulator tools and formats', () => {
  it('calls a named tool with arguments that satisfy its schema', async () => {
    const events = await collect(sim().chat(chat('Weather?', { tools: [weather], toolChoice: { name: 'get_weather' } })));
    const { choices } = assemble(events);
    expect(choices[0]!.finishReason).toBe('tool_calls');
    const call = choices[0]!.toolCalls[0]!;
    expect(call.name).toBe('get_weather');
    expect(call.id).toMatch(/^call_/);
    expect(new Ajv().validate(weather.parameters, JSON.parse(call.arguments))).toBe(true);
    // The first piece names the call; later pieces only add arguments.
    const pieces = events.filter((e) => e.type === 'tool_call');
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.slice(1).every((p) => p.type === 'tool_call' && p.id === undefined)).toBe(true);
  });

  it('calls a tool on auto when the user names it, answers in text after the tool result', async () => {
    const backend = sim();
    const asked = assemble(await collect(backend.chat(chat('Use get_weather for Paris', { tools: [weather] }))));
    expect(asked.choices[0]!.toolCalls[0]!.name).toBe('get_weather');
    const plain = assemble(await collect(backend.chat(chat('Hello there', { tools: [weather] }))));
    expect(plain.choices[0]!.toolCalls).toEqual([]);
    const call = asked.choices[0]!.toolCalls[0]!;
    const after = assemble(
      await collect(
        backend.chat({
          messages: [
            { role: 'user', content: 'Use get_weather for Paris' },
            { role: 'assistant', content: '', toolCalls: [{ id: call.id!, name: 'get_weather', arguments: call.arguments }] },
            { role: 'tool', content: '{"temperature":21}', toolCallId: call.id! },
          ],
          params: {},
          tools: [weather],
          signal: signal(),
        }),
      ),
    );
    expect(after.choices[0]!.toolCalls).toEqual([]);
    expect(after.choices[0]!.finishReason).toBe('stop');
  });

  it('calls some tool when required, and none when none', async () => {
    const required = assemble(await collect(sim().chat(chat('Hello', { tools: [weather], toolChoice: 'required' }))));
    expect(required.choices[0]!.toolCalls).toHaveLength(1);
    const none = assemble(await collect(sim().chat(chat('get_weather please', { tools: [weather], toolChoice: 'none' }))));
    expect(none.choices[0]!.toolCalls).toEqual([]);
  });

  it('answers json_schema with JSON that validates, for nested, referenced and bounded schemas', async () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string', minLength: 3, maxLength: 20 },
        age: { type: 'integer', minimum: 18, maximum: 99 },
        colour: { type: 'string', enum: ['red', 'green', 'blue'] },
        score: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        nickname: { anyOf: [{ type: 'string' }, { type: 'null' }] },
        address: { $ref: '#/$defs/address' },
        tags: { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 4 },
        active: { type: 'boolean' },
      },
      required: ['name', 'age', 'colour', 'score', 'nickname', 'address', 'tags', 'active'],
      additionalProperties: false,
      $defs: { address: { type: 'object', properties: { city: { type: 'string' }, zip: { type: ['string', 'null'] } }, required: ['city', 'zip'] } },
    };
    const ajv = new Ajv();
    for (let seed = 0; seed < 10; seed++) {
      const { choices } = assemble(
        await collect(sim().chat(chat('Invent a person', { params: { seed }, responseFormat: { type: 'json_schema', name: 'p', schema, strict: true } }))),
      );
      expect(choices[0]!.finishReason).toBe('stop');
      const value = JSON.parse(choices[0]!.text);
      expect(ajv.validate(schema, value), JSON.stringify(ajv.errors)).toBe(true);
    }
  });

  it('answers json_object with an object', async () => {
    const { choices } = assemble(await collect(sim().chat(chat('JSON please', { responseFormat: { type: 'json_object' }, params: { maxTokens: 48 } }))));
    expect(typeof JSON.parse(choices[0]!.text)).toBe('object');
  });
});

describe('simulator completions and embeddings', () => {
  it('echoes the prompt before the completion', async () => {
    const backend = sim();
    const { choices } = assemble(await collect(backend.complete({ prompt: 'Once upon a time', echo: true, params: { maxTokens: 3, logprobs: 1 }, signal: signal() })));
    expect(choices[0]!.text.startsWith('Once upon a time')).toBe(true);
    expect(choices[0]!.logprobs.map((t) => t.token).join('')).toBe(choices[0]!.text);
    const ids = assemble(await collect(backend.complete({ prompt: [1, 2, 3], params: { maxTokens: 2 }, signal: signal() })));
    expect(ids.usage!.promptTokens).toBe(3);
  });

  it('gives deterministic unit vectors, shortened and renormalised by dimensions', async () => {
    const backend = sim();
    const full = await backend.embed({ input: ['hello', [1, 2, 3]], signal: signal() });
    expect(full.embeddings).toHaveLength(2);
    expect(full.embeddings[0]).toHaveLength(1536);
    const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    expect(norm(full.embeddings[0]!)).toBeCloseTo(1, 9);
    expect(full.promptTokens).toBe(2 + 3);
    expect((await backend.embed({ input: ['hello'], signal: signal() })).embeddings[0]).toEqual(full.embeddings[0]);
    const short = await backend.embed({ input: ['hello'], dimensions: 8, signal: signal() });
    expect(short.embeddings[0]).toHaveLength(8);
    expect(norm(short.embeddings[0]!)).toBeCloseTo(1, 9);
    // A prefix of the long vector, up to scale.
    const ratio = short.embeddings[0]![0]! / full.embeddings[0]![0]!;
    short.embeddings[0]!.forEach((x, i) => expect(x).toBeCloseTo(full.embeddings[0]![i]! * ratio, 9));
    await expect(backend.embed({ input: ['x'], dimensions: 4000, signal: signal() })).rejects.toBeInstanceOf(UnsupportedRequestError);
    expect((await sim({ embeddingDimensions: 64 }).embed({ input: ['x'], signal: signal() })).embeddings[0]).toHaveLength(64);
  });
});

describe('simulator token counting', () => {
  it('counts texts by its own rule, as its usage does', async () => {
    const backend = sim();
    expect(await backend.countTokens!([])).toBe(0);
    // ⌈characters / 4⌉ per text: 16 → 4, 5 → 2.
    expect(await backend.countTokens!(['Once upon a time', 'hello'])).toBe(4 + 2);
    const prompt = 'A prompt of some length, counted the same way twice.';
    const { usage } = assemble(await collect(backend.complete({ prompt, params: { maxTokens: 1 }, signal: signal() })));
    expect(await backend.countTokens!([prompt])).toBe(usage!.promptTokens);
    const embedded = await backend.embed({ input: ['hello', 'there, world'], signal: signal() });
    expect(await backend.countTokens!(['hello', 'there, world'])).toBe(embedded.promptTokens);
  });
});

describe('simulator pace and abort', () => {
  it('waits timeToFirstTokenMs, then streams at tokensPerSecond', async () => {
    const backend = sim({ timeToFirstTokenMs: 100, tokensPerSecond: 100 });
    const start = performance.now();
    const times: number[] = [];
    for await (const e of backend.chat(chat('Hi', { params: { maxTokens: 10 } }))) if (e.type === 'text') times.push(performance.now() - start);
    expect(times).toHaveLength(10);
    expect(times[0]).toBeGreaterThanOrEqual(95);
    // 9 more tokens at 10 ms each: at least ~90 ms after the first; generous upper bound.
    expect(times[9]! - times[0]!).toBeGreaterThanOrEqual(80);
    expect(times[9]).toBeLessThan(5000);
  });

  it('ends quietly and at once when aborted mid-stream', async () => {
    const controller = new AbortController();
    const backend = sim({ tokensPerSecond: 20 });
    const events: GenerationEvent[] = [];
    const start = performance.now();
    for await (const e of backend.chat(chat('Hi', { signal: controller.signal, params: { maxTokens: 60 } }))) {
      events.push(e);
      if (events.length === 2) controller.abort();
    }
    expect(events).toHaveLength(2);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});

describe('simulator faults', () => {
  it('rate limits with retryAfterMs', async () => {
    const backend = sim({ faults: { rateLimit: 1, retryAfterMs: 2500 } });
    const err = await collect(backend.chat(chat('Hi'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamHttpError);
    expect(err).toMatchObject({ status: 429, options: { retryAfterMs: 2500 } });
    await expect(backend.embed({ input: ['x'], signal: signal() })).rejects.toMatchObject({ status: 429 });
  });

  it('fails with 500', async () => {
    await expect(collect(sim({ faults: { serverError: 1 } }).chat(chat('Hi')))).rejects.toMatchObject({ status: 500 });
  });

  it('hangs until aborted on a timeout fault', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const events = await collect(sim({ faults: { timeout: 1 } }).chat(chat('Hi', { signal: controller.signal })));
    expect(events).toEqual([]);
  });

  it('drops the stream halfway', async () => {
    const events: GenerationEvent[] = [];
    const run = async () => {
      for await (const e of sim({ faults: { dropStream: 1 } }).chat(chat('Hi', { params: { maxTokens: 10 } }))) events.push(e);
    };
    const err = await run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toBe('stream dropped');
    expect(events.filter((e) => e.type === 'text')).toHaveLength(5);
  });

  it('never fails at rate 0, and fails the same requests again when seeded', async () => {
    const calm = sim({ faults: { rateLimit: 0, serverError: 0, timeout: 0, dropStream: 0 } });
    for (let i = 0; i < 20; i++) expect(assemble(await collect(calm.chat(chat(`Hi ${i}`)))).usage).toBeDefined();
    const flaky = sim({ faults: { serverError: 0.5 } });
    const outcome = async (seed: number) => collect(flaky.chat(chat('Hi', { params: { seed } }))).then(() => 'ok', () => 'failed');
    const first = await Promise.all(Array.from({ length: 20 }, (_, seed) => outcome(seed)));
    const second = await Promise.all(Array.from({ length: 20 }, (_, seed) => outcome(seed)));
    expect(second).toEqual(first);
    expect(first).toContain('ok');
    expect(first).toContain('failed');
  });
});
