// Microsoft.Authorization/roleDefinitions: GET one and list, read-only. The built-in roles of
// roles.ts, in ARM's shape (azure-rest-api-specs, authorization-RoleDefinitionsCalls.json), so
// `az role assignment create --role "Cognitive Services OpenAI User"` can find a role by name
// (it lists with $filter=roleName eq '…') before assigning it.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { controlPlaneErrors as errors } from '../errors/index.js';
import type { OperationName } from '../identity/actions.js';
import { BUILT_IN_ROLES, builtInRole, type RoleDefinition } from '../identity/roles.js';
import type { ControlPlaneContext } from './context.js';
import { AUTHORIZATION, SCOPE_PATHS, filterOf, odataString, resolveScope, roleDefinitionPath, type ScopeParams } from './role-scope.js';

export const ROLE_DEFINITION_TYPE = `${AUTHORIZATION}/roleDefinitions`;

export function roleDefinitionToWire(role: RoleDefinition, subscriptionId: string): Record<string, unknown> {
  return {
    id: roleDefinitionPath(subscriptionId, role.id),
    name: role.id,
    type: ROLE_DEFINITION_TYPE,
    properties: {
      roleName: role.roleName,
      description: role.description,
      type: role.type,
      permissions: [
        {
          actions: role.actions,
          notActions: role.notActions,
          dataActions: role.dataActions,
          notDataActions: role.notDataActions,
        },
      ],
      assignableScopes: ['/'],
    },
  };
}

const SUPPORTED_FILTERS = "either 'roleName eq '{value}'' or 'type eq '{value}''";

/** $filter=roleName eq '{name}' or type eq 'BuiltInRole' | 'CustomRole', compared without regard to case. */
function readFilter(filter: string | undefined): (role: RoleDefinition) => boolean {
  if (filter === undefined) return () => true;
  const match = /^\s*(roleName|type)\s+eq\s+(.+)$/i.exec(filter);
  const value = match ? odataString(match[2]!)?.toLowerCase() : undefined;
  if (!match || value === undefined) throw errors.unsupportedFilter(filter, SUPPORTED_FILTERS);
  return match[1]!.toLowerCase() === 'rolename' ? (r) => r.roleName.toLowerCase() === value : (r) => r.type.toLowerCase() === value;
}

type DefinitionParams = ScopeParams & { roleDefinitionId: string };

const route = (operation: OperationName) => ({ config: { operation } });

export function registerRoleDefinitionRoutes(app: FastifyInstance, ctx: ControlPlaneContext): void {
  for (const prefix of SCOPE_PATHS) {
    const collection = `${prefix}/providers/${ROLE_DEFINITION_TYPE}`;

    app.get(collection, route('roleDefinitions.read'), async (request: FastifyRequest<{ Params: ScopeParams }>) => {
      const matches = readFilter(filterOf(request.query));
      const { subscriptionId } = await resolveScope(ctx, request.params);
      return { value: BUILT_IN_ROLES.filter(matches).map((r) => roleDefinitionToWire(r, subscriptionId)) };
    });

    app.get(`${collection}/:roleDefinitionId`, route('roleDefinitions.read'), async (request: FastifyRequest<{ Params: DefinitionParams }>) => {
      const { subscriptionId } = await resolveScope(ctx, request.params);
      const role = builtInRole(request.params.roleDefinitionId);
      if (!role) throw errors.roleDefinitionDoesNotExist(request.params.roleDefinitionId, 404);
      return roleDefinitionToWire(role, subscriptionId);
    });
  }
}
