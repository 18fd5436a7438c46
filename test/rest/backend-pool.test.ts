// A pool deployment on the raw wire: a primary upstream that fails and a healthy secondary. The
// client gets the secondary's answer, told by `x-lapis-backend`, streamed or not; the members'
// credentials are sealed, never shown, and kept by a read-modify-write PUT.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/main.js';
import { startSimulatorServer, type SimulatorServer } from '../../src/backends/simulator/index.js';
import { accountPath, adminApi, newServerState, startInProcess, type ServerState } from '../helpers/server.js';
import { sendJson, startUpstream, type Upstream } from '../helpers/upstream.js';

const V = 'api-version=2024-10-21';
const SECRET = `sk-pool-canary-${crypto.randomUUID()}`;
let state: ServerState;
let server: RunningServer;
let key: string;
let primary: Upstream;
let secondary: SimulatorServer;
let api: ReturnType<typeof adminApi>;

const poolPath = `${accountPath('default')}/deployments/pooled`;

function post(operation: string, body: unknown, deployment = 'pooled') {
  return fetch(`${server.url}/openai/deployments/${deployment}/${operation}?${V}`, {
    method: 'POST',
    headers: { 'api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const pool = () => ({
  kind: 'pool',
  members: [
    { name: 'primary', backend: { kind: 'openai-compatible', baseUrl: `${primary.url}/v1`, model: 'm', apiKey: SECRET } },
    { name: 'secondary', priority: 2, backend: { kind: 'openai-compatible', baseUrl: `${secondary.url}/v1`, model: 'sim' } },
  ],
  breaker: { failures: 100 },
});

beforeAll(async () => {
  state = await newServerState();
  server = await startInProcess(state);
  api = adminApi(server);
  key = await api.defaultAccountKey();
  primary = await startUpstream((_req, res) => sendJson(res, 500, { error: { message: 'primary is down' } }));
  secondary = await startSimulatorServer({ spec: { model: 'sim', embeddingDimensions: 8 } });
  await api.deploy('pooled', pool());
});
afterAll(async () => {
  await server?.stop();
  await primary?.close();
  await secondary?.close();
  await state?.cleanup();
});

describe('a pool deployment', () => {
  it('answers from the secondary when the primary fails, naming it in x-lapis-backend', async () => {
    const before = primary.requests.length;
    const res = await post('chat/completions', { messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-lapis-backend')).toBe('secondary');
    expect(((await res.json()) as any).choices[0].message.content.length).toBeGreaterThan(0);
    // The primary was asked once (the pool's failover, no retries of its own), with its key.
    expect(primary.requests.length).toBe(before + 1);
    expect(primary.requests.at(-1)!.headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it('names the member on a stream, in the headers sent with the first byte', async () => {
    const res = await post('chat/completions', { messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-lapis-backend')).toBe('secondary');
    const text = await res.text();
    expect(text).toContain('chat.completion.chunk');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('names it on legacy completions and embeddings too', async () => {
    const completion = await post('completions', { prompt: 'Once', max_tokens: 3, stream: true });
    expect(completion.status).toBe(200);
    expect(completion.headers.get('x-lapis-backend')).toBe('secondary');
    await completion.text();
    const embedding = await post('embeddings', { input: 'hello' });
    expect(embedding.status).toBe(200);
    expect(embedding.headers.get('x-lapis-backend')).toBe('secondary');
    expect(((await embedding.json()) as any).data[0].embedding).toHaveLength(8);
  });

  it('never shows a member secret; a read-modify-write PUT keeps it', async () => {
    const got = await api.call('GET', poolPath);
    expect(JSON.stringify(got)).not.toContain(SECRET);
    const members = got.properties.lapis.backend.members;
    expect(members[0]).toMatchObject({ name: 'primary', backend: { kind: 'openai-compatible', apiKeySet: true } });
    expect(members[0].backend.apiKey).toBeUndefined();
    expect(members[1].backend.apiKeySet).toBeUndefined();

    const { apiKeySet: _set, ...shown } = members[0].backend;
    const backend = { ...got.properties.lapis.backend, members: [{ ...members[0], backend: shown }, members[1]] };
    await api.deploy('pooled', backend);
    const before = primary.requests.length;
    expect((await post('chat/completions', { messages: [{ role: 'user', content: 'again' }], max_tokens: 2 })).status).toBe(200);
    expect(primary.requests.length).toBe(before + 1);
    expect(primary.requests.at(-1)!.headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it.each([
    ['a member name used twice', { members: [{ name: 'a', backend: { kind: 'simulator' } }, { name: 'A', backend: { kind: 'simulator' } }] }, 'properties.lapis.backend.members[1].name'],
    ['a pool inside a pool', { members: [{ name: 'a', backend: { kind: 'pool', members: [] } }] }, 'properties.lapis.backend.members[0].backend.kind'],
    ['no members', { members: [] }, 'properties.lapis.backend.members'],
    ['a member spec with a mistake, named at its own place', { members: [{ name: 'a', backend: { kind: 'openai-compatible', model: 'm' } }] }, 'properties.lapis.backend.members[0].backend.baseUrl'],
    ['a health check path that leaves the member', { members: [{ name: 'a', backend: { kind: 'simulator' } }], healthCheck: { path: 'http://elsewhere/' } }, 'properties.lapis.backend.healthCheck.path'],
  ])('refuses %s, naming where', async (_name, spec, target) => {
    const res = await api.call('PUT', `${accountPath('default')}/deployments/bad-pool`, {
      sku: { name: 'Standard' },
      properties: { model: { format: 'OpenAI', name: 'x', version: '1' }, lapis: { backend: { kind: 'pool', ...spec } } },
    });
    expect(res.error).toMatchObject({ code: 'InvalidResourceProperties', target });
  });
});
