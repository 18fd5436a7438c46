// Microsoft.CognitiveServices/accounts/raiBlocklists and their raiBlocklistItems: PUT, GET,
// list, DELETE, and the batch actions addRaiBlocklistItems / deleteRaiBlocklistItems
// (RaiBlocklists_BatchAdd / BatchDelete). Shapes as RM 2025-06-01's PutRaiBlocklist and
// PutRaiBlocklistItem examples. Every pattern is checked when written (src/safety/blocklists.ts),
// so the data path never compiles a bad or catastrophic one.

import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Account, AccountRef, RaiBlocklist, RaiBlocklistItem } from '../core/index.js';
import { controlPlaneErrors as errors } from '../errors/index.js';
import { checkBlocklistPattern } from '../safety/blocklists.js';
import { ACCOUNT_PATH } from './accounts.js';
import { PROVIDER, accountId } from './arm.js';
import { isObject, optionalBoolean, optionalString, readObject, requiredString, type Json } from './body.js';
import { requireAccount, type AccountParams, type ControlPlaneContext } from './context.js';
import { checkRaiName } from './rai-policies.js';

export const RAI_BLOCKLIST_TYPE = `${PROVIDER}/accounts/raiBlocklists`;
export const RAI_BLOCKLIST_ITEM_TYPE = `${RAI_BLOCKLIST_TYPE}/raiBlocklistItems`;

/** Items per batch call and per blocklist (Azure's own limits are UNCONFIRMED). */
export const MAX_BATCH_ITEMS = 100;
export const MAX_BLOCKLIST_ITEMS = 10_000;

const blocklistId = (ref: AccountRef, name: string) => `${accountId(ref)}/raiBlocklists/${name}`;

export function raiBlocklistToWire(account: AccountRef, b: RaiBlocklist): Json {
  return {
    id: blocklistId(account, b.name),
    name: b.name,
    type: RAI_BLOCKLIST_TYPE,
    properties: b.description === undefined ? {} : { description: b.description },
    systemData: { createdAt: b.createdAt.toISOString(), lastModifiedAt: b.updatedAt.toISOString() },
  };
}

export function raiBlocklistItemToWire(account: AccountRef, blocklistName: string, item: RaiBlocklistItem): Json {
  return {
    id: `${blocklistId(account, blocklistName)}/raiBlocklistItems/${item.name}`,
    name: item.name,
    type: RAI_BLOCKLIST_ITEM_TYPE,
    properties: { pattern: item.pattern, isRegex: item.isRegex },
  };
}

/** Reads RaiBlocklistItemProperties; `path` is where they sit in the body. */
function readItemProperties(raw: unknown, path: string): Omit<RaiBlocklistItem, 'name'> {
  if (!isObject(raw)) throw errors.invalidResourceProperties(`The property '${path}' is required.`, path);
  const p = readObject(raw, path, 'RaiBlocklistItemProperties', ['pattern', 'isRegex']);
  const pattern = requiredString(p, 'pattern', path);
  const isRegex = optionalBoolean(p, 'isRegex', path) ?? false;
  const problem = checkBlocklistPattern(pattern, isRegex);
  if (problem) throw errors.invalidResourceProperties(`The pattern '${pattern.slice(0, 100)}' is refused. ${problem}`, `${path}.pattern`);
  return { pattern, isRegex };
}

function readBatchAdd(raw: unknown): RaiBlocklistItem[] {
  const entries = readBatch(raw, 'RaiBlocklistItemBulkRequest');
  const items = entries.map((e, i) => {
    const o = readObject(e, `[${i}]`, 'RaiBlocklistItemBulkRequest', ['name', 'properties']);
    const name = requiredString(o, 'name', `[${i}]`);
    checkRaiName(name, 'Blocklist item');
    return { name, ...readItemProperties(o.properties, `[${i}].properties`) };
  });
  checkUnique(items.map((item) => item.name));
  return items;
}

function readBatchDelete(raw: unknown): string[] {
  const names = readBatch(raw, 'String').map((n, i) => {
    if (typeof n !== 'string') throw errors.invalidRequestContent(`Error converting value to type 'String'. Path '[${i}]'.`);
    return n;
  });
  checkUnique(names);
  return names;
}

