// Who may call what, end to end: a real OpenID provider issues client-credentials tokens, Lapis
// validates them over real HTTP discovery, roles are assigned through the ARM API, and every
// built-in role is tried on every operation. The expected matrix is written out by hand from
// Azure's role definitions, so a mistake in our tables fails here.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { AzureOpenAI } from 'openai';
import type { RunningServer } from '../../src/main.js';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc.js';
import { newServerState, startInProcess, SUBSCRIPTION, type ServerState } from '../helpers/server.js';

const ROLES = {
  Owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  OpenAIUser: '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd',
  OpenAIContributor: 'a001fd3d-188f-4b5d-821b-7da978bf7442',
  Contributor: '25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68',
  UsagesReader: 'bba48692-92b0-4667-a9ad-c31c7b334ac2',
  User: 'a97b65f3-24c7-4388-baec-2e87135dc908',
} as const;
type Role = keyof typeof ROLES;

const sub = `/subscriptions/${SUBSCRIPTION}`;
const rg = (name: string) => `${sub}/resourceGroups/${name}`;
const acct = (group: string, name: string) => `${rg(group)}/providers/Microsoft.CognitiveServices/accounts/${name}`;
const A = acct('rg-a', 'acct-a');
const B = acct('rg-b', 'acct-b');

let state: ServerState;
let server: RunningServer;
let idp: TestOidcProvider;
const clients = [...Object.keys(ROLES), 'nobody', 'rg-user', 'dep-user', 'sub-user', 'group-member'];

