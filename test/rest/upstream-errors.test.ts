// What a client sees when the engine behind a deployment fails: Azure-shaped answers, a 429's
// wait passed on so the SDK's retry honours it, and the server serving on.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import type { RunningServer } from '../../src/main.js';
import { startSimulatorServer } from '../../src/backends/simulator/index.js';
import { adminApi, newServerState, startInProcess, type ServerState } from '../helpers/server.js';

let state: ServerState;
let server: RunningServer;
let key: string;
const upstreams: { close(): Promise<void> }[] = [];
let hang: net.Server;

let admin: ReturnType<typeof adminApi>['call'];
let deploy: ReturnType<typeof adminApi>['deploy'];

function chat(deployment: string, stream = false) {
  return fetch(`${server.url}/openai/deployments/${deployment}/chat/completions?api-version=2024-10-21`, {
    method: 'POST',
    headers: { 'api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, stream }),
  });
}

beforeAll(async () => {
  state = await newServerState();
  server = await startInProcess(state);
  ({ call: admin, deploy } = adminApi(server));
  key = await adminApi(server).defaultAccountKey();
  const throttled = await startSimulatorServer({ spec: { faults: { rateLimit: 1, retryAfterMs: 1500 } } });
  const failing = await startSimulatorServer({ spec: { faults: { serverError: 1 } } });
  upstreams.push(throttled, failing);
  // Accepts connections and never answers: a hung engine.
  hang = net.createServer(() => undefined).listen(0, '127.0.0.1');
  await new Promise((r) => hang.once('listening', r));
  const hangPort = (hang.address() as net.AddressInfo).port;
  const closed = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => closed.once('listening', r));
  const closedPort = (closed.address() as net.AddressInfo).port;
  await new Promise((r) => closed.close(r));

  await deploy('throttled', { kind: 'openai-compatible', baseUrl: `${throttled.url}/v1`, model: 'm' });
  await deploy('failing', { kind: 'openai-compatible', baseUrl: `${failing.url}/v1`, model: 'm' });
  await deploy('hung', { kind: 'openai-compatible', baseUrl: `http://127.0.0.1:${hangPort}/v1`, model: 'm', timeoutMs: 300 });
  await deploy('gone', { kind: 'openai-compatible', baseUrl: `http://127.0.0.1:${closedPort}/v1`, model: 'm' });
  await deploy('sim-faults', { kind: 'simulator', faults: { rateLimit: 1, retryAfterMs: 2500 } });
  await deploy('sim-ok', { kind: 'simulator' });
});
afterAll(async () => {
  await server?.stop();
  for (const u of upstreams) await u.close();
  hang?.close();
  await state?.cleanup();
});

describe('upstream failures, as Azure answers them', () => {
  it.each([
    ['an upstream 429 passes on its wait', 'throttled', 429, { error: { code: '429' } }, { 'retry-after-ms': '1500', 'retry-after': '2' }],
    ['a simulated 429 likewise', 'sim-faults', 429, { error: { code: '429' } }, { 'retry-after-ms': '2500', 'retry-after': '3' }],
    ['an upstream 500 is a 502 that does not blame the caller', 'failing', 502, { error: { code: 'BadGateway' } }, {}],
    ['a hung upstream is a 408 Timeout', 'hung', 408, { error: { code: 'Timeout', message: 'The operation was timeout.' } }, {}],
    ['an unreachable upstream is a 503', 'gone', 503, { error: { code: 'ServiceUnavailable' } }, {}],
  ])('%s', async (_name, deployment, status, body, headers) => {
    for (const stream of [false, true]) {
      const res = await chat(deployment, stream);
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject(body);
      for (const [h, v] of Object.entries(headers)) expect(res.headers.get(h)).toBe(v);
    }
    expect((await chat('sim-ok')).status).toBe(200);
  });
});
