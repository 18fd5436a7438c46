// Process entry of the server: build the app, listen, and close gracefully on signals.
// The only file that listens.

import type { Config } from './config/index.js';
import { buildApp, type LapisApp } from './app.js';
import { startListeners, tlsFilesFrom, type Listeners } from './network/index.js';

export interface RunningServer extends LapisApp {
  /** Base URL the server answers on, e.g. http://127.0.0.1:8080 (https:// with TLS) */
  url: string;
  /** The private listener (privateListen): http(s)://host:port, or unix:/path for a unix socket. */
  privateUrl?: string;
  stop(): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const lapis = await buildApp(config);
  const { app } = lapis;
  let listeners: Listeners;
  try {
    // The listeners are ours (TLS, the private one), not Fastify's: both hand requests to its router.
    await app.ready();
    listeners = await startListeners((req, res) => app.routing(req, res), {
      host: config.host,
      port: config.port,
      privateListen: config.privateListen,
      tls: tlsFilesFrom(config),
      // The timeouts Fastify chose for the server it would have listened on.
      serverSettings: {
        keepAliveTimeout: app.server.keepAliveTimeout,
        headersTimeout: app.server.headersTimeout,
        requestTimeout: app.server.requestTimeout,
        timeout: app.server.timeout,
        maxRequestsPerSocket: app.server.maxRequestsPerSocket,
      },
      log: app.log,
    });
  } catch (err) {
    await app.close();
    await lapis.close();
    throw err;
  }
  app.log.info(`Server listening at ${listeners.url}`);
  if (listeners.privateUrl) app.log.info(`Private listener at ${listeners.privateUrl}`);
  // SIGHUP re-reads the certificate files (renewals) without dropping a connection.
  const reloadTls = () =>
    listeners.reloadTls().then(
      () => app.log.info('TLS certificates reloaded'),
      (err) => app.log.error({ err }, 'could not reload TLS certificates; still serving the previous ones'),
    );
  if (config.tlsCert) process.on('SIGHUP', reloadTls);
  // Restore deployments after listening: a slow model must not delay the control plane.
  void lapis.runtime.restoreAll().catch((err) => app.log.error({ err }, 'could not restore deployments'));
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.off('SIGHUP', reloadTls);
      // Requests in flight finish first, as under Fastify's own close; then its hooks, then the stores.
      await listeners.close();
      await app.close();
      await lapis.close();
    })());
  return {
    ...lapis,
    url: config.publicUrl ?? listeners.url,
    ...(listeners.privateUrl ? { privateUrl: listeners.privateUrl } : {}),
    stop,
  };
}

/** Closes the server on SIGINT/SIGTERM; a second signal exits at once. */
export function closeOnSignals(server: RunningServer): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    server.app.log.info({ signal }, 'shutting down');
    server.stop().then(
      () => process.exit(0),
      (err) => {
        server.app.log.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
