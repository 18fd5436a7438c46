// Injected failures, drawn per request from SimulatorFaults rates. With a seed the draw is a
// function of the request (the same request fails the same way every time, so a test can rely
// on it); without one it is random, as load tests want.

import { UpstreamHttpError } from '../../core/errors.js';
import type { SimulatorFaults } from '../../core/resources.js';
import { substream } from './text.js';

export type Fault = 'rateLimit' | 'serverError' | 'timeout' | 'dropStream';

/** Checked in this order; each has its own draw. */
const ORDER: readonly Fault[] = ['rateLimit', 'serverError', 'timeout', 'dropStream'];

/** How long a simulated timeout hangs when nobody aborts it. */
export const HANG_MS = 10 * 60_000;

export function drawFault(faults: SimulatorFaults | undefined, key: number, seeded: boolean): Fault | undefined {
  if (faults === undefined) return undefined;
  const r = seeded ? substream(key, 0x0fa0175) : Math.random;
  for (const fault of ORDER) {
    const rate = faults[fault] ?? 0;
    if (rate > 0 && r() < rate) return fault;
  }
  return undefined;
}

/** Azure's wording (reference/azure-api.md §4), so apps meet the message they will see in production. */
export function rateLimitError(faults: SimulatorFaults | undefined): UpstreamHttpError {
  const retryAfterMs = faults?.retryAfterMs ?? 1000;
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new UpstreamHttpError(
    429,
    `Requests to the simulated deployment have exceeded the call rate limit of the simulator. Please retry after ${seconds} second${seconds === 1 ? '' : 's'}.`,
    { code: '429', retryAfterMs },
  );
}

export function serverError(): UpstreamHttpError {
  return new UpstreamHttpError(500, 'The service is temporarily unable to process your request. Please try again later.', {
    code: 'InternalServerError',
  });
}
