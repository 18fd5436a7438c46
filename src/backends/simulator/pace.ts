// Timing of a simulated stream: the first token after timeToFirstTokenMs, then one step every
// 1/tokensPerSecond (each step gives every choice its next token, as a batched decoder does).
// Steps are scheduled from the start time, not from the previous step, so timer lateness
// does not accumulate.

import { performance } from 'node:perf_hooks';

export class Pace {
  readonly start = performance.now();

  constructor(
    private readonly ttftMs: number,
    private readonly tokensPerSecond: number,
  ) {}

  /** No waiting at all: everything can be sent in one write. */
  get instant(): boolean {
    return this.ttftMs <= 0 && this.tokensPerSecond <= 0;
  }

  /** Milliseconds to wait before step `step` (0 = the first token); ≤ 0 = due now. */
  wait(step: number): number {
    const due = this.ttftMs + (this.tokensPerSecond > 0 ? (step * 1000) / this.tokensPerSecond : 0);
    return this.start + due - performance.now();
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
