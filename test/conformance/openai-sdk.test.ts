// The inference surface through the official openai SDK — AzureOpenAI on the dated scheme,
// OpenAI with baseURL …/openai/v1/ on the v1 scheme — on three kinds of deployment:
//   tiny      the embedded llama backend on a model the tests generate (grammar-constrained JSON and tools)
//   sim       the simulator backend, in process
//   upstream  the openai-compatible backend, brokering to a simulator HTTP server on loopback
// Every body and stream chunk is validated against the official Azure OpenAI spec.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { AzureOpenAI, OpenAI } from 'openai';
import type { RunningServer } from '../../src/main.js';
import { startSimulatorServer } from '../../src/backends/simulator/index.js';
import { writeTinyGguf } from '../fixtures/gguf.js';
import { adminApi, newServerState, startInProcess, type ServerState } from '../helpers/server.js';
import { spec } from '../helpers/spec-schemas.js';

let state: ServerState;
let server: RunningServer;
let upstream: { url: string; close(): Promise<void> };
let models: string;
let key: string;

let deploy: ReturnType<typeof adminApi>['deploy'];

beforeAll(async () => {
  state = await newServerState();
  server = await startInProcess(state);
  ({ deploy } = adminApi(server));
  models = await mkdtemp(join(tmpdir(), 'lapis-models-'));
  await writeTinyGguf(join(models, 'tiny.gguf'), { name: 'tiny-chatml', contextLength: 4096 });
  upstream = await startSimulatorServer({ host: '127.0.0.1', port: 0, spec: { kind: 'simulator', model: 'upstream-sim' } });
  key = await adminApi(server).defaultAccountKey();
  await deploy('tiny', { kind: 'llama', modelPath: join(models, 'tiny.gguf') });
  await deploy('sim', { kind: 'simulator', model: 'lapis-simulator' });
  await deploy('upstream', { kind: 'openai-compatible', baseUrl: `${upstream.url}/v1`, model: 'upstream-sim' });
});
afterAll(async () => {
  await server?.stop();
  await upstream?.close();
  await state?.cleanup();
  await rm(models, { recursive: true, force: true });
});

const azure = (deployment: string) => new AzureOpenAI({ endpoint: server.url, apiKey: key, apiVersion: '2024-10-21', deployment, maxRetries: 0 });
const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['city', 'unit'], additionalProperties: false },
    strict: true,
  },
};

