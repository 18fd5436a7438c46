// One inference operation on both URL schemes:
//   dated: POST /openai/deployments/{deployment}/<op>?api-version=…  (the path names the deployment;
//          a body `model` is accepted and ignored, whatever it says)
//   v1:    POST /openai/v1/<op>                                      (the body `model` names it)

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dataPlaneErrors as errors } from '../../errors/index.js';
import { isObject } from '../azure/read.js';

export type OperationHandler = (request: FastifyRequest, reply: FastifyReply, deployment: string) => Promise<unknown>;

function modelOf(body: unknown): string {
  const model = isObject(body) ? body.model : undefined;
  if (model === undefined || model === null || model === '') {
    throw errors.invalidRequest('missing_required_parameter', "Missing required parameter: 'model' (the deployment name).", 'model');
  }
  if (typeof model !== 'string') throw errors.invalidRequest('invalid_type', "Invalid type for 'model': expected a string.", 'model');
  return model;
}

export function registerOperation(app: FastifyInstance, suffix: string, operation: string, handler: OperationHandler): void {
  const config = { operation };
  app.post(`/openai/deployments/:deployment${suffix}`, { config }, (request, reply) =>
    handler(request, reply, (request.params as { deployment: string }).deployment),
  );
  app.post(`/openai/v1${suffix}`, { config }, (request, reply) => handler(request, reply, modelOf(request.body)));
}
