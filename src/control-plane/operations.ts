// Status of long-running operations, at the URL a PUT returns in Azure-AsyncOperation.
// Body as ARM's async-operation protocol: {id, name, status, startTime, endTime?, error?}.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Account } from '../core/index.js';
import { controlPlaneErrors as errors } from '../errors/index.js';
import { PROVIDER } from './arm.js';
import { checkSubscription, type ControlPlaneContext } from './context.js';

interface OperationParams {
  subscriptionId: string;
  location: string;
  operationId: string;
}

function operationPath(subscriptionId: string, location: string, operationId: string): string {
  return `/subscriptions/${subscriptionId}/providers/${PROVIDER}/locations/${encodeURIComponent(location)}/operationResults/${operationId}`;
}

export function operationUrl(base: string, account: Account, operationId: string, query: unknown): string {
  const version = (query as { 'api-version'?: string })['api-version'] ?? '';
  return `${base}${operationPath(account.subscriptionId, account.location, operationId)}?api-version=${encodeURIComponent(version)}`;
}

export function registerOperationRoutes(app: FastifyInstance, ctx: ControlPlaneContext): void {
  app.get(
    `/subscriptions/:subscriptionId/providers/${PROVIDER}/locations/:location/operationResults/:operationId`,
    { config: { operation: 'operationResults.read' } },
    async (request: FastifyRequest<{ Params: OperationParams }>) => {
      const { subscriptionId, location, operationId } = request.params;
      checkSubscription(subscriptionId);
      const op = await ctx.store.operations.get(operationId);
      if (!op) throw errors.resourceNotFound(`${PROVIDER}/locations/operationResults`, operationId, '-');
      return {
        id: operationPath(subscriptionId, location, op.id),
        name: op.id,
        status: op.status,
        startTime: op.startTime.toISOString(),
        ...(op.endTime ? { endTime: op.endTime.toISOString() } : {}),
        ...(op.error ? { error: op.error } : {}),
      };
    },
  );
}
