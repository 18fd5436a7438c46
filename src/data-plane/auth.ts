// Who is calling and from where, for /openai and /contentsafety requests. In order:
//   account resolution — Host subdomain (<customSubDomainName>.<baseDomain>), else the key's
//     owner, else (bearer tokens) the default account;
//   network rules — the account's publicNetworkAccess and networkAcls, before any credential;
//   authentication — an account key (api-key or Ocp-Apim-Subscription-Key, the header Content
//     Safety's clients send; on v1 also Bearer <key>), refused when the account
//     has disableLocalAuth; or a bearer token from a trusted issuer;
//   authorization (preHandler, once the deployment is known) — a token's principal needs a role
//     granting the route's data action at the deployment's scope. Keys grant the whole account.

import type { FastifyRequest } from 'fastify';
import { TokenRejectedError, type Account } from '../core/index.js';
import { dataPlaneErrors as errors } from '../errors/index.js';
import { isObject } from './azure/read.js';
import type { DataPlaneContext } from './context.js';

function isV1(request: FastifyRequest): boolean {
  return request.url.startsWith('/openai/v1/') || request.url === '/openai/v1';
}

/** A JWT has three dot-separated parts; an account key has none. */
const looksLikeJwt = (value: string) => value.split('.').length === 3;

interface Credentials {
  key?: string;
  token?: string;
}

function credentialsOf(request: FastifyRequest): Credentials {
  const key = request.headers['api-key'] ?? request.headers['ocp-apim-subscription-key'];
  if (typeof key === 'string' && key !== '') return { key };
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  if (!bearer) return {};
  // The plain OpenAI client sends the key as a bearer token on the v1 scheme.
  if (isV1(request) && !looksLikeJwt(bearer)) return { key: bearer };
  return { token: bearer };
}

async function hostAccount(ctx: DataPlaneContext, request: FastifyRequest): Promise<Account | undefined> {
  if (!ctx.baseDomain) return undefined;
  const host = (request.headers.host ?? '').split(':')[0]!.toLowerCase();
  const suffix = `.${ctx.baseDomain.toLowerCase()}`;
  if (!host.endsWith(suffix)) return undefined;
  const sub = host.slice(0, -suffix.length);
  const account = sub && !sub.includes('.') ? await ctx.store.accounts.findBySubdomain(sub) : undefined;
  // A host under the base domain that names no account is as unknown as a bad path.
  if (!account) throw errors.resourceNotFound();
  return account;
}

/** Holds the refusal back when this address keeps failing, then throws it. */
async function refuse(ctx: DataPlaneContext, request: FastifyRequest, client: string | undefined, error: Error, why: string): Promise<never> {
  const delay = ctx.access.failedAttempts.fail(client ?? 'unknown');
  request.log.warn({ audit: 'authentication-failed', client, why, failures: ctx.access.failedAttempts.count(client ?? 'unknown') }, 'authentication failed');
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  throw error;
}

export async function authenticate(ctx: DataPlaneContext, request: FastifyRequest): Promise<void> {
  const client = ctx.network.clientAddress(request.raw);
  const viaPrivate = ctx.network.viaPrivateListener(request.raw);
  const checkNetwork = (account: Account) => {
    if (!ctx.network.evaluate(account, client, viaPrivate).allowed) throw errors.networkDenied();
  };
  let account = await hostAccount(ctx, request);
  if (account) checkNetwork(account);
  const { key, token } = credentialsOf(request);

  if (key !== undefined) {
    const match = await ctx.store.keys.findByKey(key);
    const owner = match && (await ctx.store.accounts.getById(match.accountId));
    // A key only ever opens its own account, whatever the host says.
    if (!owner || (account && account.id !== owner.id)) return refuse(ctx, request, client, errors.accessDenied(), 'unknown key');
    if (!account) checkNetwork(owner);
    if (owner.properties.disableLocalAuth === true) throw errors.keyAuthDisabled();
    request.account = owner;
    request.principal = null;
    return;
  }
  if (token !== undefined) {
    account ??= await ctx.store.accounts.get(ctx.defaultAccount);
    if (!account) return refuse(ctx, request, client, errors.accessDenied(), 'no account for the token');
    checkNetwork(account);
    if (!ctx.access.tokens) return refuse(ctx, request, client, errors.invalidToken('no token issuer is trusted by this server'), 'no issuer');
    try {
      request.principal = await ctx.access.tokens.validate(token);
    } catch (err) {
      if (err instanceof TokenRejectedError) return refuse(ctx, request, client, errors.invalidToken(err.message), err.message);
      throw err;
    }
    request.account = account;
    return;
  }
  return refuse(ctx, request, client, errors.accessDenied(), 'no credentials');
}

/** The deployment a request is for: the path on the dated scheme, the body's model on v1. */
function deploymentOf(request: FastifyRequest): string | undefined {
  const fromPath = (request.params as { deployment?: string; id?: string } | undefined)?.deployment;
  if (fromPath) return fromPath;
  return isObject(request.body) && typeof request.body.model === 'string' ? request.body.model : undefined;
}

export async function authorize(ctx: DataPlaneContext, request: FastifyRequest): Promise<void> {
  const principal = request.principal;
  if (!principal) return; // key authentication: the whole account
  const operation = request.routeOptions.config.operation;
  if (!operation) throw errors.internalError(); // every data-plane route names its operation
  const account = request.account!;
  const base = `/subscriptions/${account.subscriptionId}/resourceGroups/${account.resourceGroup}/providers/Microsoft.CognitiveServices/accounts/${account.name}`;
  const deployment = deploymentOf(request);
  const scope = deployment ? `${base}/deployments/${deployment}` : base;
  const decision = await ctx.access.check(principal, operation, scope);
  if (!decision.allowed) throw errors.permissionDenied(principal.id, decision.action);
}
