// startServer's listeners on the wire: HTTPS with the configured certificate, a private
// listener on a unix socket, certificates swapped on SIGHUP, mutual TLS, and stop() closing
// both. What the network rules then do with the requests is in network.test.ts.

import { copyFile, stat } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/main.js';
import { newServerState, startInProcess, type ServerState } from '../helpers/server.js';
import { makeTestPki, type TestPki } from '../helpers/tls.js';

interface Answer {
  status: number;
  requestId: string | undefined;
  fingerprint: string;
}

/** A request that reaches the app (any route: the request id header shows the app answered). */
function call(url: string, options: https.RequestOptions): Promise<Answer> {
  const target = url.startsWith('unix:') ? { socketPath: url.slice('unix:'.length), servername: 'localhost' } : { hostname: new URL(url).hostname, port: new URL(url).port };
  return new Promise((resolve, reject) => {
    https
      .request({ ...target, path: '/lapis-listener-probe', agent: false, ...options }, (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, requestId: res.headers['x-request-id'] as string | undefined, fingerprint }));
      })
      .on('error', reject)
      .end();
  });
}

let pki: TestPki;
let state: ServerState;
const live = { cert: '', key: '' };

beforeAll(async () => {
  pki = await makeTestPki();
  state = await newServerState();
  live.cert = join(pki.dir, 'live.crt');
  live.key = join(pki.dir, 'live.key');
}, 60_000);
afterAll(async () => {
  await state?.cleanup();
  await pki?.cleanup();
});

describe('HTTPS and the private listener', () => {
  let server: RunningServer;
  let socketPath: string;
  beforeAll(async () => {
    await copyFile(pki.server.certPath, live.cert);
    await copyFile(pki.server.keyPath, live.key);
    socketPath = join(state.dataDir, 'private.sock');
    server = await startInProcess(state, { tlsCert: live.cert, tlsKey: live.key, privateListen: `unix:${socketPath}` });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serves the app over HTTPS on both listeners', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(server.privateUrl).toBe(`unix:${socketPath}`);
    const pub = await call(server.url, { ca: pki.ca.cert });
    expect(pub.requestId).toBeDefined();
    expect(pub.fingerprint).toBe(pki.server.fingerprint256);
    expect((await call(server.privateUrl!, { ca: pki.ca.cert })).requestId).toBeDefined();
  });

  it('reloads the certificate files on SIGHUP', async () => {
    await copyFile(pki.renewedServer.certPath, live.cert);
    await copyFile(pki.renewedServer.keyPath, live.key);
    process.kill(process.pid, 'SIGHUP');
    let seen = '';
    for (let i = 0; i < 100 && seen !== pki.renewedServer.fingerprint256; i++) {
      await new Promise((r) => setTimeout(r, 20));
      seen = (await call(server.url, { ca: pki.ca.cert })).fingerprint;
    }
    expect(seen).toBe(pki.renewedServer.fingerprint256);
    expect((await call(server.privateUrl!, { ca: pki.ca.cert })).fingerprint).toBe(pki.renewedServer.fingerprint256);
  });

  it('closes both listeners on stop', async () => {
    await server.stop();
    await expect(call(server.url, { ca: pki.ca.cert })).rejects.toThrow(/ECONNREFUSED/);
    await expect(stat(socketPath)).rejects.toThrow(/ENOENT/);
  });
});

describe('mutual TLS', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startInProcess(state, { tlsCert: pki.server.certPath, tlsKey: pki.server.keyPath, tlsClientCa: pki.ca.certPath });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses clients without a certificate from the CA, and serves those with one', async () => {
    await expect(call(server.url, { ca: pki.ca.cert })).rejects.toThrow(/alert certificate required/);
    await expect(call(server.url, { ca: pki.ca.cert, cert: pki.otherCaClient.cert, key: pki.otherCaClient.key })).rejects.toThrow(/socket hang up/);
    const ok = await call(server.url, { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key });
    expect(ok.requestId).toBeDefined();
  });
});

describe('settings that do not go together', () => {
  it('stop the start with a message naming them', async () => {
    await expect(startInProcess(state, { tlsCert: pki.server.certPath })).rejects.toThrow(/tlsCert and tlsKey must be set together/);
    await expect(startInProcess(state, { privateListen: 'nowhere' })).rejects.toThrow(/privateListen 'nowhere' is not host:port/);
  });
});
