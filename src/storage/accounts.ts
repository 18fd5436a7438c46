import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Account, AccountRef } from '../core/resources.js';
import type { AccountListFilter, AccountRepository } from '../core/store.js';
import type { Db } from './db.js';
import { accounts } from './schema.js';
import { upsertOn } from './upsert.js';

type Row = typeof accounts.$inferSelect;

/** ARM compares subscription ids, resource group and account names without regard to case. */
const same = (column: AnyPgColumn, value: string): SQL => sql`lower(${column}) = lower(${value})`;

const byRef = (ref: AccountRef): SQL | undefined =>
  and(
    same(accounts.subscriptionId, ref.subscriptionId),
    same(accounts.resourceGroup, ref.resourceGroup),
    same(accounts.name, ref.name),
  );

export function accountRepository(db: Db): AccountRepository {
  const one = async (where: SQL | undefined): Promise<Account | undefined> => {
    const [row] = await db.select().from(accounts).where(where).limit(1);
    return row === undefined ? undefined : toAccount(row);
  };

  return {
    async upsert(account) {
      // An existing account keeps its id (keys and deployments point at it), its creation time
      // and the casing of its name: a PUT that differs only in case updates it, as ARM does.
      await db.execute(
        upsertOn(
          accounts,
          toRow(account),
          sql`(lower(subscription_id), lower(resource_group), lower(name))`,
          ['id', 'subscriptionId', 'resourceGroup', 'name', 'createdAt'],
        ),
      );
    },

    get: (ref) => one(byRef(ref)),

    getById: (id) => one(eq(accounts.id, id)),

    async list(filter: AccountListFilter) {
      const rows = await db
        .select()
        .from(accounts)
        .where(
          and(
            same(accounts.subscriptionId, filter.subscriptionId),
            filter.resourceGroup === undefined ? undefined : same(accounts.resourceGroup, filter.resourceGroup),
          ),
        )
        .orderBy(asc(sql`lower(${accounts.resourceGroup})`), asc(sql`lower(${accounts.name})`));
      return rows.map(toAccount);
    },

    findBySubdomain(subdomain) {
      const value = sql`${accounts.properties} ->> 'customSubDomainName'`;
      // The "is not null" lets the planner use the partial unique index on this expression.
      return one(and(sql`${value} is not null`, sql`lower(${value}) = lower(${subdomain})`));
    },

    async delete(ref) {
      // Keys and deployments go with it (on delete cascade).
      const deleted = await db.delete(accounts).where(byRef(ref)).returning({ id: accounts.id });
      return deleted.length > 0;
    },
  };
}

function toRow(a: Account): { [K in keyof Row]: Row[K] } {
  return {
    id: a.id,
    subscriptionId: a.subscriptionId,
    resourceGroup: a.resourceGroup,
    name: a.name,
    location: a.location,
    kind: a.kind,
    sku: a.sku,
    tags: a.tags,
    identity: a.identity ?? null,
    properties: a.properties,
    provisioningState: a.provisioningState,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

function toAccount(row: Row): Account {
  const { identity, ...rest } = row;
  return identity === null ? rest : { ...rest, identity };
}
