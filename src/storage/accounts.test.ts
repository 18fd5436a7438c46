import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../core/store.js';
import { sampleAccount, sampleDeployment, storeBackends } from '../../test/helpers/store.js';

describe.each(storeBackends())('accounts on $name', (backend) => {
  let store: Store;
  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(() => backend.cleanup());

  it('stores an account and gives it back as it was', async () => {
    const account = sampleAccount({
      tags: { team: 'ml' },
      identity: { type: 'SystemAssigned' },
      properties: { publicNetworkAccess: 'Enabled', networkAcls: { defaultAction: 'Deny' } },
    });
    await store.accounts.upsert(account);
    expect(await store.accounts.get(account)).toEqual(account);
    expect(await store.accounts.getById(account.id)).toEqual(account);
  });

  it('leaves identity out when there is none', async () => {
    const account = sampleAccount();
    await store.accounts.upsert(account);
    expect(await store.accounts.get(account)).not.toHaveProperty('identity');
  });

  it('finds an account by its name in any case, as ARM does', async () => {
    const account = sampleAccount({ name: 'MyAccount', resourceGroup: 'My-RG' });
    await store.accounts.upsert(account);
    const ref = { subscriptionId: account.subscriptionId.toUpperCase(), resourceGroup: 'MY-rg', name: 'myaccount' };
    expect((await store.accounts.get(ref))?.id).toBe(account.id);
    expect(await store.accounts.get({ ...ref, name: 'other' })).toBeUndefined();
  });

  it('updates in place when the same account is put again, in another case', async () => {
    const account = sampleAccount({ name: 'Original' });
    await store.accounts.upsert(account);
    const later = new Date(account.updatedAt.getTime() + 60_000);
    await store.accounts.upsert({
      ...account,
      id: '00000000-0000-4000-8000-000000000000',
      name: 'ORIGINAL',
      location: 'eastus',
      tags: { env: 'prod' },
      provisioningState: 'Updating',
      createdAt: later,
      updatedAt: later,
    });
    const stored = await store.accounts.get(account);
    expect(stored).toMatchObject({ id: account.id, name: 'Original', createdAt: account.createdAt });
    expect(stored).toMatchObject({ location: 'eastus', tags: { env: 'prod' }, provisioningState: 'Updating', updatedAt: later });
    expect(await store.accounts.list({ subscriptionId: account.subscriptionId })).toHaveLength(1);
  });

  it('lists by subscription and by resource group', async () => {
    const subscriptionId = crypto.randomUUID();
    const a = sampleAccount({ subscriptionId, resourceGroup: 'rg-b', name: 'beta' });
    const b = sampleAccount({ subscriptionId, resourceGroup: 'rg-a', name: 'Alpha' });
    const c = sampleAccount({ subscriptionId, resourceGroup: 'rg-a', name: 'gamma' });
    for (const x of [a, b, c, sampleAccount()]) await store.accounts.upsert(x);
    const all = await store.accounts.list({ subscriptionId });
    expect(all.map((x) => x.name)).toEqual(['Alpha', 'gamma', 'beta']);
    const inGroup = await store.accounts.list({ subscriptionId: subscriptionId.toUpperCase(), resourceGroup: 'RG-A' });
    expect(inGroup.map((x) => x.name)).toEqual(['Alpha', 'gamma']);
    expect(await store.accounts.list({ subscriptionId: crypto.randomUUID() })).toEqual([]);
  });

  it('finds the account that uses a custom subdomain, in any case', async () => {
    const subdomain = `sub-${crypto.randomUUID().slice(0, 8)}`;
    const account = sampleAccount({ properties: { customSubDomainName: subdomain } });
    await store.accounts.upsert(account);
    expect((await store.accounts.findBySubdomain(subdomain.toUpperCase()))?.id).toBe(account.id);
    expect(await store.accounts.findBySubdomain(`${subdomain}-x`)).toBeUndefined();
    // The subdomain becomes a host name: a second account (any subscription) cannot take it.
    await expect(store.accounts.upsert(sampleAccount({ properties: { customSubDomainName: subdomain } }))).rejects.toThrow();
  });

  it('deletes an account with its keys and deployments', async () => {
    const account = sampleAccount();
    await store.accounts.upsert(account);
    await store.keys.set(account.id, 'key1', `k1-${account.id}`);
    await store.keys.set(account.id, 'key2', `k2-${account.id}`);
    await store.deployments.upsert(sampleDeployment(account.id));

    expect(await store.accounts.delete({ ...account, name: account.name.toUpperCase() })).toBe(true);
    expect(await store.accounts.get(account)).toBeUndefined();
    expect(await store.keys.list(account.id)).toBeUndefined();
    expect(await store.keys.findByKey(`k1-${account.id}`)).toBeUndefined();
    expect(await store.deployments.list(account.id)).toEqual([]);
    expect(await store.accounts.delete(account)).toBe(false);
  });
});
