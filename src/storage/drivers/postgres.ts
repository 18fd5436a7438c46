// PostgreSQL through a node-postgres Pool. The pool is what makes outages survivable: a client
// that dies is dropped, and the next query connects anew, so the store recovers by itself
// when the server comes back.

import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Database } from '../db.js';

export interface PostgresOptions {
  url: string;
  /** Schema for every table (created if missing); the server's search_path when absent. */
  schema?: string;
  /** How long a query waits for a new connection before it fails (an outage, not a hang). */
  connectionTimeoutMillis: number;
  /** Errors of idle connections, which no caller is waiting for (for logging). */
  onBackgroundError?: (error: Error) => void;
}

export async function openPostgres(options: PostgresOptions): Promise<Database> {
  const { schema } = options;
  // Plain lowercase names need no quoting anywhere: in SQL, and in the startup options below.
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`Schema name '${schema}' is not allowed: use lowercase letters, digits and underscores.`);
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    connectionTimeoutMillis: options.connectionTimeoutMillis,
    // Set on every connection at startup, so every client of the pool sees the same tables.
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    keepAlive: true,
  });
  // An idle client whose server went away emits 'error' on the pool; without a listener Node
  // treats it as unhandled and exits. The pool has already dropped that client.
  pool.on('error', (error) => options.onBackgroundError?.(error));
  // A client checked out for a transaction has no pool listener between its queries. Its
  // failure reaches the caller through the next query (and the pool drops it on release), so
  // here it only must not crash the process.
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    if (schema !== undefined) await createSchema(pool, schema);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return { driver: 'postgres', db: drizzle({ client: pool }), close: () => pool.end() };
}

async function createSchema(pool: pg.Pool, schema: string): Promise<void> {
  try {
    await pool.query(`create schema if not exists ${schema}`);
  } catch (error) {
    // Two processes creating it at once: one of them loses the race on the catalog's unique
    // index (23505) or sees it appear (42P06). Either way the schema exists.
    const code = (error as { code?: string }).code;
    if (code !== '23505' && code !== '42P06') throw error;
  }
}
