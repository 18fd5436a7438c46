// `lapis serve` as a separate process for a bench, set up the way an operator would: an
// account and deployments created through the control plane over HTTP with the admin token.
// Shared with bench/embedded.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { start, stop, waitForOutput } from './processes.mjs';

const root = resolve(import.meta.dirname, '../..');
const ARM_API_VERSION = '2025-06-01';
export const DATA_API_VERSION = '2024-10-21';

/**
 * The environment without the caller's LAPIS_* and DATABASE_URL: the bench server always runs
 * on PGlite in a fresh temporary directory, whatever the shell that started the bench has set.
 */
function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LAPIS_') && k !== 'DATABASE_URL'));
}

/**
 * Starts `node [nodeArgs] bin/lapis.js serve` on 127.0.0.1 and a free port.
 * Returns { child, url, createDeployment(name, backend) → api key, stop() }.
 */
export async function startLapis({ nodeArgs = [], env = {} } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'lapis-bench-'));
  const adminToken = randomBytes(24).toString('base64url');
  const child = start('lapis', process.execPath, [...nodeArgs, join(root, 'bin/lapis.js'), 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir], {
    env: { ...cleanEnv(), LAPIS_ADMIN_TOKEN: adminToken, LAPIS_LOG_LEVEL: 'warn', ...env },
  });
  const stopAndClean = async () => {
    await stop(child, 30_000); // a --cpu-prof child writes its profile on the way out
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const [, url] = await waitForOutput(child, /Lapis is serving at (\S+)/);
    return { child, url, dataDir, createDeployment: (name, backend) => createDeployment(url, adminToken, name, backend), stop: stopAndClean };
  } catch (err) {
    await stopAndClean();
    throw err;
  }
}

async function arm(url, adminToken, method, path, body) {
  const res = await fetch(`${url}${path}?api-version=${ARM_API_VERSION}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`control plane ${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

const ACCOUNT = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/bench/providers/Microsoft.CognitiveServices/accounts/bench';

/**
 * Creates the account (first time) and a deployment served by `backend` (the Lapis extension
 * properties.lapis.backend), waits until it is Succeeded, and returns the account's key1.
 */
async function createDeployment(url, adminToken, name, backend) {
  await arm(url, adminToken, 'PUT', ACCOUNT, { location: 'local', kind: 'OpenAI', sku: { name: 'S0' }, properties: {} });
  // A large capacity, so that no quota the server may enforce is what a bench measures.
  await arm(url, adminToken, 'PUT', `${ACCOUNT}/deployments/${name}`, {
    sku: { name: 'Standard', capacity: 100_000 },
    properties: { model: { format: backend.kind === 'llama' ? 'GGUF' : 'OpenAI', name: 'bench', version: '1' }, lapis: { backend } },
  });
  for (;;) {
    const d = await arm(url, adminToken, 'GET', `${ACCOUNT}/deployments/${name}`);
    const state = d.properties?.provisioningState;
    if (state === 'Succeeded') break;
    if (state === 'Failed') throw new Error(`deployment ${name} failed: ${JSON.stringify(d.properties?.lapis?.provisioningError)}`);
    await sleep(50);
  }
  return (await arm(url, adminToken, 'POST', `${ACCOUNT}/listKeys`)).key1;
}
