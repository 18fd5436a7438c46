import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { SimulatorBackendSpec } from '../../core/resources.js';
import { assemble, collect } from '../../../test/helpers/upstream.js';
import { createSimulatorBackend } from './backend.js';
import { startSimulatorServer, type SimulatorServer } from './server.js';

let server: SimulatorServer;
const spec: SimulatorBackendSpec = { kind: 'simulator', model: 'sim-test' };

beforeAll(async () => {
  server = await startSimulatorServer({ spec });
});
afterAll(async () => {
  await server.close();
});

async function post(path: string, body: unknown, base = server.url) {
  const res = await request(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/** The JSON payloads of an SSE body, without [DONE]. */
function events(text: string): any[] {
  expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: ') && e !== 'data: [DONE]')
    .map((e) => JSON.parse(e.slice(6)));
}

describe('simulator server', () => {
  it('lists its model', async () => {
    const res = await request(`${server.url}/v1/models`);
    expect(await res.body.json()).toEqual({ object: 'list', data: [{ id: 'sim-test', object: 'model', created: 0, owned_by: 'lapis' }] });
  });

  it('answers chat as JSON with the text the in-process backend gives', async () => {
    const res = await post('/v1/chat/completions', { model: 'sim-test', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 7, seed: 4 });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text);
    expect(body).toMatchObject({ object: 'chat.completion', model: 'sim-test', choices: [{ index: 0, finish_reason: 'length', message: { role: 'assistant' } }] });
    expect(body.usage).toEqual({ prompt_tokens: 8, completion_tokens: 7, total_tokens: 15 });
    const inProcess = assemble(
      await collect(createSimulatorBackend(spec).chat({ messages: [{ role: 'user', content: 'Hi' }], params: { maxTokens: 7, seed: 4 }, signal: new AbortController().signal })),
    );
    expect(body.choices[0].message.content).toBe(inProcess.choices[0]!.text);
  });

  it('streams chat as SSE: role first, deltas, finish, usage last', async () => {
    const res = await post('/v1/chat/completions', {
      messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5, stream: true, stream_options: { include_usage: true }, n: 2,
    });
    expect(res.headers['content-type']).toBe('text/event-stream');
    const chunks = events(res.text);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.filter((c) => c.choices[0]?.finish_reason === 'length')).toHaveLength(2);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 10 } });
    const text = chunks.filter((c) => c.choices[0]?.index === 1).map((c) => c.choices[0].delta.content ?? '').join('');
    expect(text.split(' ')).toHaveLength(5);
  });

  it('streams tool calls: id and name first, then argument pieces', async () => {
    const res = await post('/v1/chat/completions', {
      messages: [{ role: 'user', content: 'Hi' }], stream: true,
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] } } }],
      tool_choice: 'required',
    });
    const calls = events(res.text).flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'lookup', arguments: '' } });
    expect(calls[0].id).toMatch(/^call_/);
    expect(JSON.parse(calls.map((c: any) => c.function.arguments).join(''))).toHaveProperty('q');
  });

  it('answers legacy completions with echo and legacy logprobs', async () => {
    const res = await post('/v1/completions', { prompt: 'Once upon a time', max_tokens: 3, echo: true, logprobs: 2 });
    const choice = JSON.parse(res.text).choices[0];
    expect(choice.text.startsWith('Once upon a time')).toBe(true);
    expect(choice.logprobs.tokens.join('')).toBe(choice.text);
    expect(choice.logprobs.text_offset[1]).toBe(choice.logprobs.tokens[0].length);
    expect(Object.keys(choice.logprobs.top_logprobs[0])).toHaveLength(2);
    const streamed = events((await post('/v1/completions', { prompt: 'The sky', stream: true })).text);
    expect(streamed.map((c) => c.choices[0].text).join('').split(' ')).toHaveLength(16); // OpenAI's default max_tokens
  });

  it('answers embeddings as floats and base64 float32', async () => {
    const floats = JSON.parse((await post('/v1/embeddings', { input: ['a', 'b'], dimensions: 4 })).text);
    expect(floats.data.map((d: any) => d.embedding.length)).toEqual([4, 4]);
    expect(floats.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
    const b64 = JSON.parse((await post('/v1/embeddings', { input: 'a', dimensions: 4, encoding_format: 'base64' })).text);
    const buf = Buffer.from(b64.data[0].embedding, 'base64');
    const decoded = Array.from(new Float32Array(buf.buffer, buf.byteOffset, 4));
    decoded.forEach((x, i) => expect(x).toBeCloseTo(floats.data[0].embedding[i], 6));
  });

  it('answers OpenAI error bodies: bad JSON, bad fields, unknown path, context overflow', async () => {
    const bad = await request(`${server.url}/v1/chat/completions`, { method: 'POST', body: '{nope' });
    expect(bad.statusCode).toBe(400);
    expect(await bad.body.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    expect(JSON.parse((await post('/v1/chat/completions', { messages: [] })).text).error.param).toBe('messages');
    expect((await post('/v1/nothing', {})).status).toBe(404);
    const small = await startSimulatorServer({ spec: { contextSize: 5 } });
    const overflow = await post('/v1/chat/completions', { messages: [{ role: 'user', content: 'x'.repeat(100) }] }, small.url);
    expect(overflow.status).toBe(400);
    expect(JSON.parse(overflow.text).error.code).toBe('context_length_exceeded');
    await small.close();
  });
});

