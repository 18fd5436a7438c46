// Content-filter policies and custom blocklists on the raw wire: the RM 2025-06-01 examples
// (PutRaiPolicy, PutRaiBlocklist, PutRaiBlocklistItem), built-in policies, validation, batch
// item actions, the deployment → policy reference, and deletion with the account.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/main.js';
import { accountPath, newServerState, startInProcess, type ServerState } from '../helpers/server.js';

const EXAMPLES = JSON.parse(readFileSync(new URL('../../../shared/specs/cognitiveservices-rm-2025-06-01-examples.json', import.meta.url), 'utf8'));
const example = (name: string) => EXAMPLES[`specification/cognitiveservices/resource-manager/Microsoft.CognitiveServices/stable/2025-06-01/examples/${name}.json`];

let state: ServerState;
let server: RunningServer;

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}?api-version=2025-06-01`, {
    method,
    headers: { authorization: `Bearer ${server.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const ACCOUNT = accountPath('rai-acct', 'rg-rai');
const policy = (name: string) => `${ACCOUNT}/raiPolicies/${name}`;
const blocklist = (name: string) => `${ACCOUNT}/raiBlocklists/${name}`;
const item = (list: string, name: string) => `${blocklist(list)}/raiBlocklistItems/${name}`;
const createAccount = () => call('PUT', ACCOUNT, { location: 'westeurope', kind: 'OpenAI', sku: { name: 'S0' } });
const deployment = (raiPolicyName: string) => ({
  sku: { name: 'Standard' },
  properties: { model: { format: 'OpenAI', name: 'sim' }, raiPolicyName, lapis: { backend: { kind: 'simulator' } } },
});

beforeAll(async () => {
  state = await newServerState();
  server = await startInProcess(state);
  expect((await createAccount()).status).toBe(201);
});
afterAll(async () => {
  await server?.stop();
  await state?.cleanup();
});

describe('built-in policies', () => {
  it('are readable and listed before the account’s own', async () => {
    const v2 = await call('GET', policy('microsoft.defaultv2'));
    expect(v2.status).toBe(200);
    expect(v2.body).toMatchObject({ id: `${ACCOUNT}/raiPolicies/Microsoft.DefaultV2`, name: 'Microsoft.DefaultV2', type: 'Microsoft.CognitiveServices/accounts/raiPolicies' });
    expect(v2.body.properties.type).toBe('SystemManaged');
    expect(v2.body.properties.contentFilters).toContainEqual({ name: 'Jailbreak', source: 'Prompt', enabled: true, blocking: true });
    expect(v2.body.properties.contentFilters).toContainEqual({ name: 'Selfharm', source: 'Completion', enabled: true, blocking: true, severityThreshold: 'Medium' });
    const list = await call('GET', `${ACCOUNT}/raiPolicies`);
    expect(list.body.value.map((p: { name: string }) => p.name).slice(0, 2)).toEqual(['Microsoft.Default', 'Microsoft.DefaultV2']);
  });

  it('refuse writes and deletes (409), and their name space is reserved (400)', async () => {
    const body = { properties: { contentFilters: [] } };
    for (const res of [await call('PUT', policy('Microsoft.Default'), body), await call('DELETE', policy('MICROSOFT.DEFAULTV2'))]) {
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'RequestConflict', message: expect.stringContaining('system managed') });
    }
    expect((await call('PUT', policy('Microsoft.Mine'), body)).body.error.code).toBe('InvalidResourceName');
    expect((await call('GET', policy('Microsoft.Mine'))).status).toBe(404);
  });
});

