// POST …/embeddings, on both URL schemes.

import type { FastifyInstance } from 'fastify';
import { dataPlaneErrors as errors } from '../../errors/index.js';
import { embeddingBody, readEmbeddingRequest } from '../azure/embedding.js';
import { mapBackendError } from '../backend-errors.js';
import type { DataPlaneContext } from '../context.js';
import { resolveDeployment } from '../deployment.js';
import { abortOnDisconnect, servedHeader } from '../generation.js';
import { admit, embeddingEstimate } from '../capacity.js';
import { registerOperation } from './operation.js';

export function registerEmbeddings(app: FastifyInstance, ctx: DataPlaneContext): void {
  registerOperation(app, '/embeddings', 'openai.embeddings', async (request, reply, name) => {
    const req = readEmbeddingRequest(request.body);
    const resolved = await resolveDeployment(ctx, request.account!, name, 'embeddings');
    const admitted = await admit(ctx, request, reply, resolved, 'Embeddings_Create', embeddingEstimate(req.input, resolved.deployment));
    const { deployment, backend } = admitted;
    const caps = backend.capabilities;
    if (!caps.embeddings) throw errors.operationNotSupported('embeddings', deployment.name);
    if (req.dimensions !== undefined && caps.embeddingDimensions !== undefined && req.dimensions > caps.embeddingDimensions) {
      throw errors.unsupportedValue('dimensions', `The model of deployment '${deployment.name}' has ${caps.embeddingDimensions} dimensions; 'dimensions' cannot be ${req.dimensions}.`);
    }
    const controller = abortOnDisconnect(reply);
    try {
      const result = await backend.embed({ input: req.input, ...(req.dimensions ? { dimensions: req.dimensions } : {}), signal: controller.signal, served: servedHeader(reply) });
      void admitted.ticket.settle({ promptTokens: result.promptTokens, completionTokens: 0 });
      return embeddingBody(result, backend.modelId, req.base64);
    } catch (err) {
      void admitted.ticket.settle({ promptTokens: 0, completionTokens: 0 });
      throw mapBackendError(err, deployment.name);
    }
  });
}
