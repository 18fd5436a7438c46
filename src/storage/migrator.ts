// Applies the hand-written migrations in migrations/ at start. All pending ones run in one
// transaction: a failure leaves the database as it was, never half-migrated.

import { sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { migrations as allMigrations, type Migration } from './migrations/index.js';
import { lapisMigrations } from './schema.js';

/** First half of the advisory lock key: 'Lapi' in ASCII, so it does not collide with others. */
const LOCK_CLASS = 0x4c617069;

/** Applies every migration the database lacks; returns the versions it applied. */
export async function migrate(db: Db, migrations: readonly Migration[] = allMigrations): Promise<number[]> {
  checkOrder(migrations);
  return db.transaction(async (tx) => {
    // Two processes starting at once on one PostgreSQL: the second waits here until the first
    // commits, then finds nothing left to do. The key includes the schema, so runs in different
    // schemas do not wait on each other; the lock ends with the transaction.
    await tx.execute(sql.raw(`select pg_advisory_xact_lock(${LOCK_CLASS}, hashtext(current_schema()))`));
    await tx.execute(
      sql.raw(`create table if not exists lapis_migrations (
        version integer primary key,
        name text not null,
        applied_at timestamptz not null default now()
      )`),
    );
    const rows = await tx.select({ version: lapisMigrations.version }).from(lapisMigrations);
    const done = new Set(rows.map((r) => r.version));
    const known = migrations.at(-1)?.version ?? 0;
    const ahead = [...done].filter((v) => v > known);
    if (ahead.length > 0) {
      // An older Lapis on a newer schema would read and write rows it does not understand.
      throw new Error(
        `The database schema is at version ${Math.max(...ahead)}, newer than this Lapis knows (${known}). ` +
          'Run the Lapis version that migrated it, or a newer one.',
      );
    }
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.statements) await tx.execute(sql.raw(statement));
      await tx.insert(lapisMigrations).values({ version: migration.version, name: migration.name });
      applied.push(migration.version);
    }
    return applied;
  });
}

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    const previous = migrations[i - 1];
    if (previous !== undefined && m.version <= previous.version) {
      throw new Error(`Migration ${m.version} (${m.name}) is out of order: it follows ${previous.version}.`);
    }
  });
}
