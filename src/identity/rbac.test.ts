import { describe, expect, it } from 'vitest';
import type { RoleAssignment } from '../core/identity.js';
import { ACTIONS, isOperationName, type OperationName } from './actions.js';
import { actionMatches, authorize, authorizeOperation, principalKey, scopeCovers } from './rbac.js';
import { BUILT_IN_ROLE_IDS, BUILT_IN_ROLES, builtInRole, type RoleDefinition, type RoleLookup } from './roles.js';

const SUB = '/subscriptions/11111111-1111-1111-1111-111111111111';
const RG = `${SUB}/resourceGroups/rg`;
const ACCOUNT = `${RG}/providers/Microsoft.CognitiveServices/accounts/a1`;
const DEPLOYMENT = `${ACCOUNT}/deployments/d1`;
const USER = '22222222-2222-2222-2222-222222222222';
const GROUP = '33333333-3333-3333-3333-333333333333';

let n = 0;
function assignment(scope: string, roleDefinitionId: string, principalId = USER): RoleAssignment {
  const now = new Date();
  return { id: `assignment-${++n}`, scope, roleDefinitionId, principalId, principalType: 'User', createdAt: now, updatedAt: now };
}

function allowed(operation: OperationName, assignments: RoleAssignment[], scope = ACCOUNT, roles: RoleLookup = builtInRole, principalIds = [USER]) {
  return authorizeOperation({ principalIds, operation, scope, assignments, roles }).allowed;
}

// Every operation of the ACTIONS table, in the column order of EXPECTED below.
const OPERATIONS: OperationName[] = [
  'openai.chatCompletions', 'openai.completions', 'openai.embeddings', 'openai.models.read', 'openai.deployments.read',
  'contentSafety.analyze', 'contentSafety.shieldPrompt', 'contentSafety.blocklists.read', 'contentSafety.blocklists.write',
  'accounts.read', 'accounts.write', 'accounts.delete', 'accounts.listKeys', 'accounts.regenerateKey',
  'deployments.read', 'deployments.write', 'deployments.delete', 'operationResults.read', 'usages.read',
  'raiPolicies.read', 'raiPolicies.write', 'raiPolicies.delete',
  'raiBlocklists.read', 'raiBlocklists.write', 'raiBlocklists.delete',
  'roleAssignments.read', 'roleAssignments.write', 'roleAssignments.delete', 'roleDefinitions.read',
];

// Y = allowed with this one role assigned at the account. Columns:
//   data plane: chat, completions, embeddings, models read, deployments read |
//   content safety: analyze, shieldPrompt, blocklists read, blocklists write (OpenAI/* does not
//     reach them; only Cognitive Services User's Microsoft.CognitiveServices/* does) |
//   accounts: read, write, delete, listKeys, regenerateKey |
//   deployments: read, write, delete; operation status read; quota usages read |
//   RAI policies: read, write, delete | RAI blocklists (and their items): read, write, delete |
//   authorization: role assignments read, write, delete; role definitions read
const EXPECTED: Record<keyof typeof BUILT_IN_ROLE_IDS, string> = {
  owner:                              'NNNNN NNNN YYYYY YYYYY YYY YYY YYYY',
  reader:                             'NNNNN NNNN YNNNN YNNYY YNN YNN YNNY',
  cognitiveServicesContributor:       'NNNNN NNNN YYYYY YYYYY YYY YYY YNNY',
  cognitiveServicesOpenAIContributor: 'YYYYY NNNN YNNNN YYYYY YYY YNN YNNY',
  cognitiveServicesOpenAIUser:        'YYYYY NNNN YNNNN YNNYY YNN YNN YNNY',
  cognitiveServicesUsagesReader:      'NNNNN NNNN NNNNN NNNNY NNN NNN NNNN',
  cognitiveServicesUser:              'YYYYY YYYY YNNYN YNNYY YNN YNN NNNN',
};

describe('each built-in role against each operation, assigned at the account', () => {
  it('covers every operation and every built-in role', () => {
    expect([...OPERATIONS].sort()).toEqual(Object.keys(ACTIONS).sort());
    expect(Object.values(BUILT_IN_ROLE_IDS).sort()).toEqual(BUILT_IN_ROLES.map((r) => r.id).sort());
  });

  const cases = Object.entries(EXPECTED).flatMap(([role, row]) => {
    const marks = row.replace(/ /g, '');
    return OPERATIONS.map((operation, i) => ({ role, operation, expected: marks[i] === 'Y' }));
  });
  it.each(cases)('$role may $operation: $expected', ({ role, operation, expected }) => {
    const roleId = BUILT_IN_ROLE_IDS[role as keyof typeof BUILT_IN_ROLE_IDS];
    expect(allowed(operation, [assignment(ACCOUNT, roleId)])).toBe(expected);
  });

  it('denies everything without an assignment', () => {
    for (const operation of OPERATIONS) expect(allowed(operation, [])).toBe(false);
  });
});

