// The Principal a verified token's claims stand for. Claim names follow Entra ID
// (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference) with the
// RFC 9068 / OIDC equivalents as fallbacks, so other OpenID providers work too.

import type { JWTPayload } from 'jose';
import { TokenRejectedError, type Principal } from '../core/identity.js';

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * Whether a token is app-only (ServicePrincipal) rather than issued on behalf of a user. The
 * first rule that applies decides:
 *   1. `idtyp` (Entra's optional claim, the explicit answer): 'app' → app-only, any other value → user;
 *   2. `scp` present → user: delegated scopes are only issued on a user's behalf (Entra);
 *   3. `sub` equals the client id (`client_id`, `azp` or `appid`) → app-only: a client-credentials
 *      token's subject is the client itself (RFC 9068 §2.2; oidc-provider, Auth0, Okta);
 *   4. `oid` equals `sub` → app-only: Entra app-only tokens without `idtyp` (for a user, `sub` is
 *      pairwise per application and differs from `oid`);
 *   5. otherwise → user.
 */
export function isAppOnly(claims: JWTPayload): boolean {
  if (claims.idtyp !== undefined) return claims.idtyp === 'app';
  if (claims.scp !== undefined) return false;
  const sub = str(claims.sub);
  if (sub === undefined) return false;
  if ([claims.client_id, claims.azp, claims.appid].includes(sub)) return true;
  return str(claims.oid) === sub;
}

export function principalOf(claims: JWTPayload, issuer: string): Principal {
  const id = str(claims.oid) ?? str(claims.sub);
  if (id === undefined) throw new TokenRejectedError("token has no 'oid' or 'sub' claim");
  // Only string members count. Entra leaves `groups` out past its limit (200 in JWTs) and points
  // to Graph instead (`_claim_names`); Lapis does not call Graph, so then only direct
  // assignments to the principal apply.
  const groups = Array.isArray(claims.groups) ? claims.groups.filter((g): g is string => typeof g === 'string') : [];
  return {
    id,
    type: isAppOnly(claims) ? 'ServicePrincipal' : 'User',
    groups,
    appId: str(claims.appid) ?? str(claims.azp) ?? str(claims.client_id),
    tenantId: str(claims.tid),
    issuer,
    name: str(claims.name) ?? str(claims.preferred_username) ?? str(claims.upn),
  };
}
