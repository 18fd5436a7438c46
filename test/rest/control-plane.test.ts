// The ARM-shaped control plane on the raw wire: authentication, api-versions, naming rules,
// strict bodies, conflicts and ARM's error envelope.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/main.js';
import { accountPath, newServerState, startInProcess, SUBSCRIPTION, type ServerState } from '../helpers/server.js';

let state: ServerState;
let server: RunningServer;

async function call(method: string, path: string, body?: unknown, options: { token?: string | null; version?: string | null; raw?: string } = {}) {
  const version = options.version === undefined ? '2025-06-01' : options.version;
  const token = options.token === undefined ? server.adminToken : options.token;
  const res = await fetch(`${server.url}${path}${version === null ? '' : `?api-version=${version}`}`, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined && options.raw === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: options.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const account = { location: 'westeurope', kind: 'OpenAI', sku: { name: 'S0' } };

beforeAll(async () => {
  state = await newServerState();
  server = await startInProcess(state);
});
afterAll(async () => {
  await server?.stop();
  await state?.cleanup();
});

describe('authentication and api-version', () => {
  it('refuses a request without a token', async () => {
    const res = await call('GET', accountPath('a1'), undefined, { token: null });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: { code: 'AuthenticationFailed', message: "Authentication failed. The 'Authorization' header is missing." } });
  });
  it('refuses a wrong token', async () => {
    const res = await call('GET', accountPath('a1'), undefined, { token: 'nope' });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('InvalidAuthenticationToken');
  });
  it('requires an api-version and names the supported ones', async () => {
    expect((await call('GET', accountPath('a1'), undefined, { version: null })).body.error.code).toBe('MissingApiVersionParameter');
    const bad = await call('GET', accountPath('a1'), undefined, { version: '2019-01-01' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('InvalidApiVersionParameter');
    expect(bad.body.error.message).toContain('2025-06-01');
  });
});

describe('accounts', () => {
  it('creates (201), replaces (200), reads, and lists by resource group and subscription', async () => {
    const created = await call('PUT', accountPath('alpha', 'rg1'), { ...account, properties: { customSubDomainName: 'alpha-sub' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg1/providers/Microsoft.CognitiveServices/accounts/alpha`,
      name: 'alpha',
      type: 'Microsoft.CognitiveServices/accounts',
      location: 'westeurope',
      kind: 'OpenAI',
      sku: { name: 'S0' },
      properties: { customSubDomainName: 'alpha-sub', provisioningState: 'Succeeded', endpoint: `${server.url}/` },
    });
    const replaced = await call('PUT', accountPath('alpha', 'rg1'), { ...account, tags: { env: 'dev' }, properties: { customSubDomainName: 'alpha-sub' } });
    expect(replaced.status).toBe(200);
    expect(replaced.body.tags).toEqual({ env: 'dev' });
    await call('PUT', accountPath('beta', 'rg2'), account);
    const rg1 = await call('GET', `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg1/providers/Microsoft.CognitiveServices/accounts`);
    expect(rg1.body.value.map((a: { name: string }) => a.name)).toEqual(['alpha']);
    const all = await call('GET', `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.CognitiveServices/accounts`);
    expect(all.body.value.map((a: { name: string }) => a.name).sort()).toEqual(['alpha', 'beta']);
  });

  it('treats paths and names case-insensitively, as ARM does', async () => {
    const res = await call('GET', `/subscriptions/${SUBSCRIPTION}/resourcegroups/RG1/providers/microsoft.cognitiveservices/accounts/ALPHA`);
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('alpha');
  });

  it('merges a PATCH into the account', async () => {
    const res = await call('PATCH', accountPath('alpha', 'rg1'), { tags: { env: 'prod' }, properties: { publicNetworkAccess: 'Enabled' } });
    expect(res.status).toBe(200);
    expect(res.body.tags).toEqual({ env: 'prod' });
    expect(res.body.properties).toMatchObject({ customSubDomainName: 'alpha-sub', publicNetworkAccess: 'Enabled' });
  });

  it('answers ResourceNotFound for an unknown account', async () => {
    const res = await call('GET', accountPath('ghost', 'rg1'));
    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({
      code: 'ResourceNotFound',
      message: "The Resource 'Microsoft.CognitiveServices/accounts/ghost' under resource group 'rg1' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    });
  });

  it.each([
    ['a name that is too short', accountPath('a'), account, 400, 'InvalidResourceName'],
    ['a name with a bad character', accountPath('bad!name'), account, 400, 'InvalidResourceName'],
    ['a malformed subscription id', '/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/abc', account, 400, 'InvalidSubscriptionId'],
    ['an unknown member', accountPath('gamma'), { ...account, colour: 'blue' }, 400, 'InvalidRequestContent'],
    ['an unknown property', accountPath('gamma'), { ...account, properties: { turbo: true } }, 400, 'InvalidRequestContent'],
    ['an unsupported kind', accountPath('gamma'), { ...account, kind: 'Face' }, 400, 'InvalidResourceProperties'],
    ['a missing kind', accountPath('gamma'), { location: 'x', sku: { name: 'S0' } }, 400, 'InvalidResourceProperties'],
    ['a subdomain already in use', accountPath('gamma'), { ...account, properties: { customSubDomainName: 'ALPHA-sub' } }, 409, 'CustomDomainInUse'],
    ['a bad subdomain', accountPath('gamma'), { ...account, properties: { customSubDomainName: '-x-' } }, 400, 'InvalidResourceProperties'],
    ['a location change', accountPath('alpha', 'rg1'), { ...account, location: 'eastus' }, 409, 'InvalidResourceLocation'],
  ])('refuses %s', async (_name, path, body, status, code) => {
    const res = await call('PUT', path, body);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message.length).toBeGreaterThan(10);
  });

  it('names the unknown member like ARM does', async () => {
    const res = await call('PUT', accountPath('gamma'), { ...account, colour: 'blue' });
    expect(res.body.error.message).toContain("Could not find member 'colour' on object of type 'Account'");
  });

  it('refuses malformed JSON with InvalidRequestContent', async () => {
    const res = await call('PUT', accountPath('gamma'), undefined, { raw: '{"location": ' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('InvalidRequestContent');
  });

  it('deletes an account (200), then answers 204 for a second delete', async () => {
    expect((await call('DELETE', accountPath('beta', 'rg2'))).status).toBe(200);
    expect((await call('DELETE', accountPath('beta', 'rg2'))).status).toBe(204);
    expect((await call('GET', accountPath('beta', 'rg2'))).status).toBe(404);
  });
});

describe('keys', () => {
  it('lists two distinct 256-bit keys and regenerates one by name', async () => {
    const keys = await call('POST', `${accountPath('alpha', 'rg1')}/listKeys`);
    expect(keys.status).toBe(200);
    expect(Object.keys(keys.body).sort()).toEqual(['key1', 'key2']);
    expect(keys.body.key1).not.toBe(keys.body.key2);
    const regen = await call('POST', `${accountPath('alpha', 'rg1')}/regenerateKey`, { keyName: 'Key1' });
    expect(regen.body.key1).not.toBe(keys.body.key1);
    expect(regen.body.key2).toBe(keys.body.key2);
    const bad = await call('POST', `${accountPath('alpha', 'rg1')}/regenerateKey`, { keyName: 'Key3' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('InvalidResourceProperties');
  });
});

describe('deployments', () => {
  const dep = (name: string) => `${accountPath('alpha', 'rg1')}/deployments/${name}`;

  it.each([
    ['no backend for an OpenAI model', { sku: { name: 'Standard', capacity: 1 }, properties: { model: { format: 'OpenAI', name: 'gpt-4o', version: '2024-08-06' } } }, 'InvalidResourceProperties'],
    ['a relative model path', { sku: { name: 'Standard' }, properties: { model: { format: 'GGUF', name: 'm', source: 'models/m.gguf' } } }, 'InvalidResourceProperties'],
    ['an unknown SKU', { sku: { name: 'Turbo' }, properties: { model: { format: 'GGUF', name: 'm', source: '/m.gguf' } } }, 'InvalidResourceProperties'],
    ['a missing SKU', { properties: { model: { format: 'GGUF', name: 'm', source: '/m.gguf' } } }, 'InvalidResourceProperties'],
    ['a missing model', { sku: { name: 'Standard' }, properties: {} }, 'InvalidResourceProperties'],
    ['an unknown property', { sku: { name: 'Standard' }, properties: { model: { format: 'GGUF', name: 'm', source: '/m.gguf' }, speed: 'max' } }, 'InvalidRequestContent'],
    ['an unknown backend kind', { sku: { name: 'Standard' }, properties: { model: { format: 'GGUF', name: 'm' }, lapis: { backend: { kind: 'magic' } } } }, 'InvalidResourceProperties'],
  ])('refuses %s', async (_name, body, code) => {
    const res = await call('PUT', dep('d1'), body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
  });

  it('refuses a bad deployment name and a deployment in an unknown account', async () => {
    const body = { sku: { name: 'Standard' }, properties: { model: { format: 'GGUF', name: 'm', source: '/m.gguf' } } };
    expect((await call('PUT', dep('bad name'), body)).body.error.code).toBe('InvalidResourceName');
    expect((await call('PUT', `${accountPath('ghost', 'rg1')}/deployments/d1`, body)).body.error.code).toBe('ResourceNotFound');
  });

  it('answers a PUT with 201, Creating and an Azure-AsyncOperation URL that ends Failed for a missing file', async () => {
    const res = await call('PUT', dep('missing-file'), { sku: { name: 'Standard', capacity: 2 }, properties: { model: { format: 'GGUF', name: 'm', source: '/nonexistent/m.gguf' } } });
    expect(res.status).toBe(201);
    expect(res.body.properties.provisioningState).toBe('Creating');
    const op = res.headers.get('azure-asyncoperation')!;
    expect(op).toMatch(/\/operationResults\/[0-9a-f-]{36}\?api-version=2025-06-01$/);
    let status: { status: string };
    do {
      status = (await (await fetch(op, { headers: { authorization: `Bearer ${server.adminToken}` } })).json()) as { status: string };
    } while (status.status === 'InProgress');
    expect(status).toMatchObject({ status: 'Failed', error: { code: 'ModelLoadFailed', message: expect.stringMatching(/nonexistent/) } });
    const got = await call('GET', dep('missing-file'));
    expect(got.body.properties.provisioningState).toBe('Failed');
    expect(got.body.properties.lapis.provisioningError.message).toMatch(/nonexistent/);
  });

  it('answers ResourceNotFound for an unknown deployment and 204 for deleting one', async () => {
    expect((await call('GET', dep('ghost'))).body.error.code).toBe('ResourceNotFound');
    expect((await call('DELETE', dep('ghost'))).status).toBe(204);
  });
});

describe('unknown routes', () => {
  it('answers ARM-shaped 404 for a path the control plane does not have', async () => {
    const res = await call('GET', `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Compute/virtualMachines`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NotFound');
  });
});
