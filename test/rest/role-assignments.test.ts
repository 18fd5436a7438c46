// Microsoft.Authorization on the raw wire: role assignments at the four scope shapes, their
// ARM errors and list filters, and the built-in role definitions.

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/main.js';
import { accountPath, newServerState, startInProcess, SUBSCRIPTION, type ServerState } from '../helpers/server.js';

let state: ServerState;
let server: RunningServer;

async function call(method: string, path: string, body?: unknown, options: { version?: string | null; token?: string | null } = {}) {
  const version = options.version === undefined ? '2022-04-01' : options.version;
  const token = options.token === undefined ? server.adminToken : options.token;
  const query = version === null ? '' : `${path.includes('?') ? '&' : '?'}api-version=${version}`;
  const res = await fetch(`${server.url}${path}${query}`, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const OPENAI_USER = '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd';
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const roleId = (guid: string, sub = SUBSCRIPTION) => `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const assignments = (scope: string) => `${scope}/providers/Microsoft.Authorization/roleAssignments`;
const grant = (principalId: string, role = OPENAI_USER, extra: Record<string, unknown> = {}) => ({
  properties: { roleDefinitionId: roleId(role), principalId, principalType: 'ServicePrincipal', ...extra },
});

const SUB_SCOPE = `/subscriptions/${SUBSCRIPTION}`;
const RG_SCOPE = `${SUB_SCOPE}/resourceGroups/rg-rbac`;
const ACCOUNT_SCOPE = accountPath('rbac', 'rg-rbac');
const DEPLOYMENT_SCOPE = `${ACCOUNT_SCOPE}/deployments/chat`;

async function createAccountAndDeployment(account: string, deployment?: string) {
  expect((await call('PUT', account, { location: 'westeurope', kind: 'OpenAI', sku: { name: 'S0' } }, { version: '2025-06-01' })).status).toBe(201);
  if (!deployment) return;
  const body = { sku: { name: 'Standard' }, properties: { model: { format: 'OpenAI', name: 'sim' }, lapis: { backend: { kind: 'simulator' } } } };
  expect((await call('PUT', deployment, body, { version: '2025-06-01' })).status).toBe(201);
}

beforeAll(async () => {
  state = await newServerState();
  server = await startInProcess(state);
  await createAccountAndDeployment(ACCOUNT_SCOPE, DEPLOYMENT_SCOPE);
});
afterAll(async () => {
  await server?.stop();
  await state?.cleanup();
});

describe('role assignments', () => {
  it.each([
    ['a subscription', SUB_SCOPE],
    ['a resource group', RG_SCOPE],
    ['an account', ACCOUNT_SCOPE],
    ['a deployment', DEPLOYMENT_SCOPE],
  ])('are created (201) at %s, read back, and updated (200)', async (_name, scope) => {
    const name = randomUUID();
    const principalId = randomUUID();
    const created = await call('PUT', `${assignments(scope)}/${name}`, grant(principalId));
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
      name,
      type: 'Microsoft.Authorization/roleAssignments',
      properties: {
        roleDefinitionId: roleId(OPENAI_USER),
        principalId,
        principalType: 'ServicePrincipal',
        scope,
        createdOn: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        updatedOn: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    });
    expect(await call('GET', `${assignments(scope)}/${name}`)).toEqual({ status: 200, body: created.body });

    const updated = await call('PUT', `${assignments(scope)}/${name}`, grant(principalId, OPENAI_USER, { description: 'batch job' }));
    expect(updated.status).toBe(200);
    expect(updated.body.properties).toMatchObject({ description: 'batch job', createdOn: created.body.properties.createdOn });
  });

  it('takes paths and names in any case and answers with the canonical scope', async () => {
    const name = randomUUID();
    await call('PUT', `${assignments(ACCOUNT_SCOPE)}/${name}`, { properties: { roleDefinitionId: roleId(READER), principalId: randomUUID() } });
    const shouted = `/SUBSCRIPTIONS/${SUBSCRIPTION}/resourcegroups/RG-RBAC/providers/microsoft.cognitiveservices/accounts/RBAC/providers/microsoft.authorization/roleassignments/${name.toUpperCase()}`;
    const res = await call('GET', shouted);
    expect(res.status).toBe(200);
    expect(res.body.name).toBe(name);
    expect(res.body.properties).toMatchObject({ scope: ACCOUNT_SCOPE, principalType: 'User' }); // ARM's default type
  });

  it('accepts the older api-versions and refuses the Cognitive Services ones', async () => {
    for (const version of ['2020-04-01-preview', '2022-01-01-preview']) {
      expect((await call('GET', assignments(RG_SCOPE), undefined, { version })).status).toBe(200);
    }
    const res = await call('GET', assignments(RG_SCOPE), undefined, { version: '2025-06-01' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('InvalidApiVersionParameter');
    expect(res.body.error.message).toContain('2022-04-01');
  });

  it('still requires authentication', async () => {
    expect((await call('GET', assignments(RG_SCOPE), undefined, { token: null })).status).toBe(401);
  });

  it('deletes (200 with the assignment), then answers 204', async () => {
    const name = randomUUID();
    const created = await call('PUT', `${assignments(RG_SCOPE)}/${name}`, grant(randomUUID()));
    const deleted = await call('DELETE', `${assignments(RG_SCOPE)}/${name}`);
    expect(deleted).toEqual({ status: 200, body: created.body });
    expect((await call('DELETE', `${assignments(RG_SCOPE)}/${name}`)).status).toBe(204);
    expect((await call('GET', `${assignments(RG_SCOPE)}/${name}`)).body.error.code).toBe('RoleAssignmentNotFound');
  });

  describe('errors', () => {
    const principal = randomUUID();
    const existing = randomUUID();
    beforeAll(async () => {
      expect((await call('PUT', `${assignments(ACCOUNT_SCOPE)}/${existing}`, grant(principal))).status).toBe(201);
    });

    it.each([
      ['an unknown role', ACCOUNT_SCOPE, randomUUID(), grant(randomUUID(), randomUUID()), 400, 'RoleDefinitionDoesNotExist'],
      ['a role of another subscription', ACCOUNT_SCOPE, randomUUID(), { properties: { roleDefinitionId: roleId(READER, randomUUID()), principalId: 'p' } }, 400, 'RoleDefinitionDoesNotExist'],
      ['a malformed role id', ACCOUNT_SCOPE, randomUUID(), { properties: { roleDefinitionId: READER, principalId: 'p' } }, 400, 'InvalidRoleDefinitionId'],
      ['a name that is not a GUID', ACCOUNT_SCOPE, 'my-assignment', grant(randomUUID()), 400, 'InvalidRoleAssignmentId'],
      ['the same grant under another name', ACCOUNT_SCOPE, randomUUID(), grant(principal), 409, 'RoleAssignmentExists'],
      ['a change of principal', ACCOUNT_SCOPE, existing, grant(randomUUID()), 400, 'RoleAssignmentUpdateNotPermitted'],
      ['a change of role', ACCOUNT_SCOPE, existing, grant(principal, READER), 400, 'RoleAssignmentUpdateNotPermitted'],
      ['the name at another scope', RG_SCOPE, existing, grant(principal), 400, 'RoleAssignmentUpdateNotPermitted'],
      ['an unknown account', accountPath('ghost', 'rg-rbac'), randomUUID(), grant(randomUUID()), 404, 'ResourceNotFound'],
      ['an unknown deployment', `${ACCOUNT_SCOPE}/deployments/ghost`, randomUUID(), grant(randomUUID()), 404, 'ResourceNotFound'],
      ['a malformed subscription', '/subscriptions/nope', randomUUID(), grant(randomUUID()), 400, 'InvalidSubscriptionId'],
      ['a condition', ACCOUNT_SCOPE, randomUUID(), grant(randomUUID(), OPENAI_USER, { condition: 'x', conditionVersion: '2.0' }), 400, 'InvalidRequestContent'],
      ['an unknown principal type', ACCOUNT_SCOPE, randomUUID(), grant(randomUUID(), OPENAI_USER, { principalType: 'Device' }), 400, 'InvalidRequestContent'],
      ['a missing principal', ACCOUNT_SCOPE, randomUUID(), { properties: { roleDefinitionId: roleId(READER) } }, 400, 'InvalidResourceProperties'],
      ['a missing body', ACCOUNT_SCOPE, randomUUID(), undefined, 400, 'InvalidRequestContent'],
    ])('refuses %s', async (_name, scope, name, body, status, code) => {
      const res = await call('PUT', `${assignments(scope)}/${name}`, body);
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message.length).toBeGreaterThan(10);
    });

    it('answers RoleAssignmentNotFound for an unknown name, and for a name at another scope', async () => {
      for (const [scope, name] of [[ACCOUNT_SCOPE, randomUUID()], [DEPLOYMENT_SCOPE, existing]] as const) {
        const res = await call('GET', `${assignments(scope)}/${name}`);
        expect(res.status).toBe(404);
        expect(res.body.error).toEqual({ code: 'RoleAssignmentNotFound', message: `The role assignment '${name}' is not found.` });
      }
    });
  });
});

describe('listing role assignments', () => {
  // A subscription of its own: nothing the other tests create shows up here.
  const sub = randomUUID();
  const subScope = `/subscriptions/${sub}`;
  const rg = `${subScope}/resourceGroups/rg`;
  const account = `${rg}/providers/Microsoft.CognitiveServices/accounts/lister`;
  const deployment = `${account}/deployments/chat`;
  const [p1, p2, p3] = [randomUUID(), randomUUID(), randomUUID()];
  const made: Record<string, string> = {};

  beforeAll(async () => {
    await createAccountAndDeployment(account, deployment);
    const plan = { atSub: [subScope, p1], atRg: [rg, p2], atAccount: [account, p1], atDeployment: [deployment, p3] } as const;
    for (const [key, [scope, principalId]] of Object.entries(plan)) {
      made[key] = randomUUID();
      const body = { properties: { roleDefinitionId: roleId(READER, sub), principalId } };
      expect((await call('PUT', `${assignments(scope)}/${made[key]}`, body)).status).toBe(201);
    }
  });

  const list = async (scope: string, filter?: string) => {
    const res = await call('GET', `${assignments(scope)}${filter ? `?$filter=${encodeURIComponent(filter)}` : ''}`);
    expect(res.status).toBe(200);
    return (res.body.value as { name: string }[]).map((a) => a.name).sort();
  };
  const names = (...keys: string[]) => keys.map((k) => made[k]!).sort();

  it('lists what applies at a scope and what lies below it', async () => {
    expect(await list(account)).toEqual(names('atSub', 'atRg', 'atAccount', 'atDeployment'));
    expect(await list(rg)).toEqual(names('atSub', 'atRg', 'atAccount', 'atDeployment'));
    expect(await list(deployment)).toEqual(names('atSub', 'atRg', 'atAccount', 'atDeployment'));
  });

  it('narrows to the scope and above with atScope()', async () => {
    expect(await list(account, 'atScope()')).toEqual(names('atSub', 'atRg', 'atAccount'));
    expect(await list(rg, 'atScope()')).toEqual(names('atSub', 'atRg'));
    expect(await list(subScope, 'atScope()')).toEqual(names('atSub'));
  });

  it("narrows to one principal's assignments with principalId eq or assignedTo", async () => {
    expect(await list(rg, `principalId eq '${p1}'`)).toEqual(names('atSub', 'atAccount'));
    expect(await list(rg, `assignedTo('${p3}')`)).toEqual(names('atDeployment'));
    expect(await list(account, `atScope() and principalId eq '${p1.toUpperCase()}'`)).toEqual(names('atSub', 'atAccount'));
  });

  it('refuses a filter it does not support', async () => {
    const res = await call('GET', `${assignments(rg)}?$filter=${encodeURIComponent(`principalId eq ${p1}`)}`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('is not supported');
  });
});

describe('role definitions', () => {
  const definitions = (scope: string) => `${scope}/providers/Microsoft.Authorization/roleDefinitions`;

  it('lists the built-in roles in ARM shape', async () => {
    const res = await call('GET', definitions(SUB_SCOPE));
    expect(res.status).toBe(200);
    expect(res.body.value.map((r: { properties: { roleName: string } }) => r.properties.roleName).sort()).toEqual([
      'Cognitive Services Contributor',
      'Cognitive Services OpenAI Contributor',
      'Cognitive Services OpenAI User',
      'Cognitive Services Usages Reader',
      'Cognitive Services User',
      'Owner',
      'Reader',
    ]);
  });

  it('gives one role by GUID at any scope, with its permissions', async () => {
    const res = await call('GET', `${definitions(DEPLOYMENT_SCOPE)}/${OPENAI_USER}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: roleId(OPENAI_USER),
      name: OPENAI_USER,
      type: 'Microsoft.Authorization/roleDefinitions',
      properties: {
        roleName: 'Cognitive Services OpenAI User',
        type: 'BuiltInRole',
        assignableScopes: ['/'],
        permissions: [
          {
            actions: expect.arrayContaining(['Microsoft.CognitiveServices/*/read']),
            notActions: [],
            dataActions: expect.arrayContaining(['Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action']),
            notDataActions: [],
          },
        ],
      },
    });
  });

  it("finds a role by name, as `az role assignment create --role '…'` does", async () => {
    const res = await call('GET', `${definitions(SUB_SCOPE)}?$filter=${encodeURIComponent("roleName eq 'cognitive services openai user'")}`);
    expect(res.body.value.map((r: { name: string }) => r.name)).toEqual([OPENAI_USER]);
  });

  it('answers RoleDefinitionDoesNotExist for an unknown GUID, and 400 for an unsupported filter', async () => {
    const unknown = randomUUID();
    const res = await call('GET', `${definitions(RG_SCOPE)}/${unknown}`);
    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({ code: 'RoleDefinitionDoesNotExist', message: `The specified role definition with ID '${unknown}' does not exist.` });
    expect((await call('GET', `${definitions(RG_SCOPE)}?$filter=${encodeURIComponent('roleName ne x')}`)).status).toBe(400);
  });
});