describe.each(['tiny', 'sim', 'upstream'])('deployment %s through AzureOpenAI', (deployment) => {
  it('answers chat.completions.create with a body that matches the spec', async () => {
    const res = await azure(deployment).chat.completions.create({
      model: 'anything', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Say hello.' }], max_tokens: 12, seed: 7,
    });
    spec.chatCompletion(res);
    expect(res.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(res.usage!.total_tokens).toBe(res.usage!.prompt_tokens + res.usage!.completion_tokens);
    expect(res.usage!.completion_tokens).toBeLessThanOrEqual(12);
  });

  it('streams chunks that match the spec, with the usage chunk last', async () => {
    const chunks = [];
    const stream = await azure(deployment).chat.completions.create({
      model: 'x', messages: [{ role: 'user', content: 'Count.' }], max_tokens: 8, stream: true, stream_options: { include_usage: true },
    });
    for await (const chunk of stream) chunks.push(chunk);
    const [preamble, ...rest] = chunks as any[];
    expect(preamble.choices).toEqual([]);
    spec.promptFilterResults(preamble.prompt_filter_results);
    for (const c of rest) spec.chatChunk(c);
    expect(rest[0].choices[0].delta.role).toBe('assistant');
    expect(rest.find((c) => c.choices[0]?.finish_reason)).toBeTruthy();
    expect(rest.at(-1).choices).toEqual([]);
    expect(rest.at(-1).usage.completion_tokens).toBeGreaterThan(0);
  });

  it('gives n choices', async () => {
    const res = await azure(deployment).chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'Hi' }], n: 2, max_tokens: 4, seed: 1 });
    spec.chatCompletion(res);
    expect(res.choices.map((c) => c.index)).toEqual([0, 1]);
  });

  it('calls a named tool with arguments that validate, and takes the result back', async () => {
    const client = azure(deployment);
    const messages: any[] = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const first = await client.chat.completions.create({
      model: 'x', messages, tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'get_weather' } }, max_tokens: 200, seed: 6,
    });
    spec.chatCompletion(first);
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    const call = choice.message.tool_calls![0]! as any;
    expect(call.type).toBe('function');
    expect(call.function.name).toBe('get_weather');
    const args = JSON.parse(call.function.arguments);
    const ajv = new Ajv();
    expect(ajv.validate(weatherTool.function.parameters, args), `${call.function.arguments} ${ajv.errorsText()}`).toBe(true);
    messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: '{"temperature": 21}' });
    const second = await client.chat.completions.create({ model: 'x', messages, tools: [weatherTool], tool_choice: 'none', max_tokens: 16 });
    spec.chatCompletion(second);
    expect(second.choices[0]!.message.tool_calls ?? []).toEqual([]);
    expect(second.choices[0]!.message.content!.length).toBeGreaterThan(0);
  });

  it('returns json_schema output that parses and validates', async () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string', maxLength: 12 }, age: { type: 'integer' }, colour: { type: 'string', enum: ['red', 'green', 'blue'] } },
      required: ['name', 'age', 'colour'],
      additionalProperties: false,
    };
    const res = await azure(deployment).chat.completions.create({
      model: 'x', messages: [{ role: 'user', content: 'Invent a person.' }], max_tokens: 200, seed: 6,
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } },
    });
    spec.chatCompletion(res);
    const value = JSON.parse(res.choices[0]!.message.content!);
    const ajv = new Ajv();
    expect(ajv.validate(schema, value), `${res.choices[0]!.message.content} ${ajv.errorsText()}`).toBe(true);
  });

  it('returns json_object output: JSON from the first character, parsing whenever it finished', async () => {
    const res = await azure(deployment).chat.completions.create({
      model: 'x', messages: [{ role: 'user', content: 'Reply in JSON.' }], max_tokens: 200, seed: 5, response_format: { type: 'json_object' },
    });
    const { content } = res.choices[0]!.message;
    expect(content).toMatch(/^\{/);
    // A model cut by max_tokens stops mid-JSON, as OpenAI's do; one that finished must parse.
    if (res.choices[0]!.finish_reason === 'stop') expect(typeof JSON.parse(content!)).toBe('object');
    else expect(res.choices[0]!.finish_reason).toBe('length');
  });

  it('reports logprobs with the asked number of alternatives', async () => {
    const res = await azure(deployment).chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4, logprobs: true, top_logprobs: 2 });
    spec.chatCompletion(res);
    const content = res.choices[0]!.logprobs!.content!;
    expect(content.length).toBeGreaterThan(0);
    for (const t of content) {
      expect(t.logprob).toBeLessThanOrEqual(0);
      expect(t.top_logprobs).toHaveLength(2);
      expect(t.top_logprobs[0]!.logprob).toBeGreaterThanOrEqual(t.top_logprobs[1]!.logprob);
    }
  });

  it('answers legacy completions with echo and logprobs, and streams them', async () => {
    const res = await azure(deployment).completions.create({ model: 'x', prompt: 'Once upon a time', max_tokens: 6, echo: true, logprobs: 1 });
    spec.completion(res);
    expect(res.object).toBe('text_completion');
    expect(res.choices[0]!.text.startsWith('Once upon a time')).toBe(true);
    expect(res.choices[0]!.logprobs!.tokens!.length).toBeGreaterThan(0);
    const stream = await azure(deployment).completions.create({ model: 'x', prompt: 'The sky', max_tokens: 5, seed: 7, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.text ?? '';
    expect(text.length).toBeGreaterThan(0);
  });

  it('answers embeddings as floats and as base64', async () => {
    const client = azure(deployment);
    const floats = await client.embeddings.create({ model: 'x', input: ['first text', 'second text'], encoding_format: 'float' });
    spec.embeddings(floats);
    expect(floats.data).toHaveLength(2);
    const dims = floats.data[0]!.embedding.length;
    expect(dims).toBeGreaterThan(0);
    // Without encoding_format the SDK asks for base64 and decodes it: the same vectors come back.
    const decoded = await client.embeddings.create({ model: 'x', input: ['first text', 'second text'] });
    expect(decoded.data[0]!.embedding).toHaveLength(dims);
    decoded.data[0]!.embedding.forEach((v, i) => expect(v).toBeCloseTo(floats.data[0]!.embedding[i]!, 5));
  });
});

describe('the v1 scheme through the plain OpenAI client', () => {
  const v1 = () => new OpenAI({ baseURL: `${server.url}/openai/v1/`, apiKey: key, maxRetries: 0 });

  it('serves chat, completions and embeddings with model = deployment name and the key as a bearer token', async () => {
    const chat = await v1().chat.completions.create({ model: 'sim', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5 });
    spec.chatCompletion(chat);
    expect(chat.model).toBe('lapis-simulator');
    const completion = await v1().completions.create({ model: 'tiny', prompt: 'Hello', max_tokens: 3 });
    spec.completion(completion);
    const embedding = await v1().embeddings.create({ model: 'upstream', input: 'hello', encoding_format: 'float' });
    spec.embeddings(embedding);
  });

  it('lists the deployments as models', async () => {
    const ids = [];
    for await (const m of v1().models.list()) ids.push(m.id);
    expect(ids.sort()).toEqual(['sim', 'tiny', 'upstream']);
  });

  it('refuses an unknown deployment and a missing model with typed errors', async () => {
    await expect(v1().chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(v1().chat.completions.create({ messages: [{ role: 'user', content: 'x' }] } as any)).rejects.toMatchObject({ status: 400, param: 'model' });
  });
});

describe('seeds on the embedded backend', () => {
  it('gives the same text for the same seed', async () => {
    const ask = () => azure('tiny').chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'Tell me a story' }], max_tokens: 16, seed: 42, temperature: 1 });
    const [a, b] = [await ask(), await ask()];
    expect(a.choices[0]!.message.content).toBe(b.choices[0]!.message.content);
  });
});
