// Who may manage what, for the ARM-shaped API. Authentication: the admin token (a break-glass
// credential that can be turned off) or a bearer token from a trusted issuer. Authorization
// (preHandler): a principal needs a role granting the route's action at the resource's scope,
// inherited from the subscription, resource group or account above it, never from below.

import type { FastifyRequest } from 'fastify';
import { TokenRejectedError } from '../core/index.js';
import { controlPlaneErrors as errors } from '../errors/index.js';
import { ADMIN_PRINCIPAL } from '../identity/access.js';
import { secretsEqual } from '../identity/index.js';
import type { ControlPlaneContext } from './context.js';

export async function authenticate(ctx: ControlPlaneContext, request: FastifyRequest): Promise<void> {
  const header = request.headers.authorization;
  if (!header) throw errors.authenticationFailed();
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  if (!token) throw errors.invalidAuthenticationToken();
  if (secretsEqual(token, ctx.adminToken)) {
    if (!ctx.adminTokenEnabled) throw errors.adminTokenDisabled();
    request.principal = ADMIN_PRINCIPAL;
    return;
  }
  const client = request.ip;
  const fail = async (error: Error, why: string): Promise<never> => {
    const delay = ctx.access.failedAttempts.fail(client);
    request.log.warn({ audit: 'authentication-failed', plane: 'control', client, why }, 'authentication failed');
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    throw error;
  };
  if (!ctx.access.tokens) return fail(errors.invalidAuthenticationToken(), 'no issuer is trusted');
  try {
    request.principal = await ctx.access.tokens.validate(token);
  } catch (err) {
    if (err instanceof TokenRejectedError) return fail(errors.tokenRejected(err.message), err.message);
    throw err;
  }
}

/**
 * The ARM scope a request acts on: the resource path, without a POST action's last segment,
 * a collection's name, or the Microsoft.Authorization part of role routes.
 */
export function scopeOf(url: string): string {
  let path = url.split('?')[0]!.replace(/\/+$/, '');
  const auth = path.search(/\/providers\/Microsoft\.Authorization\//i);
  if (auth >= 0) return path.slice(0, auth) || '/';
  path = path.replace(/\/(listKeys|regenerateKey)$/i, '');
  const operation = /^(\/subscriptions\/[^/]+)\/providers\/[^/]+\/locations\/[^/]+\/(operationResults\/|usages$)/i.exec(path);
  if (operation) return operation[1]!;
  if (/\/(accounts|deployments)$/i.test(path)) path = path.replace(/\/[^/]+$/, '').replace(/\/providers\/Microsoft\.CognitiveServices$/i, '');
  return path;
}

export async function authorize(ctx: ControlPlaneContext, request: FastifyRequest): Promise<void> {
  const principal = request.principal;
  if (!principal || principal === ADMIN_PRINCIPAL) return;
  const operation = request.routeOptions.config.operation;
  if (!operation) throw errors.internalError(); // every control-plane route names its operation
  const scope = scopeOf(request.url);
  const decision = await ctx.access.check(principal, operation, scope);
  if (!decision.allowed) throw errors.authorizationFailed(principal.id, decision.action, scope);
}