describe('blocklists and items', () => {
  it('create, replace and read a blocklist as in PutRaiBlocklist', async () => {
    const ex = example('PutRaiBlocklist');
    const created = await call('PUT', blocklist('myList'), ex.parameters.raiBlocklist);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...ex.responses['200'].body, id: `${ACCOUNT}/raiBlocklists/myList`, name: 'myList', type: 'Microsoft.CognitiveServices/accounts/raiBlocklists' });
    expect((await call('PUT', blocklist('MYLIST'), { properties: { description: 'changed' } })).status).toBe(200);
    const got = await call('GET', blocklist('mylist'));
    expect(got.body).toMatchObject({ name: 'myList', properties: { description: 'changed' } });
    expect((await call('GET', `${ACCOUNT}/raiBlocklists`)).body.value.map((b: { name: string }) => b.name)).toEqual(['myList']);
  });

  it('create, replace, read, list and delete an item as in PutRaiBlocklistItem', async () => {
    const ex = example('PutRaiBlocklistItem');
    const created = await call('PUT', item('myList', 'item1'), ex.parameters.raiBlocklistItem);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: `${ACCOUNT}/raiBlocklists/myList/raiBlocklistItems/item1`,
      name: 'item1',
      type: 'Microsoft.CognitiveServices/accounts/raiBlocklists/raiBlocklistItems',
      properties: ex.responses['200'].body.properties,
    });
    expect((await call('PUT', item('mylist', 'ITEM1'), { properties: { pattern: 'acct-\\d+', isRegex: true } })).status).toBe(200);
    expect((await call('GET', item('myList', 'item1'))).body.properties).toEqual({ pattern: 'acct-\\d+', isRegex: true });
    expect((await call('GET', `${blocklist('myList')}/raiBlocklistItems`)).body.value.map((i: { name: string }) => i.name)).toEqual(['item1']);
    expect((await call('DELETE', item('myList', 'item1'))).status).toBe(200);
    expect((await call('DELETE', item('myList', 'item1'))).status).toBe(204);
    expect((await call('GET', item('myList', 'item1'))).body.error.code).toBe('ResourceNotFound');
  });

  it.each([
    ['an invalid regex', { pattern: '([a-z', isRegex: true }, /not a valid regular expression/],
    ['a catastrophic regex', { pattern: '(a+)+$', isRegex: true }, /nests repetition/],
    ['a regex matching everything', { pattern: '.*', isRegex: true }, /empty text/],
    ['an over-long pattern', { pattern: 'x'.repeat(1001), isRegex: false }, /longer than 1000/],
    ['an empty pattern', { pattern: '', isRegex: false }, /required/],
  ])('refuse %s, naming it', async (_name, properties, message) => {
    const res = await call('PUT', item('myList', 'bad'), { properties });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'InvalidResourceProperties', target: 'properties.pattern', message: expect.stringMatching(message) });
  });

  it('refuse unknown members and items of a missing blocklist', async () => {
    expect((await call('PUT', item('myList', 'x'), { properties: { pattern: 'p', regex: true } })).body.error.message).toContain("Could not find member 'regex'");
    expect((await call('PUT', blocklist('other'), { properties: { description: 'd' }, tags: {} })).body.error.code).toBe('InvalidRequestContent');
    expect((await call('PUT', item('ghost', 'x'), { properties: { pattern: 'p' } })).status).toBe(404);
    expect((await call('POST', `${blocklist('ghost')}/addRaiBlocklistItems`, [{ name: 'x', properties: { pattern: 'p' } }])).status).toBe(404);
  });

  it('add and delete items in batches, all or none', async () => {
    const add = (body: unknown) => call('POST', `${blocklist('myList')}/addRaiBlocklistItems`, body);
    const added = await add([
      { name: 'b1', properties: { pattern: 'secret', isRegex: false } },
      { name: 'b2', properties: { pattern: 'project \\w+', isRegex: true } },
      { name: 'b3', properties: { pattern: 'x' } },
    ]);
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ name: 'myList', type: 'Microsoft.CognitiveServices/accounts/raiBlocklists' });
    const names = async () => (await call('GET', `${blocklist('myList')}/raiBlocklistItems`)).body.value.map((i: { name: string }) => i.name);
    expect(await names()).toEqual(['b1', 'b2', 'b3']);
    const bad = await add([{ name: 'b4', properties: { pattern: 'ok' } }, { name: 'b5', properties: { pattern: '(x*)*', isRegex: true } }]);
    expect(bad.body.error).toMatchObject({ code: 'InvalidResourceProperties', target: '[1].properties.pattern' });
    expect((await add([{ name: 'd', properties: { pattern: 'a' } }, { name: 'D', properties: { pattern: 'b' } }])).body.error.message).toContain('twice');
    expect((await add([])).status).toBe(400);
    expect((await add({ name: 'x' })).body.error.code).toBe('InvalidRequestContent');
    expect(await names()).toEqual(['b1', 'b2', 'b3']);
    const deleted = await call('POST', `${blocklist('myList')}/deleteRaiBlocklistItems`, ['B1', 'b3', 'never-there']);
    expect(deleted.status).toBe(200);
    expect(await names()).toEqual(['b2']);
    expect((await call('POST', `${blocklist('myList')}/deleteRaiBlocklistItems`, [42])).body.error.code).toBe('InvalidRequestContent');
  });
});

