import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { RaiBlocklist, RaiBlocklistItem } from '../core/safety.js';
import type { RaiBlocklistRepository } from '../core/store.js';
import type { Db } from './db.js';
import { raiBlocklistItems, raiBlocklists } from './schema.js';
import { upsertOn } from './upsert.js';

type Row = typeof raiBlocklists.$inferSelect;

/** Blocklist names are unique per account, item names per blocklist, without regard to case. */
const named = (accountId: string, name: string) =>
  and(eq(raiBlocklists.accountId, accountId), sql`lower(${raiBlocklists.name}) = lower(${name})`);

export function raiBlocklistRepository(db: Db): RaiBlocklistRepository {
  const itemsOf = async (ids: string[]): Promise<Map<string, RaiBlocklistItem[]>> => {
    const byList = new Map<string, RaiBlocklistItem[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return byList;
    const rows = await db
      .select()
      .from(raiBlocklistItems)
      .where(inArray(raiBlocklistItems.blocklistId, ids))
      .orderBy(asc(sql`lower(${raiBlocklistItems.name})`));
    for (const r of rows) byList.get(r.blocklistId)!.push({ name: r.name, pattern: r.pattern, isRegex: r.isRegex });
    return byList;
  };
  const idOf = async (accountId: string, name: string): Promise<string | undefined> => {
    const [row] = await db.select({ id: raiBlocklists.id }).from(raiBlocklists).where(named(accountId, name)).limit(1);
    return row?.id;
  };

  return {
    async upsert(blocklist) {
      // A replaced blocklist keeps its id, so its items (which point at the id) stay with it.
      await db.execute(upsertOn(raiBlocklists, toRow(blocklist), sql`(account_id, lower(name))`, ['id', 'accountId', 'name', 'createdAt']));
    },

    async get(accountId, name) {
      const [row] = await db.select().from(raiBlocklists).where(named(accountId, name)).limit(1);
      if (row === undefined) return undefined;
      return fromRow(row, (await itemsOf([row.id])).get(row.id)!);
    },

    async list(accountId) {
      const rows = await db
        .select()
        .from(raiBlocklists)
        .where(eq(raiBlocklists.accountId, accountId))
        .orderBy(asc(sql`lower(${raiBlocklists.name})`));
      const items = await itemsOf(rows.map((r) => r.id));
      return rows.map((r) => fromRow(r, items.get(r.id)!));
    },

    async delete(accountId, name) {
      const deleted = await db.delete(raiBlocklists).where(named(accountId, name)).returning({ id: raiBlocklists.id });
      return deleted.length > 0;
    },

    async upsertItems(accountId, blocklistName, items) {
      // One transaction: a batch add is applied whole or not at all.
      return db.transaction(async (tx) => {
        const [list] = await tx.select({ id: raiBlocklists.id }).from(raiBlocklists).where(named(accountId, blocklistName)).limit(1);
        if (list === undefined) return false;
        for (const item of items) {
          const row = { blocklistId: list.id, name: item.name, pattern: item.pattern, isRegex: item.isRegex };
          // An item replaced under another casing of its name keeps its original name.
          await tx.execute(upsertOn(raiBlocklistItems, row, sql`(blocklist_id, lower(name))`, ['blocklistId', 'name']));
        }
        await tx.update(raiBlocklists).set({ updatedAt: new Date() }).where(eq(raiBlocklists.id, list.id));
        return true;
      });
    },

    async deleteItems(accountId, blocklistName, names) {
      const id = await idOf(accountId, blocklistName);
      if (id === undefined || names.length === 0) return 0;
      const lowered = names.map((n) => n.toLowerCase());
      const deleted = await db
        .delete(raiBlocklistItems)
        .where(and(eq(raiBlocklistItems.blocklistId, id), inArray(sql`lower(${raiBlocklistItems.name})`, lowered)))
        .returning({ name: raiBlocklistItems.name });
      return deleted.length;
    },
  };
}

function toRow(b: Omit<RaiBlocklist, 'items'>): { [K in keyof Row]: Row[K] } {
  return {
    id: b.id,
    accountId: b.accountId,
    name: b.name,
    description: b.description ?? null,
    createdAt: b.createdAt,
    updatedAt: b.updatedAt,
  };
}

function fromRow(row: Row, items: RaiBlocklistItem[]): RaiBlocklist {
  const { description, ...rest } = row;
  return description === null ? { ...rest, items } : { ...rest, description, items };
}
