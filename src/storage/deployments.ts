import { and, asc, eq, sql } from 'drizzle-orm';
import type { Deployment } from '../core/resources.js';
import type { DeploymentRepository } from '../core/store.js';
import type { Db } from './db.js';
import { deployments } from './schema.js';
import { upsertOn } from './upsert.js';

type Row = typeof deployments.$inferSelect;

/** Deployment names are unique per account without regard to case, as in ARM. */
const named = (accountId: string, name: string) =>
  and(eq(deployments.accountId, accountId), sql`lower(${deployments.name}) = lower(${name})`);

export function deploymentRepository(db: Db): DeploymentRepository {
  return {
    async upsert(deployment) {
      // An existing deployment keeps its id, creation time and the casing of its name.
      await db.execute(
        upsertOn(deployments, toRow(deployment), sql`(account_id, lower(name))`, [
          'id',
          'accountId',
          'name',
          'createdAt',
        ]),
      );
    },

    async get(accountId, name) {
      const [row] = await db.select().from(deployments).where(named(accountId, name)).limit(1);
      return row === undefined ? undefined : toDeployment(row);
    },

    async list(accountId) {
      const rows = await db
        .select()
        .from(deployments)
        .where(eq(deployments.accountId, accountId))
        .orderBy(asc(sql`lower(${deployments.name})`));
      return rows.map(toDeployment);
    },

    async listAll() {
      const rows = await db
        .select()
        .from(deployments)
        .orderBy(asc(deployments.accountId), asc(sql`lower(${deployments.name})`));
      return rows.map(toDeployment);
    },

    async delete(accountId, name) {
      const deleted = await db.delete(deployments).where(named(accountId, name)).returning({ id: deployments.id });
      return deleted.length > 0;
    },
  };
}

function toRow(d: Deployment): { [K in keyof Row]: Row[K] } {
  return {
    id: d.id,
    accountId: d.accountId,
    name: d.name,
    sku: d.sku,
    properties: d.properties,
    backend: d.backend,
    provisioningState: d.provisioningState,
    provisioningError: d.provisioningError ?? null,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

function toDeployment(row: Row): Deployment {
  const { provisioningError, ...rest } = row;
  return provisioningError === null ? rest : { ...rest, provisioningError };
}
