// The ARM-shaped control plane: /subscriptions/{sub}/…/providers/Microsoft.CognitiveServices/….
// Stages, in order: authentication (admin token or a trusted bearer token) → api-version →
// authorization (RBAC on the route's action at the resource's scope) → the resource's route.

import type { FastifyInstance } from 'fastify';
import { registerAccountRoutes } from './accounts.js';
import { apiVersionsFor, checkApiVersion } from './arm.js';
import { authenticate, authorize } from './auth.js';
import type { ControlPlaneContext } from './context.js';
import { registerDeploymentRoutes } from './deployments.js';
import { registerKeyRoutes } from './keys.js';
import { registerOperationRoutes } from './operations.js';
import { registerRaiBlocklistRoutes } from './rai-blocklists.js';
import { registerRaiPolicyRoutes } from './rai-policies.js';
import { registerRoleAssignmentRoutes } from './role-assignments.js';
import { registerRoleDefinitionRoutes } from './role-definitions.js';
import { registerUsageRoutes } from './usages.js';

export type { ControlPlaneContext } from './context.js';

export async function controlPlane(app: FastifyInstance, ctx: ControlPlaneContext): Promise<void> {
  // authentication: the admin token or a bearer token from a trusted issuer (auth.ts).
  app.addHook('onRequest', async (request) => authenticate(ctx, request));
  // api-version, before any body is read.
  app.addHook('preValidation', async (request) => {
    checkApiVersion((request.query as Record<string, unknown>)['api-version'], apiVersionsFor(request.url));
  });

  // authorization: the route's action at the resource's scope.
  app.addHook('preHandler', async (request) => authorize(ctx, request));

  registerAccountRoutes(app, ctx);
  registerKeyRoutes(app, ctx);
  registerDeploymentRoutes(app, ctx);
  registerOperationRoutes(app, ctx);
  registerRaiPolicyRoutes(app, ctx);
  registerRaiBlocklistRoutes(app, ctx);
  registerRoleAssignmentRoutes(app, ctx);
  registerRoleDefinitionRoutes(app, ctx);
  registerUsageRoutes(app, ctx);
}
