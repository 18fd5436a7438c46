// What the stages of a request leave on it for the later ones (both planes): the account and
// the principal. A type-only augmentation of Fastify's request, imported by each plane's context.

import type { Account, Principal } from './core/index.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The account the caller authenticated to (set by the authentication stage). */
    account: Account | null;
    /** The token's principal; null for key authentication (keys grant the whole account). */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** The operation of the route, as named in the RBAC action table. */
    operation?: string;
  }
}
