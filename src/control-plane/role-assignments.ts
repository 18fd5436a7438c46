// Microsoft.Authorization/roleAssignments at a subscription, resource group, account or
// deployment scope: PUT, GET, DELETE and list, as the 2022-04-01 API (azure-rest-api-specs,
// authorization-RoleAssignmentsCalls.json) so `az role assignment`, Bicep, Terraform and
// @azure/arm-authorization can manage who may do what. The assignment's name is a GUID unique
// across all scopes; only built-in role definitions exist (roles.ts).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PrincipalType, RoleAssignment } from '../core/index.js';
import { controlPlaneErrors as errors } from '../errors/index.js';
import type { OperationName } from '../identity/actions.js';
import { normalizeScope, principalKey, scopeCovers } from '../identity/rbac.js';
import { builtInRole, type RoleDefinition } from '../identity/roles.js';
import { optionalString, readObject, requiredString } from './body.js';
import type { ControlPlaneContext } from './context.js';
import {
  AUTHORIZATION, GUID, SCOPE_PATHS, filterOf, odataString, resolveScope, roleDefinitionPath, subscriptionOf, type ScopeParams,
} from './role-scope.js';

export const ROLE_ASSIGNMENT_TYPE = `${AUTHORIZATION}/roleAssignments`;

const PRINCIPAL_TYPES: readonly PrincipalType[] = ['User', 'ServicePrincipal', 'Group'];

export function roleAssignmentToWire(a: RoleAssignment): Record<string, unknown> {
  return {
    id: `${a.scope}/providers/${ROLE_ASSIGNMENT_TYPE}/${a.id}`,
    name: a.id,
    type: ROLE_ASSIGNMENT_TYPE,
    properties: {
      roleDefinitionId: roleDefinitionPath(subscriptionOf(a.scope), a.roleDefinitionId),
      principalId: a.principalId,
      principalType: a.principalType,
      scope: a.scope,
      ...(a.description !== undefined ? { description: a.description } : {}),
      createdOn: a.createdAt.toISOString(),
      updatedOn: a.updatedAt.toISOString(),
    },
  };
}

interface AssignmentBody {
  role: RoleDefinition;
  principalId: string;
  principalType: PrincipalType;
  description?: string;
}

/**
 * roleDefinitionId is /subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}
 * (the tenant form without /subscriptions/{sub} is accepted too); a definition named under
 * another subscription is not one this scope can see.
 */
function readRole(value: string, subscriptionId: string): RoleDefinition {
  const match = /^(?:\/subscriptions\/([^/]+))?\/providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)$/i.exec(value);
  if (!match) throw errors.invalidRoleDefinitionId(value);
  const [, subscription, guid] = match as unknown as [string, string | undefined, string];
  const role = builtInRole(guid);
  if (!role || (subscription !== undefined && subscription.toLowerCase() !== subscriptionId.toLowerCase())) {
    throw errors.roleDefinitionDoesNotExist(guid);
  }
  return role;
}

function readAssignmentBody(raw: unknown, subscriptionId: string): AssignmentBody {
  const body = readObject(raw, '', 'RoleAssignmentCreateParameters', ['properties']);
  if (body.properties === undefined) throw errors.invalidResourceProperties("The property 'properties' is required.", 'properties');
  // condition, conditionVersion and delegatedManagedIdentityResourceId are not supported: an
  // assignment whose condition were ignored would grant more than was asked for.
  const p = readObject(body.properties, 'properties', 'RoleAssignmentProperties', ['roleDefinitionId', 'principalId', 'principalType', 'description']);
  const role = readRole(requiredString(p, 'roleDefinitionId', 'properties'), subscriptionId);
  const principalId = requiredString(p, 'principalId', 'properties');
  // ARM's default; Lapis has no directory to look the principal up in.
  const givenType = optionalString(p, 'principalType', 'properties') ?? 'User';
  const principalType = PRINCIPAL_TYPES.find((t) => t.toLowerCase() === givenType.toLowerCase());
  if (!principalType) {
    throw errors.invalidRequestContent(`Error converting value "${givenType}" to type 'PrincipalType' (User, ServicePrincipal, Group). Path 'properties.principalType'`);
  }
  const description = optionalString(p, 'description', 'properties');
  return { role, principalId, principalType, ...(description !== undefined ? { description } : {}) };
}

/** The assignment's name: a GUID, kept in lower case so 'ABC…' and 'abc…' name one assignment. */
function assignmentName(name: string): string {
  if (!GUID.test(name)) throw errors.invalidRoleAssignmentId(name);
  return name.toLowerCase();
}

const sameScope = (a: string, b: string) => normalizeScope(a) === normalizeScope(b);

interface ListFilter {
  atScope: boolean;
  principalId?: string;
}

const SUPPORTED_FILTERS = "either 'atScope()' or 'principalId eq '{value}'' or 'assignedTo('{value}')'";

/**
 * $filter as ARM takes it: atScope() (at or above the scope), principalId eq '{id}' or
 * assignedTo('{id}') (that principal, at, above or below), or atScope() and one of those.
 * assignedTo also covers the principal's groups on Azure; Lapis knows groups only from tokens,
 * so here it is the principal's own assignments.
 */
