// Microsoft.CognitiveServices/accounts/raiPolicies (content-filter policies): PUT, GET, list,
// DELETE, shaped as RM 2025-06-01's PutRaiPolicy example. Azure's system-managed policies
// (Microsoft.Default, Microsoft.DefaultV2) are readable and listed beside the account's own, and
// refuse writes: 409 RequestConflict, since the request conflicts with what they are.

import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  BUILT_IN_RAI_POLICIES,
  RAI_FILTER_NAMES,
  RAI_HARM_CATEGORIES,
  RAI_POLICY_MODES,
  RAI_SEVERITY_THRESHOLDS,
  RAI_SOURCES,
  builtInRaiPolicy,
  isReservedRaiPolicyName,
  type Account,
  type AccountRef,
  type RaiContentFilter,
  type RaiCustomBlocklistRef,
  type RaiPolicy,
  type RaiPolicyContent,
} from '../core/index.js';
import { controlPlaneErrors as errors } from '../errors/index.js';
import { ACCOUNT_PATH } from './accounts.js';
import { PROVIDER, accountId } from './arm.js';
import { isObject, optionalBoolean, optionalString, readObject, requiredString, type Json } from './body.js';
import { requireAccount, type AccountParams, type ControlPlaneContext } from './context.js';
import { raiClassifierToWire, readRaiClassifier } from './rai-classifier.js';

export const RAI_POLICY_TYPE = `${PROVIDER}/accounts/raiPolicies`;

// The name rule of the RM template schema for raiPolicies, raiBlocklists and their items; the
// schema sets no length, 64 is Lapis's (as for deployments).
const RAI_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

export function checkRaiName(name: string, what: string): void {
  if (!RAI_NAME.test(name)) {
    throw errors.invalidResourceName(
      name,
      `${what} names are 1 to 64 characters: letters, digits, underscores, periods and hyphens, starting with a letter or digit.`,
    );
  }
}

/** The canonical spelling of `value` among `allowed` (ARM enums are case-insensitive), or a 400 naming both. */
export function oneOf<T extends string>(value: string, allowed: readonly T[], path: string): T {
  const found = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
  if (!found) throw errors.invalidResourceProperties(`The value '${value}' of '${path}' is invalid. Allowed values: ${allowed.join(', ')}.`, path);
  return found;
}

export function requiredBoolean(obj: Json, key: string, path: string): boolean {
  const v = optionalBoolean(obj, key, path);
  if (v === undefined) throw errors.invalidResourceProperties(`The property '${path}.${key}' is required.`, `${path}.${key}`);
  return v;
}

export function readArray(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw errors.invalidRequestContent(`Expected an array at path '${path}'.`);
  return value;
}

// Filters that look at one side only: prompt shields read prompts, protected material completions.
const ONLY_SOURCE: Partial<Record<RaiContentFilter['name'], RaiContentFilter['source']>> = {
  Jailbreak: 'Prompt',
  'Indirect Attack': 'Prompt',
  'Protected Material Text': 'Completion',
  'Protected Material Code': 'Completion',
};

function readFilter(raw: unknown, path: string): RaiContentFilter {
  const f = readObject(raw, path, 'RaiPolicyContentFilter', ['name', 'source', 'enabled', 'blocking', 'severityThreshold']);
  const name = oneOf(requiredString(f, 'name', path), RAI_FILTER_NAMES, `${path}.name`);
  const source = oneOf(requiredString(f, 'source', path), RAI_SOURCES, `${path}.source`);
  const only = ONLY_SOURCE[name];
  if (only && only !== source) {
    throw errors.invalidResourceProperties(`The content filter '${name}' applies to the source '${only}' only, not '${source}'.`, `${path}.source`);
  }
  const filter: RaiContentFilter = { name, source, enabled: requiredBoolean(f, 'enabled', path), blocking: requiredBoolean(f, 'blocking', path) };
  const threshold = optionalString(f, 'severityThreshold', path);
  const graded = RAI_HARM_CATEGORIES.includes(name);
  if (graded && threshold === undefined) {
    throw errors.invalidResourceProperties(`The property '${path}.severityThreshold' is required for the content filter '${name}'.`, `${path}.severityThreshold`);
  }
  if (!graded && threshold !== undefined) {
    throw errors.invalidResourceProperties(`The content filter '${name}' has no severity levels; remove '${path}.severityThreshold'.`, `${path}.severityThreshold`);
  }
  if (threshold !== undefined) filter.severityThreshold = oneOf(threshold, RAI_SEVERITY_THRESHOLDS, `${path}.severityThreshold`);
  return filter;
}

