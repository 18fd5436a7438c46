// Microsoft.CognitiveServices/accounts/deployments: PUT (long-running), GET, list, DELETE.
// A PUT answers at once with provisioningState Creating/Updating and an Azure-AsyncOperation
// URL; the model loads in the background and the operation reports how it went. This is the
// long-running-operation contract `beginCreateOrUpdateAndWait` of the ARM SDKs polls.

import { randomUUID } from 'node:crypto';
import { checkQuota } from './usages.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { resolveRaiPolicy, type Account, type Deployment } from '../core/index.js';
import { controlPlaneErrors as errors } from '../errors/index.js';
import { ACCOUNT_PATH } from './accounts.js';
import { DEPLOYMENT_TYPE, checkDeploymentName, deploymentId } from './arm.js';
import { baseUrl, requireAccount, type AccountParams, type ControlPlaneContext } from './context.js';
import { backendToWire, keepSecrets, readDeploymentBody } from './deployment-body.js';
import { checkRouting, routersNaming } from './deployment-routers.js';
import { operationUrl } from './operations.js';

type DeploymentParams = AccountParams & { deploymentName: string };

export function deploymentToWire(account: Account, d: Deployment): Record<string, unknown> {
  return {
    id: deploymentId(account, d.name),
    name: d.name,
    type: DEPLOYMENT_TYPE,
    sku: d.sku,
    properties: {
      ...d.properties,
      provisioningState: d.provisioningState,
      lapis: {
        backend: backendToWire(d.backend),
        ...(d.provisioningError ? { provisioningError: d.provisioningError } : {}),
      },
    },
    systemData: { createdAt: d.createdAt.toISOString(), lastModifiedAt: d.updatedAt.toISOString() },
  };
}

export function registerDeploymentRoutes(app: FastifyInstance, ctx: ControlPlaneContext): void {
  type Req = FastifyRequest<{ Params: DeploymentParams }>;
  const path = `${ACCOUNT_PATH}/deployments/:deploymentName`;

  async function requireDeployment(request: Req): Promise<{ account: Account; deployment: Deployment }> {
    const account = await requireAccount(ctx, request.params);
    checkDeploymentName(request.params.deploymentName);
    const deployment = await ctx.store.deployments.get(account.id, request.params.deploymentName);
    if (!deployment) throw errors.resourceNotFound(DEPLOYMENT_TYPE, `${account.name}/${request.params.deploymentName}`, account.resourceGroup);
    return { account, deployment };
  }

  app.put(path, { config: { operation: 'deployments.write' } }, async (request: Req, reply) => {
    const account = await requireAccount(ctx, request.params);
    checkDeploymentName(request.params.deploymentName);
    const body = readDeploymentBody(request.body);
    const raiPolicyName = body.properties.raiPolicyName;
    if (typeof raiPolicyName === 'string' && !(await resolveRaiPolicy(ctx.store.raiPolicies, account.id, raiPolicyName))) {
      throw errors.invalidResourceProperties(`The RAI policy '${raiPolicyName}' does not exist in account '${account.name}'.`, 'properties.raiPolicyName');
    }
    await checkRouting(ctx.store, account, request.params.deploymentName, body.backend);
    const existing = await ctx.store.deployments.get(account.id, request.params.deploymentName);
    if (existing && (existing.provisioningState === 'Creating' || existing.provisioningState === 'Updating')) {
      throw errors.requestConflict(`Another operation is being performed on deployment '${existing.name}'. Please retry once it has completed.`);
    }
    const now = new Date();
    const deployment: Deployment = {
      id: existing?.id ?? randomUUID(),
      accountId: account.id,
      name: existing?.name ?? request.params.deploymentName,
      sku: body.sku,
      properties: body.properties,
      backend: keepSecrets(body.backend, existing?.backend),
      provisioningState: existing ? 'Updating' : 'Creating',
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    await checkQuota(ctx, account.subscriptionId, account.location, deployment, existing);
    const operationId = randomUUID();
    await ctx.store.operations.upsert({
      id: operationId,
      resourceId: deploymentId(account, deployment.name),
      status: 'InProgress',
      startTime: now,
    });
    await ctx.store.deployments.upsert(deployment);
    ctx.runtime.provision(deployment, operationId);
    reply
      .code(existing ? 200 : 201)
      .header('azure-asyncoperation', operationUrl(baseUrl(ctx, request), account, operationId, request.query));
    return deploymentToWire(account, deployment);
  });

  app.get(path, { config: { operation: 'deployments.read' } }, async (request: Req) => {
    const { account, deployment } = await requireDeployment(request);
    return deploymentToWire(account, deployment);
  });

  app.get(`${ACCOUNT_PATH}/deployments`, { config: { operation: 'deployments.read' } }, async (request: FastifyRequest<{ Params: AccountParams }>) => {
    const account = await requireAccount(ctx, request.params);
    const list = await ctx.store.deployments.list(account.id);
    return { value: list.map((d) => deploymentToWire(account, d)) };
  });

  app.delete(path, { config: { operation: 'deployments.delete' } }, async (request: Req, reply) => {
    const account = await requireAccount(ctx, request.params);
    checkDeploymentName(request.params.deploymentName);
    const existing = await ctx.store.deployments.get(account.id, request.params.deploymentName);
    if (!existing) return reply.code(204).send();
    // A policy that grades through this deployment would fail on every request: refuse, as for a policy in use.
    const graders = (await ctx.store.raiPolicies.list(account.id)).filter(
      (p) => p.classifier?.type === 'Deployment' && p.classifier.deploymentName.toLowerCase() === existing.name.toLowerCase(),
    );
    if (graders.length > 0) {
      throw errors.requestConflict(`The deployment '${existing.name}' is the classifier of RAI policy(s) ${graders.map((p) => `'${p.name}'`).join(', ')}.`);
    }
    // Likewise a router that routes to it would send some requests nowhere.
    const routers = await routersNaming(ctx.store, account.id, existing.name);
    if (routers.length > 0) {
      throw errors.requestConflict(`The deployment '${existing.name}' is routed to by router deployment(s) ${routers.map((r) => `'${r.name}'`).join(', ')}. Remove it from their deployments first.`);
    }
    await ctx.store.deployments.delete(account.id, existing.name);
    await ctx.runtime.remove(existing.id);
    return reply.code(200).send();
  });
}
