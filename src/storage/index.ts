// The storage module's entry: openStore picks the driver (PGlite in <dataDir>/pglite, in memory
// for ':memory:', or PostgreSQL when a URL is given), applies migrations, loads the master key
// and hands back the Store port. Only app.ts/main.ts (and tests) call it.

import { eq, sql } from 'drizzle-orm';
import type { Store } from '../core/store.js';
import { accountRepository } from './accounts.js';
import type { Database, Db } from './db.js';
import { deploymentRepository } from './deployments.js';
import { openPglite } from './drivers/pglite.js';
import { openPostgres } from './drivers/postgres.js';
import { AesGcmCipher, SecretOpenError, type SecretCipher } from './encryption.js';
import { keyRepository } from './keys.js';
import { loadMasterKey } from './master-key.js';
import { migrate } from './migrator.js';
import { operationRepository } from './operations.js';
import { translateFailure, withOutageTranslation } from './outage.js';
import { raiBlocklistRepository } from './rai-blocklists.js';
import { raiPolicyRepository } from './rai-policies.js';
import { roleAssignmentRepository } from './role-assignments.js';
import { lapisMeta } from './schema.js';

export { SecretOpenError, type SecretCipher } from './encryption.js';
export type { Db } from './db.js';

export interface StoreOptions {
  /** postgres://… to use PostgreSQL; without it, PGlite in <dataDir>/pglite. */
  databaseUrl?: string;
  /** Lapis's data directory (PGlite files, master.key), or ':memory:' for neither. */
  dataDir: string;
  /** PostgreSQL schema for Lapis's tables, created if missing. */
  schema?: string;
  /** Master key, base64 of 32 bytes. Without it, <dataDir>/master.key (created on first use). */
  encryptionKey?: string;
  /** PostgreSQL: how long a query waits for a connection during an outage. Default 3000. */
  connectionTimeoutMillis?: number;
  /** PostgreSQL: failures of idle connections, which no request sees (for the log). */
  onBackgroundError?: (error: Error) => void;
}

export const DEFAULT_CONNECTION_TIMEOUT_MILLIS = 3_000;

const databases = new WeakMap<Store, Db>();

export async function openStore(options: StoreOptions): Promise<Store> {
  const { databaseUrl, dataDir, schema } = options;
  if (schema !== undefined && databaseUrl === undefined) {
    throw new Error('A schema applies to PostgreSQL only (with a database URL); PGlite keeps its own database.');
  }
  // The key first: a bad key file is reported before the (slower) database open.
  const key = await loadMasterKey({
    dataDir,
    persistent: databaseUrl !== undefined || dataDir !== ':memory:',
    encryptionKey: options.encryptionKey,
  });
  const cipher = new AesGcmCipher(key);
  let database: Database | undefined;
  try {
    database =
      databaseUrl === undefined
        ? await openPglite(dataDir)
        : await openPostgres({
            url: databaseUrl,
            schema,
            connectionTimeoutMillis: options.connectionTimeoutMillis ?? DEFAULT_CONNECTION_TIMEOUT_MILLIS,
            onBackgroundError: options.onBackgroundError,
          });
    await migrate(database.db);
    await checkMasterKey(database.db, cipher);
  } catch (error) {
    await database?.close().catch(() => undefined);
    throw translateFailure(error);
  }
  return createStore(database, cipher);
}

/**
 * The Drizzle handle behind a store, for tests that inspect raw rows and for maintenance
 * tools. Application code uses the repositories.
 */
export function drizzleOf(store: Store): Db {
  const db = databases.get(store);
  if (db === undefined) throw new Error('This store was not opened by openStore.');
  return db;
}

function createStore(database: Database, cipher: SecretCipher): Store {
  const { db } = database;
  let closing: Promise<void> | undefined;
  const store: Store = {
    accounts: withOutageTranslation(accountRepository(db)),
    keys: withOutageTranslation(keyRepository(db, cipher)),
    deployments: withOutageTranslation(deploymentRepository(db, cipher)),
    operations: withOutageTranslation(operationRepository(db)),
    roleAssignments: withOutageTranslation(roleAssignmentRepository(db)),
    raiPolicies: withOutageTranslation(raiPolicyRepository(db, cipher)),
    raiBlocklists: withOutageTranslation(raiBlocklistRepository(db)),
    async ping() {
      try {
        await db.execute(sql`select 1`);
      } catch (error) {
        throw translateFailure(error);
      }
    },
    // Closing twice is harmless (a pool refuses a second end()).
    close: () => (closing ??= database.close()),
  };
  databases.set(store, db);
  return store;
}

const KEY_CHECK = 'master_key_check';

/**
 * The first start seals a known value; every later start must open it. A wrong key thus stops
 * the start, instead of failing later on listKeys, and before it seals new keys next to old ones
 * that no single key could then open.
 */
async function checkMasterKey(db: Db, cipher: SecretCipher): Promise<void> {
  const mine = await cipher.seal(KEY_CHECK, KEY_CHECK);
  // Do nothing on conflict: when two processes start at once, the first row stands.
  await db.insert(lapisMeta).values({ key: KEY_CHECK, value: mine }).onConflictDoNothing();
  const [row] = await db.select().from(lapisMeta).where(eq(lapisMeta.key, KEY_CHECK));
  if (row === undefined) throw new Error(`${KEY_CHECK} vanished from lapis_meta while starting.`);
  try {
    await cipher.open(row.value, KEY_CHECK);
  } catch (cause) {
    const stored = row.value.split('.')[1] ?? 'unknown';
    throw new SecretOpenError(
      `The master key (id ${cipher.keyId}) is not the one this database was created with (id ${stored}), so the ` +
        'account keys it holds cannot be opened. Configure that key (the encryption key setting, or ' +
        'the master.key file of the data directory it was created with).',
      { cause },
    );
  }
}

export { cachedStore } from './cached-store.js';
