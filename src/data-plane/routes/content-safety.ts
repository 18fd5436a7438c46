// Azure AI Content Safety's text API on the built-in classifier and the account's blocklists:
//   POST /contentsafety/text:analyze, POST /contentsafety/text:shieldPrompt,
//   /contentsafety/text/blocklists[/{name}] (PATCH, GET, DELETE, list),
//   POST /contentsafety/text/blocklists/{name}:addOrUpdateBlocklistItems | :removeBlocklistItems,
//   GET  /contentsafety/text/blocklists/{name}/blocklistItems[/{itemId}].
// The blocklists are the ones ARM's raiBlocklists manage: an item's id is its ARM item name.
// Item descriptions are not kept (the shared store has no column for them; ARM items have none),
// so they are never returned.
//
// The routes live in a child context of the data plane: its hooks (api-version, authentication,
// authorization) still apply, while body-parsing failures answer in Content Safety's error shape
// and the SDKs' application/merge-patch+json PATCH body is accepted.

import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { Account, RaiBlocklist, RaiBlocklistItem } from '../../core/index.js';
import { contentSafetyErrors as errors, dataPlaneErrors } from '../../errors/index.js';
import { parseJsonBody } from '../../json-body.js';
import { checkBlocklistPattern, compileBlocklist, matchBlocklists } from '../../safety/blocklists.js';
import {
  MAX_BLOCKLIST_ITEMS, blocklistToWire, checkBlocklistName, itemToWire, readAddItems, readAnalyzeText,
  readBlocklistPatch, readRemoveItems, readShieldPrompt, severityOf,
} from '../azure/content-safety.js';
import type { DataPlaneContext } from '../context.js';

const BASE = '/contentsafety/text';
type Named = FastifyRequest<{ Params: { name: string } }>;

/** Parse failures of the body become InvalidRequestBody; everything else is the app's to answer. */
function contentSafetyErrorHandler(err: FastifyError): never {
  const code = err.code;
  if ((err as { jsonParseError?: boolean }).jsonParseError || code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    throw errors.invalidRequestBody(`The request body is not valid JSON: ${err.message}`, 'InvalidJson');
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') throw errors.invalidRequestBody('The request body must be application/json.', 'UnsupportedMediaType');
  throw err;
}

export function registerContentSafety(app: FastifyInstance, ctx: DataPlaneContext): void {
  void app.register(async (cs) => {
    cs.setErrorHandler(contentSafetyErrorHandler);
    // Same parsing as application/json (app.ts), for the blocklist PATCH the SDKs send.
    cs.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, parseJsonBody);
    registerText(cs, ctx);
    registerBlocklists(cs, ctx);
  });
}

function registerText(cs: FastifyInstance, ctx: DataPlaneContext): void {
  cs.post(`${BASE}::analyze`, { config: { operation: 'contentSafety.analyze' } }, async (request) => {
    const options = readAnalyzeText(request.body);
    const account = request.account!;
    const lists = await Promise.all(options.blocklistNames.map((name) => blocklistOrNotFound(ctx, account, name)));
    const hits = matchBlocklists(options.text, lists.map(compileBlocklist));
    const blocklistsMatch = hits.flatMap((hit) => {
      const list = lists.find((l) => l.name === hit.blocklistName)!;
      return hit.itemNames.map((id) => ({ blocklistName: list.name, blocklistItemId: id, blocklistItemText: list.items.find((i) => i.name === id)!.pattern }));
    });
    // haltOnBlocklistHit: a hit ends the analysis before any category is graded.
    if (options.haltOnBlocklistHit && blocklistsMatch.length > 0) return { blocklistsMatch, categoriesAnalysis: [] };
    const result = ctx.classifier.classify(options.text);
    return { blocklistsMatch, categoriesAnalysis: options.categories.map(([category, head]) => ({ category, severity: severityOf(result, head) })) };
  });

  cs.post(`${BASE}::shieldPrompt`, { config: { operation: 'contentSafety.shieldPrompt' } }, async (request) => {
    // Added in 2024-02-15-preview: the older GA version has no such operation.
    if ((request.query as Record<string, unknown>)['api-version'] === '2023-10-01') throw dataPlaneErrors.resourceNotFound();
    const { userPrompt, documents } = readShieldPrompt(request.body);
    const classifier = ctx.classifier;
    return {
      // The jailbreak head reads user prompts; documents get the indirect-attack scorer.
      ...(userPrompt === undefined ? {} : { userPromptAnalysis: { attackDetected: classifier.classify(userPrompt).jailbreak.detected } }),
      documentsAnalysis: documents.map((d) => ({ attackDetected: classifier.detectIndirectAttack(d).detected })),
    };
  });
}

async function blocklistOrNotFound(ctx: DataPlaneContext, account: Account, name: string): Promise<RaiBlocklist> {
  checkBlocklistName(name);
  const list = await ctx.store.raiBlocklists.get(account.id, name);
  if (!list) throw errors.resourceNotFound(`The blocklist '${name}' was not found.`);
  return list;
}

