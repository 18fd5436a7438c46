// What a member's error means to the pool. A failure of the member itself (it could not be
// reached, did not answer in time, answered 5xx or 429) counts against its breaker and, before the
// first event, sends the request to the next member. An answer that judges the request (400,
// context too long, 401/403 for wrong credentials of this member) is the caller's to see: the
// next member would judge it the same, and the member is evidently up.

import {
  BackendUnavailableError,
  ContextLengthExceededError,
  UpstreamHttpError,
  UpstreamTimeoutError,
} from '../../core/errors.js';

export type Verdict =
  /** The member failed: try the next one (before the first event), count it on the breaker. */
  | { kind: 'failed'; retryAfterMs?: number }
  /** The member answered, with an error that is the request's. */
  | { kind: 'answered' }
  /** Nothing to learn (a local refusal, a bug): passed on, the breaker untouched. */
  | { kind: 'unknown' };

export function verdictOf(err: unknown): Verdict {
  if (err instanceof BackendUnavailableError || err instanceof UpstreamTimeoutError) return { kind: 'failed' };
  if (err instanceof UpstreamHttpError) {
    if (err.status !== 429 && err.status < 500) return { kind: 'answered' };
    // Retry-After is meaningful on 429 and 503 (RFC 9110 §10.2.3); client.ts reads it off both headers.
    const wait = err.status === 429 || err.status === 503 ? err.options.retryAfterMs : undefined;
    return wait === undefined ? { kind: 'failed' } : { kind: 'failed', retryAfterMs: wait };
  }
  if (err instanceof ContextLengthExceededError) return { kind: 'answered' };
  return { kind: 'unknown' };
}