function readBlocklistRef(raw: unknown, path: string): RaiCustomBlocklistRef {
  const b = readObject(raw, path, 'CustomBlocklistConfig', ['blocklistName', 'source', 'blocking']);
  return {
    blocklistName: requiredString(b, 'blocklistName', path),
    source: oneOf(requiredString(b, 'source', path), RAI_SOURCES, `${path}.source`),
    blocking: requiredBoolean(b, 'blocking', path),
  };
}

/** Reads a RaiPolicy PUT body: everything but the name. Each (filter, source) pair once. */
export function readRaiPolicyBody(raw: unknown): Omit<RaiPolicyContent, 'name'> {
  const body = readObject(raw, '', 'RaiPolicy', ['properties']);
  if (!isObject(body.properties)) throw errors.invalidResourceProperties("The property 'properties' is required.", 'properties');
  const p = readObject(body.properties, 'properties', 'RaiPolicyProperties', ['basePolicyName', 'mode', 'contentFilters', 'customBlocklists', 'classifier']);
  const base = optionalString(p, 'basePolicyName', 'properties');
  const mode = optionalString(p, 'mode', 'properties');
  const contentFilters = readArray(p.contentFilters, 'properties.contentFilters').map((f, i) => readFilter(f, `properties.contentFilters[${i}]`));
  const customBlocklists = readArray(p.customBlocklists, 'properties.customBlocklists').map((b, i) => readBlocklistRef(b, `properties.customBlocklists[${i}]`));
  const twice = <T>(items: T[], key: (t: T) => string, what: string, path: string) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      const k = key(item).toLowerCase();
      if (seen.has(k)) throw errors.invalidResourceProperties(`${what} '${key(item)}' is listed twice.`, `${path}[${i}]`);
      seen.add(k);
    });
  };
  twice(contentFilters, (f) => `${f.name}/${f.source}`, 'The content filter', 'properties.contentFilters');
  twice(customBlocklists, (b) => `${b.blocklistName}/${b.source}`, 'The blocklist', 'properties.customBlocklists');
  const policy: Omit<RaiPolicyContent, 'name'> = {
    mode: mode === undefined ? 'Default' : oneOf(mode, RAI_POLICY_MODES, 'properties.mode'),
    contentFilters,
    customBlocklists,
  };
  if (p.classifier !== undefined && p.classifier !== null) policy.classifier = readRaiClassifier(p.classifier);
  if (base !== undefined) {
    const builtIn = builtInRaiPolicy(base);
    if (!builtIn) {
      throw errors.invalidResourceProperties(
        `The base policy '${base}' does not exist. Base policies: ${BUILT_IN_RAI_POLICIES.map((b) => b.name).join(', ')}.`,
        'properties.basePolicyName',
      );
    }
    policy.basePolicyName = builtIn.name;
  }
  return policy;
}

export function raiPolicyId(ref: AccountRef, name: string): string {
  return `${accountId(ref)}/raiPolicies/${name}`;
}

export function raiPolicyToWire(account: AccountRef, policy: Readonly<RaiPolicyContent> | RaiPolicy): Json {
  const own = 'createdAt' in policy;
  return {
    id: raiPolicyId(account, policy.name),
    name: policy.name,
    type: RAI_POLICY_TYPE,
    properties: {
      // Read-only RaiPolicyProperties.type of the RM spec.
      type: own ? 'UserManaged' : 'SystemManaged',
      ...(policy.basePolicyName === undefined ? {} : { basePolicyName: policy.basePolicyName }),
      mode: policy.mode,
      contentFilters: policy.contentFilters,
      customBlocklists: policy.customBlocklists,
      ...(policy.classifier === undefined ? {} : { classifier: raiClassifierToWire(policy.classifier) }),
    },
    ...(own ? { systemData: { createdAt: policy.createdAt.toISOString(), lastModifiedAt: policy.updatedAt.toISOString() } } : {}),
  };
}

