// Quota: deployment capacity counted per subscription, region, deployment type and model; the
// usages API (through the ARM SDK as well) and Azure's InsufficientQuota refusal.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/main.js';
import { managementClient } from '../helpers/arm-client.js';
import { accountPath, adminApi, newServerState, startInProcess, type ServerState } from '../helpers/server.js';

let state: ServerState;
let server: RunningServer;
let admin: ReturnType<typeof adminApi>;
const SUB = '00000000-0000-0000-0000-000000000000';

function deployment(name: string, sku: object, model = 'gpt-4o') {
  return admin.putDeployment(name, { sku, properties: { model: { format: 'OpenAI', name: model, version: '1' }, lapis: { backend: { kind: 'simulator' } } } });
}

beforeAll(async () => {
  state = await newServerState();
  server = await startInProcess(state, { quotas: JSON.stringify({ 'OpenAI.Standard.gpt-4o': 30, 'OpenAI.ProvisionedManaged': 50 }) });
  admin = adminApi(server);
  await admin.defaultAccountKey();
});
afterAll(async () => {
  await server?.stop();
  await state?.cleanup();
});

describe('quota', () => {
  it('counts capacity per type and model, and refuses what does not fit with InsufficientQuota', async () => {
    expect((await deployment('a', { name: 'Standard', capacity: 20 })).sku).toEqual({ name: 'Standard', capacity: 20 });
    const refused = await deployment('b', { name: 'Standard', capacity: 11 });
    expect(refused.error).toEqual({
      code: 'InsufficientQuota',
      message:
        'This operation require 11 new capacity in quota Tokens Per Minute (thousands) - Standard - gpt-4o, which is bigger than the current available capacity 10. ' +
        'The current quota usage is 20 and the quota limit is 30 for quota Tokens Per Minute (thousands) - Standard - gpt-4o.',
    });
    // Another type or model is another quota; a deployment without capacity uses none.
    expect((await deployment('c', { name: 'GlobalStandard', capacity: 25 })).error).toBeUndefined();
    expect((await deployment('d', { name: 'Standard', capacity: 25 }, 'gpt-4o-mini')).error).toBeUndefined();
    expect((await deployment('e', { name: 'Standard' })).error).toBeUndefined();
    // Growing a deployment counts only the growth.
    expect((await deployment('a', { name: 'Standard', capacity: 30 })).error).toBeUndefined();
    expect((await deployment('a', { name: 'Standard', capacity: 31 })).error?.code).toBe('InsufficientQuota');
    // PTUs: limited per type across models.
    expect((await deployment('p', { name: 'ProvisionedManaged', capacity: 50 })).error).toBeUndefined();
    expect((await deployment('q', { name: 'ProvisionedManaged', capacity: 1 }, 'gpt-4.1')).error).toBeUndefined(); // per-model name, type limit 50 each
  });

  it('reports usage per quota through the usages API and the ARM SDK', async () => {
    const path = `/subscriptions/${SUB}/providers/Microsoft.CognitiveServices/locations/local/usages`;
    const list = await admin.call('GET', path);
    const standard = list.value.find((u: any) => u.name.value === 'OpenAI.Standard.gpt-4o');
    expect(standard).toEqual({ name: { value: 'OpenAI.Standard.gpt-4o', localizedValue: 'Tokens Per Minute (thousands) - Standard - gpt-4o' }, currentValue: 30, limit: 30, unit: 'Count' });
    expect(list.value.find((u: any) => u.name.value === 'OpenAI.GlobalStandard.gpt-4o')).toMatchObject({ currentValue: 25, limit: 1000 });
    expect(list.value.find((u: any) => u.name.value === 'OpenAI.ProvisionedManaged.gpt-4o')).toMatchObject({ currentValue: 50, limit: 50 });
    const client = managementClient(server);
    const viaSdk = [];
    for await (const u of client.usages.list('local')) viaSdk.push(u);
    expect(viaSdk.map((u) => u.name?.value).sort()).toEqual(list.value.map((u: any) => u.name.value).sort());
    expect(viaSdk.find((u) => u.name?.value === 'OpenAI.Standard.gpt-4o')).toMatchObject({ currentValue: 30, limit: 30, unit: 'Count' });
    // Another region has nothing deployed.
    expect((await admin.call('GET', `/subscriptions/${SUB}/providers/Microsoft.CognitiveServices/locations/eastus/usages`)).value).toEqual([]);
  });

  it('frees quota when a deployment is deleted', async () => {
    await admin.call('DELETE', `${accountPath('default')}/deployments/a`);
    expect((await deployment('b', { name: 'Standard', capacity: 11 })).error).toBeUndefined();
  });
});