describe('scope inheritance', () => {
  const LEVELS = [SUB, RG, ACCOUNT, DEPLOYMENT];
  const owner = BUILT_IN_ROLE_IDS.owner;
  const pairs = LEVELS.flatMap((at, i) => LEVELS.map((on, j) => ({ at, on, expected: i <= j })));

  it.each(pairs)('an assignment at $at applies on $on: $expected (downward only)', ({ at, on, expected }) => {
    expect(allowed('deployments.read', [assignment(at, owner)], on)).toBe(expected);
  });

  it.each([
    ['another resource group with the same prefix', `${SUB}/resourceGroups/rg`, `${SUB}/resourceGroups/rg2/providers/Microsoft.CognitiveServices/accounts/a1`],
    ['another account with the same prefix', ACCOUNT, `${RG}/providers/Microsoft.CognitiveServices/accounts/a10`],
    ['a sibling deployment', DEPLOYMENT, `${ACCOUNT}/deployments/d2`],
    ['another subscription', SUB, ACCOUNT.replace('11111111-1111-1111-1111-111111111111', '44444444-4444-4444-4444-444444444444')],
  ])('never reaches %s', (_name, at, on) => {
    expect(allowed('accounts.read', [assignment(at, BUILT_IN_ROLE_IDS.owner)], on)).toBe(false);
  });

  it('compares scopes without regard to case or a trailing slash', () => {
    const shouted = `${SUB.toUpperCase()}/RESOURCEGROUPS/RG/`;
    expect(allowed('accounts.read', [assignment(shouted, BUILT_IN_ROLE_IDS.reader)], ACCOUNT.toLowerCase())).toBe(true);
    expect(scopeCovers('/', ACCOUNT)).toBe(true);
    expect(scopeCovers(ACCOUNT, RG)).toBe(false);
  });
});

describe('principals and groups', () => {
  const user = BUILT_IN_ROLE_IDS.cognitiveServicesOpenAIUser;

  it("applies a group's assignment to a member, and only to members", () => {
    const viaGroup = [assignment(ACCOUNT, user, GROUP)];
    expect(allowed('openai.chatCompletions', viaGroup, DEPLOYMENT, builtInRole, [USER, GROUP])).toBe(true);
    expect(allowed('openai.chatCompletions', viaGroup, DEPLOYMENT, builtInRole, [USER])).toBe(false);
  });

  it("ignores other principals' assignments", () => {
    expect(allowed('openai.chatCompletions', [assignment(ACCOUNT, user, '55555555-5555-5555-5555-555555555555')], DEPLOYMENT)).toBe(false);
  });

  it('matches GUID principal ids in any case, other ids exactly', () => {
    expect(allowed('openai.embeddings', [assignment(ACCOUNT, user, USER.toUpperCase())], DEPLOYMENT)).toBe(true);
    expect(allowed('openai.embeddings', [assignment(ACCOUNT, user, 'Alice')], DEPLOYMENT, builtInRole, ['alice'])).toBe(false);
    expect(allowed('openai.embeddings', [assignment(ACCOUNT, user, 'Alice')], DEPLOYMENT, builtInRole, ['Alice'])).toBe(true);
    expect(principalKey('ABCDEF01-2345-6789-ABCD-EF0123456789')).toBe('abcdef01-2345-6789-abcd-ef0123456789');
  });

  it('says which assignment granted the action, and ignores unknown roles', () => {
    const grant = assignment(RG, BUILT_IN_ROLE_IDS.reader);
    const result = authorize({
      principalIds: [USER],
      action: 'Microsoft.CognitiveServices/accounts/read',
      data: false,
      scope: ACCOUNT,
      assignments: [assignment(ACCOUNT, '66666666-6666-6666-6666-666666666666'), grant],
      roles: builtInRole,
    });
    expect(result).toEqual({ allowed: true, grantedBy: { assignment: grant, role: builtInRole(BUILT_IN_ROLE_IDS.reader) } });
    expect(authorizeOperation({ principalIds: [USER], operation: 'accounts.listKeys', scope: ACCOUNT, assignments: [grant], roles: builtInRole }))
      .toEqual({ allowed: false, action: 'Microsoft.CognitiveServices/accounts/listKeys/action' });
  });
});

