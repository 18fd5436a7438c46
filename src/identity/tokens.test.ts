// Bearer token validation against real issuers over HTTP: oidc-provider for what a provider
// issues (client credentials, rotation, JWKS outages), a hand-made issuer for tokens a provider
// would never sign (expired, future nbf, forged, alg none, HS256 with the public key).

import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TokenRejectedError } from '../core/identity.js';
import { startJwtIssuer, type TestJwtIssuer } from '../../test/helpers/jwt-issuer.js';
import { COGNITIVE_SERVICES, startOidcProvider, type TestOidcProvider } from '../../test/helpers/oidc.js';
import { isAppOnly } from './token-principal.js';
import { createTokenValidator, type TokenValidatorOptions } from './tokens.js';

const OID = '7f2c1a9e-0d43-4c1b-9b7e-3a6f0e5d2c11';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const GROUPS = ['0b6a1c7e-1111-4e1e-9a1a-000000000001', '0b6a1c7e-2222-4e1e-9a1a-000000000002'];

/** fetch that records every URL it is asked for. */
function recordingFetch() {
  const urls: string[] = [];
  const fetchImpl: typeof fetch = (input, init) => {
    urls.push(input instanceof Request ? input.url : String(input));
    return fetch(input, init);
  };
  return { urls, fetch: fetchImpl };
}

async function rejection(promise: Promise<unknown>): Promise<TokenRejectedError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TokenRejectedError);
  return err as TokenRejectedError;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nowSec = () => Math.floor(Date.now() / 1000);

describe('tokens from a real OpenID provider (client credentials)', () => {
  let idp: TestOidcProvider;
  let untrusted: TestOidcProvider;
  const options = (extra: Partial<TokenValidatorOptions> = {}): TokenValidatorOptions => ({
    issuers: [idp.issuer],
    audiences: [COGNITIVE_SERVICES],
    ...extra,
  });

  beforeAll(async () => {
    idp = await startOidcProvider({
      clients: [
        { clientId: 'batch-job', clientSecret: 's1', claims: { oid: OID, tid: TENANT, groups: GROUPS } },
        { clientId: 'bare-app', clientSecret: 's2' },
      ],
    });
    untrusted = await startOidcProvider();
  });
  afterAll(async () => {
    await idp.close();
    await untrusted.close();
  });

  it('validates into a ServicePrincipal with id, appId, groups and tenant', async () => {
    const validator = createTokenValidator(options());
    const principal = await validator.validate(await idp.token('batch-job'));
    expect(principal).toEqual({ id: OID, type: 'ServicePrincipal', groups: GROUPS, appId: 'batch-job', tenantId: TENANT, issuer: idp.issuer });
  });

  it('takes sub as the id when there is no oid', async () => {
    const principal = await createTokenValidator(options()).validate(await idp.token('bare-app'));
    expect(principal).toMatchObject({ id: 'bare-app', type: 'ServicePrincipal', groups: [], appId: 'bare-app' });
  });

  it('refuses an untrusted issuer without calling it', async () => {
    const token = await untrusted.token('test-app');
    const served = untrusted.requests.length;
    const net = recordingFetch();
    const err = await rejection(createTokenValidator(options({ fetch: net.fetch })).validate(token));
    expect(err.message).toBe(`issuer '${untrusted.issuer}' is not trusted`);
    expect(net.urls).toEqual([]);
    expect(untrusted.requests.length).toBe(served);
  });

  it('refuses another audience', async () => {
    const token = await idp.token('batch-job', 'https://graph.example.com');
    const err = await rejection(createTokenValidator(options()).validate(token));
    expect(err.message).toBe("audience 'https://graph.example.com' is not accepted");
  });

  it('accepts any of several audiences', async () => {
    const token = await idp.token('batch-job', 'https://lapis.example.com');
    const validator = createTokenValidator(options({ audiences: [COGNITIVE_SERVICES, 'https://lapis.example.com'] }));
    await expect(validator.validate(token)).resolves.toMatchObject({ id: OID });
  });

  it('discovers once and caches the keys', async () => {
    const net = recordingFetch();
    const validator = createTokenValidator(options({ fetch: net.fetch }));
    const token = await idp.token('batch-job');
    await Promise.all([validator.validate(token), validator.validate(token)]);
    await validator.validate(token);
    expect(net.urls).toEqual([`${idp.issuer}/.well-known/openid-configuration`, `${idp.issuer}/jwks`]);
  });
});