export function registerRaiPolicyRoutes(app: FastifyInstance, ctx: ControlPlaneContext): void {
  type Req = FastifyRequest<{ Params: AccountParams & { raiPolicyName: string } }>;
  const path = `${ACCOUNT_PATH}/raiPolicies/:raiPolicyName`;

  async function target(request: Req, writing: boolean): Promise<{ account: Account; name: string }> {
    const account = await requireAccount(ctx, request.params);
    const name = request.params.raiPolicyName;
    checkRaiName(name, 'RAI policy');
    const builtIn = builtInRaiPolicy(name);
    if (writing && builtIn) throw errors.requestConflict(`The RAI policy '${builtIn.name}' is system managed and cannot be modified or deleted.`);
    if (writing && isReservedRaiPolicyName(name)) {
      throw errors.invalidResourceName(name, "Names beginning with 'Microsoft.' are reserved for system-managed RAI policies.");
    }
    return { account, name };
  }

  app.put(path, { config: { operation: 'raiPolicies.write' } }, async (request: Req, reply) => {
    const { account, name } = await target(request, true);
    const body = readRaiPolicyBody(request.body);
    // A policy names blocklists of its own account; each must exist now (stored in its own casing).
    for (const [i, ref] of body.customBlocklists.entries()) {
      const list = await ctx.store.raiBlocklists.get(account.id, ref.blocklistName);
      if (!list) {
        throw errors.invalidResourceProperties(
          `The blocklist '${ref.blocklistName}' does not exist in account '${account.name}'.`,
          `properties.customBlocklists[${i}].blocklistName`,
        );
      }
      ref.blocklistName = list.name;
    }
    const existing = await ctx.store.raiPolicies.get(account.id, name);
    await checkClassifier(ctx, account, body, existing);
    const now = new Date();
    const policy: RaiPolicy = {
      ...body,
      id: existing?.id ?? randomUUID(),
      accountId: account.id,
      name: existing?.name ?? name,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    await ctx.store.raiPolicies.upsert(policy);
    reply.code(existing ? 200 : 201);
    return raiPolicyToWire(account, policy);
  });

  app.get(path, { config: { operation: 'raiPolicies.read' } }, async (request: Req) => {
    const { account, name } = await target(request, false);
    const policy = builtInRaiPolicy(name) ?? (await ctx.store.raiPolicies.get(account.id, name));
    if (!policy) throw errors.resourceNotFound(RAI_POLICY_TYPE, `${account.name}/${name}`, account.resourceGroup);
    return raiPolicyToWire(account, policy);
  });

  app.get(`${ACCOUNT_PATH}/raiPolicies`, { config: { operation: 'raiPolicies.read' } }, async (request: FastifyRequest<{ Params: AccountParams }>) => {
    const account = await requireAccount(ctx, request.params);
    const own = await ctx.store.raiPolicies.list(account.id);
    return { value: [...BUILT_IN_RAI_POLICIES, ...own].map((p) => raiPolicyToWire(account, p)) };
  });

  app.delete(path, { config: { operation: 'raiPolicies.delete' } }, async (request: Req, reply) => {
    const { account, name } = await target(request, true);
    const existing = await ctx.store.raiPolicies.get(account.id, name);
    if (!existing) return reply.code(204).send();
    // A deployment filters through its policy: deleting it would leave the deployment unfiltered.
    const users = (await ctx.store.deployments.list(account.id)).filter(
      (d) => typeof d.properties.raiPolicyName === 'string' && d.properties.raiPolicyName.toLowerCase() === existing.name.toLowerCase(),
    );
    if (users.length > 0) {
      throw errors.requestConflict(`The RAI policy '${existing.name}' is used by deployment(s) ${users.map((d) => `'${d.name}'`).join(', ')}.`);
    }
    await ctx.store.raiPolicies.delete(account.id, existing.name);
    return reply.code(200).send();
  });
}

/**
 * A guard deployment must exist in the account when the policy is written (it may fail to load
 * later: that is the policy's failure mode). A Content Safety key left out keeps the stored one
 * while the endpoint is unchanged.
 */
async function checkClassifier(ctx: ControlPlaneContext, account: Account, body: Omit<RaiPolicyContent, 'name'>, existing: RaiPolicy | undefined): Promise<void> {
  const c = body.classifier;
  if (c?.type === 'Deployment') {
    const guard = await ctx.store.deployments.get(account.id, c.deploymentName);
    if (!guard) {
      throw errors.invalidResourceProperties(`The deployment '${c.deploymentName}' does not exist in account '${account.name}'.`, 'properties.classifier.deploymentName');
    }
    c.deploymentName = guard.name;
  } else if (c?.type === 'ContentSafety' && c.key === undefined) {
    const before = existing?.classifier;
    if (before?.type === 'ContentSafety' && before.endpoint === c.endpoint && before.key !== undefined) c.key = before.key;
  }
}
