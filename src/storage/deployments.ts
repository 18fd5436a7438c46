import { and, asc, eq, sql } from 'drizzle-orm';
import { BACKEND_SECRET_FIELDS, type BackendSpec, type Deployment, type PoolMemberBackendSpec } from '../core/resources.js';
import type { DeploymentRepository } from '../core/store.js';
import type { Db } from './db.js';
import type { SecretCipher } from './encryption.js';
import { deployments } from './schema.js';
import { upsertOn } from './upsert.js';

type Row = typeof deployments.$inferSelect;

/** Deployment names are unique per account without regard to case, as in ARM. */
const named = (accountId: string, name: string) =>
  and(eq(deployments.accountId, accountId), sql`lower(${deployments.name}) = lower(${name})`);

/** Binds a sealed backend secret to its deployment and field (`…/backend/apiKey`, `…/backend/members/{name}/apiKey`). */
const sealContext = (deploymentId: string) => `deployments/${deploymentId}/backend`;

type Secrets = Partial<Record<(typeof BACKEND_SECRET_FIELDS)[number], string>>;

/** Applies `f` to every secret of a backend spec, a pool's members' included. */
async function mapSecrets(spec: BackendSpec, context: string, f: (value: string, context: string) => Promise<string>): Promise<BackendSpec> {
  const backend = { ...spec } as BackendSpec & Secrets;
  for (const field of BACKEND_SECRET_FIELDS) {
    const value = backend[field];
    if (value !== undefined) backend[field] = await f(value, `${context}/${field}`);
  }
  if (backend.kind === 'pool') {
    const members = backend.members.map(async (m) => ({ ...m, backend: (await mapSecrets(m.backend, `${context}/members/${m.name}`, f)) as PoolMemberBackendSpec }));
    backend.members = await Promise.all(members);
  }
  return backend;
}

export function deploymentRepository(db: Db, cipher: SecretCipher): DeploymentRepository {
  // Upstream credentials in a backend spec are sealed like account keys; nothing else is.
  const sealBackend = (d: Deployment): Promise<BackendSpec> => mapSecrets(d.backend, sealContext(d.id), (v, c) => cipher.seal(v, c));
  async function openBackend(row: Row): Promise<Row> {
    return { ...row, backend: await mapSecrets(row.backend, sealContext(row.id), (v, c) => cipher.open(v, c)) };
  }
  const toDeployment = async (row: Row) => fromRow(await openBackend(row));

  return {
    async upsert(deployment) {
      // An existing deployment keeps its id, creation time and the casing of its name. The
      // id is fixed at creation, so the seal context of its secrets never changes.
      await db.execute(
        upsertOn(deployments, { ...toRow(deployment), backend: await sealBackend(deployment) }, sql`(account_id, lower(name))`, [
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
      return Promise.all(rows.map(toDeployment));
    },

    async listAll() {
      const rows = await db
        .select()
        .from(deployments)
        .orderBy(asc(deployments.accountId), asc(sql`lower(${deployments.name})`));
      return Promise.all(rows.map(toDeployment));
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

function fromRow(row: Row): Deployment {
  const { provisioningError, ...rest } = row;
  return provisioningError === null ? rest : { ...rest, provisioningError };
}