function readBatch(raw: unknown, typeName: string): unknown[] {
  if (!Array.isArray(raw)) throw errors.invalidRequestContent(`Expected an array of '${typeName}' at path '$'.`);
  if (raw.length === 0 || raw.length > MAX_BATCH_ITEMS) {
    throw errors.invalidResourceProperties(`A batch holds 1 to ${MAX_BATCH_ITEMS} items; this one holds ${raw.length}.`);
  }
  return raw;
}

function checkUnique(names: string[]): void {
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (seen.has(name.toLowerCase())) throw errors.invalidResourceProperties(`The item '${name}' is listed twice.`, `[${i}]`);
    seen.add(name.toLowerCase());
  });
}

export function registerRaiBlocklistRoutes(app: FastifyInstance, ctx: ControlPlaneContext): void {
  type ListParams = AccountParams & { raiBlocklistName: string };
  type ListReq = FastifyRequest<{ Params: ListParams }>;
  type ItemReq = FastifyRequest<{ Params: ListParams & { raiBlocklistItemName: string } }>;
  const collection = `${ACCOUNT_PATH}/raiBlocklists`;
  const path = `${collection}/:raiBlocklistName`;
  const itemPath = `${path}/raiBlocklistItems/:raiBlocklistItemName`;

  async function requireBlocklist(params: ListParams): Promise<{ account: Account; blocklist: RaiBlocklist }> {
    const account = await requireAccount(ctx, params);
    checkRaiName(params.raiBlocklistName, 'Blocklist');
    const blocklist = await ctx.store.raiBlocklists.get(account.id, params.raiBlocklistName);
    if (!blocklist) throw errors.resourceNotFound(RAI_BLOCKLIST_TYPE, `${account.name}/${params.raiBlocklistName}`, account.resourceGroup);
    return { account, blocklist };
  }

  /** Adds or replaces items, refusing to grow the blocklist past MAX_BLOCKLIST_ITEMS. */
  async function addItems(account: Account, blocklist: RaiBlocklist, items: RaiBlocklistItem[]): Promise<RaiBlocklist> {
    const known = new Set(blocklist.items.map((i) => i.name.toLowerCase()));
    const total = known.size + items.filter((i) => !known.has(i.name.toLowerCase())).length;
    if (total > MAX_BLOCKLIST_ITEMS) {
      throw errors.invalidResourceProperties(`The blocklist '${blocklist.name}' would hold ${total} items; the limit is ${MAX_BLOCKLIST_ITEMS}.`);
    }
    // False only if the blocklist was deleted meanwhile.
    if (!(await ctx.store.raiBlocklists.upsertItems(account.id, blocklist.name, items))) {
      throw errors.resourceNotFound(RAI_BLOCKLIST_TYPE, `${account.name}/${blocklist.name}`, account.resourceGroup);
    }
    return (await ctx.store.raiBlocklists.get(account.id, blocklist.name)) ?? blocklist;
  }

  app.put(path, { config: { operation: 'raiBlocklists.write' } }, async (request: ListReq, reply) => {
    const account = await requireAccount(ctx, request.params);
    checkRaiName(request.params.raiBlocklistName, 'Blocklist');
    const body = readObject(request.body, '', 'RaiBlocklist', ['properties']);
    const props = readObject(body.properties ?? {}, 'properties', 'RaiBlocklistProperties', ['description']);
    const description = optionalString(props, 'description', 'properties');
    const existing = await ctx.store.raiBlocklists.get(account.id, request.params.raiBlocklistName);
    const now = new Date();
    const blocklist: RaiBlocklist = {
      id: existing?.id ?? randomUUID(),
      accountId: account.id,
      name: existing?.name ?? request.params.raiBlocklistName,
      ...(description === undefined ? {} : { description }),
      items: existing?.items ?? [],
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    await ctx.store.raiBlocklists.upsert(blocklist);
    reply.code(existing ? 200 : 201);
    return raiBlocklistToWire(account, blocklist);
  });

  app.get(path, { config: { operation: 'raiBlocklists.read' } }, async (request: ListReq) => {
    const { account, blocklist } = await requireBlocklist(request.params);
    return raiBlocklistToWire(account, blocklist);
  });

  app.get(collection, { config: { operation: 'raiBlocklists.read' } }, async (request: FastifyRequest<{ Params: AccountParams }>) => {
    const account = await requireAccount(ctx, request.params);
    return { value: (await ctx.store.raiBlocklists.list(account.id)).map((b) => raiBlocklistToWire(account, b)) };
  });

  app.delete(path, { config: { operation: 'raiBlocklists.delete' } }, async (request: ListReq, reply) => {
    const account = await requireAccount(ctx, request.params);
    checkRaiName(request.params.raiBlocklistName, 'Blocklist');
    const existing = await ctx.store.raiBlocklists.get(account.id, request.params.raiBlocklistName);
    if (!existing) return reply.code(204).send();
    // A policy that names a missing blocklist could not be evaluated: refuse while one does.
    const lower = existing.name.toLowerCase();
    const users = (await ctx.store.raiPolicies.list(account.id)).filter((p) => p.customBlocklists.some((b) => b.blocklistName.toLowerCase() === lower));
    if (users.length > 0) {
      throw errors.requestConflict(`The blocklist '${existing.name}' is used by RAI policy(ies) ${users.map((p) => `'${p.name}'`).join(', ')}.`);
    }
    await ctx.store.raiBlocklists.delete(account.id, existing.name);
    return reply.code(200).send();
  });

  app.put(itemPath, { config: { operation: 'raiBlocklists.write' } }, async (request: ItemReq, reply) => {
    const { account, blocklist } = await requireBlocklist(request.params);
    const name = request.params.raiBlocklistItemName;
    checkRaiName(name, 'Blocklist item');
    const body = readObject(request.body, '', 'RaiBlocklistItem', ['properties']);
    const item = { name, ...readItemProperties(body.properties, 'properties') };
    const existing = blocklist.items.find((i) => i.name.toLowerCase() === name.toLowerCase());
    await addItems(account, blocklist, [item]);
    reply.code(existing ? 200 : 201);
    return raiBlocklistItemToWire(account, blocklist.name, { ...item, name: existing?.name ?? name });
  });

  app.get(itemPath, { config: { operation: 'raiBlocklists.read' } }, async (request: ItemReq) => {
    const { account, blocklist } = await requireBlocklist(request.params);
    const name = request.params.raiBlocklistItemName;
    const item = blocklist.items.find((i) => i.name.toLowerCase() === name.toLowerCase());
    if (!item) throw errors.resourceNotFound(RAI_BLOCKLIST_ITEM_TYPE, `${account.name}/${blocklist.name}/${name}`, account.resourceGroup);
    return raiBlocklistItemToWire(account, blocklist.name, item);
  });

  app.get(`${path}/raiBlocklistItems`, { config: { operation: 'raiBlocklists.read' } }, async (request: ListReq) => {
    const { account, blocklist } = await requireBlocklist(request.params);
    return { value: blocklist.items.map((i) => raiBlocklistItemToWire(account, blocklist.name, i)) };
  });

  app.delete(itemPath, { config: { operation: 'raiBlocklists.write' } }, async (request: ItemReq, reply) => {
    const { account, blocklist } = await requireBlocklist(request.params);
    const deleted = await ctx.store.raiBlocklists.deleteItems(account.id, blocklist.name, [request.params.raiBlocklistItemName]);
    return reply.code(deleted > 0 ? 200 : 204).send();
  });

  app.post(`${path}/addRaiBlocklistItems`, { config: { operation: 'raiBlocklists.write' } }, async (request: ListReq) => {
    const { account, blocklist } = await requireBlocklist(request.params);
    const items = readBatchAdd(request.body);
    return raiBlocklistToWire(account, await addItems(account, blocklist, items));
  });

  app.post(`${path}/deleteRaiBlocklistItems`, { config: { operation: 'raiBlocklists.write' } }, async (request: ListReq, reply) => {
    const { account, blocklist } = await requireBlocklist(request.params);
    // Names that are not there are no error: deleting is idempotent, as DELETE is.
    await ctx.store.raiBlocklists.deleteItems(account.id, blocklist.name, readBatchDelete(request.body));
    return reply.code(200).send();
  });
}