async function call(method: string, path: string, token: string, body?: unknown, version = '2025-06-01') {
  const res = await fetch(`${server.url}${path}${path.includes('?') ? '&' : '?'}api-version=${version}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined };
}
const admin = (method: string, path: string, body?: unknown) => call(method, path, server.adminToken, body);
const assign = (scope: string, role: string, principalId: string, principalType = 'ServicePrincipal') =>
  call('PUT', `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, server.adminToken, {
    properties: { roleDefinitionId: `${sub}/providers/Microsoft.Authorization/roleDefinitions/${role}`, principalId, principalType },
  }, '2022-04-01').then((r) => expect(r.status, JSON.stringify(r.body)).toBe(201));

async function deploy(account: string, name: string) {
  await admin('PUT', `${account}/deployments/${name}`, { sku: { name: 'Standard' }, properties: { model: { format: 'OpenAI', name }, lapis: { backend: { kind: 'simulator' } } } });
  while ((await admin('GET', `${account}/deployments/${name}`)).body.properties.provisioningState !== 'Succeeded') await new Promise((r) => setTimeout(r, 20));
}

beforeAll(async () => {
  idp = await startOidcProvider({
    clients: clients.map((c) => ({ clientId: c, clientSecret: 's', ...(c === 'group-member' ? { claims: { groups: ['team-group'] } } : {}) })),
  });
  state = await newServerState();
  server = await startInProcess(state, { oidcIssuers: idp.issuer, account: 'acct-a', resourceGroup: 'rg-a', baseDomain: 'lapis.test' });
  for (const [account, subdomain] of [[A, 'acct-a'], [B, 'acct-b']] as const) {
    expect((await admin('PUT', account, { location: 'local', kind: 'OpenAI', sku: { name: 'S0' }, properties: { customSubDomainName: subdomain } })).status).toBe(201);
  }
  await deploy(A, 'chat');
  await deploy(A, 'other-chat');
  await deploy(B, 'chat');
  await deploy(B, 'only-in-b');
  for (const [name, id] of Object.entries(ROLES)) await assign(A, id, name);
  await assign(rg('rg-a'), ROLES.OpenAIUser, 'rg-user');
  await assign(`${A}/deployments/chat`, ROLES.OpenAIUser, 'dep-user');
  await assign(sub, ROLES.OpenAIUser, 'sub-user');
  await assign(A, ROLES.OpenAIUser, 'team-group', 'Group');
});
afterAll(async () => {
  await server?.stop();
  await idp?.close();
  await state?.cleanup();
});

// The dated data-plane scheme; the token's account is the server's default (acct-a).
const dataCall = (token: string, path: string, body?: unknown) =>
  fetch(`${server.url}/openai${path}${path.includes('?') ? '&' : '?'}api-version=2024-10-21`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

const hi = { messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 };
const OPERATIONS: Record<string, (t: string) => Promise<{ status: number; body: any }>> = {
  chat: (t) => dataCall(t, '/deployments/chat/chat/completions', hi),
  completions: (t) => dataCall(t, '/deployments/chat/completions', { prompt: 'x', max_tokens: 2 }),
  embeddings: (t) => dataCall(t, '/deployments/chat/embeddings', { input: 'x' }),
  models: (t) => dataCall(t, '/models'),
  'account read': (t) => call('GET', A, t),
  'account write': (t) => call('PATCH', A, t, { tags: { touched: 'yes' } }),
  listKeys: (t) => call('POST', `${A}/listKeys`, t),
  'deployment read': (t) => call('GET', `${A}/deployments/chat`, t),
  'deployment write': (t) => call('PUT', `${A}/deployments/scratch`, t, { sku: { name: 'Standard' }, properties: { model: { format: 'OpenAI', name: 'x' }, lapis: { backend: { kind: 'simulator' } } } }),
  'role assignments read': (t) => call('GET', `${A}/providers/Microsoft.Authorization/roleAssignments`, t, undefined, '2022-04-01'),
};
const DATA = new Set(['chat', 'completions', 'embeddings', 'models']);
const READS = ['account read', 'deployment read', 'role assignments read'];
const ALL_DATA = ['chat', 'completions', 'embeddings', 'models'];
// From Azure's built-in role definitions (reference/azure-api.md §7).
const ALLOWED: Record<Role, string[]> = {
  Owner: [...READS, 'account write', 'listKeys', 'deployment write'],
  Reader: READS,
  OpenAIUser: [...READS, ...ALL_DATA],
  OpenAIContributor: [...READS, 'deployment write', ...ALL_DATA],
  Contributor: [...READS, 'account write', 'listKeys', 'deployment write'],
  UsagesReader: [],
  // Cognitive Services User has no Microsoft.Authorization read.
  User: ['account read', 'deployment read', 'listKeys', ...ALL_DATA],
};

describe('every built-in role × every operation, assigned at the account', () => {
  const cases = Object.keys(ROLES).flatMap((role) => Object.keys(OPERATIONS).map((op) => [role as Role, op] as const));
  it.each(cases)('%s → %s', async (role, op) => {
    const res = await OPERATIONS[op]!(await idp.token(role));
    if (ALLOWED[role].includes(op)) {
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    } else if (DATA.has(op)) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('PermissionDenied');
    } else {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('AuthorizationFailed');
      expect(res.body.error.message).toContain(`'${role}'`);
    }
  });
});

describe('scopes', () => {
  it('inherit downward from the resource group and the subscription, never sideways', async () => {
    for (const who of ['rg-user', 'sub-user']) expect((await OPERATIONS.chat!(await idp.token(who))).status).toBe(200);
    const other = await call('GET', B, await idp.token('rg-user'));
    expect(other.status).toBe(403);
    expect((await call('GET', B, await idp.token('sub-user'))).status).toBe(200);
  });

  it('never upward: a deployment-scope grant covers that deployment only', async () => {
    const token = await idp.token('dep-user');
    expect((await OPERATIONS.chat!(token)).status).toBe(200);
    expect((await dataCall(token, '/deployments/other-chat/chat/completions', hi)).body.error.code).toBe('PermissionDenied');
    expect((await call('GET', A, token)).status).toBe(403);
  });

  it("applies a group's assignment to its members", async () => {
    expect((await OPERATIONS.chat!(await idp.token('group-member'))).status).toBe(200);
    expect((await OPERATIONS.chat!(await idp.token('nobody'))).status).toBe(401);
  });
});

describe('tokens through the SDK and bad tokens', () => {
  it("works with the openai SDK's azureADTokenProvider", async () => {
    const openai = new AzureOpenAI({ endpoint: server.url, azureADTokenProvider: idp.tokenGetter('OpenAIUser'), apiVersion: '2024-10-21', deployment: 'chat', maxRetries: 0 });
    const res = await openai.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
    expect(res.choices).toHaveLength(1);
  });

  it('refuses a token for another audience with a clear 401 on both planes', async () => {
    const token = await idp.token('OpenAIUser', 'https://graph.microsoft.com');
    const data = await OPERATIONS.chat!(token);
    expect(data.status).toBe(401);
    expect(data.body.error.message).toMatch(/audience/);
    const control = await call('GET', A, token);
    expect(control.status).toBe(401);
    expect(control.body.error.code).toBe('InvalidAuthenticationTokenAudience');
  });
});

describe('tenant isolation', () => {
  it("never lets account A's key reach account B, whatever the path or Host", async () => {
    const keyA = (await admin('POST', `${A}/listKeys`)).body.key1;
    const viaKey = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}/openai/deployments/${path}/chat/completions?api-version=2024-10-21`, {
        method: 'POST', headers: { 'api-key': keyA, 'content-type': 'application/json', ...headers }, body: JSON.stringify(hi),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    expect((await viaKey('chat')).status).toBe(200);
    // B's deployment names mean nothing to A's key: the key's own account is searched.
    expect((await viaKey('only-in-b')).body.error.code).toBe('DeploymentNotFound');
    expect((await call('GET', B, keyA)).status).toBe(401);
  });

  it('routes by Host and never lets a key cross to the account the Host names', async () => {
    const keyA = (await admin('POST', `${A}/listKeys`)).body.key1;
    const token = await idp.token('sub-user');
    const post = (host: string, headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL(`${server.url}/openai/deployments/chat/chat/completions?api-version=2024-10-21`);
        const req = httpRequest(url, { method: 'POST', headers: { host, 'content-type': 'application/json', ...headers } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end(JSON.stringify(hi));
      });
    expect(await post('acct-a.lapis.test', { 'api-key': keyA })).toBe(200);
    expect(await post('acct-b.lapis.test', { 'api-key': keyA })).toBe(401);
    expect(await post('nobody.lapis.test', { 'api-key': keyA })).toBe(404);
    // A token is for the account its Host names: sub-user holds OpenAI User on the whole subscription.
    expect(await post('acct-b.lapis.test', { authorization: `Bearer ${token}` })).toBe(200);
    expect(await post('acct-b.lapis.test', { authorization: `Bearer ${await idp.token('dep-user')}` })).toBe(401);
  });

  it("keeps a role on A from reaching B's deployments and keys", async () => {
    const token = await idp.token('User');
    expect((await call('POST', `${B}/listKeys`, token)).status).toBe(403);
    expect((await call('GET', `${B}/deployments/only-in-b`, token)).status).toBe(403);
  });
});

describe('keys', () => {
  it('rotates one key while the other serves without a single failure', async () => {
    const keys = (await admin('POST', `${A}/listKeys`)).body;
    const client = new AzureOpenAI({ endpoint: server.url, apiKey: keys.key2, apiVersion: '2024-10-21', deployment: 'chat', maxRetries: 0 });
    const statuses: number[] = [];
    const traffic = (async () => {
      for (let i = 0; i < 30; i++) {
        const res = await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }).then(() => 200, (e) => e.status as number);
        statuses.push(res);
      }
    })();
    for (let i = 0; i < 5; i++) expect((await admin('POST', `${A}/regenerateKey`, { keyName: 'Key1' })).status).toBe(200);
    await traffic;
    expect(statuses.every((s) => s === 200)).toBe(true);
  });

  it('turns key authentication off with disableLocalAuth, and tokens keep working', async () => {
    const keys = (await admin('POST', `${B}/listKeys`)).body;
    await admin('PATCH', B, { properties: { disableLocalAuth: true } });
    const res = await fetch(`${server.url}/openai/deployments/chat/chat/completions?api-version=2024-10-21`, {
      method: 'POST', headers: { 'api-key': keys.key1, 'content-type': 'application/json' }, body: JSON.stringify(hi),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: { code: 'AuthenticationTypeDisabled', message: 'Key based authentication is disabled for this resource.' } });
    await admin('PATCH', B, { properties: { disableLocalAuth: false } });
  });
});

describe('the break-glass admin token', () => {
  it('is refused once turned off, while tokens with roles keep managing', async () => {
    const off = await newServerState();
    const locked = await startInProcess(off, { oidcIssuers: idp.issuer, adminTokenEnabled: false });
    try {
      const res = await fetch(`${locked.url}${A}?api-version=2025-06-01`, { headers: { authorization: `Bearer ${locked.adminToken}` } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/admin token is disabled/);
      const asReader = await fetch(`${locked.url}${A}?api-version=2025-06-01`, { headers: { authorization: `Bearer ${await idp.token('Owner')}` } });
      // No assignment exists on this fresh server: the token is valid, the action is not granted.
      expect(asReader.status).toBe(403);
    } finally {
      await locked.stop();
      await off.cleanup();
    }
  });
});
