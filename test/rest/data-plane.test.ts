// The data plane on the raw wire: Azure's error bodies, headers and SSE framing, which the
// SDKs hide. A bad request never takes the server down: every test ends with a good call.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AzureOpenAI, OpenAI } from 'openai';
import type { RunningServer } from '../../src/main.js';
import { writeBrokenGguf, writeTinyGguf } from '../fixtures/gguf.js';
import { accountPath, newServerState, startInProcess, type ServerState } from '../helpers/server.js';

const V = 'api-version=2024-10-21';
let state: ServerState;
let server: RunningServer;
let models: string;
let key: string;

async function admin(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}?api-version=2025-06-01`, {
    method,
    headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.text()) || '{}' };
}

async function deploy(name: string, modelPath: string): Promise<void> {
  const path = `${accountPath('default')}/deployments/${name}`;
  await admin('PUT', path, { sku: { name: 'Standard', capacity: 100 }, properties: { model: { format: 'GGUF', name, source: modelPath } } });
  for (;;) {
    const state = JSON.parse((await admin('GET', path)).body).properties.provisioningState;
    if (state !== 'Creating' && state !== 'Updating') return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function chat(body: unknown, options: { deployment?: string; headers?: Record<string, string>; query?: string; raw?: string } = {}) {
  return fetch(`${server.url}/openai/deployments/${options.deployment ?? 'chat'}/chat/completions?${options.query ?? V}`, {
    method: 'POST',
    headers: { 'api-key': key, 'content-type': 'application/json', ...options.headers },
    body: options.raw ?? JSON.stringify(body),
  });
}

const hello = { messages: [{ role: 'user', content: 'hello' }], max_tokens: 4 };

beforeAll(async () => {
  state = await newServerState();
  server = await startInProcess(state, { bodyLimit: 64 * 1024 });
  models = await mkdtemp(join(tmpdir(), 'lapis-models-'));
  await writeTinyGguf(join(models, 'tiny.gguf'), { name: 'tiny-chatml', contextLength: 128 });
  await writeBrokenGguf(join(models, 'truncated.gguf'), 'truncated');
  await admin('PUT', accountPath('default'), { location: 'local', kind: 'OpenAI', sku: { name: 'S0' } });
  key = JSON.parse((await admin('POST', `${accountPath('default')}/listKeys`)).body).key1;
  await deploy('chat', join(models, 'tiny.gguf'));
  await deploy('broken', join(models, 'truncated.gguf'));
});
afterAll(async () => {
  await server?.stop();
  await state?.cleanup();
  await rm(models, { recursive: true, force: true });
});

describe('errors, exactly as Azure sends them', () => {
  const cases: [string, () => Promise<Response>, number, object][] = [
    ['a missing api-key', () => chat(hello, { headers: { 'api-key': '' } }), 401, { error: { code: '401', message: expect.stringMatching(/^Access denied due to invalid subscription key or wrong API endpoint/) } }],
    ['a wrong api-key', () => chat(hello, { headers: { 'api-key': 'f'.repeat(64) } }), 401, { error: { code: '401' } }],
    ['no api-version', () => chat(hello, { query: '' }), 404, { error: { code: '404', message: 'Resource not found' } }],
    ['an unknown api-version', () => chat(hello, { query: 'api-version=2099-01-01' }), 404, { error: { code: '404', message: 'Resource not found' } }],
    ['an unknown deployment', () => chat(hello, { deployment: 'nope' }), 404, { error: { code: 'DeploymentNotFound', message: expect.stringMatching(/does not exist/) } }],
    ['malformed JSON', () => chat(null, { raw: '{"messages": [' }), 400, { error: { code: 'invalid_json', type: 'invalid_request_error' } }],
    ['an unknown field', () => chat({ ...hello, temprature: 1 }), 400, { error: { code: 'unknown_parameter', param: 'temprature', message: 'Unrecognized request argument supplied: temprature' } }],
    ['an unknown field inside a message', () => chat({ messages: [{ role: 'user', content: 'x', mood: 'happy' }] }), 400, { error: { code: 'unknown_parameter', param: 'messages[0].mood' } }],
    ['a wrong type', () => chat({ ...hello, temperature: 'hot' }), 400, { error: { code: 'invalid_type', param: 'temperature', message: "Invalid type for 'temperature': expected a number, but got a string instead." } }],
    ['a value out of range', () => chat({ ...hello, top_p: 3 }), 400, { error: { code: 'invalid_value', param: 'top_p' } }],
    ['missing messages', () => chat({ max_tokens: 3 }), 400, { error: { code: 'missing_required_parameter', param: 'messages' } }],
    ['a bad role', () => chat({ messages: [{ role: 'robot', content: 'x' }] }), 400, { error: { code: 'invalid_value', param: 'messages[0].role' } }],
    ['an image for a text-only model', () => chat({ messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }] }), 400, { error: { code: 'invalid_value', param: 'messages[0].content[1].type' } }],
    ['a parameter Lapis does not implement', () => chat({ ...hello, data_sources: [{ type: 'azure_search', parameters: {} }] }), 400, { error: { code: 'unsupported_parameter', param: 'data_sources' } }],
    ['a tool result that answers no call', () => chat({ messages: [{ role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'call_1', content: '1' }] }), 400, { error: { code: 'invalid_value', param: 'messages[1].tool_call_id' } }],
    ['tool_choice naming a function not in tools', () => chat({ ...hello, tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: { type: 'function', function: { name: 'g' } } }), 400, { error: { code: 'invalid_value', param: 'tool_choice' } }],
    ['top_logprobs without logprobs', () => chat({ ...hello, top_logprobs: 2 }), 400, { error: { code: 'invalid_value', param: 'top_logprobs' } }],
    ['a bad logit_bias', () => chat({ ...hello, logit_bias: { abc: 5 } }), 400, { error: { code: 'invalid_value', param: 'logit_bias' } }],
    ['embeddings without input', () => fetch(`${server.url}/openai/deployments/chat/embeddings?${V}`, { method: 'POST', headers: { 'api-key': key, 'content-type': 'application/json' }, body: '{}' }), 400, { error: { code: 'missing_required_parameter', param: 'input' } }],
    ['embeddings with an empty input', () => fetch(`${server.url}/openai/deployments/chat/embeddings?${V}`, { method: 'POST', headers: { 'api-key': key, 'content-type': 'application/json' }, body: '{"input":""}' }), 400, { error: { code: 'invalid_value', param: 'input' } }],
    ['legacy completions with suffix', () => fetch(`${server.url}/openai/deployments/chat/completions?${V}`, { method: 'POST', headers: { 'api-key': key, 'content-type': 'application/json' }, body: '{"prompt":"a","suffix":"b"}' }), 400, { error: { code: 'unsupported_parameter', param: 'suffix' } }],
    ['v1 without a key', () => fetch(`${server.url}/openai/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...hello, model: 'chat' }) }), 401, { error: { code: '401' } }],
    ['v1 with an unknown api-version', () => fetch(`${server.url}/openai/v1/chat/completions?api-version=2024-10-21`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ ...hello, model: 'chat' }) }), 404, { error: { code: '404' } }],
    ['the legacy deployment listing on a newer api-version', () => fetch(`${server.url}/openai/deployments?${V}`, { headers: { 'api-key': key } }), 404, { error: { code: '404' } }],
    ['a body over the limit', () => chat({ messages: [{ role: 'user', content: 'x'.repeat(70_000) }] }), 413, { error: { code: 'RequestEntityTooLarge' } }],
    ['a non-JSON content type', () => chat(null, { raw: 'hello', headers: { 'content-type': 'text/plain' } }), 415, { error: { code: 'unsupported_content_type' } }],
    ['a prompt longer than the context', () => chat({ messages: [{ role: 'user', content: 'The quick brown fox jumps over the lazy dog. '.repeat(60) }] }), 400, { error: { code: 'context_length_exceeded', param: 'messages' } }],
    ['a deployment whose model failed to load', () => chat(hello, { deployment: 'broken' }), 503, { error: { code: 'DeploymentFailed', message: expect.stringMatching(/broken/) } }],
    ['an unknown path under /openai', () => fetch(`${server.url}/openai/nothing-here?${V}`), 404, { error: { code: '404', message: 'Resource not found' } }],
  ];

  it.each(cases)('%s', async (_name, send, status, body) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject(body);
    // …and the server keeps serving.
    const ok = await chat(hello);
    expect(ok.status).toBe(200);
  });
});

