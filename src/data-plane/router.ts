// The model router stage of a chat request (DESIGN.md: deployment resolution → model router →
// capacity admission). A request to a router deployment continues on the deployment the router
// picks for it (capacity/router.ts: complexity and prices), as if it had named that deployment:
// admission counts against the target, the target's backend answers, so the response's `model`
// is the target's model. The router's own content-filter policy applies, not the target's: the
// caller chose the router, and Azure applies a model router deployment's settings to every model
// under it (https://learn.microsoft.com/azure/ai-services/openai/how-to/model-router).

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Deployment, RouterBackendSpec } from '../core/index.js';
import { chooseDeployment, complexity, type ComplexityInput } from '../capacity/router.js';
import { dataPlaneErrors as errors } from '../errors/index.js';
import type { DataPlaneContext } from './context.js';
import { findDeployment, servingBackend, type ResolvedDeployment } from './deployment.js';

/** Lapis extension: the deployment a router sent the request to (x-ms-deployment-name says it too, as after spillover). */
export const ROUTED_TO_HEADER = 'x-lapis-routed-to';

export interface Routed {
  /** The deployment that serves the request, and its backend. */
  resolved: ResolvedDeployment;
  /** The router deployment the request named, when it named one: its policy is the one that applies. */
  router?: Deployment;
}

/** Resolves the deployment a chat request names and, when it is a router, the deployment it routes to. */
export async function resolveChat(ctx: DataPlaneContext, request: FastifyRequest, reply: FastifyReply, name: string, chat: ComplexityInput): Promise<Routed> {
  const deployment = await findDeployment(ctx, request.account!, name);
  if (deployment.backend.kind !== 'router') return { resolved: await servingBackend(ctx, deployment, 'chatCompletion') };
  const score = complexity(chat);
  const target = await pick(ctx, deployment, deployment.backend, score);
  request.log.debug({ router: deployment.name, complexity: score, target: target.name }, 'model router');
  reply.header(ROUTED_TO_HEADER, target.name);
  return { resolved: await servingBackend(ctx, target, 'chatCompletion'), router: deployment };
}

/**
 * The router's deployments that can answer — still stored (the control plane keeps them while
 * the router names them), not routers, not failed — ranked and chosen by price and complexity.
 */
async function pick(ctx: DataPlaneContext, router: Deployment, spec: RouterBackendSpec, score: number): Promise<Deployment> {
  const members = await Promise.all(spec.deployments.map((n) => ctx.store.deployments.get(router.accountId, n)));
  const candidates = members
    .filter((d): d is Deployment => d !== undefined && d.backend.kind !== 'router' && ctx.runtime.get(d.id)?.state !== 'failed')
    .map((deployment) => ({ name: deployment.name, model: deployment.properties.model.name, price: ctx.prices(deployment.properties.model.name), deployment }));
  if (candidates.length === 0) throw errors.deploymentFailed(router.name, 'none of the deployments it routes to is serving.');
  return chooseDeployment(candidates, score, spec.mode).deployment;
}
