// Bearer tokens from trusted OpenID issuers (Entra ID or any OIDC provider) → the Principal
// they stand for. Azure OpenAI takes `Authorization: Bearer <JWT>` with the audience
// https://cognitiveservices.azure.com (reference/azure-api.md §2); which audiences and issuers
// count here is the operator's configuration.
//
// Order of checks, cheapest and most telling first: the token's shape, its `alg` (asymmetric
// only, so neither `none` nor HS256 keyed with a public key can pass), its unverified `iss`
// (an untrusted issuer is refused before any network call: a token must not make us fetch
// from a URL it names), then signature, `iss`, `aud`, `exp`/`nbf` by jose with the issuer's keys.

import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { TokenRejectedError, type Principal } from '../core/identity.js';
import { IssuerKeysUnavailableError, issuerKeys } from './issuer-keys.js';
import { principalOf } from './token-principal.js';

export interface TokenValidatorOptions {
  /** Trusted issuers, exactly as their tokens carry them in `iss`. */
  issuers: string[];
  /** Accepted `aud` values: a token needs one of them. */
  audiences: string[];
  /** Leeway for `exp` and `nbf` against clock skew, in seconds. Default 60. */
  clockToleranceSec?: number;
  /** Timeout of each discovery or JWKS request, in ms. Default 5000. */
  discoveryTimeoutMs?: number;
  /** How long a failed discovery is remembered before the issuer is asked again, in ms. Default 10 s. */
  discoveryRetryMs?: number;
  /** Minimum time between two JWKS fetches of one issuer (an unknown `kid` asks for one), in ms. Default 30 s. */
  jwksCooldownMs?: number;
  /** Age after which an issuer's JWKS is refreshed (in the background), in ms. Default 10 min. */
  jwksMaxAgeMs?: number;
  /** For tests and proxies; default the global fetch. */
  fetch?: typeof globalThis.fetch;
}

export interface TokenValidator {
  /** The principal the token stands for; throws TokenRejectedError saying why not. */
  validate(token: string): Promise<Principal>;
}

/** Asymmetric signatures only: issuers publish public keys, and a MAC would need a shared secret. */
export const TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];

/** A value taken from the token, quoted for a reason: bounded, since the caller wrote it. */
const quote = (value: unknown) => `'${String(value).slice(0, 100)}'`;

function reasonFor(err: unknown, claims: JWTPayload, issuer: string): string | undefined {
  if (err instanceof IssuerKeysUnavailableError) return `signing keys of issuer ${quote(issuer)} are unavailable (${err.message})`;
  if (err instanceof errors.JWTExpired) return 'token expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return `token has no '${err.claim}' claim`;
    if (err.claim === 'nbf') return 'token not yet valid';
    if (err.claim === 'aud') return `audience ${quote([claims.aud].flat().join(', '))} is not accepted`;
    if (err.claim === 'iss') return `issuer ${quote(claims.iss)} is not trusted`;
    return `claim '${err.claim}' is invalid`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'signature verification failed';
  if (err instanceof errors.JWKSNoMatchingKey) return 'unknown signing key';
  if (err instanceof errors.JWKSMultipleMatchingKeys) return "token names no signing key ('kid') and the issuer has several";
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'malformed token';
  if (err instanceof errors.JOSEError) return 'token could not be verified';
  return undefined; // not about the token: a fault of ours, left to surface as one
}

export function createTokenValidator(options: TokenValidatorOptions): TokenValidator {
  if (options.issuers.length === 0 || options.audiences.length === 0) {
    throw new TypeError('A token validator needs at least one issuer and one audience.');
  }
  const clockTolerance = options.clockToleranceSec ?? 60;
  if (!(clockTolerance >= 0 && clockTolerance < Infinity)) throw new TypeError('clockToleranceSec must be a number of seconds, 0 or more.');
  const keyOptions = {
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs: options.discoveryTimeoutMs ?? 5_000,
    discoveryRetryMs: options.discoveryRetryMs ?? 10_000,
    jwksCooldownMs: options.jwksCooldownMs ?? 30_000,
    jwksMaxAgeMs: options.jwksMaxAgeMs ?? 600_000,
  };
  // Built now, fetched lazily: the first token of an issuer triggers its discovery.
  const keysByIssuer = new Map<string, JWTVerifyGetKey>(options.issuers.map((iss) => [iss, issuerKeys(iss, keyOptions)]));
  const verifyOptions = {
    audience: options.audiences,
    algorithms: TOKEN_ALGORITHMS,
    clockTolerance,
    // A token without an expiry would be good forever.
    requiredClaims: ['exp'],
  };

  return {
    async validate(token) {
      let alg: unknown;
      let claims: JWTPayload;
      try {
        alg = decodeProtectedHeader(token).alg;
        claims = decodeJwt(token);
      } catch {
        throw new TokenRejectedError('malformed token');
      }
      if (typeof alg !== 'string') throw new TokenRejectedError('malformed token');
      if (!TOKEN_ALGORITHMS.includes(alg)) throw new TokenRejectedError(`algorithm ${quote(alg)} is not allowed`);
      const issuer = claims.iss;
      if (typeof issuer !== 'string') throw new TokenRejectedError("token has no 'iss' claim");
      const keys = keysByIssuer.get(issuer);
      if (!keys) throw new TokenRejectedError(`issuer ${quote(issuer)} is not trusted`);

      try {
        const { payload } = await jwtVerify(token, keys, { ...verifyOptions, issuer });
        return principalOf(payload, issuer);
      } catch (err) {
        if (err instanceof TokenRejectedError) throw err;
        const reason = reasonFor(err, claims, issuer);
        if (reason === undefined) throw err;
        // The cause is for logs; the message goes to the client and never holds the token.
        throw new TokenRejectedError(reason, { cause: err });
      }
    },
  };
}