describe('simulator server faults', () => {
  it('answers 429 with retry-after and retry-after-ms, and 500', async () => {
    const limited = await startSimulatorServer({ spec: { faults: { rateLimit: 1, retryAfterMs: 1500 } } });
    const res = await post('/v1/chat/completions', { messages: [{ role: 'user', content: 'Hi' }] }, limited.url);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after-ms']).toBe('1500');
    expect(res.headers['retry-after']).toBe('2');
    expect(JSON.parse(res.text).error.code).toBe('429');
    await limited.close();
    const broken = await startSimulatorServer({ spec: { faults: { serverError: 1 } } });
    expect((await post('/v1/embeddings', { input: 'x' }, broken.url)).status).toBe(500);
    await broken.close();
  });

  it('cuts the connection halfway through a stream', async () => {
    const dropping = await startSimulatorServer({ spec: { faults: { dropStream: 1 } } });
    const res = await request(`${dropping.url}/v1/chat/completions`, {
      method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], max_tokens: 10, stream: true }),
    });
    expect(res.statusCode).toBe(200);
    let text = '';
    const err = await (async () => {
      for await (const chunk of res.body) text += chunk.toString();
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(text).not.toContain('[DONE]');
    await dropping.close();
  });

  it('never answers on a timeout fault, until the client gives up; close() still returns', async () => {
    const hanging = await startSimulatorServer({ spec: { faults: { timeout: 1 } } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(
      request(`${hanging.url}/v1/chat/completions`, { method: 'POST', body: '{"messages":[{"role":"user","content":"x"}]}', signal: controller.signal }),
    ).rejects.toThrow();
    const pending = request(`${hanging.url}/v1/chat/completions`, { method: 'POST', body: '{"messages":[{"role":"user","content":"x"}]}' }).catch(() => 'closed');
    await new Promise((r) => setTimeout(r, 50));
    await hanging.close();
    expect(await pending).toBe('closed');
  });

  it('paces streams: the first event no sooner than timeToFirstTokenMs', async () => {
    const slow = await startSimulatorServer({ spec: { timeToFirstTokenMs: 80, tokensPerSecond: 200 } });
    const start = performance.now();
    const res = await request(`${slow.url}/v1/chat/completions`, {
      method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], max_tokens: 5, stream: true }),
    });
    let first = 0;
    let text = '';
    for await (const chunk of res.body) {
      first ||= performance.now() - start;
      text += chunk.toString();
    }
    expect(first).toBeGreaterThanOrEqual(75);
    expect(first).toBeLessThan(5000);
    expect(events(text).filter((c) => c.choices[0]?.delta?.content)).toHaveLength(5);
    await slow.close();
  });
});
