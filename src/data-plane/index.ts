// The Azure OpenAI data plane under /openai. Stages, in order, as hooks of this plugin:
//   headers Azure sends → api-version → authentication (api-key → account) → route
// (body validation, deployment resolution, backend call, Azure-shaped response).

import type { FastifyInstance } from 'fastify';
import { dataPlaneErrors as errors } from '../errors/index.js';
import { DATA_PLANE_API_VERSIONS } from './api-versions.js';
import type { DataPlaneContext } from './context.js';
import { registerChatCompletions } from './routes/chat-completions.js';

export type { DataPlaneContext } from './context.js';

export async function dataPlane(app: FastifyInstance, ctx: DataPlaneContext): Promise<void> {
  app.decorateRequest('account', null);

  // headers: region and the caller's correlation id, echoed as Azure does.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-ms-region', ctx.regionName);
    const clientId = request.headers['x-ms-client-request-id'];
    if (typeof clientId === 'string') reply.header('x-ms-client-request-id', clientId);
  });

  // api-version: required on the dated scheme; an unknown one is Azure's plain 404.
  app.addHook('onRequest', async (request) => {
    const version = (request.query as Record<string, unknown>)['api-version'];
    if (typeof version !== 'string' || !DATA_PLANE_API_VERSIONS.has(version)) throw errors.resourceNotFound();
  });

  // authentication: the api-key header names the account (the key's owner).
  app.addHook('onRequest', async (request) => {
    const key = request.headers['api-key'];
    if (typeof key !== 'string' || key === '') throw errors.accessDenied();
    const match = await ctx.store.keys.findByKey(key);
    const account = match && (await ctx.store.accounts.getById(match.accountId));
    if (!account) throw errors.accessDenied();
    request.account = account;
  });

  registerChatCompletions(app, ctx);
}
