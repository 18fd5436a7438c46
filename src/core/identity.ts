// Who is calling: principals from Entra-style tokens, and the role assignments that say what
// they may do (RBAC). ARM shapes are built by the control plane; storage keeps these as they are.

export type PrincipalType = 'User' | 'ServicePrincipal' | 'Group';

export interface Principal {
  /** Object id: the token's `oid` claim, else `sub`. What role assignments name. */
  id: string;
  type: Exclude<PrincipalType, 'Group'>;
  /** Groups the principal is a member of (`groups` claim): their assignments apply too. */
  groups: string[];
  /** `appid` / `azp`: the client application. */
  appId?: string;
  tenantId?: string;
  issuer: string;
  /** A display name (`name`, `preferred_username`, `upn`), for logs only. */
  name?: string;
}

export interface RoleAssignment {
  /** The assignment's name: a GUID, unique across scopes (as in ARM). */
  id: string;
  /** ARM scope it applies at and below, e.g. /subscriptions/{sub}/resourceGroups/{rg}. */
  scope: string;
  /** GUID of the role definition. */
  roleDefinitionId: string;
  principalId: string;
  principalType: PrincipalType;
  description?: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A token that cannot be accepted; `reason` says why, for the 401 body. */
export class TokenRejectedError extends Error {
  override readonly name = 'TokenRejectedError';
}
