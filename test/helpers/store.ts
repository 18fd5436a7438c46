// The databases a storage-backed test suite runs on: PGlite in memory always, and PostgreSQL
// when DATABASE_URL is set. Use with describe.each:
//
//   describe.each(storeBackends())('accounts on $name', (backend) => {
//     let store: Store;
//     beforeAll(async () => { store = await backend.open(); });
//     afterAll(() => backend.cleanup());
//     …
//   });
//
// On PostgreSQL each call of storeBackends() (one per test file) gets a fresh random schema,
// dropped by cleanup(), so runs and files never see each other's rows. Every open() of one
// backend shares that schema (a second open() is a restart); on PGlite every open() is a new
// empty database unless a dataDir is passed.

import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Account, Deployment } from '../../src/core/resources.js';
import type { Store } from '../../src/core/store.js';
import { openStore, type StoreOptions } from '../../src/storage/index.js';

export interface StoreBackend {
  readonly name: 'pglite' | 'postgres';
  /** The options open() uses; a test may override any of them. */
  readonly options: StoreOptions;
  open(overrides?: Partial<StoreOptions>): Promise<Store>;
  /** Closes every store this backend opened and drops its schema. Call in afterAll. */
  cleanup(): Promise<void>;
}

/** A random master key (base64 of 32 bytes), as the encryption key setting takes it. */
export function randomEncryptionKey(): string {
  return randomBytes(32).toString('base64');
}

export function storeBackends(): StoreBackend[] {
  const backends = [backend('pglite', { dataDir: ':memory:', encryptionKey: randomEncryptionKey() })];
  const url = process.env.DATABASE_URL;
  if (url !== undefined && url !== '') {
    const schema = `lapis_test_${randomBytes(6).toString('hex')}`;
    backends.push(
      backend('postgres', { databaseUrl: url, schema, dataDir: ':memory:', encryptionKey: randomEncryptionKey() }, () =>
        dropSchema(url, schema),
      ),
    );
  }
  return backends;
}

function backend(
  name: StoreBackend['name'],
  options: StoreOptions,
  dropData: () => Promise<void> = async () => undefined,
): StoreBackend {
  const opened: Store[] = [];
  return {
    name,
    options,
    async open(overrides = {}) {
      const store = await openStore({ ...options, ...overrides });
      opened.push(store);
      return store;
    },
    async cleanup() {
      await Promise.all(opened.splice(0).map((store) => store.close()));
      await dropData();
    },
  };
}

/** Drops a test schema with everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await client.end();
  }
}

/** An account with unique names (tests share a database), overridable field by field. */
export function sampleAccount(overrides: Partial<Account> = {}): Account {
  const now = new Date();
  return {
    id: randomUUID(),
    subscriptionId: randomUUID(),
    resourceGroup: 'rg-test',
    name: `acct-${randomBytes(4).toString('hex')}`,
    location: 'westeurope',
    kind: 'OpenAI',
    sku: { name: 'S0' },
    tags: {},
    properties: {},
    provisioningState: 'Succeeded',
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

export function sampleDeployment(accountId: string, overrides: Partial<Deployment> = {}): Deployment {
  const now = new Date();
  return {
    id: randomUUID(),
    accountId,
    name: `dep-${randomBytes(4).toString('hex')}`,
    sku: { name: 'Standard', capacity: 10 },
    properties: { model: { format: 'OpenAI', name: 'gpt-4o-mini', version: '2024-07-18' } },
    backend: { kind: 'llama', modelPath: '/models/stories260K.gguf' },
    provisioningState: 'Succeeded',
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}
