// GET /subscriptions/{sub}/providers/Microsoft.CognitiveServices/locations/{location}/usages:
// the quota of a subscription in a region, per deployment type and model, in the shape of RM
// 2025-06-01's UsageListResult ({name: {value, localizedValue}, currentValue, limit, unit}).
// The quota check of deployment PUTs reads the same deployments (quotaShortfallFor).

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deployment, Store } from '../core/index.js';
import { quotaShortfall, quotaUsages, type QuotaSettings } from '../capacity/quota.js';
import { controlPlaneErrors as errors } from '../errors/index.js';
import { PROVIDER } from './arm.js';
import { checkSubscription, type ControlPlaneContext } from './context.js';

/** Azure compares locations without case or spaces ("East US" = "eastus"). */
const sameLocation = (a: string, b: string) => a.replace(/\s+/g, '').toLowerCase() === b.replace(/\s+/g, '').toLowerCase();

/** Every deployment of the subscription whose account is in `location`. */
export async function deploymentsInRegion(store: Store, subscriptionId: string, location: string): Promise<Deployment[]> {
  const accounts = (await store.accounts.list({ subscriptionId })).filter((a) => sameLocation(a.location, location));
  return (await Promise.all(accounts.map((a) => store.deployments.list(a.id)))).flat();
}

/** Throws Azure's 400 InsufficientQuota when `wanted` does not fit beside the region's other deployments. */
export async function checkQuota(ctx: ControlPlaneContext, subscriptionId: string, location: string, wanted: Deployment, replaced: Deployment | undefined): Promise<void> {
  const others = (await deploymentsInRegion(ctx.store, subscriptionId, location)).filter((d) => d.id !== wanted.id);
  const shortfall = quotaShortfall(ctx.quota, wanted, replaced, others);
  if (shortfall) throw errors.insufficientQuota(shortfall);
}

export function registerUsageRoutes(app: FastifyInstance, ctx: ControlPlaneContext): void {
  type Req = FastifyRequest<{ Params: { subscriptionId: string; location: string } }>;
  app.get(`/subscriptions/:subscriptionId/providers/${PROVIDER}/locations/:location/usages`, { config: { operation: 'usages.read' } }, async (request: Req) => {
    checkSubscription(request.params.subscriptionId);
    const deployments = await deploymentsInRegion(ctx.store, request.params.subscriptionId, request.params.location);
    return { value: quotaUsages(ctx.quota, deployments).map((u) => ({ ...u, unit: 'Count' })) };
  });
}

export type { QuotaSettings };
