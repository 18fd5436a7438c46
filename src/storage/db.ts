import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';

/**
 * The Drizzle handle the repositories use: the common base of the PGlite and node-postgres
 * databases, so every query is written once for both.
 */
export type Db = PgDatabase<PgQueryResultHKT>;

/** An open database: the handle, and how to let go of it. */
export interface Database {
  readonly driver: 'pglite' | 'postgres';
  readonly db: Db;
  close(): Promise<void>;
}
