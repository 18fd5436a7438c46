import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account } from '../core/resources.js';
import type { Store } from '../core/store.js';
import { randomEncryptionKey, sampleAccount, storeBackends } from '../../test/helpers/store.js';
import { AesGcmCipher, SecretOpenError } from './encryption.js';
import { drizzleOf } from './index.js';

const newKey = () => randomBytes(16).toString('hex');

describe.each(storeBackends())('keys on $name', (backend) => {
  let store: Store;
  const rows = async (query: string) =>
    ((await drizzleOf(store).execute(sql.raw(query))) as unknown as { rows: Record<string, unknown>[] }).rows;
  const withAccount = async (): Promise<Account> => {
    const account = sampleAccount();
    await store.accounts.upsert(account);
    return account;
  };

  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(() => backend.cleanup());

  it('stores both keys, lists them and finds their owner', async () => {
    const account = await withAccount();
    const [key1, key2] = [newKey(), newKey()];
    await store.keys.set(account.id, 'key1', key1);
    await store.keys.set(account.id, 'key2', key2);
    expect(await store.keys.list(account.id)).toEqual({ key1, key2 });
    expect(await store.keys.findByKey(key1)).toEqual({ accountId: account.id, keyName: 'key1' });
    expect(await store.keys.findByKey(key2)).toEqual({ accountId: account.id, keyName: 'key2' });
    expect(await store.keys.findByKey(newKey())).toBeUndefined();
    expect(await store.keys.findByKey('')).toBeUndefined();
  });

  it('has no keys to list for an account without both', async () => {
    const account = await withAccount();
    expect(await store.keys.list(account.id)).toBeUndefined();
    await store.keys.set(account.id, 'key1', newKey());
    expect(await store.keys.list(account.id)).toBeUndefined();
  });

  it('regenerating a key replaces it: the old one is no longer found', async () => {
    const account = await withAccount();
    const [old1, key2, new1] = [newKey(), newKey(), newKey()];
    await store.keys.set(account.id, 'key1', old1);
    await store.keys.set(account.id, 'key2', key2);
    await store.keys.set(account.id, 'key1', new1);
    expect(await store.keys.findByKey(old1)).toBeUndefined();
    expect(await store.keys.findByKey(new1)).toEqual({ accountId: account.id, keyName: 'key1' });
    expect(await store.keys.list(account.id)).toEqual({ key1: new1, key2 });
  });

  it('never writes the plain key to the database: a sealed copy and a sha-256 only', async () => {
    const account = await withAccount();
    const key = newKey();
    await store.keys.set(account.id, 'key1', key);
    const [row] = await rows(`select * from account_keys where account_id = '${account.id}'`);
    const everything = JSON.stringify(await rows('select * from account_keys'));
    expect(everything).not.toContain(key);
    expect(everything).not.toContain(Buffer.from(key).toString('base64'));
    expect(row?.key_hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(row?.sealed).toMatch(/^v1\.[0-9a-f]{16}\.[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('a sealed key copied into another account does not open there', async () => {
    const [a, b] = [await withAccount(), await withAccount()];
    for (const account of [a, b]) {
      await store.keys.set(account.id, 'key1', newKey());
      await store.keys.set(account.id, 'key2', newKey());
    }
    await rows(
      `update account_keys set sealed = (select sealed from account_keys where account_id = '${a.id}' and key_name = 'key1')
       where account_id = '${b.id}' and key_name = 'key1'`,
    );
    await expect(store.keys.list(b.id)).rejects.toThrow(SecretOpenError);
  });

  it('a key sealed under another master key fails with a clear error', async () => {
    const account = await withAccount();
    await store.keys.set(account.id, 'key1', newKey());
    await store.keys.set(account.id, 'key2', newKey());
    const other = new AesGcmCipher(Buffer.from(randomEncryptionKey(), 'base64'));
    const foreign = await other.seal(newKey(), `account_keys/${account.id}/key2`);
    await rows(`update account_keys set sealed = '${foreign}' where account_id = '${account.id}' and key_name = 'key2'`);
    const failure = store.keys.list(account.id);
    await expect(failure).rejects.toThrow(SecretOpenError);
    await expect(failure).rejects.toThrow(`sealed with master key ${other.keyId}`);
  });
});
