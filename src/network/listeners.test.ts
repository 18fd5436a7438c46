// The listeners on real sockets: loopback source addresses (the whole 127/8 is local on
// Linux), a unix socket, and TLS with certificates made by openssl for the test.

import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki, type CertFiles, type TestPki } from '../../test/helpers/tls.js';
import { createClientAddressResolver } from './client-address.js';
import { parseListenAddress, startListeners, viaPrivateListener, type ListenerOptions, type Listeners } from './listeners.js';
import { tlsFilesFrom } from './tls.js';

const resolveClient = createClientAddressResolver('127.0.0.3');
let handled = 0;

/** Answers with what the listener told the app about the request. */
function handler(req: IncomingMessage, res: ServerResponse): void {
  handled++;
  const socket = req.socket as TLSSocket;
  const peer = socket.encrypted ? socket.getPeerCertificate() : undefined;
  const delay = Number(new URL(req.url!, 'http://x').searchParams.get('delay') ?? 0);
  setTimeout(() => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ client: resolveClient(req) ?? null, private: viaPrivateListener(req), encrypted: Boolean(socket.encrypted), peer: peer?.subject?.CN ?? null }));
  }, delay);
}

interface Answer {
  status: number;
  body: { client: string | null; private: boolean; encrypted: boolean; peer: string | null };
  headers: http.IncomingHttpHeaders;
  /** The server certificate's SHA-256 fingerprint (TLS only). */
  fingerprint?: string;
}

/** One request to an http(s):// URL or a unix:/path (HTTPS over it when a CA is given). */
function call(url: string, options: https.RequestOptions = {}): Promise<Answer> {
  const unix = url.startsWith('unix:');
  const secure = url.startsWith('https:') || (unix && options.ca !== undefined);
  const target = unix ? { socketPath: url.slice('unix:'.length) } : { hostname: new URL(url).hostname, port: new URL(url).port };
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request({ ...target, path: '/', ...options }, (res) => {
      const socket = res.socket as TLSSocket;
      const fingerprint = socket.encrypted ? socket.getPeerCertificate().fingerprint256 : undefined;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text), headers: res.headers, fingerprint }));
    });
    req.on('error', reject);
    req.end();
  });
}

