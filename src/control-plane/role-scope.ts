// The scopes Microsoft.Authorization resources live under here: a subscription, a resource
// group, an account or a deployment. ARM writes them as one `{scope}` path parameter; Fastify
// routes take one path per shape, and resolveScope turns the matched params into the scope's
// ARM id, checking the names and that an account or deployment named in it exists.

import { ACCOUNT_PATH } from './accounts.js';
import { DEPLOYMENT_TYPE, accountId, checkDeploymentName, checkResourceGroupName, deploymentId } from './arm.js';
import { checkSubscription, requireAccount, type ControlPlaneContext } from './context.js';
import { controlPlaneErrors as errors } from '../errors/index.js';

export const AUTHORIZATION = 'Microsoft.Authorization';

/** The Fastify path of each scope shape, most general first. */
export const SCOPE_PATHS = [
  '/subscriptions/:subscriptionId',
  '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName',
  ACCOUNT_PATH,
  `${ACCOUNT_PATH}/deployments/:deploymentName`,
] as const;

export interface ScopeParams {
  subscriptionId: string;
  resourceGroupName?: string;
  accountName?: string;
  deploymentName?: string;
}

export interface ResolvedScope {
  /** The ARM id, with ARM's casing of the fixed segments and the stored casing of names. */
  scope: string;
  subscriptionId: string;
}

export async function resolveScope(ctx: ControlPlaneContext, params: ScopeParams): Promise<ResolvedScope> {
  const { subscriptionId, resourceGroupName, accountName, deploymentName } = params;
  checkSubscription(subscriptionId);
  if (resourceGroupName === undefined) return { scope: `/subscriptions/${subscriptionId}`, subscriptionId };
  if (accountName === undefined) {
    checkResourceGroupName(resourceGroupName);
    return { scope: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroupName}`, subscriptionId };
  }
  const account = await requireAccount(ctx, { subscriptionId, resourceGroupName, accountName });
  if (deploymentName === undefined) return { scope: accountId(account), subscriptionId };
  checkDeploymentName(deploymentName);
  const deployment = await ctx.store.deployments.get(account.id, deploymentName);
  if (!deployment) throw errors.resourceNotFound(DEPLOYMENT_TYPE, `${account.name}/${deploymentName}`, account.resourceGroup);
  return { scope: deploymentId(account, deployment.name), subscriptionId };
}

/** The subscription a scope lies in ('' for the root scope). */
export function subscriptionOf(scope: string): string {
  return /^\/subscriptions\/([^/]+)/i.exec(scope)?.[1] ?? '';
}

/** Where the built-in role definitions appear, as ARM writes their ids under a subscription. */
export function roleDefinitionPath(subscriptionId: string, roleDefinitionId: string): string {
  const base = subscriptionId ? `/subscriptions/${subscriptionId}` : '';
  return `${base}/providers/${AUTHORIZATION}/roleDefinitions/${roleDefinitionId}`;
}

export const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A $filter query value, or undefined when there is none. */
export function filterOf(query: unknown): string | undefined {
  const value = (query as Record<string, unknown>)['$filter'];
  if (value === undefined || value === '') return undefined;
  return Array.isArray(value) ? value.join(' and ') : String(value);
}

/** An OData string literal's value ('' stands for one quote), or undefined if `text` is not one. */
export function odataString(text: string): string | undefined {
  const match = /^'((?:[^']|'')*)'$/.exec(text.trim());
  return match ? match[1]!.replace(/''/g, "'") : undefined;
}
