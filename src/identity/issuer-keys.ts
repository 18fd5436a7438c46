// The signing keys of one trusted token issuer: OpenID discovery, then its JWKS, cached.
//
// Discovery (https://openid.net/specs/openid-connect-discovery-1_0.html §4) is fetched once, on
// the first token from the issuer; a failure is remembered for `retryMs` so a dead issuer is not
// asked again on every request, then asked again.
//
// The key set is jose's local JWKS (kid/alg/kty matching) over our own small cache instead of
// jose's createRemoteJWKSet, for two behaviours the latter lacks:
//   - stale-while-revalidate: once its cache is older than cacheMaxAge it refetches before
//     answering and fails the token if the JWKS endpoint is down; here a stale set is refreshed
//     in the background, so no request waits on the issuer, and the keys already held keep
//     verifying while the endpoint is down (they are replaced only by a successful fetch);
//   - its cooldown counts from the last *successful* fetch, so with the endpoint down every
//     token with an unknown `kid` would fetch again; here any attempt starts the cooldown.
// An unknown `kid` refetches (cooldown permitting): that is how key rotation is followed.

import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey, type LocalJWKSet } from 'jose';

export interface IssuerKeysOptions {
  fetch: typeof globalThis.fetch;
  /** Per HTTP request (discovery and JWKS). */
  timeoutMs: number;
  /** Discovery: how long a failure is remembered before the issuer is asked again. */
  discoveryRetryMs: number;
  /** JWKS: minimum time between two fetches, successful or not. */
  jwksCooldownMs: number;
  /** JWKS: age after which the set is refreshed, in the background (the old one stays in use if that fails). */
  jwksMaxAgeMs: number;
}

/** The issuer's keys cannot be had (discovery or JWKS unreachable or invalid); not the token's fault. */
export class IssuerKeysUnavailableError extends Error {
  override readonly name = 'IssuerKeysUnavailableError';
}

async function getJson(url: string, options: IssuerKeysOptions, what: string): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await options.fetch(url, {
      headers: { accept: 'application/json' },
      // A redirect could lead anywhere: a trusted issuer's metadata and keys are where it says.
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (cause) {
    throw new IssuerKeysUnavailableError(`${what} unreachable`, { cause });
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new IssuerKeysUnavailableError(`${what} answered HTTP ${response.status}`);
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new IssuerKeysUnavailableError(`${what} is not a JSON object`);
  }
  return body as Record<string, unknown>;
}

/** `<issuer>/.well-known/openid-configuration`, with any terminating '/' of the issuer removed (§4). */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
}

export function issuerKeys(issuer: string, options: IssuerKeysOptions): JWTVerifyGetKey {
  let jwksUri: Promise<string> | undefined;
  let discoveryFailedAt = -Infinity;

  const discover = (): Promise<string> => {
    if (jwksUri) return jwksUri;
    if (Date.now() < discoveryFailedAt + options.discoveryRetryMs) {
      return Promise.reject(new IssuerKeysUnavailableError('discovery failed recently'));
    }
    const pending = getJson(discoveryUrl(issuer), options, 'discovery').then((metadata) => {
      // §4.3: the metadata must name the issuer it was fetched for, or it is someone else's.
      if (metadata.issuer !== issuer) throw new IssuerKeysUnavailableError('discovery names another issuer');
      if (typeof metadata.jwks_uri !== 'string') throw new IssuerKeysUnavailableError('discovery has no jwks_uri');
      return metadata.jwks_uri;
    });
    jwksUri = pending;
    pending.catch(() => {
      jwksUri = undefined;
      discoveryFailedAt = Date.now();
    });
    return pending;
  };

  let keys: LocalJWKSet | undefined;
  let fetchedAt = -Infinity; // last successful fetch: the age of `keys`
  let attemptedAt = -Infinity; // last fetch, successful or not: the rate limit
  let pending: Promise<void> | undefined;

  const refresh = (): Promise<void> =>
    (pending ??= (async () => {
      try {
        const uri = await discover();
        attemptedAt = Date.now();
        const jwks = await getJson(uri, options, 'JWKS');
        try {
          keys = createLocalJWKSet(jwks as unknown as JSONWebKeySet);
        } catch (cause) {
          throw new IssuerKeysUnavailableError('JWKS is malformed', { cause });
        }
        fetchedAt = Date.now();
      } finally {
        pending = undefined;
      }
    })());
  const mayFetch = () => Date.now() >= attemptedAt + options.jwksCooldownMs;

  return async (header, token) => {
    if (!keys) {
      if (!mayFetch()) throw new IssuerKeysUnavailableError('JWKS fetch failed recently');
      await refresh();
    } else if (Date.now() >= fetchedAt + options.jwksMaxAgeMs && mayFetch()) {
      void refresh().catch(() => undefined); // in the background; a failure keeps the keys held
    }
    try {
      return await keys!(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey) || !mayFetch()) throw err;
      // A kid we have not seen: perhaps the issuer rotated its keys. Look once more.
      await refresh().catch(() => undefined);
      return keys!(header, token);
    }
  };
}