describe('actions, notActions and the two kinds of action', () => {
  const custom = (id: string, permissions: Partial<RoleDefinition>): RoleDefinition => ({
    id, roleName: id, description: '', type: 'BuiltInRole', actions: [], notActions: [], dataActions: [], notDataActions: [], ...permissions,
  });
  const noKeys = custom('no-keys', { actions: ['Microsoft.CognitiveServices/*'], notActions: ['Microsoft.CognitiveServices/accounts/listKeys/action'] });
  const noEmbeddings = custom('no-embeddings', {
    dataActions: ['Microsoft.CognitiveServices/accounts/OpenAI/*'],
    notDataActions: ['Microsoft.CognitiveServices/accounts/OpenAI/deployments/embeddings/action'],
  });
  const everythingData = custom('all-data', { dataActions: ['*'] });
  const roles: RoleLookup = (id) => [noKeys, noEmbeddings, everythingData].find((r) => r.id === id) ?? builtInRole(id);

  it('subtracts notActions and notDataActions within the role', () => {
    expect(allowed('accounts.listKeys', [assignment(ACCOUNT, 'no-keys')], ACCOUNT, roles)).toBe(false);
    expect(allowed('accounts.regenerateKey', [assignment(ACCOUNT, 'no-keys')], ACCOUNT, roles)).toBe(true);
    expect(allowed('openai.embeddings', [assignment(ACCOUNT, 'no-embeddings')], DEPLOYMENT, roles)).toBe(false);
    expect(allowed('openai.chatCompletions', [assignment(ACCOUNT, 'no-embeddings')], DEPLOYMENT, roles)).toBe(true);
  });

  it("does not let one role's notActions take away another role's grant", () => {
    const both = [assignment(ACCOUNT, 'no-keys'), assignment(SUB, BUILT_IN_ROLE_IDS.cognitiveServicesUser)];
    expect(allowed('accounts.listKeys', both, ACCOUNT, roles)).toBe(true);
  });

  it('never grants a data action from actions, nor a control action from dataActions', () => {
    expect(allowed('openai.chatCompletions', [assignment(SUB, BUILT_IN_ROLE_IDS.owner)], DEPLOYMENT)).toBe(false);
    expect(allowed('openai.chatCompletions', [assignment(SUB, 'all-data')], DEPLOYMENT, roles)).toBe(true);
    expect(allowed('accounts.read', [assignment(SUB, 'all-data')], ACCOUNT, roles)).toBe(false);
  });

  it.each([
    ['*', 'Microsoft.Authorization/roleAssignments/write', true],
    ['*/read', 'Microsoft.CognitiveServices/accounts/deployments/read', true],
    ['*/read', 'Microsoft.CognitiveServices/accounts/readme', false],
    ['Microsoft.CognitiveServices/*/read', 'Microsoft.CognitiveServices/locations/operationResults/read', true],
    ['Microsoft.CognitiveServices/*/read', 'Microsoft.CognitiveServices/accounts/write', false],
    ['Microsoft.CognitiveServices/accounts/OpenAI/*', 'Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action', true],
    ['Microsoft.CognitiveServices/accounts/OpenAI/*', 'Microsoft.CognitiveServices/accounts/SpeechServices/x/action', false],
    ['Microsoft.CognitiveServices/accounts/OpenAI/deployments/*/action', 'Microsoft.CognitiveServices/accounts/OpenAI/deployments/embeddings/action', true],
    ['Microsoft.CognitiveServices/accounts/dep*/read', 'Microsoft.CognitiveServices/accounts/deployments/read', true],
    ['Microsoft.CognitiveServices/accounts/listkeys/action', 'microsoft.cognitiveservices/ACCOUNTS/listKeys/action', true],
    ['Microsoft.CognitiveServices/*', 'MicrosoftXCognitiveServices/accounts/read', false],
    ['Microsoft.Authorization/*/read', 'Microsoft.Authorization/roleDefinitions/read', true],
  ])('pattern %s matches %s: %s', (pattern, action, expected) => {
    expect(actionMatches(pattern, action)).toBe(expected);
  });
});

describe('the tables', () => {
  it('finds built-in roles by GUID in any case', () => {
    expect(builtInRole(BUILT_IN_ROLE_IDS.cognitiveServicesOpenAIUser.toUpperCase())?.roleName).toBe('Cognitive Services OpenAI User');
    expect(builtInRole('00000000-0000-0000-0000-000000000000')).toBeUndefined();
  });

  it('names each operation with one Azure action of its plane', () => {
    for (const [name, { action, data }] of Object.entries(ACTIONS)) {
      expect(isOperationName(name)).toBe(true);
      expect(data).toBe(action.includes('/accounts/OpenAI/') || action.includes('/accounts/ContentSafety/'));
    }
    expect(isOperationName('toString')).toBe(false);
  });
});
