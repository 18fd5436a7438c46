// What the control-plane routes need from the app, handed in by app.ts (the composition root).

import type { FastifyRequest } from 'fastify';
import type { Account, AccountRef, Store } from '../core/index.js';
import type { DeploymentRuntime } from '../backends/runtime.js';
import type { AccessControl } from '../identity/access.js';
import type { QuotaSettings } from '../capacity/quota.js';
import '../request-context.js';
import { controlPlaneErrors as errors } from '../errors/index.js';
import { ACCOUNT_TYPE, checkAccountName, checkResourceGroupName } from './arm.js';

export interface ControlPlaneContext {
  store: Store;
  runtime: DeploymentRuntime;
  access: AccessControl;
  /** Break-glass admin bearer token. */
  adminToken: string;
  /** Whether the admin token is accepted (it can be turned off once principals have roles). */
  adminTokenEnabled: boolean;
  /** Location given to accounts whose body names none. */
  defaultLocation: string;
  /** Base URL clients use, when configured; otherwise derived from each request. */
  publicUrl?: string;
  /** Quota limits of deployment capacity, per subscription and region. */
  quota: QuotaSettings;
}

export interface AccountParams {
  subscriptionId: string;
  resourceGroupName: string;
  accountName: string;
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function checkSubscription(id: string): void {
  if (!GUID.test(id)) throw errors.invalidSubscriptionId(id);
}

/** Validates the path of an account and returns its reference. */
export function accountRef(params: AccountParams): AccountRef {
  checkSubscription(params.subscriptionId);
  checkResourceGroupName(params.resourceGroupName);
  checkAccountName(params.accountName);
  return { subscriptionId: params.subscriptionId, resourceGroup: params.resourceGroupName, name: params.accountName };
}

/** Loads the account named by the path or throws ARM's ResourceNotFound. */
export async function requireAccount(ctx: ControlPlaneContext, params: AccountParams): Promise<Account> {
  const ref = accountRef(params);
  const account = await ctx.store.accounts.get(ref);
  if (!account) throw errors.resourceNotFound(ACCOUNT_TYPE, ref.name, ref.resourceGroup);
  return account;
}

/** The base URL of this server as the caller reached it (no trailing slash). */
export function baseUrl(ctx: ControlPlaneContext, request: FastifyRequest): string {
  if (ctx.publicUrl) return ctx.publicUrl.replace(/\/+$/, '');
  return `${request.protocol}://${request.host}`;
}
