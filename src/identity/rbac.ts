// The RBAC decision, with Azure's semantics
// (https://learn.microsoft.com/azure/role-based-access-control/overview#how-azure-rbac-determines-if-a-user-has-access-to-a-resource):
// - an assignment applies to its scope and everything below it, never above, never beside:
//   scopes are ARM ids compared without regard to case, on whole path segments;
// - a role grants an action when one of its patterns matches and none of its "not" patterns
//   does, in the same role; control actions come only from actions/notActions and data actions
//   only from dataActions/notDataActions, so `*` in actions never opens the data plane;
// - grants add up across assignments (the principal's own and its groups'); there is no deny.

import type { RoleAssignment } from '../core/identity.js';
import { ACTIONS, type OperationName } from './actions.js';
import type { RoleDefinition, RoleLookup } from './roles.js';

export interface AuthorizeInput {
  /** The principal's object id and the ids of its groups. */
  principalIds: readonly string[];
  action: string;
  /** True when `action` is a data action. */
  data: boolean;
  /** ARM id of the resource acted on (a deployment, an account, a resource group, …). */
  scope: string;
  /** Candidate assignments; any that do not name these principals or cover this scope are skipped. */
  assignments: readonly RoleAssignment[];
  roles: RoleLookup;
}

export interface AuthorizeResult {
  allowed: boolean;
  /** What granted the action, when allowed (for audit records). */
  grantedBy?: { assignment: RoleAssignment; role: RoleDefinition };
}

export function authorize(input: AuthorizeInput): AuthorizeResult {
  const principals = new Set(input.principalIds.map(principalKey));
  const scope = normalizeScope(input.scope);
  for (const assignment of input.assignments) {
    if (!principals.has(principalKey(assignment.principalId))) continue;
    if (!covers(normalizeScope(assignment.scope), scope)) continue;
    const role = input.roles(assignment.roleDefinitionId);
    if (role && permits(role, input.action, input.data)) return { allowed: true, grantedBy: { assignment, role } };
  }
  return { allowed: false };
}

/** authorize() for an operation of the ACTIONS table. */
export function authorizeOperation(input: Omit<AuthorizeInput, 'action' | 'data'> & { operation: OperationName }): AuthorizeResult & { action: string } {
  const { action, data } = ACTIONS[input.operation];
  return { ...authorize({ ...input, action, data }), action };
}

/** Does `role` grant `action` (a data action when `data`)? */
export function permits(role: RoleDefinition, action: string, data: boolean): boolean {
  const [grants, denies] = data ? [role.dataActions, role.notDataActions] : [role.actions, role.notActions];
  return grants.some((p) => actionMatches(p, action)) && !denies.some((p) => actionMatches(p, action));
}

const patterns = new Map<string, RegExp>();

// Azure's action patterns: `*` stands for any run of characters, across `/` too
// (`Microsoft.CognitiveServices/*/read` covers `…/accounts/deployments/read`); the rest is
// literal and compared without regard to case (`listkeys` is `listKeys`).
export function actionMatches(pattern: string, action: string): boolean {
  let regex = patterns.get(pattern);
  if (!regex) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    regex = new RegExp(`^${body}$`, 'i');
    patterns.set(pattern, regex);
  }
  return regex.test(action);
}

/** Does an assignment at `assignmentScope` apply to the resource at `resourceScope`? */
export function scopeCovers(assignmentScope: string, resourceScope: string): boolean {
  return covers(normalizeScope(assignmentScope), normalizeScope(resourceScope));
}

function covers(assignment: string, resource: string): boolean {
  // '' is the root scope '/', above every subscription.
  return assignment === '' || resource === assignment || resource.startsWith(`${assignment}/`);
}

/** Lower case, no trailing slash ('/' becomes ''): the form scopes are compared in. */
export function normalizeScope(scope: string): string {
  return scope.toLowerCase().replace(/\/+$/, '');
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The form principal ids are stored and compared in: Entra object ids are GUIDs, equal in any
 * case, so they are lowered; any other id (the `sub` of another issuer) is kept exactly, since
 * such an issuer may tell 'Alice' from 'alice'.
 */
export function principalKey(id: string): string {
  return GUID.test(id) ? id.toLowerCase() : id;
}
