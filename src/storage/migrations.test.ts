import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchema, randomEncryptionKey, sampleAccount, storeBackends } from '../../test/helpers/store.js';
import type { Db } from './db.js';
import { drizzleOf, openStore, SecretOpenError } from './index.js';
import { migrate } from './migrator.js';
import { migrations } from './migrations/index.js';

const rows = async (db: Db, query: string) =>
  ((await db.execute(sql.raw(query))) as unknown as { rows: Record<string, unknown>[] }).rows;

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lapis-store-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe.each(storeBackends())('migrations on $name', (backend) => {
  afterAll(() => backend.cleanup());
  // A second open() must see the first one's database: PGlite needs a directory for that.
  let persistent: { dataDir?: string } = {};
  const open = async (overrides = {}) => {
    if (backend.name === 'pglite' && persistent.dataDir === undefined) persistent = { dataDir: await tempDir() };
    return backend.open({ ...persistent, ...overrides });
  };

  it('applies each migration once: a restart keeps the data and applies nothing', async () => {
    const first = await open();
    const account = sampleAccount();
    await first.accounts.upsert(account);
    await first.keys.set(account.id, 'key1', 'restart-key-1');
    await first.keys.set(account.id, 'key2', 'restart-key-2');
    await first.close();

    const second = await open();
    expect(await second.accounts.get(account)).toEqual(account);
    expect(await second.keys.list(account.id)).toEqual({ key1: 'restart-key-1', key2: 'restart-key-2' });
    expect(await migrate(drizzleOf(second))).toEqual([]);
    const applied = await rows(drizzleOf(second), 'select version, name from lapis_migrations order by version');
    expect(applied).toEqual(migrations.map((m) => ({ version: m.version, name: m.name })));
    await second.close();
  });

  it('rolls a failing migration back whole', async () => {
    const store = await open();
    const db = drizzleOf(store);
    const broken = { version: 9001, name: 'broken', statements: ['create table broken_probe (x int)', 'select * from no_such_table'] };
    await expect(migrate(db, [...migrations, broken])).rejects.toThrow();
    expect(await rows(db, `select to_regclass('broken_probe') as t`)).toEqual([{ t: null }]);
    expect(await rows(db, 'select count(*)::int as n from lapis_migrations where version = 9001')).toEqual([{ n: 0 }]);
    await store.close();
  });

  it('refuses to start with another master key, saying so', async () => {
    await (await open()).close();
    const failure = open({ encryptionKey: randomEncryptionKey() });
    await expect(failure).rejects.toThrow(SecretOpenError);
    await expect(failure).rejects.toThrow(/master key \(id [0-9a-f]{16}\) is not the one this database was created with/);
  });

  // Two PGlite instances on one directory would overwrite each other's pages.
  it.runIf(backend.name === 'pglite')('refuses to open a PGlite directory twice in one process', async () => {
    const store = await open();
    await expect(open()).rejects.toThrow(/already open in this process/);
    await store.close();
  });

  // Last: it leaves the database at a version no store here opens again.
  it('refuses a database migrated by a newer Lapis', async () => {
    const before = await open();
    await rows(drizzleOf(before), `insert into lapis_migrations (version, name) values (9999, 'from the future')`);
    await before.close();
    await expect(open()).rejects.toThrow(/schema is at version 9999, newer than this Lapis knows/);
  });
});

describe('PGlite in a data directory', () => {
  it('creates master.key beside its files and opens both again after a restart', async () => {
    const dataDir = await tempDir();
    const first = await openStore({ dataDir });
    const account = sampleAccount();
    await first.accounts.upsert(account);
    await first.keys.set(account.id, 'key1', 'k1');
    await first.keys.set(account.id, 'key2', 'k2');
    await first.close();
    expect((await stat(join(dataDir, 'master.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'pglite'))).isDirectory()).toBe(true);

    const second = await openStore({ dataDir });
    expect(await second.keys.list(account.id)).toEqual({ key1: 'k1', key2: 'k2' });
    await second.close();
  });
});

const url = process.env.DATABASE_URL;
// Only PostgreSQL has several processes on one database; a PGlite directory has one owner.
describe.skipIf(!url)('PostgreSQL started by two processes at once', () => {
  it('migrates once, and both open', async () => {
    const schema = `lapis_test_${randomBytes(6).toString('hex')}`;
    const options = { databaseUrl: url ?? '', schema, dataDir: ':memory:', encryptionKey: randomEncryptionKey() };
    try {
      const stores = await Promise.all([openStore(options), openStore(options), openStore(options)]);
      const [first] = stores;
      expect(await rows(drizzleOf(first!), 'select count(*)::int as n from lapis_migrations')).toEqual([{ n: migrations.length }]);
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await dropSchema(url ?? '', schema);
    }
  });
});