describe('policies', () => {
  it('create and replace a policy as in PutRaiPolicy', async () => {
    const ex = example('PutRaiPolicy');
    const created = await call('PUT', policy('raiPolicyName'), ex.parameters.raiPolicy);
    expect(created.status).toBe(201);
    const expected = { ...ex.responses['201'].body, id: policy('raiPolicyName'), type: 'Microsoft.CognitiveServices/accounts/raiPolicies' };
    expect(created.body).toMatchObject(expected);
    expect(created.body.properties).toMatchObject({ type: 'UserManaged', customBlocklists: [] });
    const withList = { properties: { ...ex.parameters.raiPolicy.properties, customBlocklists: [{ blocklistName: 'MYLIST', source: 'Prompt', blocking: true }] } };
    const replaced = await call('PUT', policy('RAIPOLICYNAME'), withList);
    expect(replaced.status).toBe(200);
    expect(replaced.body.name).toBe('raiPolicyName');
    expect(replaced.body.properties.customBlocklists).toEqual([{ blocklistName: 'myList', source: 'Prompt', blocking: true }]);
    expect((await call('GET', policy('raipolicyname'))).body).toEqual(replaced.body);
    const names = (await call('GET', `${ACCOUNT}/raiPolicies`)).body.value.map((p: { name: string }) => p.name);
    expect(names).toEqual(['Microsoft.Default', 'Microsoft.DefaultV2', 'raiPolicyName']);
  });

  const filter = { name: 'Hate', source: 'Prompt', enabled: true, blocking: true, severityThreshold: 'Low' };
  it.each([
    ['an unknown filter', [{ ...filter, name: 'Rudeness' }], 'properties.contentFilters[0].name'],
    ['an unknown threshold', [{ ...filter, severityThreshold: 'Extreme' }], 'properties.contentFilters[0].severityThreshold'],
    ['a harm filter without threshold', [{ name: 'Violence', source: 'Prompt', enabled: true, blocking: true }], 'properties.contentFilters[0].severityThreshold'],
    ['a threshold on a prompt shield', [{ name: 'Jailbreak', source: 'Prompt', enabled: true, blocking: true, severityThreshold: 'Low' }], 'properties.contentFilters[0].severityThreshold'],
    ['a prompt shield on completions', [{ name: 'Jailbreak', source: 'Completion', enabled: true, blocking: true }], 'properties.contentFilters[0].source'],
    ['an unknown source', [{ ...filter, source: 'Both' }], 'properties.contentFilters[0].source'],
    ['a missing flag', [{ name: 'Profanity', source: 'Prompt', enabled: true }], 'properties.contentFilters[0].blocking'],
    ['a filter twice', [filter, { ...filter, name: 'hate' }], 'properties.contentFilters[1]'],
  ])('refuse %s, naming where', async (_name, contentFilters, target) => {
    const res = await call('PUT', policy('bad'), { properties: { contentFilters } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'InvalidResourceProperties', target });
  });

  it('refuse a missing blocklist, an unknown base policy or mode, and unknown members', async () => {
    const missing = await call('PUT', policy('bad'), { properties: { customBlocklists: [{ blocklistName: 'ghost', source: 'Prompt', blocking: true }] } });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'InvalidResourceProperties', target: 'properties.customBlocklists[0].blocklistName', message: expect.stringContaining("'ghost'") });
    expect((await call('PUT', policy('bad'), { properties: { basePolicyName: 'Microsoft.Nope' } })).body.error.target).toBe('properties.basePolicyName');
    expect((await call('PUT', policy('bad'), { properties: { mode: 'Eventually' } })).body.error.target).toBe('properties.mode');
    expect((await call('PUT', policy('bad'), { properties: { contentFilters: [{ ...filter, colour: 'red' }] } })).body.error.message).toContain("Could not find member 'colour'");
    expect((await call('PUT', policy('bad name'), { properties: {} })).body.error.code).toBe('InvalidResourceName');
    expect((await call('GET', policy('bad'))).body.error.code).toBe('ResourceNotFound');
  });
});

describe('deployments and deletion', () => {
  it('let a deployment name a built-in or own policy, refusing a missing one', async () => {
    const missing = await call('PUT', `${ACCOUNT}/deployments/d-missing`, deployment('NoSuchPolicy'));
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'InvalidResourceProperties', target: 'properties.raiPolicyName', message: expect.stringContaining("'NoSuchPolicy'") });
    expect((await call('PUT', `${ACCOUNT}/deployments/d-builtin`, deployment('Microsoft.DefaultV2'))).status).toBe(201);
    expect((await call('PUT', `${ACCOUNT}/deployments/d-own`, deployment('raipolicyname'))).status).toBe(201);
  });

  it('refuse deleting a policy a deployment uses, and a blocklist a policy uses (409)', async () => {
    const inUse = await call('DELETE', policy('raiPolicyName'));
    expect(inUse.status).toBe(409);
    expect(inUse.body.error.message).toContain("'d-own'");
    const listInUse = await call('DELETE', blocklist('myList'));
    expect(listInUse.status).toBe(409);
    expect(listInUse.body.error.message).toContain("'raiPolicyName'");
    expect((await call('DELETE', `${ACCOUNT}/deployments/d-own`)).status).toBe(200);
    expect((await call('DELETE', policy('raiPolicyName'))).status).toBe(200);
    expect((await call('DELETE', policy('raiPolicyName'))).status).toBe(204);
    expect((await call('DELETE', blocklist('myList'))).status).toBe(200);
    expect((await call('DELETE', blocklist('myList'))).status).toBe(204);
  });

  it('delete the policies and blocklists of a deleted account', async () => {
    await call('PUT', blocklist('kept'), { properties: {} });
    await call('PUT', item('kept', 'i'), { properties: { pattern: 'p' } });
    await call('PUT', policy('gone-with-it'), { properties: { customBlocklists: [{ blocklistName: 'kept', source: 'Completion', blocking: false }] } });
    expect((await call('DELETE', ACCOUNT)).status).toBe(200);
    expect((await createAccount()).status).toBe(201);
    expect((await call('GET', `${ACCOUNT}/raiPolicies`)).body.value.map((p: { name: string }) => p.name)).toEqual(['Microsoft.Default', 'Microsoft.DefaultV2']);
    expect((await call('GET', `${ACCOUNT}/raiBlocklists`)).body.value).toEqual([]);
    expect((await call('GET', item('kept', 'i'))).status).toBe(404);
  });
});
