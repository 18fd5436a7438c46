// TLS material of the listeners: the server certificate and key, and for mutual TLS the CA
// that client certificates must chain to. Read from files so that a renewal (certbot, a
// Kubernetes secret update) is picked up by re-reading them, without a restart.

import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContextOptions } from 'node:tls';

export interface TlsSettings {
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
}

export interface TlsFiles {
  cert: string;
  key: string;
  /** Client certificates must be signed by this CA (mutual TLS). */
  clientCa?: string;
}

/** The TLS files of the settings, or undefined for plain HTTP. Throws when they do not go together. */
export function tlsFilesFrom({ tlsCert, tlsKey, tlsClientCa }: TlsSettings): TlsFiles | undefined {
  if (!tlsCert && !tlsKey) {
    if (tlsClientCa) throw new Error('tlsClientCa (mutual TLS) needs tlsCert and tlsKey: client certificates are only asked for over TLS.');
    return undefined;
  }
  if (!tlsCert || !tlsKey) throw new Error('tlsCert and tlsKey must be set together.');
  return { cert: tlsCert, key: tlsKey, ...(tlsClientCa ? { clientCa: tlsClientCa } : {}) };
}

async function read(setting: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new Error(`could not read the ${setting} file '${path}': ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Reads the files and proves they make a context (PEM parses, the key matches the certificate)
 * before anything uses them, so a bad renewal is refused while the old certificate keeps serving.
 */
export async function loadSecureContextOptions(files: TlsFiles): Promise<SecureContextOptions> {
  const options: SecureContextOptions = {
    cert: await read('tlsCert', files.cert),
    key: await read('tlsKey', files.key),
    ...(files.clientCa ? { ca: await read('tlsClientCa', files.clientCa) } : {}),
  };
  try {
    createSecureContext(options);
  } catch (err) {
    throw new Error(`the TLS files are not usable (tlsCert '${files.cert}', tlsKey '${files.key}'${files.clientCa ? `, tlsClientCa '${files.clientCa}'` : ''}): ${(err as Error).message}`, { cause: err });
  }
  return options;
}
