// Role assignments as stored. Scopes keep the casing they were written with and are matched
// without regard to case, on whole path segments. The database holds one grant of a role to a
// principal at a scope (unique index): a second one under another id makes upsert throw, and
// the control plane answers RoleAssignmentExists before it gets that far.

import { asc, eq, inArray, or, sql } from 'drizzle-orm';
import type { RoleAssignment } from '../core/identity.js';
import type { RoleAssignmentRepository } from '../core/store.js';
import type { Db } from './db.js';
import { roleAssignments } from './schema.js';

type Row = typeof roleAssignments.$inferSelect;

/** LIKE treats % and _ as wildcards; resource group names may contain _. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export function roleAssignmentRepository(db: Db): RoleAssignmentRepository {
  const ordered = () => [asc(sql`lower(${roleAssignments.scope})`), asc(roleAssignments.createdAt), asc(roleAssignments.id)];

  return {
    async upsert(assignment) {
      const { id, createdAt, ...rest } = toRow(assignment);
      // A replaced assignment keeps its creation time, as ARM's createdOn does.
      await db
        .insert(roleAssignments)
        .values({ id, createdAt, ...rest })
        .onConflictDoUpdate({ target: roleAssignments.id, set: rest });
    },

    async get(id) {
      const [row] = await db.select().from(roleAssignments).where(eq(roleAssignments.id, id)).limit(1);
      return row === undefined ? undefined : fromRow(row);
    },

    async listUnder(scope) {
      const base = scope?.replace(/\/+$/, '');
      // No scope, or the root '/': every assignment.
      if (base === undefined || base === '') {
        return (await db.select().from(roleAssignments).orderBy(...ordered())).map(fromRow);
      }
      // The scope itself, or a path below it on a segment boundary: '/rg' covers '/rg/x', not '/rg2'.
      const rows = await db
        .select()
        .from(roleAssignments)
        .where(
          or(
            sql`lower(${roleAssignments.scope}) = lower(${base})`,
            sql`lower(${roleAssignments.scope}) like lower(${escapeLike(base)}) || '/%' escape '\\'`,
          ),
        )
        .orderBy(...ordered());
      return rows.map(fromRow);
    },

    async listForPrincipals(principalIds) {
      if (principalIds.length === 0) return [];
      const rows = await db
        .select()
        .from(roleAssignments)
        .where(inArray(roleAssignments.principalId, [...new Set(principalIds)]))
        .orderBy(...ordered());
      return rows.map(fromRow);
    },

    async delete(id) {
      const deleted = await db.delete(roleAssignments).where(eq(roleAssignments.id, id)).returning({ id: roleAssignments.id });
      return deleted.length > 0;
    },
  };
}

function toRow(a: RoleAssignment): Row {
  return {
    id: a.id,
    scope: a.scope,
    roleDefinitionId: a.roleDefinitionId,
    principalId: a.principalId,
    principalType: a.principalType,
    description: a.description ?? null,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  };
}

function fromRow(row: Row): RoleAssignment {
  const { description, ...rest } = row;
  return description === null ? rest : { ...rest, description };
}
