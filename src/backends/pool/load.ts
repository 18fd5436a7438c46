// A pool deployment's members, opened with the deployment runtime's own per-kind loaders (this
// folder imports no other backend: runtime.ts hands the loader in). All members load, or the
// deployment fails naming the member that did not: a pool that silently serves with fewer
// engines than it was given would hide a broken member until the others fail too.

import { ModelLoadError } from '../../core/errors.js';
import type { InferenceBackend } from '../../core/inference.js';
import type { PoolBackendSpec, PoolMemberBackendSpec } from '../../core/resources.js';
import { PoolBackend, type PoolLog, type PoolOptions } from './pool-backend.js';

export interface PoolLoadOptions {
  /** Opens one member's engine; `onFailure` as BackendLoadOptions.onFailure, for that member. */
  open(spec: PoolMemberBackendSpec, onFailure: (reason: string) => void): Promise<InferenceBackend>;
  /** The whole pool died (every member's engine did). */
  onFailure(reason: string): void;
  log?: PoolLog;
  /** Tests only. */
  random?: PoolOptions['random'];
  now?: PoolOptions['now'];
}

export async function loadPoolBackend(spec: PoolBackendSpec, options: PoolLoadOptions): Promise<PoolBackend> {
  let pool: PoolBackend | undefined;
  // A member that dies after it loaded but before the others did is told to the pool once it exists.
  const early: { name: string; reason: string }[] = [];
  const opened = await Promise.allSettled(
    spec.members.map((m) =>
      options.open(m.backend, (reason) => (pool ? pool.memberFailed(m.name, reason) : early.push({ name: m.name, reason }))),
    ),
  );
  const failed = opened.findIndex((r) => r.status === 'rejected');
  if (failed >= 0) {
    await Promise.all(opened.map((r) => (r.status === 'fulfilled' ? r.value.close().catch(() => undefined) : undefined)));
    const reason = (opened[failed] as PromiseRejectedResult).reason as unknown;
    const detail = reason instanceof Error ? reason.message : String(reason);
    throw new ModelLoadError(`pool member '${spec.members[failed]!.name}': ${detail}`, { cause: reason });
  }
  const members = spec.members.map((m, i) => ({
    name: m.name,
    priority: m.priority ?? 1,
    weight: m.weight ?? 1,
    backend: (opened[i] as PromiseFulfilledResult<InferenceBackend>).value,
  }));
  const { breaker, healthCheck } = spec;
  pool = new PoolBackend(members, { breaker, healthCheck, log: options.log, random: options.random, now: options.now, onFailure: options.onFailure });
  for (const { name, reason } of early) pool.memberFailed(name, reason);
  return pool;
}
