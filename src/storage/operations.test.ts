import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Operation } from '../core/resources.js';
import type { Store } from '../core/store.js';
import { storeBackends } from '../../test/helpers/store.js';

describe.each(storeBackends())('operations on $name', (backend) => {
  let store: Store;
  beforeAll(async () => {
    store = await backend.open();
  });
  afterAll(() => backend.cleanup());

  const resourceId =
    '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/a/deployments/d';

  it('records an operation from start to end', async () => {
    const started: Operation = { id: crypto.randomUUID(), resourceId, status: 'InProgress', startTime: new Date() };
    await store.operations.upsert(started);
    expect(await store.operations.get(started.id)).toEqual(started);

    const finished: Operation = { ...started, status: 'Succeeded', endTime: new Date(started.startTime.getTime() + 1500) };
    await store.operations.upsert(finished);
    expect(await store.operations.get(started.id)).toEqual(finished);
  });

  it('keeps the error of a failed operation', async () => {
    const failed: Operation = {
      id: crypto.randomUUID(),
      resourceId,
      status: 'Failed',
      error: { code: 'ModelLoadFailed', message: 'unsupported architecture' },
      startTime: new Date(),
      endTime: new Date(),
    };
    await store.operations.upsert(failed);
    expect(await store.operations.get(failed.id)).toEqual(failed);
  });

  it('has nothing for an unknown id', async () => {
    const missing = await store.operations.get(crypto.randomUUID());
    expect(missing).toBeUndefined();
  });

  it('leaves out what a running operation does not have yet', async () => {
    const running: Operation = { id: crypto.randomUUID(), resourceId, status: 'InProgress', startTime: new Date() };
    await store.operations.upsert(running);
    const stored = await store.operations.get(running.id);
    expect(stored).not.toHaveProperty('endTime');
    expect(stored).not.toHaveProperty('error');
  });
});
