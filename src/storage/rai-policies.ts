import { and, asc, eq, sql } from 'drizzle-orm';
import type { RaiPolicy } from '../core/safety.js';
import type { RaiPolicyRepository } from '../core/store.js';
import type { Db } from './db.js';
import { raiPolicies } from './schema.js';
import { upsertOn } from './upsert.js';

type Row = typeof raiPolicies.$inferSelect;

/** Policy names are unique per account without regard to case, as in ARM. */
const named = (accountId: string, name: string) =>
  and(eq(raiPolicies.accountId, accountId), sql`lower(${raiPolicies.name}) = lower(${name})`);

export function raiPolicyRepository(db: Db): RaiPolicyRepository {
  return {
    async upsert(policy) {
      // A replaced policy keeps its id, creation time and the casing of its name.
      await db.execute(upsertOn(raiPolicies, toRow(policy), sql`(account_id, lower(name))`, ['id', 'accountId', 'name', 'createdAt']));
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
      return rows.map(fromRow);
    },

    async delete(accountId, name) {
      const deleted = await db.delete(raiPolicies).where(named(accountId, name)).returning({ id: raiPolicies.id });
      return deleted.length > 0;
    },
  };
}

function toRow(p: RaiPolicy): { [K in keyof Row]: Row[K] } {
  return {
    id: p.id,
    accountId: p.accountId,
    name: p.name,
    basePolicyName: p.basePolicyName ?? null,
    mode: p.mode,
    contentFilters: p.contentFilters,
    customBlocklists: p.customBlocklists,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

function fromRow(row: Row): RaiPolicy {
  const { basePolicyName, ...rest } = row;
  return basePolicyName === null ? rest : { ...rest, basePolicyName };
}
