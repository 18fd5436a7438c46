// A hand-made token issuer for the cases a real provider will not produce: expired tokens,
// future `nbf`, foreign signatures, unknown kids. It serves OpenID discovery and a JWKS over
// HTTP on 127.0.0.1 like any issuer, and signs whatever a test asks with jose.
//
//   const idp = await startJwtIssuer();
//   const token = await idp.sign({ exp: now - 600 });          // published key, kid set
//   const forged = await idp.sign({}, { key: 'unpublished', kid: idp.kid });

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { COGNITIVE_SERVICES } from './oidc.js';

interface KeyPair {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  publicPem: string;
}

export interface SignOptions {
  /** Which private key signs: the published one (default) or one the JWKS does not hold. */
  key?: 'published' | 'unpublished';
  /** The header's kid; default the signing key's own. */
  kid?: string;
}

export interface TestJwtIssuer {
  readonly issuer: string;
  /** kid of the published key. */
  readonly kid: string;
  /** The published public key as PEM (what an RS/HS confusion attack would use as a secret). */
  readonly publicKeyPem: string;
  /** RS256 token with iss, aud (Cognitive Services), sub, iat, exp (+1 h) unless `claims` overrides them. */
  sign(claims?: JWTPayload, options?: SignOptions): Promise<string>;
  /** Set false to make discovery and JWKS answer 503. */
  available: boolean;
  readonly requests: string[];
  close(): Promise<void>;
}

async function keyPair(): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomBytes(8).toString('hex');
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }, publicPem: await exportSPKI(publicKey) };
}

export async function startJwtIssuer(): Promise<TestJwtIssuer> {
  const published = await keyPair();
  const unpublished = await keyPair();
  const requests: string[] = [];
  let available = true;
  let issuer = '';

  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (!available) return void res.writeHead(503).end();
    const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/.well-known/openid-configuration') return json({ issuer, jwks_uri: `${issuer}/keys` });
    if (req.url === '/keys') return json({ keys: [published.publicJwk] });
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    issuer,
    kid: published.kid,
    publicKeyPem: published.publicPem,
    sign(claims = {}, options = {}) {
      const pair = options.key === 'unpublished' ? unpublished : published;
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: issuer, aud: COGNITIVE_SERVICES, sub: 'test-subject', iat: now, exp: now + 3600, ...claims })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: options.kid ?? pair.kid })
        .sign(pair.privateKey);
    },
    get available() {
      return available;
    },
    set available(value: boolean) {
      available = value;
    },
    requests,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
