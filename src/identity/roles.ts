// Azure's built-in role definitions that matter to an Azure OpenAI resource, as Azure defines
// them: the GUIDs, actions and data actions are copied from the generated reference
// (MicrosoftDocs/azure-docs, articles/role-based-access-control/built-in-roles/
// ai-machine-learning.md of 2024-04-25, privileged.md and general.md), so role assignments
// written for Azure (Bicep, Terraform, `az role assignment create --role …`) mean the same here.
// Lapis evaluates only the Microsoft.CognitiveServices and Microsoft.Authorization actions; the
// others (Insights, Support, Resources, …) are kept so the definitions read back as Azure's.

export interface RoleDefinition {
  /** The role definition's name: a GUID, the same in every Azure tenant. */
  readonly id: string;
  readonly roleName: string;
  readonly description: string;
  readonly type: 'BuiltInRole';
  /** Control-plane (ARM) operations the role grants… */
  readonly actions: readonly string[];
  /** …minus these. */
  readonly notActions: readonly string[];
  /** Data-plane operations (inference, listings under /openai) the role grants… */
  readonly dataActions: readonly string[];
  /** …minus these. */
  readonly notDataActions: readonly string[];
}

/** Finds a role definition by its GUID. */
export type RoleLookup = (roleDefinitionId: string) => RoleDefinition | undefined;

export const BUILT_IN_ROLE_IDS = {
  owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  cognitiveServicesOpenAIUser: '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd',
  cognitiveServicesOpenAIContributor: 'a001fd3d-188f-4b5d-821b-7da978bf7442',
  cognitiveServicesContributor: '25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68',
  cognitiveServicesUsagesReader: 'bba48692-92b0-4667-a9ad-c31c7b334ac2',
  cognitiveServicesUser: 'a97b65f3-24c7-4388-baec-2e87135dc908',
} as const;

const role = (definition: Omit<RoleDefinition, 'type'>): RoleDefinition =>
  Object.freeze({
    ...definition,
    type: 'BuiltInRole' as const,
    actions: Object.freeze([...definition.actions]),
    notActions: Object.freeze([...definition.notActions]),
    dataActions: Object.freeze([...definition.dataActions]),
    notDataActions: Object.freeze([...definition.notDataActions]),
  });

const OPENAI = 'Microsoft.CognitiveServices/accounts/OpenAI';