function readFilter(filter: string | undefined): ListFilter {
  const out: ListFilter = { atScope: false };
  if (filter === undefined) return out;
  for (const term of filter.trim().split(/\s+and\s+/i)) {
    const principal =
      /^principalId\s+eq\s+(.+)$/i.exec(term)?.[1] ?? /^assignedTo\((.+)\)$/i.exec(term)?.[1];
    if (/^atScope\(\)$/i.test(term) && !out.atScope) out.atScope = true;
    else if (principal !== undefined && out.principalId === undefined && odataString(principal) !== undefined) {
      out.principalId = odataString(principal);
    } else throw errors.unsupportedFilter(filter, SUPPORTED_FILTERS);
  }
  return out;
}

type AssignmentParams = ScopeParams & { roleAssignmentName: string };
type AssignmentRequest = FastifyRequest<{ Params: AssignmentParams }>;

const route = (operation: OperationName) => ({ config: { operation } });

export function registerRoleAssignmentRoutes(app: FastifyInstance, ctx: ControlPlaneContext): void {
  const repo = ctx.store.roleAssignments;

  /** Another name already gives this principal this role at this scope. */
  async function duplicateOf(id: string, scope: string, roleId: string, principalId: string): Promise<RoleAssignment | undefined> {
    const theirs = await repo.listForPrincipals([principalId]);
    return theirs.find((a) => a.id !== id && a.roleDefinitionId === roleId && sameScope(a.scope, scope));
  }

  async function put(request: AssignmentRequest, reply: FastifyReply) {
    const id = assignmentName(request.params.roleAssignmentName);
    const { scope, subscriptionId } = await resolveScope(ctx, request.params);
    const body = readAssignmentBody(request.body, subscriptionId);
    const principalId = principalKey(body.principalId);
    const existing = await repo.get(id);
    // Only the description and principal type of an assignment change; anything else is a new one.
    if (existing && (!sameScope(existing.scope, scope) || existing.principalId !== principalId || existing.roleDefinitionId !== body.role.id)) {
      throw errors.roleAssignmentUpdateNotPermitted();
    }
    if (await duplicateOf(id, scope, body.role.id, principalId)) throw errors.roleAssignmentExists();
    const now = new Date();
    const assignment: RoleAssignment = {
      id,
      scope: existing?.scope ?? scope,
      roleDefinitionId: body.role.id,
      principalId,
      principalType: body.principalType,
      ...(body.description !== undefined ? { description: body.description } : {}),
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    try {
      await repo.upsert(assignment);
    } catch (error) {
      // Two PUTs of one grant under different names at once: the unique index stops the second.
      if (await duplicateOf(id, scope, body.role.id, principalId)) throw errors.roleAssignmentExists();
      throw error;
    }
    reply.code(existing ? 200 : 201);
    return roleAssignmentToWire(assignment);
  }

  /** The assignment with this name at exactly this scope (ARM ids name one scope). */
  async function atThisScope(request: AssignmentRequest): Promise<RoleAssignment | undefined> {
    const id = assignmentName(request.params.roleAssignmentName);
    const { scope } = await resolveScope(ctx, request.params);
    const assignment = await repo.get(id);
    return assignment && sameScope(assignment.scope, scope) ? assignment : undefined;
  }

  for (const prefix of SCOPE_PATHS) {
    const collection = `${prefix}/providers/${ROLE_ASSIGNMENT_TYPE}`;
    const item = `${collection}/:roleAssignmentName`;

    app.put(item, route('roleAssignments.write'), put);

    app.get(item, route('roleAssignments.read'), async (request: AssignmentRequest) => {
      const assignment = await atThisScope(request);
      if (!assignment) throw errors.roleAssignmentNotFound(request.params.roleAssignmentName);
      return roleAssignmentToWire(assignment);
    });

    app.delete(item, route('roleAssignments.delete'), async (request: AssignmentRequest, reply) => {
      const assignment = await atThisScope(request);
      if (!assignment) return reply.code(204).send();
      await repo.delete(assignment.id);
      return roleAssignmentToWire(assignment);
    });

    // Without a filter: every assignment that applies at the scope (at or above it) and every
    // one below it, as ARM lists them; clients narrow it with atScope() or a principal.
    app.get(collection, route('roleAssignments.read'), async (request: FastifyRequest<{ Params: ScopeParams }>) => {
      const filter = readFilter(filterOf(request.query));
      const { scope, subscriptionId } = await resolveScope(ctx, request.params);
      const candidates =
        filter.principalId !== undefined
          ? await repo.listForPrincipals([principalKey(filter.principalId)])
          : await repo.listUnder(`/subscriptions/${subscriptionId}`);
      const value = candidates.filter(
        (a) => scopeCovers(a.scope, scope) || (!filter.atScope && scopeCovers(scope, a.scope)),
      );
      return { value: value.map(roleAssignmentToWire) };
    });
  }
}
