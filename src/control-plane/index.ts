// The ARM-shaped control plane: /subscriptions/{sub}/…/providers/Microsoft.CognitiveServices/….
// Every request must carry the admin bearer token (until the identity issue brings principals
// and RBAC) and a supported api-version.

import type { FastifyInstance } from 'fastify';
import { controlPlaneErrors as errors } from '../errors/index.js';
import { secretsEqual } from '../identity/index.js';
import { registerAccountRoutes } from './accounts.js';
import { checkApiVersion } from './arm.js';
import type { ControlPlaneContext } from './context.js';
import { registerDeploymentRoutes } from './deployments.js';
import { registerKeyRoutes } from './keys.js';
import { registerOperationRoutes } from './operations.js';

export type { ControlPlaneContext } from './context.js';

export async function controlPlane(app: FastifyInstance, ctx: ControlPlaneContext): Promise<void> {
  // authentication: the break-glass admin token.
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (!header) throw errors.authenticationFailed();
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !secretsEqual(match[1]!.trim(), ctx.adminToken)) throw errors.invalidAuthenticationToken();
  });
  // api-version, before any body is read.
  app.addHook('preValidation', async (request) => {
    checkApiVersion((request.query as Record<string, unknown>)['api-version']);
  });

  registerAccountRoutes(app, ctx);
  registerKeyRoutes(app, ctx);
  registerDeploymentRoutes(app, ctx);
  registerOperationRoutes(app, ctx);
}
