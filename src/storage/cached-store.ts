// A read-through cache over the Store for the data plane's hot path: presented key → owner,
// account by id, deployment by name, RAI policy and blocklist by name. Without it every inference request would make three
// database round trips before any work.
//
// Consistency: any write through this store clears the whole cache at once, so a change made
// in this process (a regenerated key, a deleted deployment) is seen by the very next request.
// Writes made by another replica are seen when the entry expires (ttlMs). Unknown keys are
// cached too (briefly), so a flood of bad keys does not become a flood of queries.

import type { Account, Deployment } from '../core/resources.js';
import type { RaiBlocklist, RaiPolicy } from '../core/safety.js';
import type { KeyMatch, Store } from '../core/store.js';

const MAX_ENTRIES = 10_000;

class TtlMap<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();

  constructor(private readonly ttlMs: number) {}

  get(key: string): { value: V } | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, value: V): void {
    if (this.entries.size >= MAX_ENTRIES) {
      // Drop the oldest tenth: insertion order is age order here.
      let n = MAX_ENTRIES / 10;
      for (const k of this.entries.keys()) {
        this.entries.delete(k);
        if (--n <= 0) break;
      }
    }
    this.entries.set(key, { value, expires: Date.now() + this.ttlMs });
  }

  clear(): void {
    this.entries.clear();
  }
}

async function through<V>(map: TtlMap<V>, key: string, load: () => Promise<V>): Promise<V> {
  const hit = map.get(key);
  if (hit) return hit.value;
  const value = await load();
  map.set(key, value);
  return value;
}

export function cachedStore(store: Store, ttlMs: number): Store {
  if (ttlMs <= 0) return store;
  const keys = new TtlMap<KeyMatch | undefined>(ttlMs);
  const accounts = new TtlMap<Account | undefined>(ttlMs);
  const deployments = new TtlMap<Deployment | undefined>(ttlMs);
  const raiPolicies = new TtlMap<RaiPolicy | undefined>(ttlMs);
  const raiBlocklists = new TtlMap<RaiBlocklist | undefined>(ttlMs);
  const clear = () => {
    keys.clear();
    accounts.clear();
    deployments.clear();
    raiPolicies.clear();
    raiBlocklists.clear();
  };
  /** Runs a write, then forgets everything cached (also when the write failed half-way). */
  const write = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R> => {
    try {
      return await fn(...args);
    } finally {
      clear();
    }
  };

  return {
    accounts: {
      ...store.accounts,
      getById: (id) => through(accounts, id, () => store.accounts.getById(id)),
      // The token path resolves the account by Host subdomain or by the default account's name.
      // ARM names are case-insensitive.
      get: (ref) =>
        through(accounts, `ref:${ref.subscriptionId}/${ref.resourceGroup}/${ref.name}`.toLowerCase(), () => store.accounts.get(ref)),
      findBySubdomain: (sub) => through(accounts, `sub:${sub.toLowerCase()}`, () => store.accounts.findBySubdomain(sub)),
      upsert: write(store.accounts.upsert),
      delete: write(store.accounts.delete),
    },
    keys: {
      ...store.keys,
      findByKey: (key) => through(keys, key, () => store.keys.findByKey(key)),
      set: write(store.keys.set),
    },
    deployments: {
      ...store.deployments,
      // Deployment names are case-insensitive, as in ARM.
      get: (accountId, name) => through(deployments, `${accountId}/${name.toLowerCase()}`, () => store.deployments.get(accountId, name)),
      upsert: write(store.deployments.upsert),
      delete: write(store.deployments.delete),
    },
    operations: store.operations,
    // The data path reads a deployment's policy and its blocklists on every request.
    raiPolicies: {
      ...store.raiPolicies,
      get: (accountId, name) => through(raiPolicies, `${accountId}/${name.toLowerCase()}`, () => store.raiPolicies.get(accountId, name)),
      upsert: write(store.raiPolicies.upsert),
      delete: write(store.raiPolicies.delete),
    },
    raiBlocklists: {
      ...store.raiBlocklists,
      get: (accountId, name) => through(raiBlocklists, `${accountId}/${name.toLowerCase()}`, () => store.raiBlocklists.get(accountId, name)),
      upsert: write(store.raiBlocklists.upsert),
      delete: write(store.raiBlocklists.delete),
      upsertItems: write(store.raiBlocklists.upsertItems),
      deleteItems: write(store.raiBlocklists.deleteItems),
    },
    // Not cached (authorization reads them fresh); writes still clear the rest, like every write.
    roleAssignments: {
      ...store.roleAssignments,
      upsert: write(store.roleAssignments.upsert),
      delete: write(store.roleAssignments.delete),
    },
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
