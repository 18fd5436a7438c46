import { eq } from 'drizzle-orm';
import type { Operation } from '../core/resources.js';
import type { OperationRepository } from '../core/store.js';
import type { Db } from './db.js';
import { operations } from './schema.js';

type Row = typeof operations.$inferSelect;

export function operationRepository(db: Db): OperationRepository {
  return {
    async upsert(operation) {
      const { id, ...rest } = toRow(operation);
      await db
        .insert(operations)
        .values({ id, ...rest })
        .onConflictDoUpdate({ target: operations.id, set: rest });
    },

    async get(id) {
      const [row] = await db.select().from(operations).where(eq(operations.id, id)).limit(1);
      return row === undefined ? undefined : toOperation(row);
    },
  };
}

function toRow(o: Operation): Row {
  return {
    id: o.id,
    resourceId: o.resourceId,
    status: o.status,
    error: o.error ?? null,
    startTime: o.startTime,
    endTime: o.endTime ?? null,
  };
}

function toOperation(row: Row): Operation {
  const operation: Operation = { id: row.id, resourceId: row.resourceId, status: row.status, startTime: row.startTime };
  if (row.error !== null) operation.error = row.error;
  if (row.endTime !== null) operation.endTime = row.endTime;
  return operation;
}
