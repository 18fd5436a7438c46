// Process entry of the server: build the app, listen, and close gracefully on signals.
// The only file that listens.

import type { Config } from './config/index.js';
import { buildApp, type LapisApp } from './app.js';

export interface RunningServer extends LapisApp {
  /** Base URL the server answers on, e.g. http://127.0.0.1:8080 */
  url: string;
  stop(): Promise<void>;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const lapis = await buildApp(config);
  let address: string;
  try {
    address = await lapis.app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await lapis.close();
    throw err;
  }
  // Restore deployments after listening: a slow model must not delay the control plane.
  void lapis.runtime.restoreAll().catch((err) => lapis.app.log.error({ err }, 'could not restore deployments'));
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await lapis.app.close();
      await lapis.close();
    })());
  return { ...lapis, url: config.publicUrl ?? address.replace('[::1]', 'localhost'), stop };
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
