import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RoleAssignment } from '../core/identity.js';
import type { Store } from '../core/store.js';
import { storeBackends } from '../../test/helpers/store.js';

const OPENAI_USER = '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd';
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';

/** A fresh subscription per test: the tests of a file share one database. */
const subscription = () => `/subscriptions/${randomUUID()}`;

function sample(scope: string, overrides: Partial<RoleAssignment> = {}): RoleAssignment {
  const now = new Date();
  return {
    id: randomUUID(),
    scope,
    roleDefinitionId: OPENAI_USER,
    principalId: randomUUID(),
    principalType: 'User',
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

describe.each(storeBackends())('role assignments on $name', (backend) => {
  let store: Store;
  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(() => backend.cleanup());

  const put = async (...assignments: RoleAssignment[]) => {
    for (const a of assignments) await store.roleAssignments.upsert(a);
    return assignments;
  };
  const ids = (list: RoleAssignment[]) => list.map((a) => a.id).sort();

  it('stores an assignment and gives it back as it was', async () => {
    const [plain, described] = await put(
      sample(`${subscription()}/resourceGroups/rg`, { principalType: 'ServicePrincipal' }),
      sample(subscription(), { description: 'inference for the batch job', principalType: 'Group' }),
    );
    expect(await store.roleAssignments.get(plain!.id)).toEqual(plain);
    expect(await store.roleAssignments.get(plain!.id)).not.toHaveProperty('description');
    expect(await store.roleAssignments.get(described!.id)).toEqual(described);
    expect(await store.roleAssignments.get(randomUUID())).toBeUndefined();
  });

  it('replaces an assignment by id, keeping its creation time', async () => {
    const [first] = await put(sample(subscription(), { description: 'old', createdAt: new Date(1_000) }));
    const replaced = { ...first!, description: undefined, principalType: 'Group' as const, createdAt: new Date(), updatedAt: new Date(5_000) };
    await store.roleAssignments.upsert(replaced);
    const { description: _gone, ...expected } = { ...replaced, createdAt: new Date(1_000) };
    expect(await store.roleAssignments.get(first!.id)).toEqual(expected);
  });

  it('lists what lies at or below a scope, on whole segments, in any case', async () => {
    const sub = subscription();
    const rg = `${sub}/resourceGroups/Rg_1`;
    const account = `${rg}/providers/Microsoft.CognitiveServices/accounts/a1`;
    const [atSub, atRg, atAccount, atDeployment, sibling, lookalike, otherAccount] = await put(
      sample(sub),
      sample(rg),
      sample(account),
      sample(`${account}/deployments/chat`),
      sample(`${sub}/resourceGroups/Rg_10`), // shares the prefix, not the segment
      sample(`${sub}/resourceGroups/RgX1`), // '_' must not act as LIKE's wildcard
      sample(`${rg}/providers/Microsoft.CognitiveServices/accounts/a10`),
    );
    expect(ids(await store.roleAssignments.listUnder(rg.toUpperCase()))).toEqual(ids([atRg!, atAccount!, atDeployment!, otherAccount!]));
    expect(ids(await store.roleAssignments.listUnder(`${account.toLowerCase()}/`))).toEqual(ids([atAccount!, atDeployment!]));
    expect(ids(await store.roleAssignments.listUnder(sub))).toEqual(
      ids([atSub!, atRg!, atAccount!, atDeployment!, sibling!, lookalike!, otherAccount!]),
    );
    expect(await store.roleAssignments.listUnder(`${sub}/resourceGroups/rg_%`)).toEqual([]);
  });

  it('lists everything without a scope or at the root', async () => {
    const [a] = await put(sample(subscription()));
    expect(ids(await store.roleAssignments.listUnder())).toContain(a!.id);
    expect(ids(await store.roleAssignments.listUnder('/'))).toContain(a!.id);
  });

  it('lists the assignments of a principal and its groups, at any scope', async () => {
    const [user, group, other] = [randomUUID(), randomUUID(), randomUUID()];
    const sub = subscription();
    const mine = await put(sample(sub, { principalId: user }), sample(`${sub}/resourceGroups/rg`, { principalId: user, roleDefinitionId: READER }));
    const groups = await put(sample(subscription(), { principalId: group, principalType: 'Group' }));
    await put(sample(sub, { principalId: other }));
    expect(ids(await store.roleAssignments.listForPrincipals([user]))).toEqual(ids(mine));
    expect(ids(await store.roleAssignments.listForPrincipals([user, group, user]))).toEqual(ids([...mine, ...groups]));
    expect(await store.roleAssignments.listForPrincipals([])).toEqual([]);
    expect(await store.roleAssignments.listForPrincipals([randomUUID()])).toEqual([]);
  });

  it('holds one grant of a role to a principal at a scope, whatever the names', async () => {
    const [first] = await put(sample(`${subscription()}/resourceGroups/rg`));
    const again = { ...first!, id: randomUUID(), scope: first!.scope.toUpperCase() };
    await expect(store.roleAssignments.upsert(again)).rejects.toThrow();
    expect(await store.roleAssignments.get(again.id)).toBeUndefined();
  });

  it('deletes by id', async () => {
    const [a] = await put(sample(subscription()));
    expect(await store.roleAssignments.delete(a!.id)).toBe(true);
    expect(await store.roleAssignments.get(a!.id)).toBeUndefined();
    expect(await store.roleAssignments.delete(a!.id)).toBe(false);
  });
});
