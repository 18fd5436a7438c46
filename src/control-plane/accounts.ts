// Microsoft.CognitiveServices/accounts: PUT, PATCH, GET, list, DELETE.

import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Account } from '../core/index.js';
import { controlPlaneErrors as errors } from '../errors/index.js';
import { generateAccountKey } from '../identity/index.js';
import { validateNetworkProperties } from '../network/index.js';
import { ACCOUNT_TYPE, accountId, checkSubdomain } from './arm.js';
import { optionalString, readObject, requiredString, stringMap, type Json } from './body.js';
import { accountRef, baseUrl, checkSubscription, requireAccount, type AccountParams, type ControlPlaneContext } from './context.js';

const ACCOUNT_MEMBERS = ['location', 'kind', 'sku', 'tags', 'identity', 'properties'];
// Writable AccountProperties of RM 2025-06-01. They are stored and returned as given; the
// ones Lapis acts on are validated (customSubDomainName now, network and encryption later).
const ACCOUNT_PROPERTIES = [
  'allowProjectManagement', 'allowedFqdnList', 'amlWorkspace', 'apiProperties', 'associatedProjects',
  'customSubDomainName', 'defaultProject', 'disableLocalAuth', 'dynamicThrottlingEnabled', 'encryption',
  'locations', 'migrationToken', 'networkAcls', 'networkInjections', 'publicNetworkAccess',
  'raiMonitorConfig', 'restore', 'restrictOutboundNetworkAccess', 'userOwnedStorage',
];
const KINDS = ['OpenAI', 'AIServices'];

export const ACCOUNT_PATH = '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.CognitiveServices/accounts/:accountName';

export function accountToWire(account: Account, base: string): Json {
  const endpoint = `${base}/`;
  return {
    id: accountId(account),
    name: account.name,
    type: ACCOUNT_TYPE,
    location: account.location,
    kind: account.kind,
    sku: account.sku,
    tags: account.tags,
    ...(account.identity ? { identity: account.identity } : {}),
    properties: {
      ...account.properties,
      endpoint,
      endpoints: { 'OpenAI Language Model Instance API': endpoint, 'OpenAI Dall-E API': endpoint },
      provisioningState: account.provisioningState,
      dateCreated: account.createdAt.toISOString(),
      internalId: account.id.replace(/-/g, ''),
      capabilities: [],
    },
    systemData: {
      createdAt: account.createdAt.toISOString(),
      lastModifiedAt: account.updatedAt.toISOString(),
    },
  };
}

interface AccountBody {
  location?: string;
  kind?: string;
  sku?: { name: string };
  tags?: Record<string, string>;
  identity?: Json;
  properties?: Json;
}

function readAccountBody(raw: unknown): AccountBody {
  const body = readObject(raw ?? {}, '', 'Account', ACCOUNT_MEMBERS);
  const out: AccountBody = {};
  out.location = optionalString(body, 'location', '');
  out.kind = optionalString(body, 'kind', '');
  if (out.kind !== undefined && !KINDS.includes(out.kind)) {
    throw errors.invalidResourceProperties(`The kind '${out.kind}' is not supported. Supported kinds: ${KINDS.join(', ')}.`, 'kind');
  }
  if (body.sku !== undefined) {
    const sku = readObject(body.sku, 'sku', 'Sku', ['name', 'tier', 'size', 'family', 'capacity']);
    const name = requiredString(sku, 'name', 'sku');
    if (name.toUpperCase() !== 'S0') throw errors.invalidResourceProperties(`The SKU '${name}' is not supported. Supported SKUs: S0.`, 'sku.name');
    out.sku = { name: 'S0' };
  }
  if (body.tags !== undefined) out.tags = stringMap(body.tags, 'tags');
  if (body.identity !== undefined) out.identity = readObject(body.identity, 'identity', 'Identity', ['type', 'userAssignedIdentities']);
  if (body.properties !== undefined) {
    out.properties = readObject(body.properties, 'properties', 'AccountProperties', ACCOUNT_PROPERTIES);
    const sub = optionalString(out.properties, 'customSubDomainName', 'properties');
    if (sub !== undefined) checkSubdomain(sub);
    const network = validateNetworkProperties(out.properties);
    if (network) throw errors.invalidResourceProperties(network);
    const local = out.properties.disableLocalAuth;
    if (local !== undefined && typeof local !== 'boolean') throw errors.invalidRequestContent("Error converting value to type 'Boolean'. Path 'properties.disableLocalAuth'.");
  }
  return out;
}

async function checkSubdomainFree(ctx: ControlPlaneContext, properties: Json, self: string): Promise<void> {
  const sub = properties.customSubDomainName;
  if (typeof sub !== 'string') return;
  const owner = await ctx.store.accounts.findBySubdomain(sub);
  if (owner && owner.id !== self) throw errors.customDomainInUse(sub);
}

