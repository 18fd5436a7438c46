import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../core/store.js';
import { sampleAccount, sampleDeployment, storeBackends } from '../../test/helpers/store.js';
import { cachedStore } from './cached-store.js';

describe.each(storeBackends())('the data-path cache on $name', (backend) => {
  let raw: Store;

  beforeAll(async () => {
    raw = await backend.open();
  });
  afterAll(() => backend.cleanup());

  it('sees its own writes at once: a regenerated key stops matching on the next call', async () => {
    const cached = cachedStore(raw, 60_000);
    const account = sampleAccount();
    await cached.accounts.upsert(account);
    await cached.keys.set(account.id, 'key1', 'old-key');
    expect(await cached.keys.findByKey('old-key')).toEqual({ accountId: account.id, keyName: 'key1' });
    await cached.keys.set(account.id, 'key1', 'new-key');
    expect(await cached.keys.findByKey('old-key')).toBeUndefined();
    expect(await cached.keys.findByKey('new-key')).toEqual({ accountId: account.id, keyName: 'key1' });
  });

  it("serves another writer's change once the entry expires, and not before", async () => {
    const cached = cachedStore(raw, 200);
    const account = sampleAccount();
    await raw.accounts.upsert(account);
    const deployment = sampleDeployment(account.id, { name: 'Chat' });
    expect(await cached.deployments.get(account.id, 'chat')).toBeUndefined();
    await raw.deployments.upsert(deployment); // another replica's write: this cache does not see it
    expect(await cached.deployments.get(account.id, 'CHAT')).toBeUndefined();
    await new Promise((r) => setTimeout(r, 250));
    expect(await cached.deployments.get(account.id, 'chat')).toEqual(deployment);
  });

  it('passes role assignments through uncached, and their writes clear the cache too', async () => {
    const cached = cachedStore(raw, 60_000);
    const account = sampleAccount();
    await raw.accounts.upsert(account);
    expect(await cached.deployments.get(account.id, 'chat')).toBeUndefined();
    const deployment = sampleDeployment(account.id, { name: 'chat' });
    await raw.deployments.upsert(deployment);
    const now = new Date();
    const assignment = {
      id: crypto.randomUUID(),
      scope: `/subscriptions/${account.subscriptionId}`,
      roleDefinitionId: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
      principalId: crypto.randomUUID(),
      principalType: 'User' as const,
      createdAt: now,
      updatedAt: now,
    };
    await cached.roleAssignments.upsert(assignment);
    expect(await cached.deployments.get(account.id, 'chat')).toEqual(deployment);
    await raw.roleAssignments.delete(assignment.id); // another replica's write: seen at once, nothing is cached
    expect(await cached.roleAssignments.get(assignment.id)).toBeUndefined();
  });

  it('finds accounts by subdomain and by name, and forgets them at its own writes', async () => {
    const cached = cachedStore(raw, 60_000);
    const account = sampleAccount({ properties: { customSubDomainName: `sub-${Date.now()}` } });
    const sub = account.properties.customSubDomainName as string;
    expect(await cached.accounts.findBySubdomain(sub)).toBeUndefined();
    await cached.accounts.upsert(account);
    expect((await cached.accounts.findBySubdomain(sub.toUpperCase()))?.id).toBe(account.id);
    expect((await cached.accounts.get({ ...account, name: account.name.toUpperCase() }))?.id).toBe(account.id);
    await cached.accounts.delete(account);
    expect(await cached.accounts.findBySubdomain(sub)).toBeUndefined();
    expect(await cached.accounts.get(account)).toBeUndefined();
  });

  it('is the store itself when the TTL is 0', () => {
    expect(cachedStore(raw, 0)).toBe(raw);
  });
});
