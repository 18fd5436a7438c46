// The Azure OpenAI data plane under /openai, and Azure AI Content Safety's text API under
// /contentsafety (same keys, tokens and network rules; its own api-versions).
// Stages, in order, as hooks of this plugin:
//   headers Azure sends → api-version (per URL scheme) → authentication (key → account)
//   → route (body validation, deployment resolution, backend call, Azure-shaped response).

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { dataPlaneErrors as errors } from '../errors/index.js';
import { CONTENT_SAFETY_API_VERSIONS, DATA_PLANE_API_VERSIONS, V1_API_VERSIONS } from './api-versions.js';
import { authenticate, authorize } from './auth.js';
import type { DataPlaneContext } from './context.js';
import { registerChatCompletions } from './routes/chat-completions.js';
import { registerCompletions } from './routes/completions.js';
import { registerContentSafety } from './routes/content-safety.js';
import { registerEmbeddings } from './routes/embeddings.js';
import { registerModelListings } from './routes/models.js';

export type { DataPlaneContext } from './context.js';

function isV1(request: FastifyRequest): boolean {
  return request.url.startsWith('/openai/v1/') || request.url === '/openai/v1';
}

export async function dataPlane(app: FastifyInstance, ctx: DataPlaneContext): Promise<void> {

  // headers: region and the caller's correlation id, echoed as Azure does.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-ms-region', ctx.regionName);
    const clientId = request.headers['x-ms-client-request-id'];
    if (typeof clientId === 'string') reply.header('x-ms-client-request-id', clientId);
  });

  // api-version: required on the dated scheme (an unknown one is Azure's plain 404); optional on v1.
  app.addHook('onRequest', async (request) => {
    const version = (request.query as Record<string, unknown>)['api-version'];
    // Paths are matched case-insensitively, so the scheme is too.
    if (request.url.toLowerCase().startsWith('/contentsafety/')) {
      if (typeof version !== 'string' || !CONTENT_SAFETY_API_VERSIONS.has(version)) throw errors.resourceNotFound();
    } else if (isV1(request)) {
      if (version !== undefined && (typeof version !== 'string' || !V1_API_VERSIONS.has(version))) throw errors.resourceNotFound();
    } else if (typeof version !== 'string' || !DATA_PLANE_API_VERSIONS.has(version)) {
      throw errors.resourceNotFound();
    }
  });

  // account, network rules, authentication (see auth.ts).
  app.addHook('onRequest', async (request) => authenticate(ctx, request));
  // authorization: the route's data action at the deployment's scope, once the body is read.
  app.addHook('preHandler', async (request) => authorize(ctx, request));

  registerChatCompletions(app, ctx);
  registerCompletions(app, ctx);
  registerEmbeddings(app, ctx);
  registerModelListings(app, ctx);
  registerContentSafety(app, ctx);
}