export function registerAccountRoutes(app: FastifyInstance, ctx: ControlPlaneContext): void {
  type Req = FastifyRequest<{ Params: AccountParams }>;

  app.put(ACCOUNT_PATH, { config: { operation: 'accounts.write' } }, async (request: Req, reply) => {
    const ref = accountRef(request.params);
    const body = readAccountBody(request.body);
    const existing = await ctx.store.accounts.get(ref);
    const now = new Date();
    if (!existing) {
      if (!body.kind) throw errors.invalidResourceProperties("The property 'kind' is required.", 'kind');
      if (!body.sku) throw errors.invalidResourceProperties("The property 'sku' is required.", 'sku');
    } else {
      if (body.location && body.location.toLowerCase() !== existing.location.toLowerCase()) {
        throw errors.invalidResourceLocation(ref.name, existing.location, body.location, ref.resourceGroup);
      }
      if (body.kind && body.kind !== existing.kind) {
        throw errors.requestConflict(`The kind of account '${ref.name}' is '${existing.kind}' and cannot be changed.`);
      }
    }
    const account: Account = {
      ...ref,
      ...(existing ? { name: existing.name } : {}),
      id: existing?.id ?? randomUUID(),
      location: body.location ?? existing?.location ?? ctx.defaultLocation,
      kind: body.kind ?? existing!.kind,
      sku: body.sku ?? existing!.sku,
      tags: body.tags ?? {},
      identity: body.identity,
      properties: body.properties ?? {},
      provisioningState: 'Succeeded',
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    await checkSubdomainFree(ctx, account.properties, account.id);
    await ctx.store.accounts.upsert(account);
    if (!existing) {
      await ctx.store.keys.set(account.id, 'key1', generateAccountKey());
      await ctx.store.keys.set(account.id, 'key2', generateAccountKey());
    }
    reply.code(existing ? 200 : 201);
    return accountToWire(account, baseUrl(ctx, request));
  });

  app.patch(ACCOUNT_PATH, { config: { operation: 'accounts.write' } }, async (request: Req) => {
    const account = await requireAccount(ctx, request.params);
    const body = readAccountBody(request.body);
    if (body.location && body.location.toLowerCase() !== account.location.toLowerCase()) {
      throw errors.invalidResourceLocation(account.name, account.location, body.location, account.resourceGroup);
    }
    const updated: Account = {
      ...account,
      sku: body.sku ?? account.sku,
      tags: body.tags ?? account.tags,
      identity: body.identity ?? account.identity,
      properties: { ...account.properties, ...(body.properties ?? {}) },
      updatedAt: new Date(),
    };
    await checkSubdomainFree(ctx, updated.properties, updated.id);
    await ctx.store.accounts.upsert(updated);
    return accountToWire(updated, baseUrl(ctx, request));
  });

  app.get(ACCOUNT_PATH, { config: { operation: 'accounts.read' } }, async (request: Req) => {
    return accountToWire(await requireAccount(ctx, request.params), baseUrl(ctx, request));
  });

  app.delete(ACCOUNT_PATH, { config: { operation: 'accounts.delete' } }, async (request: Req, reply) => {
    const ref = accountRef(request.params);
    const account = await ctx.store.accounts.get(ref);
    if (!account) return reply.code(204).send();
    const deployments = await ctx.store.deployments.list(account.id);
    await ctx.store.accounts.delete(ref);
    await Promise.all(deployments.map((d) => ctx.runtime.remove(d.id)));
    return reply.code(200).send();
  });

  app.get(
    '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.CognitiveServices/accounts',
    { config: { operation: 'accounts.read' } },
    async (request: FastifyRequest<{ Params: Omit<AccountParams, 'accountName'> }>) => {
      checkSubscription(request.params.subscriptionId);
      const list = await ctx.store.accounts.list({
        subscriptionId: request.params.subscriptionId,
        resourceGroup: request.params.resourceGroupName,
      });
      return { value: list.map((a) => accountToWire(a, baseUrl(ctx, request))) };
    },
  );

  app.get(
    '/subscriptions/:subscriptionId/providers/Microsoft.CognitiveServices/accounts',
    { config: { operation: 'accounts.read' } },
    async (request: FastifyRequest<{ Params: { subscriptionId: string } }>) => {
      checkSubscription(request.params.subscriptionId);
      const list = await ctx.store.accounts.list({ subscriptionId: request.params.subscriptionId });
      return { value: list.map((a) => accountToWire(a, baseUrl(ctx, request))) };
    },
  );
}
