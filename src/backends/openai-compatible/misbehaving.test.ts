// The openai-compatible backend against hand-written loopback upstreams that misbehave the
// ways real ones do: events split anywhere, errors with and without retry hints, hangs, cut
// connections, error events mid-stream, Azure's filter chunks, servers that refuse stream_options.

import { afterEach, describe, expect, it } from 'vitest';
import {
  BackendUnavailableError,
  ContextLengthExceededError,
  UpstreamHttpError,
  UpstreamTimeoutError,
} from '../../core/errors.js';
import type { ChatGenerationRequest, GenerationEvent, InferenceBackend } from '../../core/inference.js';
import {
  assemble,
  chatChunk,
  closedPort,
  collect,
  sendJson,
  sendSse,
  sse,
  startUpstream,
  type Upstream,
  type UpstreamHandler,
} from '../../../test/helpers/upstream.js';
import { createOpenAICompatibleBackend } from './backend.js';

let upstream: Upstream | undefined;
let backend: InferenceBackend | undefined;
afterEach(async () => {
  await backend?.close();
  await upstream?.close();
  backend = upstream = undefined;
});

async function connect(handler: UpstreamHandler, extra: { timeoutMs?: number; apiKey?: string } = {}): Promise<InferenceBackend> {
  upstream = await startUpstream(handler);
  backend = createOpenAICompatibleBackend({ kind: 'openai-compatible', baseUrl: `${upstream.url}/v1`, model: 'up', ...extra }, { retryBackoffMs: 5 });
  return backend;
}

const ask = (extra: Partial<ChatGenerationRequest> = {}): ChatGenerationRequest => ({
  messages: [{ role: 'user', content: 'Hi' }],
  params: {},
  signal: new AbortController().signal,
  ...extra,
});

const delta = (content: string, index = 0) => ({ index, delta: { content }, finish_reason: null });
const finish = (reason: string, index = 0) => ({ index, delta: {}, finish_reason: reason });
const usageChunk = chatChunk([], { usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } });
const okStream = sse([chatChunk([delta('Hel')]), chatChunk([delta('lo')]), chatChunk([finish('stop')]), usageChunk]);

describe('wire requests', () => {
  it('sends the canonical request as an OpenAI body, with the key as a bearer token', async () => {
    const b = await connect((_req, res) => sendSse(res, okStream), { apiKey: 'sk-test' });
    await collect(
      b.chat({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'f', arguments: '{}' }] },
          { role: 'tool', content: 'ok', toolCallId: 'call_1' },
        ],
        params: { maxTokens: 9, temperature: 0.5, stop: ['x'], seed: 3, logprobs: 2, logitBias: { '42': -100 }, user: 'u1' },
        n: 2,
        tools: [{ name: 'f', parameters: { type: 'object' } }],
        toolChoice: { name: 'f' },
        parallelToolCalls: false,
        responseFormat: { type: 'json_schema', name: 's', schema: { type: 'object' }, strict: true },
        signal: new AbortController().signal,
      }),
    );
    const sent = upstream!.requests[0]!;
    expect(sent.url).toBe('/v1/chat/completions');
    expect(sent.headers.authorization).toBe('Bearer sk-test');
    expect(sent.body).toEqual({
      model: 'up',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', content: 'ok', tool_call_id: 'call_1' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 9, temperature: 0.5, stop: ['x'], seed: 3, logit_bias: { '42': -100 }, logprobs: true, top_logprobs: 2, n: 2,
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      parallel_tool_calls: false,
      response_format: { type: 'json_schema', json_schema: { name: 's', schema: { type: 'object' }, strict: true } },
    });
  });
});