describe('signing key rotation and JWKS outages', () => {
  let idp: TestOidcProvider;
  beforeAll(async () => {
    idp = await startOidcProvider();
  });
  afterAll(() => idp.close());
  const validator = (extra: Partial<TokenValidatorOptions> = {}) =>
    createTokenValidator({ issuers: [idp.issuer], audiences: [COGNITIVE_SERVICES], ...extra });

  it('follows a rotation: a token with a new kid refetches the JWKS', async () => {
    const v = validator({ jwksCooldownMs: 0 });
    const before = await idp.token('test-app');
    await v.validate(before);
    const kid = await idp.rotateKeys();
    const after = await idp.token('test-app');
    expect(JSON.parse(Buffer.from(after.split('.')[0]!, 'base64url').toString()).kid).toBe(kid);
    await expect(v.validate(after)).resolves.toMatchObject({ id: 'test-app' });
    // The old key is still published: its tokens still validate.
    await expect(v.validate(before)).resolves.toMatchObject({ id: 'test-app' });
  });

  it('drops a retired key once the JWKS is fetched again', async () => {
    const v = validator({ jwksCooldownMs: 0 });
    const before = await idp.token('test-app');
    await v.validate(before);
    await idp.rotateKeys({ retireOld: true });
    // The new kid makes the validator fetch the JWKS, which no longer holds the old key.
    await expect(v.validate(await idp.token('test-app'))).resolves.toMatchObject({ id: 'test-app' });
    expect((await rejection(v.validate(before))).message).toBe('unknown signing key');
  });

  it('refetches for unknown kids at most once per cooldown', async () => {
    const net = recordingFetch();
    const v = validator({ fetch: net.fetch, jwksCooldownMs: 60_000 });
    await v.validate(await idp.token('test-app'));
    await idp.rotateKeys();
    const rotated = await idp.token('test-app');
    // Fetched moments ago: the cooldown holds, the new kid is unknown for now.
    expect((await rejection(v.validate(rotated))).message).toBe('unknown signing key');
    expect((await rejection(v.validate(rotated))).message).toBe('unknown signing key');
    expect(net.urls.filter((u) => u.endsWith('/jwks'))).toHaveLength(1);
  });

  it('keeps validating with cached keys while the JWKS endpoint answers 503', async () => {
    const net = recordingFetch();
    // Max age 0: every validation refreshes the keys (in the background), so each meets the outage.
    const v = validator({ fetch: net.fetch, jwksMaxAgeMs: 0, jwksCooldownMs: 0 });
    const token = await idp.token('test-app');
    await v.validate(token);
    idp.jwksAvailable = false;
    try {
      const jwksCalls = net.urls.length;
      await expect(v.validate(token)).resolves.toMatchObject({ id: 'test-app' });
      await vi.waitFor(() => expect(net.urls.length).toBeGreaterThan(jwksCalls)); // it did try, and met the 503
      await expect(v.validate(token)).resolves.toMatchObject({ id: 'test-app' });
      await idp.rotateKeys();
      const rotated = await idp.token('test-app');
      expect((await rejection(v.validate(rotated))).message).toBe('unknown signing key');
      idp.jwksAvailable = true;
      await expect(v.validate(rotated)).resolves.toMatchObject({ id: 'test-app' });
    } finally {
      idp.jwksAvailable = true;
    }
  });

  it('keeps validating with cached keys when the whole issuer is gone', async () => {
    const gone = await startOidcProvider();
    const v = createTokenValidator({ issuers: [gone.issuer], audiences: [COGNITIVE_SERVICES], jwksMaxAgeMs: 0, jwksCooldownMs: 0 });
    const token = await gone.token('test-app');
    await v.validate(token);
    await gone.close();
    await expect(v.validate(token)).resolves.toMatchObject({ id: 'test-app' });
  });
});

