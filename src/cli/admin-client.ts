// The CLI's client of the control plane. Admin commands never touch the database: they go
// through the same ARM-shaped HTTP API as the portal and the Azure SDKs.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import type { Config } from '../config/index.js';
import { ADMIN_TOKEN_FILE } from '../identity/index.js';

export const SERVER_FILE = 'server.json';
export const CLI_API_VERSION = '2025-06-01';

export class CliError extends Error {
  override readonly name = 'CliError';
}

export interface AdminClient {
  call(method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown>;
  accountPath(account: string, resourceGroup?: string): string;
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** Endpoint: flag/env, else what `lapis serve` recorded in the data directory, else the default port. */
async function resolveEndpoint(config: Config): Promise<string> {
  if (config.endpoint) return config.endpoint.replace(/\/+$/, '');
  const recorded = await readOptional(join(config.dataDir, SERVER_FILE));
  if (recorded) {
    try {
      const url = (JSON.parse(recorded) as { url?: string }).url;
      if (url) return url;
    } catch {
      // a damaged file is ignored; the default endpoint follows
    }
  }
  return 'http://127.0.0.1:8080';
}

export async function createAdminClient(config: Config, tokenFlag?: string): Promise<AdminClient> {
  const endpoint = await resolveEndpoint(config);
  const token = tokenFlag ?? config.adminToken ?? (await readOptional(join(config.dataDir, ADMIN_TOKEN_FILE)));
  if (!token) {
    throw new CliError(`No admin token: pass --token, set LAPIS_ADMIN_TOKEN, or run on the machine whose data directory (${config.dataDir}) holds ${ADMIN_TOKEN_FILE}.`);
  }
  return {
    accountPath(account, resourceGroup = config.resourceGroup) {
      return `/subscriptions/${config.subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.CognitiveServices/accounts/${encodeURIComponent(account)}`;
    },
    async call(method, path, body) {
      const url = `${endpoint}${path}${path.includes('?') ? '&' : '?'}api-version=${CLI_API_VERSION}`;
      let res;
      try {
        res = await request(url, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (err) {
        throw new CliError(`Cannot reach Lapis at ${endpoint}: ${(err as Error).message}. Is \`lapis serve\` running? (--endpoint or LAPIS_ENDPOINT choose another server.)`);
      }
      const text = await res.body.text();
      const parsed = text ? (JSON.parse(text) as unknown) : undefined;
      if (res.statusCode >= 400) {
        const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
        throw new CliError(`${res.statusCode} ${error?.code ?? ''}: ${error?.message ?? text}`.trim());
      }
      return parsed;
    },
  };
}