describe('reading upstream streams', () => {
  it('reads events split across TCP writes at odd byte boundaries, multi-byte text included', async () => {
    const text = sse([chatChunk([delta('héllo ')]), chatChunk([delta('wörld 👋')]), chatChunk([finish('stop')]), usageChunk]).replace(/\n/g, '\r\n');
    const bytes = Buffer.from(text, 'utf8');
    const b = await connect(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < bytes.length; i += 7) {
        res.write(bytes.subarray(i, i + 7));
        await new Promise((r) => setTimeout(r, 1));
      }
      res.end();
    });
    const { choices, usage } = assemble(await collect(b.chat(ask())));
    expect(choices[0]).toMatchObject({ text: 'héllo wörld 👋', finishReason: 'stop' });
    expect(usage).toEqual({ promptTokens: 3, completionTokens: 2 });
  });

  it('skips Azure prompt_filter_results chunks and drops content-filter fields', async () => {
    const filters = { hate: { filtered: false, severity: 'safe' } };
    const b = await connect((_req, res) =>
      sendSse(res, sse([
        { choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: filters }] },
        chatChunk([{ index: 0, delta: { role: 'assistant', content: '' }, content_filter_results: {}, finish_reason: null }]),
        chatChunk([{ ...delta('Hi'), content_filter_results: filters }]),
        chatChunk([{ ...finish('stop'), content_filter_results: filters }]),
        // Asynchronous-filter annotation after the finish: not a second finish.
        { id: '', object: '', created: 0, model: '', choices: [{ index: 0, finish_reason: null, content_filter_results: filters, content_filter_offsets: { check_offset: 0 } }] },
        usageChunk,
      ])),
    );
    const events = await collect(b.chat(ask()));
    expect(events).toEqual([
      { type: 'text', choice: 0, text: 'Hi' },
      { type: 'done', choice: 0, finishReason: 'stop' },
      { type: 'usage', usage: { promptTokens: 3, completionTokens: 2 } },
    ]);
  });

  it('reassembles tool call deltas by index', async () => {
    const call = (piece: object) => chatChunk([{ index: 0, delta: { tool_calls: [piece] }, finish_reason: null }]);
    const b = await connect((_req, res) =>
      sendSse(res, sse([
        call({ index: 0, id: 'call_a', type: 'function', function: { name: 'f', arguments: '' } }),
        call({ index: 1, id: 'call_b', type: 'function', function: { name: 'g', arguments: '{"y"' } }),
        call({ index: 0, function: { arguments: '{"x":' } }),
        call({ index: 0, function: { arguments: '1}' } }),
        call({ index: 1, function: { arguments: ':2}' } }),
        chatChunk([finish('tool_calls')]),
        usageChunk,
      ])),
    );
    const { choices } = assemble(await collect(b.chat(ask())));
    expect(choices[0]!.toolCalls).toEqual([
      { id: 'call_a', name: 'f', arguments: '{"x":1}' },
      { id: 'call_b', name: 'g', arguments: '{"y":2}' },
    ]);
    expect(choices[0]!.finishReason).toBe('tool_calls');
  });

  it('throws an error event that arrives mid-stream, after the events before it', async () => {
    const b = await connect((_req, res) =>
      sendSse(res, sse([chatChunk([delta('partial')]), { error: { message: 'The model overloaded', type: 'server_error', code: 'overloaded' } }], false)),
    );
    const events: GenerationEvent[] = [];
    const err = await (async () => {
      for await (const e of b.chat(ask())) events.push(e);
    })().catch((e: unknown) => e);
    expect(events).toEqual([{ type: 'text', choice: 0, text: 'partial' }]);
    expect(err).toBeInstanceOf(UpstreamHttpError);
    expect(err).toMatchObject({ status: 500, message: 'The model overloaded', options: { code: 'overloaded' } });
  });

  it('retries once without stream_options when the upstream refuses it, and estimates usage', async () => {
    const b = await connect((_req, res, body) => {
      if (body.stream_options) return sendJson(res, 400, { object: 'error', message: "Unrecognized request argument supplied: stream_options", type: 'BadRequestError' });
      sendSse(res, sse([chatChunk([delta('Hel')]), chatChunk([delta('lo')]), chatChunk([finish('stop')])]));
    });
    const { choices, usage } = assemble(await collect(b.chat(ask())));
    expect(choices[0]!.text).toBe('Hello');
    expect(usage).toEqual({ promptTokens: 8, completionTokens: 2 });
    await collect(b.chat(ask()));
    // The refusal is remembered: the second request went without stream_options at once.
    expect(upstream!.requests.map((r) => 'stream_options' in r.body)).toEqual([true, false, false]);
  });

  it('calls a stream that ends without finishing a dropped stream', async () => {
    const b = await connect((_req, res) => sendSse(res, sse([chatChunk([delta('Hel')])], false)));
    await expect(collect(b.chat(ask()))).rejects.toBeInstanceOf(BackendUnavailableError);
  });
});

