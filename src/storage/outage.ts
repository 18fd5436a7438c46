// Tells "the database cannot be reached" apart from every other failure, and turns it into the
// port's StoreUnavailableError, which the edge answers with a retryable 503.

import { DrizzleQueryError } from 'drizzle-orm';
import { StoreUnavailableError } from '../core/errors.js';

/** Socket-level failures: the server is down, restarting, or the network between is. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of an unavailable server (https://www.postgresql.org/docs/current/errcodes-appendix.html):
 * class 08 is connection exceptions; 57P01-57P03 are admin/crash shutdown and "cannot connect
 * now" (starting up, in recovery); 53300 is too_many_connections, also a "come back later".
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** node-postgres and pg-pool report these without a code. */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated', // also "... unexpectedly" and "... due to connection timeout"
  'timeout exceeded when trying to connect', // the pool's connectionTimeoutMillis
  'Client has encountered a connection error and is not queryable',
];

export function isConnectionFailure(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 8) return false;
  const { code, message, cause, errors } = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code)) return true;
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((m) => message.startsWith(m))) return true;
  // Drizzle wraps driver errors (DrizzleQueryError.cause); Node reports a connection tried on
  // several addresses (localhost: ::1 and 127.0.0.1) as an AggregateError.
  if (Array.isArray(errors) && errors.some((e) => isConnectionFailure(e, depth + 1))) return true;
  return isConnectionFailure(cause, depth + 1);
}

/** The error a store method should throw for `error`. */
export function translateFailure(error: unknown): unknown {
  if (!isConnectionFailure(error) || error instanceof StoreUnavailableError) return error;
  return new StoreUnavailableError(`The database cannot be reached: ${rootMessage(error)}`, { cause: error });
}

/**
 * The driver's own message: Drizzle's wrapper is skipped (its message repeats the query and its
 * parameters), but the driver's outer message is kept ("... due to connection timeout").
 */
function rootMessage(error: unknown): string {
  let current = error;
  for (let i = 0; i < 8 && current instanceof DrizzleQueryError && current.cause !== undefined; i++) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/**
 * Wraps every method of a repository so that a connection failure surfaces as
 * StoreUnavailableError. Done once here rather than in each method, so none can forget.
 */
export function withOutageTranslation<T extends object>(repository: T): T {
  const wrapped: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(repository)) {
    if (typeof member !== 'function') continue;
    wrapped[name] = async (...args: unknown[]) => {
      try {
        return await (member as (...a: unknown[]) => Promise<unknown>).apply(repository, args);
      } catch (error) {
        throw translateFailure(error);
      }
    };
  }
  return wrapped as T;
}
