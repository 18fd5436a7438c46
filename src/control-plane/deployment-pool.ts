// `properties.lapis.backend` of kind "pool" (docs/capacity.md, "Backend pools"): its members,
// each an engine spec read by deployment-body.ts's own per-kind readers, and the breaker and
// health-check settings. Credentials inside members are kept, masked and sealed like a
// top-level backend's (keepPoolSecrets, poolToWire here; sealing in storage/deployments.ts).

import type { BackendSpec, PoolBackendSpec, PoolMemberBackendSpec, PoolMemberSpec } from '../core/index.js';
import { controlPlaneErrors as errors, isApiError } from '../errors/index.js';
import { optionalInteger, optionalString, readObject, requiredString, type Json } from './body.js';

/** A pool of one is allowed (a breaker and health checks on a single upstream); 16 keeps it readable. */
export const POOL_MEMBERS = { min: 1, max: 16 };
/** An engine, never a pool or a router: one level of indirection. */
const MEMBER_KINDS: PoolMemberBackendSpec['kind'][] = ['llama', 'openai-compatible', 'azure-openai', 'simulator'];
/** Member names go into a response header (x-lapis-backend), so header-safe ones only. */
const MEMBER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MIN_HEALTH_INTERVAL_MS = 1000;

type ReadBackend = (raw: unknown) => BackendSpec;

/**
 * Reads a pool spec at `path`. `readBackend` is the top-level reader, which names paths from
 * `path`; a member's errors are re-rooted at the member's own place so the caller sees where the
 * mistake is.
 */
export function readPool(b: Json, path: string, readBackend: ReadBackend): PoolBackendSpec {
  const at = `${path}.members`;
  const list = b.members;
  if (list === undefined || list === null) throw errors.invalidResourceProperties(`The property '${at}' is required.`, at);
  if (!Array.isArray(list)) throw errors.invalidRequestContent(`Expected an array of pool members at path '${at}'.`);
  const { min, max } = POOL_MEMBERS;
  if (list.length < min || list.length > max) throw errors.invalidResourceProperties(`A pool has ${min} to ${max} members; '${at}' has ${list.length}.`, at);
  const seen = new Set<string>();
  const members = list.map((raw: unknown, i): PoolMemberSpec => {
    const here = `${at}[${i}]`;
    const m = readObject(raw, here, 'PoolMember', ['name', 'priority', 'weight', 'backend']);
    const name = requiredString(m, 'name', here);
    if (!MEMBER_NAME.test(name)) {
      throw errors.invalidResourceProperties(`The member name '${name}' is invalid: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.`, `${here}.name`);
    }
    if (seen.has(name.toLowerCase())) throw errors.invalidResourceProperties(`The member name '${name}' is used twice in '${at}'.`, `${here}.name`);
    seen.add(name.toLowerCase());
    const priority = optionalInteger(m, 'priority', here);
    if (priority !== undefined && priority < 0) throw errors.invalidResourceProperties(`'priority' must not be negative.`, `${here}.priority`);
    const weight = optionalInteger(m, 'weight', here);
    if (weight !== undefined && (weight < 1 || weight > 1000)) throw errors.invalidResourceProperties(`'weight' is an integer from 1 to 1000.`, `${here}.weight`);
    return compact({ name, priority, weight, backend: readMember(m.backend, `${here}.backend`, path, readBackend) });
  });
  return compact({ kind: 'pool' as const, members, healthCheck: readHealthCheck(b.healthCheck, path), breaker: readBreaker(b.breaker, path) });
}

function readMember(raw: unknown, here: string, root: string, readBackend: ReadBackend): PoolMemberBackendSpec {
  if (raw === undefined || raw === null) throw errors.invalidResourceProperties(`The property '${here}' is required.`, here);
  const kind = (raw as { kind?: unknown }).kind;
  if (typeof kind === 'string' && !(MEMBER_KINDS as string[]).includes(kind)) {
    throw errors.invalidResourceProperties(`A pool member cannot be of kind '${kind}'. Member kinds: ${MEMBER_KINDS.join(', ')}.`, `${here}.kind`);
  }
  try {
    return readBackend(raw) as PoolMemberBackendSpec;
  } catch (err) {
    if (isApiError(err)) {
      const e = err.body.error;
      e.message = e.message.split(root).join(here);
      if (typeof e.target === 'string') e.target = e.target.split(root).join(here);
    }
    throw err;
  }
}

function readHealthCheck(raw: unknown, path: string): PoolBackendSpec['healthCheck'] {
  if (raw === undefined || raw === null) return undefined;
  const at = `${path}.healthCheck`;
  const h = readObject(raw, at, 'PoolHealthCheck', ['intervalMs', 'path']);
  const intervalMs = optionalInteger(h, 'intervalMs', at);
  if (intervalMs !== undefined && intervalMs !== 0 && intervalMs < MIN_HEALTH_INTERVAL_MS) {
    throw errors.invalidResourceProperties(`'intervalMs' is 0 (no health checks) or at least ${MIN_HEALTH_INTERVAL_MS}.`, `${at}.intervalMs`);
  }
  const checkPath = optionalString(h, 'path', at);
  // Resolved against each member's base URL: it must stay on that host, where its credentials go.
  if (checkPath !== undefined && !staysOnHost(checkPath)) {
    throw errors.invalidResourceProperties(`The health check path '${checkPath}' must be a path (e.g. 'models' or '/health'), not a URL.`, `${at}.path`);
  }
  return compact({ intervalMs, path: checkPath });
}

function staysOnHost(path: string): boolean {
  if (path === '') return false;
  try {
    return new URL(path, 'http://member.invalid/v1/').origin === 'http://member.invalid';
  } catch {
    return false;
  }
}

function readBreaker(raw: unknown, path: string): PoolBackendSpec['breaker'] {
  if (raw === undefined || raw === null) return undefined;
  const at = `${path}.breaker`;
  const b = readObject(raw, at, 'PoolBreaker', ['failures', 'cooldownMs']);
  const failures = optionalInteger(b, 'failures', at);
  if (failures !== undefined && failures < 1) throw errors.invalidResourceProperties(`'failures' must be at least 1.`, `${at}.failures`);
  const cooldownMs = optionalInteger(b, 'cooldownMs', at);
  if (cooldownMs !== undefined && cooldownMs < 0) throw errors.invalidResourceProperties(`'cooldownMs' must not be negative.`, `${at}.cooldownMs`);
  return compact({ failures, cooldownMs });
}

/** keepSecrets for a pool: a member keeps its stored credentials when its name and upstream are the same. */
export function keepPoolSecrets(
  next: PoolBackendSpec,
  previous: BackendSpec | undefined,
  keep: (next: BackendSpec, previous: BackendSpec | undefined) => BackendSpec,
): PoolBackendSpec {
  if (previous?.kind !== 'pool') return next;
  const members = next.members.map((m) => {
    const before = previous.members.find((p) => p.name === m.name);
    return before ? { ...m, backend: keep(m.backend, before.backend) as PoolMemberBackendSpec } : m;
  });
  return { ...next, members };
}

/** backendToWire for a pool: each member's secrets left out, their presence said. */
export function poolToWire(pool: PoolBackendSpec, toWire: (backend: BackendSpec) => Record<string, unknown>): Record<string, unknown> {
  return { ...pool, members: pool.members.map((m) => ({ ...m, backend: toWire(m.backend) })) };
}

function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