describe('upstream errors and retries', () => {
  it('passes a 429 up with retry-after in ms, without retrying', async () => {
    const b = await connect((_req, res) =>
      sendJson(res, 429, { error: { message: 'Slow down', code: 'rate_limit_exceeded', type: 'requests' } }, { 'retry-after': '2' }),
    );
    const err = await collect(b.chat(ask())).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 429, message: 'Slow down', options: { code: 'rate_limit_exceeded', retryAfterMs: 2000 } });
    expect(upstream!.requests).toHaveLength(1);
  });

  it('prefers retry-after-ms', async () => {
    const b = await connect((_req, res) => sendJson(res, 429, { error: { message: 'x' } }, { 'retry-after': '2', 'retry-after-ms': '150' }));
    await expect(collect(b.chat(ask()))).rejects.toMatchObject({ options: { retryAfterMs: 150 } });
  });

  it('retries a 500 before any event and then succeeds', async () => {
    const b = await connect((_req, res, _body, attempt) =>
      attempt === 1 ? sendJson(res, 500, { error: { message: 'boom' } }) : sendSse(res, okStream),
    );
    expect(assemble(await collect(b.chat(ask()))).choices[0]!.text).toBe('Hello');
    expect(upstream!.requests).toHaveLength(2);
  });

  it('gives up after two retries of 503', async () => {
    const b = await connect((_req, res) => sendJson(res, 503, { error: { message: 'busy' } }));
    await expect(collect(b.chat(ask()))).rejects.toMatchObject({ status: 503, message: 'busy' });
    expect(upstream!.requests).toHaveLength(3);
  });

  it('does not retry once the first event was read: a connection cut after the first chunk fails', async () => {
    const b = await connect(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sse([chatChunk([delta('Hel')])], false));
      await new Promise((r) => setTimeout(r, 20));
      res.destroy();
    });
    const events: GenerationEvent[] = [];
    const err = await (async () => {
      for await (const e of b.chat(ask())) events.push(e);
    })().catch((e: unknown) => e);
    expect(events).toEqual([{ type: 'text', choice: 0, text: 'Hel' }]);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(upstream!.requests).toHaveLength(1);
  });

  it('times out on an upstream that never answers', async () => {
    const b = await connect(() => undefined, { timeoutMs: 150 });
    await expect(collect(b.chat(ask()))).rejects.toBeInstanceOf(UpstreamTimeoutError);
  });

  it('times out on a stream that goes quiet', async () => {
    const b = await connect((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sse([chatChunk([delta('Hel')])], false));
    }, { timeoutMs: 150 });
    await expect(collect(b.chat(ask()))).rejects.toBeInstanceOf(UpstreamTimeoutError);
  });

  it('reports a refused connection as BackendUnavailableError', async () => {
    const port = await closedPort();
    backend = createOpenAICompatibleBackend({ kind: 'openai-compatible', baseUrl: `http://127.0.0.1:${port}/v1`, model: 'x' }, { retryBackoffMs: 5 });
    await expect(collect(backend.chat(ask()))).rejects.toBeInstanceOf(BackendUnavailableError);
  });

  it.each([
    ['OpenAI', { error: { message: "This model's maximum context length is 4096 tokens. However, your messages resulted in 5000 tokens. Please reduce the length of the messages.", code: 'context_length_exceeded', param: 'messages' } }, { promptTokens: 5000, contextSize: 4096 }],
    ['vLLM', { object: 'error', message: "This model's maximum context length is 2048 tokens. However, you requested 3000 tokens (2900 in the messages, 100 in the completion). Please reduce the length of the messages or completion.", type: 'BadRequestError', code: 400 }, { promptTokens: 2900, contextSize: 2048 }],
    ['llama.cpp', { error: { code: 400, message: 'the request exceeds the available context size, try increasing it', type: 'exceed_context_size_error', n_prompt_tokens: 9000, n_ctx: 8192 } }, { promptTokens: 9000, contextSize: 8192 }],
  ])('reads a %s context overflow as ContextLengthExceededError', async (_, body, numbers) => {
    const b = await connect((_req, res) => sendJson(res, 400, body));
    const err = await collect(b.chat(ask())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContextLengthExceededError);
    expect(err).toMatchObject(numbers);
  });

  it('keeps a context overflow without numbers as a 400 context_length_exceeded', async () => {
    const b = await connect((_req, res) => sendJson(res, 400, { error: { message: 'Too long.', code: 'context_length_exceeded' } }));
    await expect(collect(b.chat(ask()))).rejects.toMatchObject({ status: 400, options: { code: 'context_length_exceeded' } });
  });
});

describe('health checks', () => {
  it('GETs {baseUrl}/models with the key; true only for a 2xx in time, never throws', async () => {
    let status = 200;
    const b = await connect((_req, res) => (status === 0 ? undefined : sendJson(res, status, { object: 'list', data: [] })), { apiKey: 'sk-h', timeoutMs: 150 });
    expect(await b.health!()).toBe(true);
    expect(upstream!.requests[0]).toMatchObject({ method: 'GET', url: '/v1/models', headers: { authorization: 'Bearer sk-h' } });
    status = 503;
    expect(await b.health!()).toBe(false);
    status = 0; // hangs: the check gives up at the backend's (short) timeout
    expect(await b.health!()).toBe(false);
    expect(await b.health!('/health')).toBe(false);
    expect(upstream!.requests.at(-1)!.url).toBe('/health');
    const gone = createOpenAICompatibleBackend({ kind: 'openai-compatible', baseUrl: `http://127.0.0.1:${await closedPort()}/v1`, model: 'up' });
    expect(await gone.health!()).toBe(false);
    await gone.close();
  });
});

describe('cancellation', () => {
  it('aborting mid-stream ends the iteration quietly and closes the upstream connection', async () => {
    const b = await connect((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let n = 0;
      const timer = setInterval(() => res.write(sse([chatChunk([delta(`t${n++} `)])], false)), 10);
      res.on('close', () => clearInterval(timer));
    });
    const controller = new AbortController();
    const events: GenerationEvent[] = [];
    for await (const e of b.chat(ask({ signal: controller.signal }))) {
      events.push(e);
      if (events.length === 3) controller.abort();
    }
    expect(events).toHaveLength(3);
    await upstream!.clientGone;
  });

  it('a consumer that stops iterating closes the upstream connection too', async () => {
    const b = await connect((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const timer = setInterval(() => res.write(sse([chatChunk([delta('x')])], false)), 10);
      res.on('close', () => clearInterval(timer));
    });
    for await (const e of b.chat(ask())) if (e.type === 'text') break;
    await upstream!.clientGone;
  });
});