export const BUILT_IN_ROLES: readonly RoleDefinition[] = Object.freeze([
  role({
    id: BUILT_IN_ROLE_IDS.owner,
    roleName: 'Owner',
    description: 'Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.',
    actions: ['*'],
    notActions: [],
    dataActions: [],
    notDataActions: [],
  }),
  role({
    id: BUILT_IN_ROLE_IDS.reader,
    roleName: 'Reader',
    description: 'View all resources, but does not allow you to make any changes.',
    actions: ['*/read'],
    notActions: [],
    dataActions: [],
    notDataActions: [],
  }),
  role({
    id: BUILT_IN_ROLE_IDS.cognitiveServicesContributor,
    roleName: 'Cognitive Services Contributor',
    description: 'Lets you create, read, update, delete and manage keys of Cognitive Services.',
    actions: [
      'Microsoft.Authorization/*/read',
      'Microsoft.CognitiveServices/*',
      'Microsoft.Features/features/read',
      'Microsoft.Features/providers/features/read',
      'Microsoft.Features/providers/features/register/action',
      'Microsoft.Insights/alertRules/*',
      'Microsoft.Insights/diagnosticSettings/*',
      'Microsoft.Insights/logDefinitions/read',
      'Microsoft.Insights/metricdefinitions/read',
      'Microsoft.Insights/metrics/read',
      'Microsoft.ResourceHealth/availabilityStatuses/read',
      'Microsoft.Resources/deployments/*',
      'Microsoft.Resources/deployments/operations/read',
      'Microsoft.Resources/subscriptions/operationresults/read',
      'Microsoft.Resources/subscriptions/read',
      'Microsoft.Resources/subscriptions/resourcegroups/deployments/*',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      'Microsoft.Support/*',
    ],
    notActions: [],
    dataActions: [],
    notDataActions: [],
  }),
  role({
    id: BUILT_IN_ROLE_IDS.cognitiveServicesOpenAIContributor,
    roleName: 'Cognitive Services OpenAI Contributor',
    description: 'Full access including the ability to fine-tune, deploy and generate text',
    actions: [
      'Microsoft.CognitiveServices/*/read',
      'Microsoft.CognitiveServices/accounts/deployments/write',
      'Microsoft.CognitiveServices/accounts/deployments/delete',
      'Microsoft.CognitiveServices/accounts/raiPolicies/read',
      'Microsoft.CognitiveServices/accounts/raiPolicies/write',
      'Microsoft.CognitiveServices/accounts/raiPolicies/delete',
      'Microsoft.CognitiveServices/accounts/commitmentplans/read',
      'Microsoft.CognitiveServices/accounts/commitmentplans/write',
      'Microsoft.CognitiveServices/accounts/commitmentplans/delete',
      'Microsoft.Authorization/roleAssignments/read',
      'Microsoft.Authorization/roleDefinitions/read',
    ],
    notActions: [],
    dataActions: [`${OPENAI}/*`],
    notDataActions: [],
  }),
  role({
    id: BUILT_IN_ROLE_IDS.cognitiveServicesOpenAIUser,
    roleName: 'Cognitive Services OpenAI User',
    description: "Ability to view files, models, deployments. Readers can't make any changes They can inference and create images",
    actions: [
      'Microsoft.CognitiveServices/*/read',
      'Microsoft.Authorization/roleAssignments/read',
      'Microsoft.Authorization/roleDefinitions/read',
    ],
    notActions: [],
    dataActions: [
      `${OPENAI}/*/read`,
      `${OPENAI}/engines/completions/action`,
      `${OPENAI}/engines/search/action`,
      `${OPENAI}/engines/generate/action`,
      `${OPENAI}/deployments/audio/action`,
      `${OPENAI}/deployments/search/action`,
      `${OPENAI}/deployments/completions/action`,
      `${OPENAI}/deployments/chat/completions/action`,
      `${OPENAI}/deployments/extensions/chat/completions/action`,
      `${OPENAI}/deployments/embeddings/action`,
      `${OPENAI}/images/generations/action`,
    ],
    notDataActions: [],
  }),
  role({
    id: BUILT_IN_ROLE_IDS.cognitiveServicesUsagesReader,
    roleName: 'Cognitive Services Usages Reader',
    description: 'Minimal permission to view Cognitive Services usages.',
    actions: ['Microsoft.CognitiveServices/locations/usages/read'],
    notActions: [],
    dataActions: [],
    notDataActions: [],
  }),
  role({
    id: BUILT_IN_ROLE_IDS.cognitiveServicesUser,
    roleName: 'Cognitive Services User',
    description: 'Lets you read and list keys of Cognitive Services.',
    actions: [
      'Microsoft.CognitiveServices/*/read',
      'Microsoft.CognitiveServices/accounts/listkeys/action',
      'Microsoft.Insights/alertRules/read',
      'Microsoft.Insights/diagnosticSettings/read',
      'Microsoft.Insights/logDefinitions/read',
      'Microsoft.Insights/metricdefinitions/read',
      'Microsoft.Insights/metrics/read',
      'Microsoft.ResourceHealth/availabilityStatuses/read',
      'Microsoft.Resources/deployments/operations/read',
      'Microsoft.Resources/subscriptions/operationresults/read',
      'Microsoft.Resources/subscriptions/read',
      'Microsoft.Resources/subscriptions/resourceGroups/read',
      'Microsoft.Support/*',
    ],
    notActions: [],
    dataActions: ['Microsoft.CognitiveServices/*'],
    notDataActions: [],
  }),
]);

const byId = new Map(BUILT_IN_ROLES.map((r) => [r.id, r]));

/** A built-in role by its GUID (in any case, as GUIDs compare). */
export const builtInRole: RoleLookup = (roleDefinitionId) => byId.get(roleDefinitionId.toLowerCase());
