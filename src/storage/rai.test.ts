import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account } from '../core/resources.js';
import { MICROSOFT_DEFAULT_V2, type RaiBlocklist, type RaiPolicy } from '../core/safety.js';
import type { Store } from '../core/store.js';
import { sampleAccount, storeBackends } from '../../test/helpers/store.js';
import { cachedStore } from './cached-store.js';

function samplePolicy(accountId: string, overrides: Partial<RaiPolicy> = {}): RaiPolicy {
  const now = new Date();
  return {
    id: randomUUID(),
    accountId,
    name: 'Strict',
    basePolicyName: 'Microsoft.DefaultV2',
    mode: 'Asynchronous_filter',
    contentFilters: MICROSOFT_DEFAULT_V2.contentFilters.map((f) => ({ ...f })),
    customBlocklists: [{ blocklistName: 'words', source: 'Prompt', blocking: true }],
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

function sampleBlocklist(accountId: string, overrides: Partial<Omit<RaiBlocklist, 'items'>> = {}): Omit<RaiBlocklist, 'items'> {
  const now = new Date();
  return { id: randomUUID(), accountId, name: 'Words', description: 'terms', createdAt: now, updatedAt: now, ...overrides };
}

describe.each(storeBackends())('RAI policies and blocklists on $name', (backend) => {
  let store: Store;
  const withAccount = async (): Promise<Account> => {
    const account = sampleAccount();
    await store.accounts.upsert(account);
    return account;
  };

  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(() => backend.cleanup());

  it('stores a policy and gives it back as it was, by its name in any case', async () => {
    const account = await withAccount();
    const policy = samplePolicy(account.id);
    await store.raiPolicies.upsert(policy);
    expect(await store.raiPolicies.get(account.id, 'strict')).toEqual(policy);
    expect(await store.raiPolicies.get(sampleAccount().id, 'Strict')).toBeUndefined();
    const { basePolicyName: _none, ...bare } = samplePolicy(account.id, { name: 'Bare', customBlocklists: [], contentFilters: [] });
    await store.raiPolicies.upsert(bare);
    expect(await store.raiPolicies.get(account.id, 'BARE')).toEqual(bare);
  });

  it('replaces a policy in place, keeping id, creation time and name; lists and deletes', async () => {
    const account = await withAccount();
    const first = samplePolicy(account.id, { name: 'P1' });
    await store.raiPolicies.upsert(first);
    const second = samplePolicy(account.id, { name: 'p1', id: randomUUID(), createdAt: new Date(0), mode: 'Blocking', customBlocklists: [] });
    await store.raiPolicies.upsert(second);
    expect(await store.raiPolicies.get(account.id, 'P1')).toEqual({ ...second, id: first.id, name: 'P1', createdAt: first.createdAt });
    await store.raiPolicies.upsert(samplePolicy(account.id, { name: 'a0' }));
    expect((await store.raiPolicies.list(account.id)).map((p) => p.name)).toEqual(['a0', 'P1']);
    expect(await store.raiPolicies.delete(account.id, 'p1')).toBe(true);
    expect(await store.raiPolicies.delete(account.id, 'p1')).toBe(false);
    expect((await store.raiPolicies.list(account.id)).map((p) => p.name)).toEqual(['a0']);
  });

  it('keeps a blocklist with its items; a replaced blocklist keeps its items', async () => {
    const account = await withAccount();
    const list = sampleBlocklist(account.id);
    await store.raiBlocklists.upsert(list);
    expect(await store.raiBlocklists.get(account.id, 'words')).toEqual({ ...list, items: [] });
    expect(await store.raiBlocklists.upsertItems(account.id, 'WORDS', [
      { name: 'b', pattern: 'bad', isRegex: false },
      { name: 'A', pattern: 'acct-\\d+', isRegex: true },
    ])).toBe(true);
    const { description: _d, ...noDescription } = sampleBlocklist(account.id, { name: 'words', id: randomUUID() });
    await store.raiBlocklists.upsert(noDescription);
    const got = await store.raiBlocklists.get(account.id, 'Words');
    expect(got).toEqual({ ...noDescription, id: list.id, name: 'Words', createdAt: list.createdAt, updatedAt: got!.updatedAt, items: [
      { name: 'A', pattern: 'acct-\\d+', isRegex: true },
      { name: 'b', pattern: 'bad', isRegex: false },
    ] });
    expect(got).not.toHaveProperty('description');
  });

  it('replaces items by name in any case, deletes them, and refuses items for a missing blocklist', async () => {
    const account = await withAccount();
    await store.raiBlocklists.upsert(sampleBlocklist(account.id, { name: 'L' }));
    await store.raiBlocklists.upsertItems(account.id, 'L', [{ name: 'Item', pattern: 'x', isRegex: false }]);
    await store.raiBlocklists.upsertItems(account.id, 'L', [{ name: 'ITEM', pattern: 'y', isRegex: true }, { name: 'other', pattern: 'z', isRegex: false }]);
    expect((await store.raiBlocklists.get(account.id, 'L'))!.items).toEqual([
      { name: 'Item', pattern: 'y', isRegex: true },
      { name: 'other', pattern: 'z', isRegex: false },
    ]);
    expect(await store.raiBlocklists.deleteItems(account.id, 'l', ['item', 'missing'])).toBe(1);
    expect((await store.raiBlocklists.get(account.id, 'L'))!.items.map((i) => i.name)).toEqual(['other']);
    expect(await store.raiBlocklists.upsertItems(account.id, 'nope', [{ name: 'x', pattern: 'x', isRegex: false }])).toBe(false);
    expect(await store.raiBlocklists.deleteItems(account.id, 'nope', ['x'])).toBe(0);
  });

  it('lists blocklists with their items; deleting one takes its items', async () => {
    const account = await withAccount();
    await store.raiBlocklists.upsert(sampleBlocklist(account.id, { name: 'two' }));
    await store.raiBlocklists.upsert(sampleBlocklist(account.id, { name: 'One' }));
    await store.raiBlocklists.upsertItems(account.id, 'two', [{ name: 'i', pattern: 'p', isRegex: false }]);
    const lists = await store.raiBlocklists.list(account.id);
    expect(lists.map((l) => [l.name, l.items.length])).toEqual([['One', 0], ['two', 1]]);
    expect(await store.raiBlocklists.delete(account.id, 'TWO')).toBe(true);
    await store.raiBlocklists.upsert(sampleBlocklist(account.id, { name: 'two' }));
    expect((await store.raiBlocklists.get(account.id, 'two'))!.items).toEqual([]);
  });

  it("deletes an account's policies and blocklists with it", async () => {
    const account = await withAccount();
    await store.raiPolicies.upsert(samplePolicy(account.id));
    await store.raiBlocklists.upsert(sampleBlocklist(account.id));
    await store.raiBlocklists.upsertItems(account.id, 'Words', [{ name: 'i', pattern: 'p', isRegex: false }]);
    expect(await store.accounts.delete(account)).toBe(true);
    expect(await store.raiPolicies.list(account.id)).toEqual([]);
    expect(await store.raiBlocklists.list(account.id)).toEqual([]);
  });

  it('caches policy and blocklist reads, and forgets them on any write through the cache', async () => {
    const cached = cachedStore(store, 60_000);
    const account = await withAccount();
    expect(await cached.raiPolicies.get(account.id, 'Strict')).toBeUndefined();
    await store.raiPolicies.upsert(samplePolicy(account.id)); // another replica's write: not seen yet
    expect(await cached.raiPolicies.get(account.id, 'STRICT')).toBeUndefined();
    await cached.raiBlocklists.upsert(sampleBlocklist(account.id)); // this process's write clears everything
    expect((await cached.raiPolicies.get(account.id, 'strict'))?.name).toBe('Strict');
    expect((await cached.raiBlocklists.get(account.id, 'words'))?.items).toEqual([]);
    await cached.raiBlocklists.upsertItems(account.id, 'words', [{ name: 'i', pattern: 'p', isRegex: false }]);
    expect((await cached.raiBlocklists.get(account.id, 'words'))?.items).toHaveLength(1);
    await cached.raiBlocklists.deleteItems(account.id, 'words', ['i']);
    expect((await cached.raiBlocklists.get(account.id, 'words'))?.items).toEqual([]);
    await cached.raiPolicies.delete(account.id, 'strict');
    expect(await cached.raiPolicies.get(account.id, 'strict')).toBeUndefined();
  });
});
