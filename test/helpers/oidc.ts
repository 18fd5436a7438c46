// A real OpenID provider for tests: oidc-provider, in-process, over HTTP on 127.0.0.1 (random
// port). Clients use the client-credentials grant (client_secret_basic); with resource
// indicators (RFC 8707) the access token is a JWT whose audience is the requested resource, as
// Entra issues for https://cognitiveservices.azure.com. Each client can carry extra claims
// (oid, groups, tid, idtyp…), so tests can mint tokens for different principals.
//
//   const idp = await startOidcProvider({ clients: [{ clientId: 'app', clientSecret: 's', claims: { oid: '…' } }] });
//   const token = await idp.token('app');                 // aud https://cognitiveservices.azure.com
//   new AzureOpenAI({ azureADTokenProvider: idp.tokenGetter('app'), … });
//
// Keys are RSA pairs made with jose. oidc-provider reads its keystore once, at construction, so
// rotateKeys() builds a new Provider (same issuer, same clients) behind the same HTTP server;
// tokens are self-contained JWTs, so nothing a test holds is lost by that.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider from 'oidc-provider';

/** The audience Azure OpenAI tokens carry (reference/azure-api.md §2). */
export const COGNITIVE_SERVICES = 'https://cognitiveservices.azure.com';

export interface OidcClient {
  clientId: string;
  clientSecret: string;
  /** Added to every access token of this client (e.g. oid, groups, tid, idtyp, name). */
  claims?: Record<string, unknown>;
}

export interface OidcProviderOptions {
  /** Default: one client 'test-app' with secret 'test-secret' and no extra claims. */
  clients?: OidcClient[];
  /** Access token lifetime in seconds. Default 3600. */
  accessTokenTtlSec?: number;
}

export interface TestOidcProvider {
  /** e.g. http://127.0.0.1:41234 (discovery at <issuer>/.well-known/openid-configuration). */
  readonly issuer: string;
  /** A client-credentials access token for `resource` (default https://cognitiveservices.azure.com). */
  token(clientId: string, resource?: string): Promise<string>;
  /** The same as a getter, e.g. for the openai SDK's `azureADTokenProvider`. */
  tokenGetter(clientId: string, resource?: string): () => Promise<string>;
  /**
   * A new signing key, used for every token from now on. The previous keys stay published
   * (as Entra overlaps them) unless `retireOld`, so tokens signed with them keep validating.
   * Returns the new key's kid.
   */
  rotateKeys(options?: { retireOld?: boolean }): Promise<string>;
  /** kids published in the JWKS, the signing key first. */
  readonly kids: string[];
  /** Set false to make the JWKS route answer 503 (the rest of the provider keeps working). */
  jwksAvailable: boolean;
  /** Paths of every request served, in order (to prove a validator did or did not call). */
  readonly requests: string[];
  close(): Promise<void>;
}

const DEFAULT_CLIENTS: OidcClient[] = [{ clientId: 'test-app', clientSecret: 'test-secret' }];

/**
 * Storage for what the provider keeps (nothing, for JWT access tokens; clients are static). A
 * Map per provider instead of the default adapter, which warns on every construction.
 */
function mapAdapter() {
  const rows = new Map<string, Record<string, unknown>>();
  return (model: string) => ({
    upsert: async (id: string, payload: Record<string, unknown>) => void rows.set(`${model}:${id}`, payload),
    find: async (id: string) => rows.get(`${model}:${id}`),
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    consume: async (id: string) => void Object.assign(rows.get(`${model}:${id}`) ?? {}, { consumed: Math.floor(Date.now() / 1000) }),
    destroy: async (id: string) => void rows.delete(`${model}:${id}`),
    revokeByGrantId: async () => undefined,
  });
}

async function signingKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
}

export async function startOidcProvider(options: OidcProviderOptions = {}): Promise<TestOidcProvider> {
  const clients = options.clients ?? DEFAULT_CLIENTS;
  const ttl = options.accessTokenTtlSec ?? 3600;
  const claimsOf = new Map(clients.map((c) => [c.clientId, c.claims]));
  let keys: JWK[] = [await signingKey()];
  let jwksAvailable = true;
  const requests: string[] = [];

  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (!jwksAvailable && req.url?.startsWith('/jwks')) return void res.writeHead(503).end();
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const adapter = mapAdapter();
  const build = () =>
    new Provider(issuer, {
      adapter,
      clients: clients.map((c) => ({
        client_id: c.clientId,
        client_secret: c.clientSecret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      })),
      jwks: { keys },
      features: {
        clientCredentials: { enabled: true },
        devInteractions: { enabled: false },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => COGNITIVE_SERVICES,
          // Every resource is a JWT audience here; the kid pins the newest key for signing.
          getResourceServerInfo: (_ctx: unknown, resource: string) => ({
            scope: 'api',
            audience: resource,
            accessTokenFormat: 'jwt',
            accessTokenTTL: ttl,
            jwt: { sign: { alg: 'RS256', kid: keys[0]!.kid } },
          }),
        },
      },
      extraTokenClaims: (_ctx: unknown, token: { clientId: string }) => claimsOf.get(token.clientId),
      ttl: { AccessToken: ttl, ClientCredentials: ttl },
    }).callback();
  handle = build();

  const token = async (clientId: string, resource = COGNITIVE_SERVICES) => {
    const client = clients.find((c) => c.clientId === clientId);
    if (!client) throw new Error(`no client '${clientId}' in this provider`);
    const basic = Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64');
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource }),
    });
    const body = (await res.json()) as { access_token?: string };
    if (res.status !== 200 || !body.access_token) throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`);
    return body.access_token;
  };

  return {
    issuer,
    token,
    tokenGetter: (clientId, resource) => () => token(clientId, resource),
    async rotateKeys({ retireOld = false } = {}) {
      const next = await signingKey();
      keys = retireOld ? [next] : [next, ...keys];
      handle = build();
      return next.kid!;
    },
    get kids() {
      return keys.map((k) => k.kid!);
    },
    get jwksAvailable() {
      return jwksAvailable;
    },
    set jwksAvailable(value: boolean) {
      jwksAvailable = value;
    },
    requests,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // keep-alive sockets from fetch would hold close() open
      await closed;
    },
  };
}
