// The embedded default: PostgreSQL compiled to WASM, in this process, in <dataDir>/pglite.

import { execFile } from 'node:child_process';
import { access, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import type { Database } from '../db.js';

/**
 * Directories open in this process. Each PGlite instance caches pages in its own memory, so
 * two on one directory overwrite each other's writes: the second open is refused instead.
 */
const openDirectories = new Set<string>();

// PGlite's start flags (its defaults) plus a smaller buffer pool: 128 MB of shared buffers is
// sized for a server, and on one laptop it is ~100 MB of RSS for little gain.
const START_PARAMS = [
  '--single', '-F', '-O', '-j', '-c', 'search_path=public', '-c', 'exit_on_error=false', '-c', 'log_checkpoints=false',
  '-c', 'max_worker_processes=0', '-c', 'max_parallel_workers=0', '-c', 'max_parallel_workers_per_gather=0',
  '-c', 'io_method=sync', '-c', 'max_parallel_maintenance_workers=0', '-c', 'shared_buffers=32MB',
];

/**
 * Creates the cluster (initdb) in a short-lived child process: initdb grows PGlite's WASM heap
 * to ~700 MB, and WASM memory is never given back, so doing it here would leave the server at
 * that size for good.
 */
async function initCluster(directory: string): Promise<void> {
  const pglite = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const script = `const { PGlite } = require(${JSON.stringify(pglite)});
    PGlite.create(${JSON.stringify(directory)}, { startParams: ${JSON.stringify(START_PARAMS)} })
      .then((db) => db.close()).catch((e) => { console.error(e); process.exit(1); });`;
  await promisify(execFile)(process.execPath, ['-e', script]).catch((err: { stderr?: string }) => {
    throw new Error(`cannot create the embedded database in ${directory}: ${err.stderr?.trim() || String(err)}`);
  });
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/** Opens (creating on first use) the database in <dataDir>/pglite, or in memory for ':memory:'. */
export async function openPglite(dataDir: string): Promise<Database> {
  if (dataDir === ':memory:') {
    const client = await PGlite.create();
    return { driver: 'pglite', db: drizzle({ client }), close: () => client.close() };
  }
  const directory = resolve(dataDir, 'pglite');
  if (openDirectories.has(directory)) {
    throw new Error(`The database in ${directory} is already open in this process; close that store first.`);
  }
  openDirectories.add(directory);
  try {
    // The data directory also holds the master key: keep it private.
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    if (!(await exists(join(directory, 'PG_VERSION')))) await initCluster(directory);
    const client = await PGlite.create(directory, { startParams: START_PARAMS });
    const close = async () => {
      try {
        await client.close();
      } finally {
        openDirectories.delete(directory);
      }
    };
    return { driver: 'pglite', db: drizzle({ client }), close };
  } catch (error) {
    openDirectories.delete(directory);
    throw error;
  }
}
