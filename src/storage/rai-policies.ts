import { and, asc, eq, sql } from 'drizzle-orm';
import type { RaiClassifier, RaiPolicy } from '../core/safety.js';
import type { RaiPolicyRepository } from '../core/store.js';
import type { Db } from './db.js';
import type { SecretCipher } from './encryption.js';
import { raiPolicies, type StoredRaiClassifier } from './schema.js';
import { upsertOn } from './upsert.js';

type Row = typeof raiPolicies.$inferSelect;

/** Policy names are unique per account without regard to case, as in ARM. */
const named = (accountId: string, name: string) =>
  and(eq(raiPolicies.accountId, accountId), sql`lower(${raiPolicies.name}) = lower(${name})`);

/** Binds a sealed classifier key to its policy: the id is fixed at creation. */
const sealContext = (policyId: string) => `rai_policies/${policyId}/classifier/key`;

export function raiPolicyRepository(db: Db, cipher: SecretCipher): RaiPolicyRepository {
  async function fromRow(row: Row): Promise<RaiPolicy> {
    const { basePolicyName, classifier, classifierKeySealed, ...rest } = row;
    const policy: RaiPolicy = basePolicyName === null ? rest : { ...rest, basePolicyName };
    if (classifier !== null) {
      policy.classifier = (
        classifierKeySealed === null ? classifier : { ...classifier, key: await cipher.open(classifierKeySealed, sealContext(row.id)) }
      ) as RaiClassifier;
    }
    return policy;
  }

  return {
    async upsert(policy) {
      const key = policy.classifier && 'key' in policy.classifier ? policy.classifier.key : undefined;
      const row = { ...toRow(policy), classifierKeySealed: key === undefined ? null : await cipher.seal(key, sealContext(policy.id)) };
      // A replaced policy keeps its id, creation time and the casing of its name.
      await db.execute(upsertOn(raiPolicies, row, sql`(account_id, lower(name))`, ['id', 'accountId', 'name', 'createdAt']));
    },

    async get(accountId, name) {
      const [row] = await db.select().from(raiPolicies).where(named(accountId, name)).limit(1);
      return row === undefined ? undefined : fromRow(row);
    },

    async list(accountId) {
      const rows = await db
        .select()
        .from(raiPolicies)
        .where(eq(raiPolicies.accountId, accountId))
        .orderBy(asc(sql`lower(${raiPolicies.name})`));
      return Promise.all(rows.map(fromRow));
    },

    async delete(accountId, name) {
      const deleted = await db.delete(raiPolicies).where(named(accountId, name)).returning({ id: raiPolicies.id });
      return deleted.length > 0;
    },
  };
}

function withoutKey(c: RaiClassifier): StoredRaiClassifier {
  if (c.type !== 'ContentSafety') return c;
  const { key: _key, ...rest } = c;
  return rest;
}

function toRow(p: RaiPolicy): Omit<Row, 'classifierKeySealed'> {
  return {
    id: p.id,
    accountId: p.accountId,
    name: p.name,
    basePolicyName: p.basePolicyName ?? null,
    mode: p.mode,
    contentFilters: p.contentFilters,
    customBlocklists: p.customBlocklists,
    classifier: p.classifier === undefined ? null : withoutKey(p.classifier),
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}
