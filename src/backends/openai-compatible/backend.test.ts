// The openai-compatible backend against the simulator's HTTP server: a well-behaved upstream.
// It must give exactly what the simulator gives in process.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { ContextLengthExceededError, UpstreamHttpError } from '../../core/errors.js';
import type { ChatGenerationRequest, CompletionRequest, InferenceBackend } from '../../core/inference.js';
import type { SimulatorBackendSpec } from '../../core/resources.js';
import { assemble, collect } from '../../../test/helpers/upstream.js';
import { createSimulatorBackend, startSimulatorServer, type SimulatorServer } from '../simulator/index.js';
import { createOpenAICompatibleBackend } from './backend.js';

const spec: SimulatorBackendSpec = { kind: 'simulator', model: 'sim-upstream', contextSize: 4000 };
let server: SimulatorServer;
let backend: InferenceBackend;
const local = createSimulatorBackend(spec);
const signal = () => new AbortController().signal;

beforeAll(async () => {
  server = await startSimulatorServer({ spec });
  backend = createOpenAICompatibleBackend({ kind: 'openai-compatible', baseUrl: `${server.url}/v1/`, model: 'sim-upstream', embeddingDimensions: 1536 });
});
afterAll(async () => {
  await backend.close();
  await server.close();
});

const tool = {
  name: 'get_weather',
  parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { enum: ['c', 'f'] } }, required: ['city', 'unit'], additionalProperties: false },
};

describe('openai-compatible backend against the simulator server', () => {
  it('reports its spec', () => {
    expect(backend.modelId).toBe('sim-upstream');
    expect(backend.capabilities).toMatchObject({ chat: true, completions: true, embeddings: true, tools: true, embeddingDimensions: 1536 });
  });

  it.each<[string, Partial<ChatGenerationRequest>]>([
    ['plain text', { params: { seed: 5 } }],
    ['n choices', { n: 2, params: { maxTokens: 6 } }],
    ['logprobs', { params: { maxTokens: 4, logprobs: 2 } }],
    ['a named tool', { tools: [tool], toolChoice: { name: 'get_weather' } }],
  ])('fetches %s whole (one plain JSON answer) when the caller does not stream, with the same result', async (_, extra) => {
    const request = (stream: boolean): ChatGenerationRequest => ({ messages: [{ role: 'user', content: 'What now?' }], params: {}, signal: signal(), stream, ...extra });
    const whole = assemble(await collect(backend.chat(request(false))));
    expect(whole).toEqual(assemble(await collect(backend.chat(request(true)))));
    expect(whole).toEqual(assemble(await collect(local.chat(request(false)))));
  });

  it('fetches a legacy completion whole too', async () => {
    const request = (stream: boolean): CompletionRequest => ({ prompt: 'Once', params: { maxTokens: 5, logprobs: 1 }, echo: true, signal: signal(), stream });
    expect(assemble(await collect(backend.complete(request(false))))).toEqual(assemble(await collect(backend.complete(request(true)))));
  });

  it.each<[string, Partial<ChatGenerationRequest>]>([
    ['plain text', { params: { seed: 5 } }],
    ['n choices with max_tokens', { n: 3, params: { maxTokens: 6 } }],
    ['stop strings', { params: { seed: 2, stop: ['e'] } }],
    ['logprobs', { params: { maxTokens: 4, logprobs: 2 } }],
    ['a named tool', { tools: [tool], toolChoice: { name: 'get_weather' } }],
    ['json_schema', { responseFormat: { type: 'json_schema', name: 'w', schema: tool.parameters, strict: true } }],
  ])('streams %s exactly as the simulator generates it, with usage from the stream', async (_, extra) => {
    const request = (): ChatGenerationRequest => ({ messages: [{ role: 'user', content: 'What now?' }], params: {}, signal: signal(), ...extra });
    const remote = assemble(await collect(backend.chat(request())));
    const expected = assemble(await collect(local.chat(request())));
    expect(remote).toEqual(expected);
    expect(remote.usage!.completionTokens).toBeGreaterThan(0);
  });

  it('reassembles tool call deltas into arguments that validate', async () => {
    const events = await collect(backend.chat({ messages: [{ role: 'user', content: 'Call get_weather' }], params: {}, tools: [tool], signal: signal() }));
    expect(events.filter((e) => e.type === 'tool_call').length).toBeGreaterThan(2);
    const call = assemble(events).choices[0]!.toolCalls[0]!;
    expect(call.name).toBe('get_weather');
    expect(new Ajv().validate(tool.parameters, JSON.parse(call.arguments))).toBe(true);
    expect(assemble(events).choices[0]!.finishReason).toBe('tool_calls');
  });

  it('converts legacy completion logprobs, echo included', async () => {
    const request = (): CompletionRequest => ({ prompt: 'Once upon a time', echo: true, params: { maxTokens: 4, logprobs: 2 }, signal: signal() });
    const remote = assemble(await collect(backend.complete(request())));
    expect(remote).toEqual(assemble(await collect(local.complete(request()))));
    const tokens = remote.choices[0]!.logprobs;
    expect(tokens.map((t) => t.token).join('')).toBe(remote.choices[0]!.text);
    expect(tokens[0]!.topLogprobs).toHaveLength(2);
    expect(tokens[0]!.topLogprobs[0]!.logprob).toBeGreaterThanOrEqual(tokens[0]!.topLogprobs[1]!.logprob);
  });

  it('gets embeddings (strings and token arrays, with dimensions) and their token count', async () => {
    const request = { input: ['hello', [1, 2, 3]], dimensions: 16, signal: signal() };
    const remote = await backend.embed(request);
    const expected = await local.embed(request);
    expect(remote.promptTokens).toBe(expected.promptTokens);
    expect(remote.embeddings).toHaveLength(2);
    remote.embeddings[0]!.forEach((x, i) => expect(x).toBeCloseTo(expected.embeddings[0]![i]!, 12));
  });

  it('turns the upstream context overflow into ContextLengthExceededError with its numbers', async () => {
    const err = await collect(backend.chat({ messages: [{ role: 'user', content: 'x'.repeat(20_000) }], params: {}, signal: signal() })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContextLengthExceededError);
    expect(err).toMatchObject({ contextSize: 4000, promptTokens: 5007 });
  });

  it('passes a 429 up with its retry-after, without retrying', async () => {
    const limited = await startSimulatorServer({ spec: { faults: { rateLimit: 1, retryAfterMs: 3000 } } });
    const b = createOpenAICompatibleBackend({ kind: 'openai-compatible', baseUrl: `${limited.url}/v1`, model: 'm' });
    const err = await collect(b.chat({ messages: [{ role: 'user', content: 'x' }], params: {}, signal: signal() })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamHttpError);
    expect(err).toMatchObject({ status: 429, options: { code: '429', retryAfterMs: 3000 } });
    await b.close();
    await limited.close();
  });
});
