// The one table of what each Lapis operation needs in Azure RBAC terms: exactly one action,
// either a data action (the /openai and /contentsafety data plane) or a control action (the
// ARM API). Routes name their operation (Fastify route config `operation`), and authorization
// looks it up here, so the mapping is written once and a route without an entry cannot be
// authorized.
//
// Action strings are Azure's own (MicrosoftDocs/azure-docs, articles/role-based-access-control/
// permissions/ai-machine-learning.md and management-and-governance.md), so the built-in roles
// in roles.ts grant them exactly as they do on Azure.

export interface OperationAction {
  /** The Azure RBAC action, e.g. Microsoft.CognitiveServices/accounts/listKeys/action. */
  readonly action: string;
  /** True for a data action (granted only by dataActions), false for a control action. */
  readonly data: boolean;
}

const CS = 'Microsoft.CognitiveServices';
const OPENAI = `${CS}/accounts/OpenAI`;
const CONTENT_SAFETY = `${CS}/accounts/ContentSafety`;
const AUTHZ = 'Microsoft.Authorization';

const data = (action: string): OperationAction => ({ action, data: true });
const control = (action: string): OperationAction => ({ action, data: false });

const table = {
  // Data plane, checked at the deployment's scope (listings at the account's).
  'openai.chatCompletions': data(`${OPENAI}/deployments/chat/completions/action`),
  'openai.completions': data(`${OPENAI}/deployments/completions/action`),
  'openai.embeddings': data(`${OPENAI}/deployments/embeddings/action`),
  /** GET /openai/models[/{id}] and /openai/v1/models[/{id}]. */
  'openai.models.read': data(`${OPENAI}/models/read`),
  /** GET /openai/deployments[/{id}] (the 2022-12-01 authoring listing). */
  'openai.deployments.read': data(`${OPENAI}/deployments/read`),
  // Content Safety's text API (/contentsafety), checked at the account's scope.
  'contentSafety.analyze': data(`${CONTENT_SAFETY}/text:analyze/action`),
  'contentSafety.shieldPrompt': data(`${CONTENT_SAFETY}/text:shieldPrompt/action`),
  /** GET a blocklist or its items, or list them. */
  'contentSafety.blocklists.read': data(`${CONTENT_SAFETY}/text/blocklists/read`),
  /** PATCH or DELETE a blocklist; add, update or remove its items. */
  'contentSafety.blocklists.write': data(`${CONTENT_SAFETY}/text/blocklists/write`),

  // Control plane (ARM), checked at the resource's scope (collections at their parent's).
  /** GET an account, or list accounts of a resource group or subscription. */
  'accounts.read': control(`${CS}/accounts/read`),
  /** PUT and PATCH of an account. */
  'accounts.write': control(`${CS}/accounts/write`),
  'accounts.delete': control(`${CS}/accounts/delete`),
  'accounts.listKeys': control(`${CS}/accounts/listKeys/action`),
  'accounts.regenerateKey': control(`${CS}/accounts/regenerateKey/action`),
  /** GET a deployment, or list an account's deployments. */
  'deployments.read': control(`${CS}/accounts/deployments/read`),
  'deployments.write': control(`${CS}/accounts/deployments/write`),
  'deployments.delete': control(`${CS}/accounts/deployments/delete`),
  /** GET a content-filter policy (built-in or the account's), or list them. */
  'raiPolicies.read': control(`${CS}/accounts/raiPolicies/read`),
  'raiPolicies.write': control(`${CS}/accounts/raiPolicies/write`),
  'raiPolicies.delete': control(`${CS}/accounts/raiPolicies/delete`),
  /** GET or list blocklists, and GET or list their items. */
  'raiBlocklists.read': control(`${CS}/accounts/raiBlocklists/read`),
  /** PUT a blocklist; PUT or DELETE an item; the batch add and delete of items. */
  'raiBlocklists.write': control(`${CS}/accounts/raiBlocklists/write`),
  'raiBlocklists.delete': control(`${CS}/accounts/raiBlocklists/delete`),
  /** Quota usage of a subscription in a region (locations/{l}/usages). */
  'usages.read': control(`${CS}/locations/usages/read`),
  /** The Azure-AsyncOperation status a deployment PUT points at. */
  'operationResults.read': control(`${CS}/locations/operationResults/read`),
  'roleAssignments.read': control(`${AUTHZ}/roleAssignments/read`),
  'roleAssignments.write': control(`${AUTHZ}/roleAssignments/write`),
  'roleAssignments.delete': control(`${AUTHZ}/roleAssignments/delete`),
  'roleDefinitions.read': control(`${AUTHZ}/roleDefinitions/read`),
} satisfies Record<string, OperationAction>;

export type OperationName = keyof typeof table;

export const ACTIONS: Readonly<Record<OperationName, OperationAction>> = Object.freeze(table);

/** Narrows a route's configured operation name (a plain string in Fastify's config). */
export function isOperationName(name: unknown): name is OperationName {
  return typeof name === 'string' && Object.hasOwn(ACTIONS, name);
}
