import { eq } from 'drizzle-orm';
import type { KeyName } from '../core/resources.js';
import type { KeyRepository } from '../core/store.js';
import type { Db } from './db.js';
import { hashSecret, secretsEqual, type SecretCipher } from './encryption.js';
import { accountKeys } from './schema.js';

/** Binds a sealed key to its row: copied into another account's row, it does not open. */
const sealContext = (accountId: string, keyName: KeyName) => `account_keys/${accountId}/${keyName}`;

export function keyRepository(db: Db, cipher: SecretCipher): KeyRepository {
  return {
    async set(accountId, keyName, key) {
      const row = {
        accountId,
        keyName,
        sealed: await cipher.seal(key, sealContext(accountId, keyName)),
        keyHash: hashSecret(key),
        updatedAt: new Date(),
      };
      // Replacing the row replaces the hash too: a regenerated key's old value stops matching.
      await db
        .insert(accountKeys)
        .values(row)
        .onConflictDoUpdate({
          target: [accountKeys.accountId, accountKeys.keyName],
          set: { sealed: row.sealed, keyHash: row.keyHash, updatedAt: row.updatedAt },
        });
    },

    async list(accountId) {
      const rows = await db.select().from(accountKeys).where(eq(accountKeys.accountId, accountId));
      const keys: Partial<Record<KeyName, string>> = {};
      for (const row of rows) keys[row.keyName] = await cipher.open(row.sealed, sealContext(accountId, row.keyName));
      // An account always has both keys; anything less is an account without keys yet.
      return keys.key1 !== undefined && keys.key2 !== undefined ? { key1: keys.key1, key2: keys.key2 } : undefined;
    },

    async findByKey(key) {
      const hash = hashSecret(key);
      const [row] = await db
        .select({ accountId: accountKeys.accountId, keyName: accountKeys.keyName, keyHash: accountKeys.keyHash })
        .from(accountKeys)
        .where(eq(accountKeys.keyHash, hash))
        .limit(1);
      // The index lookup found it; confirm in constant time, so no caller ever depends on how a
      // database compares strings.
      if (row === undefined || !secretsEqual(row.keyHash, hash)) return undefined;
      return { accountId: row.accountId, keyName: row.keyName };
    },
  };
}