describe('tokens no provider would issue (hand-signed)', () => {
  let idp: TestJwtIssuer;
  const validator = (extra: Partial<TokenValidatorOptions> = {}) =>
    createTokenValidator({ issuers: [idp.issuer], audiences: [COGNITIVE_SERVICES], ...extra });
  beforeAll(async () => {
    idp = await startJwtIssuer();
  });
  afterAll(() => idp.close());

  const cases: [string, () => Promise<string>, string][] = [
    ['expired', () => idp.sign({ exp: nowSec() - 600 }), 'token expired'],
    ['not yet valid (nbf 5 min ahead)', () => idp.sign({ nbf: nowSec() + 300 }), 'token not yet valid'],
    ['signed by a key the issuer does not publish', () => idp.sign({}, { key: 'unpublished', kid: idp.kid }), 'signature verification failed'],
    ['with an unknown kid', () => idp.sign({}, { key: 'unpublished' }), 'unknown signing key'],
    ['without exp', () => idp.sign({ exp: undefined }), "token has no 'exp' claim"],
    ['with alg none', async () => new UnsecuredJWT({ iss: idp.issuer, aud: COGNITIVE_SERVICES, sub: 'x', exp: nowSec() + 600 }).encode(), "algorithm 'none' is not allowed"],
    [
      'HS256 keyed with the RSA public key (RS/HS confusion)',
      () =>
        new SignJWT({ iss: idp.issuer, aud: COGNITIVE_SERVICES, sub: 'x', exp: nowSec() + 600 })
          .setProtectedHeader({ alg: 'HS256', kid: idp.kid })
          .sign(new TextEncoder().encode(idp.publicKeyPem)),
      "algorithm 'HS256' is not allowed",
    ],
    ['that is not a JWT', async () => 'not-a-jwt', 'malformed token'],
    ['with a garbled payload', async () => `${(await idp.sign()).split('.')[0]}.!!!.abc`, 'malformed token'],
  ];
  it.each(cases)('refuses a token %s', async (_name, mint, reason) => {
    const token = await mint();
    const err = await rejection(validator().validate(token));
    expect(err.message).toBe(reason);
    expect(err.message).not.toContain(token);
  });

  it('honours the clock tolerance (default 60 s)', async () => {
    const v = validator();
    await expect(v.validate(await idp.sign({ nbf: nowSec() + 30 }))).resolves.toMatchObject({ id: 'test-subject' });
    await expect(v.validate(await idp.sign({ exp: nowSec() - 30 }))).resolves.toMatchObject({ id: 'test-subject' });
    const strict = validator({ clockToleranceSec: 0 });
    expect((await rejection(strict.validate(await idp.sign({ nbf: nowSec() + 30 })))).message).toBe('token not yet valid');
  });

  it('maps an Entra-style user token to a User', async () => {
    const token = await idp.sign({ oid: OID, sub: 'pairwise-sub', scp: 'user_impersonation', tid: TENANT, appid: 'portal-app', name: 'Ada Lovelace', groups: GROUPS });
    expect(await validator().validate(token)).toEqual({
      id: OID,
      type: 'User',
      groups: GROUPS,
      appId: 'portal-app',
      tenantId: TENANT,
      issuer: idp.issuer,
      name: 'Ada Lovelace',
    });
  });

  it('retries a failed discovery only after its cooldown', async () => {
    const v = validator({ discoveryRetryMs: 200 });
    const token = await idp.sign();
    idp.available = false;
    try {
      const first = await rejection(v.validate(token));
      expect(first.message).toBe(`signing keys of issuer '${idp.issuer}' are unavailable (discovery answered HTTP 503)`);
      const served = idp.requests.length;
      expect((await rejection(v.validate(token))).message).toContain('are unavailable');
      expect(idp.requests.length).toBe(served); // within the cooldown: not asked again
    } finally {
      idp.available = true;
    }
    await sleep(250);
    await expect(v.validate(token)).resolves.toMatchObject({ id: 'test-subject' });
  });
});

describe('app-only or user: the principal type rule', () => {
  it.each([
    ['idtyp app', { idtyp: 'app', sub: 'a', oid: 'b', scp: 'x' }, true],
    ['idtyp user', { idtyp: 'user', sub: 'a', oid: 'a' }, false],
    ['delegated scopes (scp)', { sub: 'a', oid: 'a', scp: 'user_impersonation' }, false],
    ['client credentials, sub = client_id (RFC 9068)', { sub: 'app', client_id: 'app' }, true],
    ['Entra app-only without idtyp: oid = sub', { sub: 'x', oid: 'x', appid: 'app', roles: ['r'] }, true],
    ['Entra user without scp: oid ≠ sub', { sub: 'pairwise', oid: 'x', appid: 'app' }, false],
    ['no subject', { oid: 'x' }, false],
  ])('%s', (_name, claims, appOnly) => {
    expect(isAppOnly(claims)).toBe(appOnly);
  });
});
