// Deployment resolution: the deployment named in the path, in the caller's account, and the
// backend that serves it right now.

import type { Account, Deployment, InferenceBackend } from '../core/index.js';
import { dataPlaneErrors as errors } from '../errors/index.js';
import type { DataPlaneContext } from './context.js';

export interface ResolvedDeployment {
  deployment: Deployment;
  backend: InferenceBackend;
}

/** The operation asked of a deployment, as Azure's OperationNotSupported names it. */
export type InferenceOperation = 'chatCompletion' | 'completion' | 'embeddings';

/** The stored deployment, or DeploymentNotFound. */
export async function findDeployment(ctx: DataPlaneContext, account: Account, name: string): Promise<Deployment> {
  const deployment = await ctx.store.deployments.get(account.id, name);
  if (!deployment) throw errors.deploymentNotFound();
  return deployment;
}

/**
 * The backend serving `deployment`. A router deployment has none: it routes chat completions
 * only (data-plane/router.ts), so any `operation` reaching here on one is OperationNotSupported.
 */
export async function servingBackend(ctx: DataPlaneContext, deployment: Deployment, operation: InferenceOperation): Promise<ResolvedDeployment> {
  // A deployment stored but not yet served here (restart, or created through another
  // replica) is provisioned now; the first request waits for the model to load.
  if (!ctx.runtime.get(deployment.id)) ctx.runtime.provision(deployment);
  const served = await ctx.runtime.whenSettled(deployment.id);
  if (!served || served.state === 'loading') throw errors.deploymentNotReady(deployment.name);
  if (served.state === 'failed') throw errors.deploymentFailed(deployment.name, served.reason);
  if (served.state === 'routing') throw errors.operationNotSupported(operation, deployment.name);
  return { deployment, backend: served.backend };
}

export async function resolveDeployment(ctx: DataPlaneContext, account: Account, name: string, operation: InferenceOperation): Promise<ResolvedDeployment> {
  return servingBackend(ctx, await findDeployment(ctx, account, name), operation);
}
