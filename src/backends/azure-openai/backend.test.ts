// The azure-openai backend against a loopback server playing Azure: deployment URLs with
// api-version, api-key or bearer authentication, Azure's filter chunks, model names learned.

import { afterEach, describe, expect, it } from 'vitest';
import type { InferenceBackend } from '../../core/inference.js';
import type { AzureOpenAIBackendSpec } from '../../core/resources.js';
import { chatChunk, collect, sendJson, sendSse, sse, startUpstream, type Upstream } from '../../../test/helpers/upstream.js';
import { createAzureOpenAIBackend } from './backend.js';

let upstream: Upstream | undefined;
let backend: InferenceBackend | undefined;
afterEach(async () => {
  await backend?.close();
  await upstream?.close();
  backend = upstream = undefined;
});

const filters = { hate: { filtered: false, severity: 'safe' }, violence: { filtered: false, severity: 'safe' } };
const azureStream = sse([
  { choices: [], created: 0, id: '', model: '', object: '', prompt_filter_results: [{ prompt_index: 0, content_filter_results: filters }] },
  chatChunk([{ index: 0, delta: { role: 'assistant', content: '' }, content_filter_results: {}, finish_reason: null, logprobs: null }], { model: 'gpt-4o-2024-08-06' }),
  chatChunk([{ index: 0, delta: { content: 'Hello' }, content_filter_results: filters, finish_reason: null }], { model: 'gpt-4o-2024-08-06' }),
  chatChunk([{ index: 0, delta: {}, content_filter_results: filters, finish_reason: 'stop' }], { model: 'gpt-4o-2024-08-06' }),
  chatChunk([], { model: 'gpt-4o-2024-08-06', usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 } }),
]);

async function connect(auth: Partial<AzureOpenAIBackendSpec>): Promise<InferenceBackend> {
  upstream = await startUpstream((req, res) => {
    if (req.url!.includes('/embeddings')) return sendJson(res, 200, { object: 'list', model: 'text-embedding-3-small', data: [{ index: 0, embedding: [0.6, 0.8] }], usage: { prompt_tokens: 2, total_tokens: 2 } });
    sendSse(res, azureStream);
  });
  backend = createAzureOpenAIBackend({ kind: 'azure-openai', endpoint: `${upstream.url}/`, deployment: 'my gpt', apiVersion: '2024-10-21', ...auth });
  return backend;
}
const ask = () => ({ messages: [{ role: 'user' as const, content: 'Hi' }], params: { maxTokens: 5 }, signal: new AbortController().signal });

describe('azure-openai backend', () => {
  it('posts to the deployment URL with api-version and api-key, without a body model', async () => {
    const b = await connect({ apiKey: 'azure-key' });
    await collect(b.chat(ask()));
    const sent = upstream!.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe('/openai/deployments/my%20gpt/chat/completions?api-version=2024-10-21');
    expect(sent.headers['api-key']).toBe('azure-key');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).not.toHaveProperty('model');
    expect(sent.body).toMatchObject({ stream: true, stream_options: { include_usage: true }, max_tokens: 5 });
  });

  it("checks health with GET of the resource's model list, authenticated (a pool's active check)", async () => {
    const b = await connect({ apiKey: 'azure-key' });
    expect(await b.health!()).toBe(true);
    const sent = upstream!.requests[0]!;
    expect(sent).toMatchObject({ method: 'GET', url: '/openai/models?api-version=2024-10-21' });
    expect(sent.headers['api-key']).toBe('azure-key');
  });

  it('sends an Entra token as a bearer', async () => {
    const b = await connect({ bearerToken: 'eyJ.token' });
    await collect(b.chat(ask()));
    expect(upstream!.requests[0]!.headers.authorization).toBe('Bearer eyJ.token');
    expect(upstream!.requests[0]!.headers['api-key']).toBeUndefined();
  });

  it('drops the filter chunks and fields, and takes the model name from the first answer', async () => {
    const b = await connect({ apiKey: 'k' });
    expect(b.modelId).toBe('my gpt');
    const events = await collect(b.chat(ask()));
    expect(events).toEqual([
      { type: 'text', choice: 0, text: 'Hello' },
      { type: 'done', choice: 0, finishReason: 'stop' },
      { type: 'usage', usage: { promptTokens: 9, completionTokens: 1 } },
    ]);
    expect(b.modelId).toBe('gpt-4o-2024-08-06');
  });

  it('uses the deployment URLs for completions and embeddings', async () => {
    const b = await connect({ apiKey: 'k' });
    await collect(b.complete({ prompt: 'x', params: {}, signal: new AbortController().signal }));
    const result = await b.embed({ input: ['hi'], signal: new AbortController().signal });
    expect(upstream!.requests.map((r) => r.url)).toEqual([
      '/openai/deployments/my%20gpt/completions?api-version=2024-10-21',
      '/openai/deployments/my%20gpt/embeddings?api-version=2024-10-21',
    ]);
    expect(result).toEqual({ embeddings: [[0.6, 0.8]], promptTokens: 2 });
  });
});