describe('headers', () => {
  it('carries the request id under both names, the region, and echoes x-ms-client-request-id', async () => {
    const res = await chat(hello, { headers: { 'x-ms-client-request-id': 'my-correlation-id' } });
    expect(res.status).toBe(200);
    const id = res.headers.get('apim-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-request-id')).toBe(id);
    expect(res.headers.get('x-ms-region')).toBe('Local');
    expect(res.headers.get('x-ms-client-request-id')).toBe('my-correlation-id');
  });

  it('sends the request id on errors too', async () => {
    const res = await chat(hello, { deployment: 'nope' });
    expect(res.headers.get('apim-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('the body', () => {
  it('ignores a body `model` on the deployment scheme, whatever it says', async () => {
    const res = await chat({ ...hello, model: 'gpt-4o-this-is-not-here' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: string; created: number };
    expect(body).toMatchObject({ object: 'chat.completion', model: 'tiny-chatml', choices: [{ index: 0, message: { role: 'assistant' } }] });
    expect(body.id).toMatch(/^chatcmpl-/);
    expect(typeof body.created).toBe('number');
  });
});

describe('streaming', () => {
  it('frames SSE as data: lines, role first, finish, usage chunk, [DONE]', async () => {
    const res = await chat({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 6, stream: true, stream_options: { include_usage: true } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('apim-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const text = await res.text();
    const events = text.split('\n\n').filter(Boolean);
    expect(events.every((e) => e.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    const [preamble, ...chunks] = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
    // Azure's first event carries the prompt annotations only.
    expect(preamble).toMatchObject({ id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: [{ prompt_index: 0 }] });
    // The default policy (Microsoft.DefaultV2) annotates the prompt in all four categories and for jailbreaks.
    expect(Object.keys(preamble.prompt_filter_results[0].content_filter_results).sort()).toEqual(['hate', 'jailbreak', 'self_harm', 'sexual', 'violence']);
    expect(chunks[0].choices[0].delta).toMatchObject({ role: 'assistant', content: '' });
    for (const c of chunks) expect(c.object).toBe('chat.completion.chunk');
    const finish = chunks.find((c) => c.choices[0]?.finish_reason);
    const usage = chunks.at(-1);
    expect(usage.choices).toEqual([]);
    // The untrained model may end on its own before max_tokens: then 'stop' with fewer tokens.
    if (finish.choices[0].finish_reason === 'length') expect(usage.usage.completion_tokens).toBe(6);
    else {
      expect(finish.choices[0].finish_reason).toBe('stop');
      expect(usage.usage.completion_tokens).toBeLessThanOrEqual(6);
    }
  });

  it('streams through the SDK as typed chunks', async () => {
    const openai = new AzureOpenAI({ endpoint: server.url, apiKey: key, apiVersion: '2024-10-21', deployment: 'chat', maxRetries: 0 });
    const stream = await openai.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text.length).toBeGreaterThan(0);
  });

  it('survives a client that disconnects mid-stream', async () => {
    const controller = new AbortController();
    const res = await chat({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 100, stream: true }, {});
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    controller.abort();
    const ok = await chat(hello);
    expect(ok.status).toBe(200);
  });
});

describe('listings', () => {
  const get = (path: string) => fetch(`${server.url}${path}`, { headers: { 'api-key': key } }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

  it('lists deployments on api-version 2022-12-01, in that version\'s shape', async () => {
    const res = await get('/openai/deployments?api-version=2022-12-01');
    expect(res.status).toBe(200);
    expect(res.body.object).toBe('list');
    const chat = res.body.data.find((d: { id: string }) => d.id === 'chat');
    expect(chat).toMatchObject({ object: 'deployment', model: 'chat', owner: 'organization-owner', status: 'succeeded', scale_settings: { scale_type: 'standard', capacity: 100 } });
    expect(res.body.data.find((d: { id: string }) => d.id === 'broken').status).toBe('failed');
    expect((await get('/openai/deployments/chat?api-version=2022-12-01')).body.id).toBe('chat');
    expect((await get('/openai/deployments/ghost?api-version=2022-12-01')).body.error.code).toBe('DeploymentNotFound');
  });

  it('lists the models the account serves, with capabilities', async () => {
    const res = await get(`/openai/models?${V}`);
    expect(res.status).toBe(200);
    const model = res.body.data.find((m: { id: string }) => m.id === 'chat');
    expect(model).toMatchObject({ object: 'model', status: 'succeeded', capabilities: { chat_completion: true, completion: true, inference: true } });
    expect((await get(`/openai/models/chat?${V}`)).body.id).toBe('chat');
    expect((await get(`/openai/models/ghost?${V}`)).status).toBe(404);
  });
});

describe('typed errors through the openai SDK', () => {
  it('surfaces NotFoundError, AuthenticationError and BadRequestError with code and param', async () => {
    const good = new AzureOpenAI({ endpoint: server.url, apiKey: key, apiVersion: '2024-10-21', maxRetries: 0 });
    await expect(good.chat.completions.create({ model: 'missing', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 404,
      code: 'DeploymentNotFound',
      constructor: OpenAI.NotFoundError,
    });
    const bad = new AzureOpenAI({ endpoint: server.url, apiKey: 'wrong', apiVersion: '2024-10-21', maxRetries: 0 });
    await expect(bad.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(
      good.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }], temperature: 9 }),
    ).rejects.toMatchObject({ status: 400, param: 'temperature', code: 'invalid_value', constructor: OpenAI.BadRequestError });
  });
});
