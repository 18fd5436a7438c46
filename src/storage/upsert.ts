import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';

/**
 * INSERT … ON CONFLICT (<target>) DO UPDATE, for a conflict target that is an expression index
 * such as (account_id, lower(name)). Drizzle's onConflictDoUpdate only takes plain columns.
 * Values go through each column's own encoder (jsonb, timestamptz) as in a Drizzle insert.
 * Columns named in `keep` keep their stored value when the row exists (ids, creation times,
 * the name's original casing).
 */
export function upsertOn<T extends PgTable>(
  table: T,
  row: { [K in keyof T['$inferInsert']]-?: T['$inferInsert'][K] | null },
  target: SQL,
  keep: ReadonlyArray<keyof T['$inferInsert'] & string>,
): SQL {
  const columns = getTableColumns(table);
  const entries = Object.entries(row).map(([key, value]) => {
    const column = columns[key];
    if (column === undefined) throw new Error(`${key} is not a column of this table`);
    return { key, name: sql.identifier(column.name), value: sql.param(value, column) };
  });
  const updates = entries
    .filter((e) => !keep.includes(e.key as keyof T['$inferInsert'] & string))
    .map((e) => sql`${e.name} = excluded.${e.name}`);
  return sql`insert into ${table} (${sql.join(
    entries.map((e) => e.name),
    sql`, `,
  )}) values (${sql.join(
    entries.map((e) => e.value),
    sql`, `,
  )}) on conflict ${target} do update set ${sql.join(updates, sql`, `)}`;
}
