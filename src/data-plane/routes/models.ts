// Listings of models and deployments, where the specs have them:
//   GET /openai/models[/{id}]?api-version=…       authoring API: the models this account serves
//   GET /openai/deployments[/{id}]?api-version=2022-12-01 (and the 2022 previews): the old
//       data-plane deployment listing, before deployments moved to ARM
//   GET /openai/v1/models[/{id}]                  v1: one entry per deployment, since `model`
//       names the deployment on that scheme

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deployment } from '../../core/index.js';
import { dataPlaneErrors as errors } from '../../errors/index.js';
import type { DataPlaneContext } from '../context.js';

const LEGACY_DEPLOYMENT_VERSIONS = new Set(['2022-12-01', '2022-03-01-preview', '2022-06-01-preview']);

function seconds(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}

function capabilitiesOf(ctx: DataPlaneContext, d: Deployment) {
  // A model router routes chat completions only.
  if (d.backend.kind === 'router') return { fine_tune: false, inference: true, completion: false, chat_completion: true, embeddings: false };
  const served = ctx.runtime.get(d.id);
  const caps = served?.state === 'ready' ? served.backend.capabilities : undefined;
  return {
    fine_tune: false,
    inference: true,
    completion: caps?.completions ?? true,
    chat_completion: caps?.chat ?? true,
    embeddings: caps?.embeddings ?? false,
  };
}

function authoringModel(ctx: DataPlaneContext, d: Deployment) {
  return {
    id: d.properties.model.name,
    object: 'model',
    created_at: seconds(d.createdAt),
    status: 'succeeded',
    lifecycle_status: 'generally-available',
    capabilities: capabilitiesOf(ctx, d),
    deprecation: {},
  };
}

function legacyDeployment(d: Deployment) {
  return {
    id: d.name,
    object: 'deployment',
    model: d.properties.model.name,
    owner: 'organization-owner',
    status: d.provisioningState === 'Succeeded' ? 'succeeded' : d.provisioningState === 'Failed' ? 'failed' : 'running',
    created_at: seconds(d.createdAt),
    updated_at: seconds(d.updatedAt),
    scale_settings: { scale_type: 'standard', capacity: d.sku.capacity ?? 1 },
  };
}

function v1Model(d: Deployment) {
  return { id: d.name, object: 'model', created: seconds(d.createdAt), owned_by: 'organization-owner' };
}

export function registerModelListings(app: FastifyInstance, ctx: DataPlaneContext): void {
  type IdReq = FastifyRequest<{ Params: { id: string } }>;
  const deployments = (request: FastifyRequest) => ctx.store.deployments.list(request.account!.id);

  const models = { config: { operation: 'openai.models.read' } };
  const listing = { config: { operation: 'openai.deployments.read' } };
  app.get('/openai/models', models, async (request) => {
    const seen = new Map<string, ReturnType<typeof authoringModel>>();
    for (const d of await deployments(request)) if (!seen.has(d.properties.model.name)) seen.set(d.properties.model.name, authoringModel(ctx, d));
    return { object: 'list', data: [...seen.values()] };
  });
  app.get('/openai/models/:id', models, async (request: IdReq) => {
    const d = (await deployments(request)).find((x) => x.properties.model.name === request.params.id);
    if (!d) throw errors.resourceNotFound();
    return authoringModel(ctx, d);
  });

  const checkLegacy = (request: FastifyRequest) => {
    if (!LEGACY_DEPLOYMENT_VERSIONS.has((request.query as Record<string, string>)['api-version']!)) throw errors.resourceNotFound();
  };
  app.get('/openai/deployments', listing, async (request) => {
    checkLegacy(request);
    return { object: 'list', data: (await deployments(request)).map(legacyDeployment) };
  });
  app.get('/openai/deployments/:id', listing, async (request: IdReq) => {
    checkLegacy(request);
    const d = await ctx.store.deployments.get(request.account!.id, request.params.id);
    if (!d) throw errors.deploymentNotFound();
    return legacyDeployment(d);
  });

  app.get('/openai/v1/models', models, async (request) => ({ object: 'list', data: (await deployments(request)).map(v1Model) }));
  app.get('/openai/v1/models/:id', models, async (request: IdReq) => {
    const d = await ctx.store.deployments.get(request.account!.id, request.params.id);
    if (!d) throw errors.deploymentNotFound();
    return v1Model(d);
  });
}
