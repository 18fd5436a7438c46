// The embedded default: PostgreSQL compiled to WASM, in this process, in <dataDir>/pglite.

import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import type { Database } from '../db.js';

/**
 * Directories open in this process. Each PGlite instance caches pages in its own memory, so
 * two on one directory overwrite each other's writes: the second open is refused instead.
 */
const openDirectories = new Set<string>();

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
    const client = await PGlite.create(directory);
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
