// When the database goes away, requests get a clear 503 in their plane's shape, the server
// keeps running, and it recovers by itself when the database returns — no restart.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { startServer, type RunningServer } from '../../src/main.js';
import { writeTinyGguf } from '../fixtures/gguf.js';
import { dropSchema } from '../helpers/store.js';
import { accountPath } from '../helpers/server.js';
import { startProxy } from '../helpers/tcp-proxy.js';

const url = process.env.DATABASE_URL;

// PGlite runs inside the server process and cannot go away; an outage needs a server over a network.
describe.skipIf(!url)('a PostgreSQL outage seen over HTTP', () => {
  const schema = `lapis_test_${randomBytes(6).toString('hex')}`;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let server: RunningServer;
  let dataDir: string;
  let key: string;

  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${server.url}${path}?api-version=2025-06-01`, {
      method,
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const chat = () =>
    fetch(`${server.url}/openai/deployments/chat/chat/completions?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
    });

  beforeAll(async () => {
    const direct = new URL(url!);
    proxy = await startProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    const viaProxy = new URL(url!);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    dataDir = await mkdtemp(join(tmpdir(), 'lapis-outage-'));
    await writeTinyGguf(join(dataDir, 'tiny.gguf'));
    const { config } = loadConfig(
      { host: '127.0.0.1', port: 0, dataDir, databaseUrl: viaProxy.toString(), databaseSchema: schema, logLevel: 'silent', llamaThreads: 1 },
      {},
    );
    server = await startServer(config);
    await admin('PUT', accountPath('default'), { location: 'local', kind: 'OpenAI', sku: { name: 'S0' } });
    key = ((await (await admin('POST', `${accountPath('default')}/listKeys`)).json()) as { key1: string }).key1;
    await admin('PUT', `${accountPath('default')}/deployments/chat`, {
      sku: { name: 'Standard' },
      properties: { model: { format: 'GGUF', name: 'tiny', source: join(dataDir, 'tiny.gguf') } },
    });
    expect((await chat()).status).toBe(200);
  });
  afterAll(async () => {
    await server?.stop();
    await proxy?.stop();
    await dropSchema(url!, schema);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 503 on both planes during the outage and recovers without a restart', async () => {
    await proxy.stop();

    const control = await admin('GET', accountPath('default'));
    expect(control.status).toBe(503);
    expect(control.headers.get('retry-after')).toBeTruthy();
    expect(await control.json()).toEqual({
      error: { code: 'ServiceUnavailable', message: 'The service is temporarily unable to reach its database. Please retry shortly.' },
    });
    const data = await chat();
    expect(data.status).toBe(503);
    expect(((await data.json()) as { error: { code: string } }).error.code).toBe('ServiceUnavailable');

    proxy = await startProxy(
      { host: new URL(url!).hostname, port: Number(new URL(url!).port || 5432) },
      proxy.port,
    );
    expect((await admin('GET', accountPath('default'))).status).toBe(200);
    expect((await chat()).status).toBe(200);
  });
});
