// Completions and embeddings on the wire, against a hand-written loopback upstream.

import { afterEach, describe, expect, it } from 'vitest';
import { UnsupportedRequestError } from '../../core/errors.js';
import type { InferenceBackend } from '../../core/inference.js';
import { collect, sendJson, sendSse, sse, startUpstream, type Upstream, type UpstreamHandler } from '../../../test/helpers/upstream.js';
import { createOpenAICompatibleBackend } from './backend.js';

let upstream: Upstream | undefined;
let backend: InferenceBackend | undefined;
afterEach(async () => {
  await backend?.close();
  await upstream?.close();
  backend = upstream = undefined;
});

async function connect(handler: UpstreamHandler): Promise<InferenceBackend> {
  upstream = await startUpstream(handler);
  backend = createOpenAICompatibleBackend({ kind: 'openai-compatible', baseUrl: `${upstream.url}/v1`, model: 'up', embeddingDimensions: 8 });
  return backend;
}
const signal = () => new AbortController().signal;

describe('completions', () => {
  it('sends the legacy body and converts legacy logprobs (null for an echoed first token → 0)', async () => {
    const chunk = (text: string, logprobs: unknown, finish: string | null = null) => ({ id: 'c', object: 'text_completion', created: 1, model: 'up', choices: [{ text, index: 0, logprobs, finish_reason: finish }] });
    const b = await connect((_req, res) =>
      sendSse(res, sse([
        chunk('Hi', { tokens: ['Hi'], token_logprobs: [null], top_logprobs: [null], text_offset: [0] }),
        chunk(' there', { tokens: [' there'], token_logprobs: [-0.5], top_logprobs: [{ ' where': -2, ' there': -0.5 }], text_offset: [2] }),
        chunk('', null, 'length'),
        { id: 'c', object: 'text_completion', created: 1, model: 'up', choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 } },
      ])),
    );
    const events = await collect(b.complete({ prompt: 'Hi', echo: true, n: 1, params: { maxTokens: 1, logprobs: 2 }, signal: signal() }));
    expect(upstream!.requests[0]!.url).toBe('/v1/completions');
    expect(upstream!.requests[0]!.body).toEqual({ model: 'up', prompt: 'Hi', stream: true, stream_options: { include_usage: true }, max_tokens: 1, logprobs: 2, n: 1, echo: true });
    expect(events).toEqual([
      { type: 'text', choice: 0, text: 'Hi', logprobs: [{ token: 'Hi', logprob: 0, bytes: [72, 105], topLogprobs: [] }] },
      {
        type: 'text', choice: 0, text: ' there',
        logprobs: [{
          token: ' there', logprob: -0.5, bytes: [...Buffer.from(' there')],
          topLogprobs: [{ token: ' there', logprob: -0.5, bytes: [...Buffer.from(' there')] }, { token: ' where', logprob: -2, bytes: [...Buffer.from(' where')] }],
        }],
      },
      { type: 'done', choice: 0, finishReason: 'length' },
      { type: 'usage', usage: { promptTokens: 1, completionTokens: 1 } },
    ]);
  });
});

describe('embeddings', () => {
  it('asks for floats with dimensions and returns the vectors in input order with the prompt tokens', async () => {
    const b = await connect((_req, res) =>
      sendJson(res, 200, { object: 'list', model: 'up', data: [{ index: 1, embedding: [0, 1] }, { index: 0, embedding: [1, 0] }], usage: { prompt_tokens: 7, total_tokens: 7 } }),
    );
    const result = await b.embed({ input: ['a', [1, 2]], dimensions: 2, signal: signal() });
    expect(upstream!.requests[0]!.url).toBe('/v1/embeddings');
    expect(upstream!.requests[0]!.body).toEqual({ model: 'up', input: ['a', [1, 2]], encoding_format: 'float', dimensions: 2 });
    expect(result).toEqual({ embeddings: [[1, 0], [0, 1]], promptTokens: 7 });
  });

  it('refuses more dimensions than the spec says the model has, without asking', async () => {
    const b = await connect((_req, res) => sendJson(res, 500, {}));
    await expect(b.embed({ input: ['a'], dimensions: 9, signal: signal() })).rejects.toBeInstanceOf(UnsupportedRequestError);
    expect(upstream!.requests).toHaveLength(0);
  });

  it('maps an upstream error to UpstreamHttpError', async () => {
    const b = await connect((_req, res) => sendJson(res, 404, { error: { message: 'The model `up` does not exist', code: 'model_not_found', param: 'model' } }));
    await expect(b.embed({ input: ['a'], signal: signal() })).rejects.toMatchObject({ status: 404, options: { code: 'model_not_found', param: 'model' } });
  });
});
