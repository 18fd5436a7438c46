// The access port both planes use: bearer-token validation, the RBAC decision for an operation
// at a scope, and the slowing of repeated failures. app.ts builds it from the configured issuers
// and the stored role assignments; the planes only call it.

import type { Principal, Store } from '../core/index.js';
import { isOperationName } from './actions.js';
import { FailedAttempts } from './failed-attempts.js';
import { authorizeOperation, principalKey } from './rbac.js';
import { builtInRole } from './roles.js';

export interface Decision {
  allowed: boolean;
  /** The action the operation needs (named in a refusal). */
  action: string;
}

export interface AccessControl {
  /** Validates a bearer token into a principal; absent when no issuer is trusted. */
  readonly tokens?: { validate(token: string): Promise<Principal> };
  /** May `principal` (and its groups) perform `operation` on the resource at `scope`? */
  check(principal: Principal, operation: string, scope: string): Promise<Decision>;
  readonly failedAttempts: FailedAttempts;
}

/** The break-glass admin: every control-plane action, no data action (keys give data access). */
export const ADMIN_PRINCIPAL: Principal = { id: 'lapis-admin', type: 'User', groups: [], issuer: 'lapis', name: 'admin token' };

export { FailedAttempts };

/**
 * The access control of one server: tokens from the trusted issuers, decisions from the stored
 * role assignments of the principal and its groups against the built-in roles.
 */
export function createAccessControl(options: {
  store: Store;
  tokens?: { validate(token: string): Promise<Principal> };
}): AccessControl {
  const { store } = options;
  return {
    tokens: options.tokens,
    failedAttempts: new FailedAttempts(),
    async check(principal, operation, scope) {
      if (!isOperationName(operation)) throw new Error(`unknown operation '${operation}'`);
      const principalIds = [principal.id, ...principal.groups];
      const assignments = await store.roleAssignments.listForPrincipals(principalIds.map(principalKey));
      const { allowed, action } = authorizeOperation({ principalIds, operation, scope, assignments, roles: builtInRole });
      return { allowed, action };
    },
  };
}
