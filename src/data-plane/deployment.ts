// Deployment resolution: the deployment named in the path, in the caller's account, and the
// backend that serves it right now.

import type { Account, Deployment, InferenceBackend } from '../core/index.js';
import { dataPlaneErrors as errors } from '../errors/index.js';
import type { DataPlaneContext } from './context.js';

export interface ResolvedDeployment {
  deployment: Deployment;
  backend: InferenceBackend;
}

export async function resolveDeployment(ctx: DataPlaneContext, account: Account, name: string): Promise<ResolvedDeployment> {
  const deployment = await ctx.store.deployments.get(account.id, name);
  if (!deployment) throw errors.deploymentNotFound();
  // A deployment stored but not yet served here (restart, or created through another
  // replica) is provisioned now; the first request waits for the model to load.
  if (!ctx.runtime.get(deployment.id)) ctx.runtime.provision(deployment);
  const served = await ctx.runtime.whenSettled(deployment.id);
  if (!served || served.state === 'loading') throw errors.deploymentNotReady(deployment.name);
  if (served.state === 'failed') throw errors.deploymentFailed(deployment.name, served.reason);
  return { deployment, backend: served.backend };
}