function registerBlocklists(cs: FastifyInstance, ctx: DataPlaneContext): void {
  const read = { config: { operation: 'contentSafety.blocklists.read' } };
  const write = { config: { operation: 'contentSafety.blocklists.write' } };

  cs.get(`${BASE}/blocklists`, read, async (request) => ({
    value: (await ctx.store.raiBlocklists.list(request.account!.id)).map(blocklistToWire),
  }));

  cs.get(`${BASE}/blocklists/:name`, read, async (request: Named) => blocklistToWire(await blocklistOrNotFound(ctx, request.account!, request.params.name)));

  cs.patch(`${BASE}/blocklists/:name`, write, async (request: Named, reply) => {
    const account = request.account!;
    checkBlocklistName(request.params.name);
    const { description } = readBlocklistPatch(request.body, request.params.name);
    const existing = await ctx.store.raiBlocklists.get(account.id, request.params.name);
    const kept = description === undefined ? existing?.description : (description ?? undefined);
    const now = new Date();
    const blocklist: RaiBlocklist = {
      id: existing?.id ?? randomUUID(),
      accountId: account.id,
      name: existing?.name ?? request.params.name,
      ...(kept === undefined ? {} : { description: kept }),
      items: existing?.items ?? [],
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    await ctx.store.raiBlocklists.upsert(blocklist);
    reply.code(existing ? 200 : 201);
    return blocklistToWire(blocklist);
  });

  cs.delete(`${BASE}/blocklists/:name`, write, async (request: Named, reply) => {
    const account = request.account!;
    checkBlocklistName(request.params.name);
    const existing = await ctx.store.raiBlocklists.get(account.id, request.params.name);
    if (existing) {
      // As the ARM delete: a policy naming a missing blocklist could not be evaluated.
      const lower = existing.name.toLowerCase();
      const users = (await ctx.store.raiPolicies.list(account.id)).filter((p) => p.customBlocklists.some((b) => b.blocklistName.toLowerCase() === lower));
      if (users.length > 0) throw errors.conflict(`The blocklist '${existing.name}' is used by content filter policy(ies) ${users.map((p) => `'${p.name}'`).join(', ')}.`);
      await ctx.store.raiBlocklists.delete(account.id, existing.name);
    }
    return reply.code(204).send();
  });

  // "{name}:action" is one path segment; blocklist names cannot hold a colon, so it splits cleanly.
  cs.post(`${BASE}/blocklists/:name`, write, async (request: Named, reply) => {
    const at = request.params.name.lastIndexOf(':');
    const action = at < 0 ? '' : request.params.name.slice(at + 1);
    if (action !== 'addOrUpdateBlocklistItems' && action !== 'removeBlocklistItems') throw dataPlaneErrors.resourceNotFound();
    const list = await blocklistOrNotFound(ctx, request.account!, request.params.name.slice(0, at));
    if (action === 'removeBlocklistItems') {
      // Ids that are not there are no error: removing is idempotent.
      await ctx.store.raiBlocklists.deleteItems(list.accountId, list.name, readRemoveItems(request.body));
      return reply.code(204).send();
    }
    return { blocklistItems: (await addOrUpdate(list, readAddItems(request.body, checkBlocklistPattern))).map(itemToWire) };
  });

  cs.get(`${BASE}/blocklists/:name/blocklistItems`, read, async (request: Named) => ({
    value: (await blocklistOrNotFound(ctx, request.account!, request.params.name)).items.map(itemToWire),
  }));

  cs.get(`${BASE}/blocklists/:name/blocklistItems/:itemId`, read, async (request: FastifyRequest<{ Params: { name: string; itemId: string } }>) => {
    const list = await blocklistOrNotFound(ctx, request.account!, request.params.name);
    const item = list.items.find((i) => i.name.toLowerCase() === request.params.itemId.toLowerCase());
    if (!item) throw errors.resourceNotFound(`The blocklist item '${request.params.itemId}' was not found in the blocklist '${list.name}'.`);
    return itemToWire(item);
  });

  /** An item whose text (and kind) the blocklist already holds is updated in place, keeping its id. */
  async function addOrUpdate(list: RaiBlocklist, items: { text: string; isRegex: boolean }[]): Promise<RaiBlocklistItem[]> {
    const key = (text: string, isRegex: boolean) => `${isRegex ? 'r' : 't'}:${text.toLowerCase()}`;
    const ids = new Map(list.items.map((i) => [key(i.pattern, i.isRegex), i.name]));
    const added = items.map(({ text, isRegex }) => {
      const k = key(text, isRegex);
      const name = ids.get(k) ?? randomUUID();
      ids.set(k, name);
      return { name, pattern: text, isRegex };
    });
    const unique = [...new Map(added.map((i) => [i.name, i])).values()];
    const total = list.items.length + unique.filter((i) => !list.items.some((e) => e.name === i.name)).length;
    if (total > MAX_BLOCKLIST_ITEMS) {
      throw errors.invalidRequestBody(`The blocklist '${list.name}' would hold ${total} items; the limit is ${MAX_BLOCKLIST_ITEMS}.`, 'TooManyItems');
    }
    // False only if the blocklist was deleted meanwhile.
    if (!(await ctx.store.raiBlocklists.upsertItems(list.accountId, list.name, unique))) throw errors.resourceNotFound(`The blocklist '${list.name}' was not found.`);
    return added;
  }
}
