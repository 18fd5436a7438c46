// The sockets Lapis serves on: the main listener (host:port) and, when `privateListen` is set,
// the private one (host:port or a unix socket), which plays the part of an Azure private
// endpoint. Both are HTTP, or both HTTPS with the same certificate (and mutual TLS when a client
// CA is set: a client without a certificate from that CA is refused at the handshake). Both
// hand their requests to one handler (the app's router); requests from the private listener
// are remembered so that viaPrivateListener() can tell them apart.
//
// Framework-free on purpose: the handler is any (req, res) function.

import { lstat, unlink } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { loadSecureContextOptions, type TlsFiles } from './tls.js';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export type ListenAddress = { path: string } | { host: string; port: number };

/** Node http.Server settings to copy onto each listener (the framework's choices for its own server). */
export type ServerSettings = Partial<Pick<HttpServer, 'keepAliveTimeout' | 'headersTimeout' | 'requestTimeout' | 'timeout' | 'maxRequestsPerSocket'>>;

export interface ListenerOptions {
  host: string;
  port: number;
  /** `host:port`, `[v6]:port` or `unix:/path/to.sock`. */
  privateListen?: string;
  tls?: TlsFiles;
  serverSettings?: ServerSettings;
  log?: { debug(obj: object, msg: string): void };
}

export interface Listeners {
  /** e.g. http://127.0.0.1:8080, https://localhost:8443 */
  url: string;
  /** http(s)://host:port of the private listener, or unix:/path for a unix socket. */
  privateUrl?: string;
  /** Re-reads the TLS files and serves new connections with them; open connections keep theirs. Throws (changing nothing) when the files are bad. */
  reloadTls(): Promise<void>;
  /** Stops accepting, lets requests in flight finish, then resolves when every connection is closed. */
  close(): Promise<void>;
}

// Requests (not sockets) are marked: the request object is what the app sees as `request.raw`.
const privateRequests = new WeakSet<IncomingMessage>();

/** Whether a request came in through the private listener (an Azure private endpoint's stand-in). */
export function viaPrivateListener(raw: IncomingMessage): boolean {
  return privateRequests.has(raw);
}

export function parseListenAddress(text: string): ListenAddress {
  if (text.startsWith('unix:')) {
    const path = text.slice('unix:'.length);
    if (path === '') throw new Error(`privateListen '${text}': the unix socket path is missing.`);
    return { path: resolve(path) };
  }
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`privateListen '${text}' is not host:port, [ipv6]:port or unix:/path.`);
  return { host: (m[1] ?? m[2])!, port };
}

function listenOnce(server: HttpServer, address: ListenAddress): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(address, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
}

/** A socket file left by a process that died is removed; one that answers (a live server) is not. */
async function isStaleSocket(path: string): Promise<boolean> {
  const stat = await lstat(path).catch(() => undefined);
  if (!stat?.isSocket()) return false;
  return new Promise((resolvePromise) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolvePromise(false);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => resolvePromise(err.code === 'ECONNREFUSED'));
  });
}

async function listen(server: HttpServer, address: ListenAddress): Promise<void> {
  try {
    await listenOnce(server, address);
  } catch (err) {
    if (!('path' in address) || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !(await isStaleSocket(address.path))) throw err;
    await unlink(address.path);
    await listenOnce(server, address);
  }
}

function urlOf(server: HttpServer, scheme: string, requestedHost?: string): string {
  const address = server.address();
  if (typeof address === 'string') return `unix:${address}`;
  if (!address) throw new Error('the server is not listening');
  // An unspecified address is not somewhere to send a request; loopback names the same server.
  let host = address.address;
  if (requestedHost === 'localhost' || host === '::1' || host === '::') host = 'localhost';
  else if (host === '0.0.0.0') host = '127.0.0.1';
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

/** How long requests in flight get to finish on close before their connections are cut. */
const DRAIN_DEADLINE_MS = 10_000;

/** Closes a server, ending keep-alive connections as soon as they are idle. */
function drain(server: HttpServer): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    // close() ends the idle connections of this moment; the ones busy with a request go idle
    // later and would otherwise linger until keepAliveTimeout (72 s under Fastify).
    const sweeper = setInterval(() => server.closeIdleConnections(), 50);
    // A client that never reads its answer keeps its connection busy for ever: cut it at the deadline.
    const deadline = setTimeout(() => server.closeAllConnections(), DRAIN_DEADLINE_MS);
    server.close((err) => {
      clearInterval(sweeper);
      clearTimeout(deadline);
      if (err && (err as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING') reject(err);
      else resolvePromise();
    });
  });
}

export async function startListeners(handler: RequestHandler, options: ListenerOptions): Promise<Listeners> {
  const privateAddress = options.privateListen === undefined ? undefined : parseListenAddress(options.privateListen);
  const tls = options.tls;
  const secure = tls && (await loadSecureContextOptions(tls));
  const scheme = secure ? 'https' : 'http';
  let closing: Promise<void> | undefined;
  const secureServers: HttpsServer[] = [];

  const createServer = (isPrivate: boolean): HttpServer => {
    const onRequest: RequestHandler = (req, res) => {
      if (isPrivate) privateRequests.add(req);
      // While draining, every answer ends its connection, so close() need not wait on keep-alive.
      if (closing) res.setHeader('connection', 'close');
      handler(req, res);
    };
    if (!secure) return Object.assign(createHttpServer(onRequest), options.serverSettings);
    const mutual = Boolean(tls?.clientCa);
    const server = createHttpsServer({ ...secure, requestCert: mutual, rejectUnauthorized: mutual }, onRequest);
    const log = options.log;
    // A refused client certificate shows only as a reset here; authorizationError says why.
    if (log) {
      server.on('tlsClientError', (err, socket) =>
        log.debug({ err, remoteAddress: socket.remoteAddress, authorizationError: socket.authorizationError }, 'TLS handshake refused'),
      );
    }
    secureServers.push(server);
    return Object.assign(server, options.serverSettings);
  };

  const servers: HttpServer[] = [createServer(false)];
  await listen(servers[0]!, { host: options.host, port: options.port });
  if (privateAddress) {
    servers.push(createServer(true));
    try {
      await listen(servers[1]!, privateAddress);
    } catch (err) {
      await drain(servers[0]!);
      throw err;
    }
  }

  return {
    url: urlOf(servers[0]!, scheme, options.host),
    ...(servers[1] && privateAddress ? { privateUrl: urlOf(servers[1], scheme, 'host' in privateAddress ? privateAddress.host : undefined) } : {}),
    async reloadTls() {
      if (!tls) throw new Error('TLS is not configured (tlsCert, tlsKey): there is nothing to reload.');
      const next = await loadSecureContextOptions(tls);
      for (const server of secureServers) server.setSecureContext(next);
    },
    close() {
      return (closing ??= Promise.all(servers.map(drain)).then(() => undefined));
    },
  };
}