const open: Listeners[] = [];
async function start(options: Partial<ListenerOptions> = {}): Promise<Listeners> {
  const listeners = await startListeners(handler, { host: '127.0.0.1', port: 0, ...options });
  open.push(listeners);
  return listeners;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lapis-listeners-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('main listener', () => {
  it('serves HTTP and sees each loopback source address as the client', async () => {
    const { url, privateUrl } = await start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(privateUrl).toBeUndefined();
    expect((await call(url, { localAddress: '127.0.0.2' })).body).toEqual({ client: '127.0.0.2', private: false, encrypted: false, peer: null });
    expect((await call(url, { localAddress: '127.0.0.3' })).body.client).toBe('127.0.0.3');
  });

  it('believes X-Forwarded-For only from a trusted proxy', async () => {
    const { url } = await start();
    const xff = { 'x-forwarded-for': '192.0.2.1, 198.51.100.7' };
    expect((await call(url, { localAddress: '127.0.0.3', headers: xff })).body.client).toBe('198.51.100.7');
    expect((await call(url, { localAddress: '127.0.0.2', headers: xff })).body.client).toBe('127.0.0.2');
  });

  it('names the host it was given when that is localhost', async () => {
    const { url } = await start({ host: 'localhost' });
    expect(url).toMatch(/^http:\/\/localhost:\d+$/);
    expect((await call(url)).status).toBe(200);
  });

  it('lets a request in flight finish on close, ends its keep-alive connection, then refuses', async () => {
    const { url } = await start({ serverSettings: { keepAliveTimeout: 60_000 } });
    const agent = new http.Agent({ keepAlive: true });
    const inFlight = call(url, { agent, path: '/?delay=200' });
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    const closed = open.pop()!.close();
    expect((await inFlight).status).toBe(200);
    await closed;
    // Not held open for keepAliveTimeout by the idle keep-alive connection.
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(call(url)).rejects.toThrow(/ECONNREFUSED/);
    agent.destroy();
  });
});

describe('private listener', () => {
  it('marks requests that came through it (TCP)', async () => {
    const { url, privateUrl } = await start({ privateListen: '127.0.0.1:0' });
    expect(privateUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(privateUrl).not.toBe(url);
    expect((await call(privateUrl!, { localAddress: '127.0.0.2' })).body).toMatchObject({ client: '127.0.0.2', private: true });
    expect((await call(url, { localAddress: '127.0.0.2' })).body).toMatchObject({ client: '127.0.0.2', private: false });
  });

  it('marks requests that came through it (unix socket), and the socket file goes with it', async () => {
    const path = join(dir, 'private.sock');
    const listeners = await start({ privateListen: `unix:${path}` });
    expect(listeners.privateUrl).toBe(`unix:${path}`);
    // A unix-socket peer has no address: unknown, which no ipRule matches.
    expect((await call(listeners.privateUrl!)).body).toMatchObject({ client: null, private: true });
    expect((await call(listeners.url)).body.private).toBe(false);
    await open.pop()!.close();
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it('replaces a socket file left by a dead process, but not a live socket or a regular file', async () => {
    const path = join(dir, 'stale.sock');
    // Another process serves on the path, then dies by SIGKILL: its socket file stays behind.
    const other = spawn(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => console.log('up'))", path]);
    await new Promise((r) => other.stdout.once('data', r));
    // While it lives the path is taken: refused.
    await expect(start({ privateListen: `unix:${path}` })).rejects.toThrow(/EADDRINUSE/);
    other.kill('SIGKILL');
    await new Promise((r) => other.once('exit', r));
    expect((await stat(path)).isSocket()).toBe(true);
    const { privateUrl } = await start({ privateListen: `unix:${path}` });
    expect((await call(privateUrl!)).body.private).toBe(true);

    const regular = join(dir, 'not-a-socket');
    await writeFile(regular, 'keep me');
    await expect(start({ privateListen: `unix:${regular}` })).rejects.toThrow(/EADDRINUSE/);
    expect((await stat(regular)).isFile()).toBe(true);
  });

  it('closes the main listener again when the private one cannot start', async () => {
    const taken = await start();
    const port = Number(new URL(taken.url).port);
    await expect(startListeners(handler, { host: '127.0.0.1', port: 0, privateListen: `127.0.0.1:${port}` })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('parseListenAddress', () => {
  it.each([
    ['127.0.0.1:8081', { host: '127.0.0.1', port: 8081 }],
    ['localhost:0', { host: 'localhost', port: 0 }],
    ['[::1]:8081', { host: '::1', port: 8081 }],
    ['unix:/run/lapis.sock', { path: '/run/lapis.sock' }],
  ])('%s', (text, expected) => {
    expect(parseListenAddress(text)).toEqual(expected);
  });

  it.each(['8081', ':8081', 'host:', 'host:port', '127.0.0.1:65536', '::1:8081', 'unix:', 'http://127.0.0.1:8081'])('refuses %j', (text) => {
    expect(() => parseListenAddress(text)).toThrow(/privateListen/);
  });
});

describe('TLS', () => {
  let pki: TestPki;
  const live = { cert: '', key: '' };
  const install = async (files: CertFiles) => {
    await copyFile(files.certPath, live.cert);
    await copyFile(files.keyPath, live.key);
  };
  beforeAll(async () => {
    pki = await makeTestPki();
    live.cert = join(pki.dir, 'live.crt');
    live.key = join(pki.dir, 'live.key');
  }, 60_000);
  afterAll(async () => {
    await pki?.cleanup();
  });

  it('serves HTTPS on both listeners with the certificate', async () => {
    await install(pki.server);
    const { url, privateUrl } = await start({ tls: { cert: live.cert, key: live.key }, privateListen: '127.0.0.1:0' });
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(privateUrl).toMatch(/^https:/);
    const answer = await call(url, { ca: pki.ca.cert, localAddress: '127.0.0.2' });
    expect(answer.body).toMatchObject({ client: '127.0.0.2', encrypted: true, private: false });
    expect(answer.fingerprint).toBe(pki.server.fingerprint256);
    expect((await call(privateUrl!, { ca: pki.ca.cert })).body).toMatchObject({ encrypted: true, private: true });
    // A client that does not trust the CA refuses the server, as it should.
    await expect(call(url)).rejects.toThrow(/self-signed|unable to verify|certificate/i);
  });

  it('swaps the certificate on reload for new connections, keeping open ones, and keeps it when the new files are bad', async () => {
    await install(pki.server);
    const listeners = await start({ tls: { cert: live.cert, key: live.key } });
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: pki.ca.cert });
    expect((await call(listeners.url, { agent })).fingerprint).toBe(pki.server.fingerprint256);

    await install(pki.renewedServer);
    await listeners.reloadTls();
    // A new connection gets the new certificate…
    expect((await call(listeners.url, { ca: pki.ca.cert })).fingerprint).toBe(pki.renewedServer.fingerprint256);
    // …while the connection opened before goes on with the old one.
    expect((await call(listeners.url, { agent })).fingerprint).toBe(pki.server.fingerprint256);
    agent.destroy();

    // A renewal gone wrong (key of another certificate): refused, the current one stays.
    await copyFile(pki.server.keyPath, live.key);
    await expect(listeners.reloadTls()).rejects.toThrow(/not usable.*key values mismatch/i);
    await writeFile(live.cert, 'not a certificate');
    await expect(listeners.reloadTls()).rejects.toThrow(/not usable/);
    await rm(live.cert);
    await expect(listeners.reloadTls()).rejects.toThrow(/could not read the tlsCert file/);
    expect((await call(listeners.url, { ca: pki.ca.cert })).fingerprint).toBe(pki.renewedServer.fingerprint256);
  });

  it('with a client CA, refuses at the handshake a client without a certificate or with one from elsewhere', async () => {
    await install(pki.server);
    const { url, privateUrl } = await start({ tls: { cert: live.cert, key: live.key, clientCa: pki.ca.certPath }, privateListen: `unix:${join(dir, 'mtls.sock')}` });
    const before = handled;
    // No certificate: TLS 1.3 alert 116. A certificate that does not chain to the CA: the server
    // drops the handshake (Node sends no alert), which the client sees as a reset.
    await expect(call(url, { ca: pki.ca.cert })).rejects.toThrow(/alert certificate required/);
    await expect(call(url, { ca: pki.ca.cert, cert: pki.selfSignedClient.cert, key: pki.selfSignedClient.key })).rejects.toThrow(/socket hang up/);
    await expect(call(url, { ca: pki.ca.cert, cert: pki.otherCaClient.cert, key: pki.otherCaClient.key })).rejects.toThrow(/socket hang up/);
    await expect(call(privateUrl!, { ca: pki.ca.cert, servername: 'localhost' })).rejects.toThrow(/alert certificate required/);
    expect(handled).toBe(before);

    const good = { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key };
    expect((await call(url, good)).body).toMatchObject({ encrypted: true, peer: 'good client' });
    expect((await call(privateUrl!, { ...good, servername: 'localhost' })).body).toMatchObject({ private: true, peer: 'good client' });
  });
});

describe('tlsFilesFrom', () => {
  it('is plain HTTP without files, TLS with both, mutual with a client CA', () => {
    expect(tlsFilesFrom({})).toBeUndefined();
    expect(tlsFilesFrom({ tlsCert: 'c', tlsKey: 'k' })).toEqual({ cert: 'c', key: 'k' });
    expect(tlsFilesFrom({ tlsCert: 'c', tlsKey: 'k', tlsClientCa: 'ca' })).toEqual({ cert: 'c', key: 'k', clientCa: 'ca' });
  });

  it('refuses settings that do not go together', () => {
    expect(() => tlsFilesFrom({ tlsCert: 'c' })).toThrow(/tlsCert and tlsKey must be set together/);
    expect(() => tlsFilesFrom({ tlsKey: 'k' })).toThrow(/tlsCert and tlsKey must be set together/);
    expect(() => tlsFilesFrom({ tlsClientCa: 'ca' })).toThrow(/tlsClientCa .* needs tlsCert and tlsKey/);
  });

  it('a listener refuses to start on unusable files', async () => {
    await expect(start({ tls: { cert: join(dir, 'missing.crt'), key: join(dir, 'missing.key') } })).rejects.toThrow(/could not read the tlsCert file/);
  });
});
