// A real Lapis server for tests: in-process (startServer on a free port) or as a child
// process running the `lapis` command. Each gets its own data directory and, when
// DATABASE_URL is set, its own PostgreSQL schema, dropped afterwards.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig, type SettingName } from '../../src/config/index.js';
import { startServer, type RunningServer } from '../../src/main.js';
import { dropSchema } from './store.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SHARED_MODELS = resolve(ROOT, '../shared/models');
export const STORIES = join(SHARED_MODELS, 'stories260K.gguf');
export const SUBSCRIPTION = '00000000-0000-0000-0000-000000000000';

/** Where a test server keeps its state; reused across restarts of the same test. */
export interface ServerState {
  dataDir: string;
  env: Record<string, string>;
  /** Which database the server runs on, for test names. */
  database: 'pglite' | 'postgres';
  cleanup(): Promise<void>;
}

export async function newServerState(): Promise<ServerState> {
  const dataDir = await mkdtemp(join(tmpdir(), 'lapis-test-'));
  const url = process.env.DATABASE_URL;
  const schema = url ? `lapis_test_${randomBytes(6).toString('hex')}` : undefined;
  const env: Record<string, string> = { LAPIS_HOME: dataDir, LAPIS_LOG_LEVEL: 'warn', LAPIS_LLAMA_THREADS: '1' };
  if (url && schema) Object.assign(env, { DATABASE_URL: url, LAPIS_DATABASE_SCHEMA: schema });
  // Servers count rate limits in Redis when the run has one (each deployment has its own keys).
  if (process.env.REDIS_URL) env.REDIS_URL = process.env.REDIS_URL;
  return {
    dataDir,
    env,
    database: url ? 'postgres' : 'pglite',
    async cleanup() {
      if (url && schema) await dropSchema(url, schema);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** startServer on 127.0.0.1 and a free port, configured from `state` plus overrides. */
export async function startInProcess(
  state: ServerState,
  overrides: Partial<Record<SettingName, string | number | boolean>> = {},
): Promise<RunningServer> {
  const { config } = loadConfig({ host: '127.0.0.1', port: 0, ...overrides }, { ...state.env });
  return startServer(config);
}

export interface CliServer {
  child: ChildProcess;
  url: string;
  key: string;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then wait for exit. */
  stop(): Promise<number | null>;
}

/** Runs `lapis serve …` as a user would and waits for the "serving" banner with the key. */
export async function startCli(state: ServerState, args: string[], timeoutMs = 60_000): Promise<CliServer> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/lapis.js'), 'serve', '--port', '0', ...args], {
    env: { ...process.env, ...state.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const banner = await new Promise<{ url: string; key: string }>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`lapis serve did not start in time.\nstdout:\n${out}\nstderr:\n${err}`)), timeoutMs);
    const check = () => {
      const url = /endpoint:\s+(\S+)/.exec(out)?.[1];
      const key = /api key:\s+(\S+)/.exec(out)?.[1];
      if (url && key) {
        clearTimeout(timer);
        resolvePromise({ url, key });
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`lapis serve exited with ${code}.\nstdout:\n${out}\nstderr:\n${err}`));
    });
  });
  return {
    child,
    ...banner,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs `lapis <args>` to completion. */
export function runCli(state: ServerState, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/lapis.js'), ...args], {
      env: { ...process.env, ...state.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** The ARM path of an account in the default subscription and resource group. */
export function accountPath(name: string, resourceGroup = 'lapis'): string {
  return `/subscriptions/${SUBSCRIPTION}/resourceGroups/${resourceGroup}/providers/Microsoft.CognitiveServices/accounts/${name}`;
}

/** The control plane as the admin sees it: JSON in and out, the api-version filled in. */
export function adminApi(server: RunningServer) {
  const call = async (method: string, path: string, body?: unknown, version = '2025-06-01'): Promise<Record<string, any>> => {
    const res = await fetch(`${server.url}${path}?api-version=${version}`, {
      method,
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return text ? (JSON.parse(text) as Record<string, any>) : {};
  };
  /** PUTs a deployment body of the default account and, when accepted, waits until it is provisioned; returns the PUT's answer. */
  const putDeployment = async (name: string, body: Record<string, unknown>): Promise<Record<string, any>> => {
    const path = `${accountPath('default')}/deployments/${name}`;
    const put = await call('PUT', path, body);
    if (put.error) return put;
    for (;;) {
      const d = await call('GET', path);
      if (d.properties.provisioningState === 'Succeeded') return put;
      if (d.properties.provisioningState === 'Failed') throw new Error(`${name}: ${JSON.stringify(d.properties.lapis)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    call,
    /** Creates or replaces a deployment of the default account and waits until it serves. */
    async deploy(name: string, backend: Record<string, unknown>, sku: Record<string, unknown> = { name: 'Standard' }): Promise<void> {
      const put = await putDeployment(name, { sku, properties: { model: { format: 'OpenAI', name, version: '1' }, lapis: { backend } } });
      if (put.error) throw new Error(`${name}: ${JSON.stringify(put.error)}`);
    },
    putDeployment,
    /** Creates the default account and returns its key1. */
    async defaultAccountKey(): Promise<string> {
      await call('PUT', accountPath('default'), { location: 'local', kind: 'OpenAI', sku: { name: 'S0' } });
      return (await call('POST', `${accountPath('default')}/listKeys`)).key1 as string;
    },
  };
}
