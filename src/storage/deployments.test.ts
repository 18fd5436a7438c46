import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account } from '../core/resources.js';
import type { Store } from '../core/store.js';
import { sql } from 'drizzle-orm';
import { sampleAccount, sampleDeployment, storeBackends } from '../../test/helpers/store.js';
import { drizzleOf } from './index.js';

describe.each(storeBackends())('deployments on $name', (backend) => {
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

  it('stores a deployment and gives it back as it was, by its name in any case', async () => {
    const account = await withAccount();
    const deployment = sampleDeployment(account.id, {
      name: 'Chat-Mini',
      properties: { model: { format: 'OpenAI', name: 'gpt-4o-mini' }, raiPolicyName: 'Microsoft.Default' },
    });
    await store.deployments.upsert(deployment);
    expect(await store.deployments.get(account.id, 'Chat-Mini')).toEqual(deployment);
    expect(await store.deployments.get(account.id, 'chat-mini')).toEqual(deployment);
    expect(await store.deployments.get(account.id, 'other')).toBeUndefined();
    expect(await store.deployments.get(sampleAccount().id, 'Chat-Mini')).toBeUndefined();
  });

  it('updates in place, keeping id, creation time and name; sets and clears the error', async () => {
    const account = await withAccount();
    const deployment = sampleDeployment(account.id, { name: 'Embed', provisioningState: 'Creating' });
    await store.deployments.upsert(deployment);
    const failed = {
      ...deployment,
      id: crypto.randomUUID(),
      name: 'EMBED',
      createdAt: new Date(0),
      provisioningState: 'Failed' as const,
      provisioningError: { code: 'ModelLoadFailed', message: 'not a GGUF file' },
    };
    await store.deployments.upsert(failed);
    expect(await store.deployments.get(account.id, 'embed')).toEqual({
      ...failed,
      id: deployment.id,
      name: 'Embed',
      createdAt: deployment.createdAt,
    });
    const { provisioningError: _cleared, ...succeeded } = { ...failed, provisioningState: 'Succeeded' as const };
    await store.deployments.upsert(succeeded);
    expect(await store.deployments.get(account.id, 'embed')).not.toHaveProperty('provisioningError');
    expect(await store.deployments.list(account.id)).toHaveLength(1);
  });

  it('lists the deployments of one account, and of all', async () => {
    const [a, b] = [await withAccount(), await withAccount()];
    // The same name in two accounts is two deployments.
    for (const d of [sampleDeployment(a.id, { name: 'b' }), sampleDeployment(a.id, { name: 'A' }), sampleDeployment(b.id, { name: 'b' })]) {
      await store.deployments.upsert(d);
    }
    expect((await store.deployments.list(a.id)).map((d) => d.name)).toEqual(['A', 'b']);
    expect((await store.deployments.list(b.id)).map((d) => d.name)).toEqual(['b']);
    const all = await store.deployments.listAll();
    expect(all.filter((d) => d.accountId === a.id || d.accountId === b.id)).toHaveLength(3);
  });

  it('deletes a deployment by its name in any case', async () => {
    const account = await withAccount();
    await store.deployments.upsert(sampleDeployment(account.id, { name: 'gone' }));
    expect(await store.deployments.delete(account.id, 'GONE')).toBe(true);
    expect(await store.deployments.get(account.id, 'gone')).toBeUndefined();
    expect(await store.deployments.delete(account.id, 'gone')).toBe(false);
  });

  it('seals upstream credentials of a backend: never in plain text at rest, whole when read', async () => {
    const account = await withAccount();
    const secret = `sk-canary-${crypto.randomUUID()}`;
    const deployment = sampleDeployment(account.id, {
      backend: { kind: 'azure-openai', endpoint: 'https://x.openai.azure.com', deployment: 'gpt', apiVersion: '2024-10-21', apiKey: secret },
    });
    await store.deployments.upsert(deployment);
    expect(await store.deployments.get(account.id, deployment.name)).toEqual(deployment);
    expect((await store.deployments.listAll()).find((d) => d.id === deployment.id)).toEqual(deployment);
    const raw = (await drizzleOf(store).execute(sql.raw(`select backend::text as b from deployments where id = '${deployment.id}'`))) as unknown as { rows: { b: string }[] };
    expect(raw.rows[0]!.b).not.toContain(secret);
    expect(raw.rows[0]!.b).toContain('x.openai.azure.com');
  });

  it("seals a pool's member credentials too, each bound to its member", async () => {
    const account = await withAccount();
    const [key, token] = [`sk-canary-${crypto.randomUUID()}`, `eyJ-canary-${crypto.randomUUID()}`];
    const deployment = sampleDeployment(account.id, {
      backend: {
        kind: 'pool',
        members: [
          { name: 'primary', backend: { kind: 'openai-compatible', baseUrl: 'http://vllm:8000/v1', model: 'm', apiKey: key } },
          { name: 'cloud', priority: 2, backend: { kind: 'azure-openai', endpoint: 'https://x.openai.azure.com', deployment: 'gpt', apiVersion: '2024-10-21', bearerToken: token } },
          { name: 'sim', priority: 3, backend: { kind: 'simulator' } },
        ],
      },
    });
    await store.deployments.upsert(deployment);
    expect(await store.deployments.get(account.id, deployment.name)).toEqual(deployment);
    const db = drizzleOf(store);
    const read = async () =>
      ((await db.execute(sql.raw(`select backend::text as b from deployments where id = '${deployment.id}'`))) as unknown as { rows: { b: string }[] }).rows[0]!.b;
    const stored = await read();
    expect(stored).not.toContain(key);
    expect(stored).not.toContain(token);
    expect(stored).toContain('vllm:8000');
    // A sealed value moved to another member does not open there: the seal names its member.
    const moved = JSON.parse(stored) as { members: { backend: Record<string, string> }[] };
    moved.members[1]!.backend.apiKey = moved.members[0]!.backend.apiKey!;
    await db.execute(sql.raw(`update deployments set backend = '${JSON.stringify(moved).replaceAll("'", "''")}'::jsonb where id = '${deployment.id}'`));
    await expect(store.deployments.get(account.id, deployment.name)).rejects.toThrow();
  });
});
