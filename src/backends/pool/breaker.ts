// A circuit breaker per pool member. `failures` consecutive failures open it for `cooldownMs`,
// or for as long as the upstream's Retry-After asked when the failure that opened it carried one
// (a 429 or 503 that says when to come back is more precise than any guess of ours). When that
// time has passed it is half-open: one trial request goes through, and how it ends closes or
// reopens it. Active health checks close and open it too, but never close it inside a
// Retry-After window (a model list can answer while completions are throttled).
// Time comes from an injected clock, so tests step it instead of sleeping.

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. */
  failures: number;
  cooldownMs: number;
  now: () => number;
  /** Told when the breaker opens or closes (not of half-open, which is only time passing). */
  onChange?: (state: 'open' | 'closed', why: string) => void;
}

export class Breaker {
  private failures = 0;
  /** When an open breaker becomes half-open; undefined = closed. */
  private openUntil: number | undefined;
  /** The upstream's Retry-After runs until then. */
  private retryAfterUntil = -Infinity;
  /** A half-open trial request is in flight: no other request until it ends. */
  private trial = false;

  constructor(private readonly options: BreakerOptions) {}

  state(): BreakerState {
    if (this.openUntil === undefined) return 'closed';
    return this.options.now() < this.openUntil ? 'open' : 'half-open';
  }

  /** Whether a request may go to this member now. */
  available(): boolean {
    const state = this.state();
    return state === 'closed' || (state === 'half-open' && !this.trial);
  }

  /** Milliseconds until an open breaker half-opens (0 when it is not open). */
  reopensInMs(): number {
    return this.openUntil === undefined ? 0 : Math.max(0, this.openUntil - this.options.now());
  }

  /** Open because the upstream said when to come back, and that time has not come. */
  throttled(): boolean {
    return this.state() === 'open' && this.options.now() < this.retryAfterUntil;
  }

  /** A request goes to this member; true when it is the half-open trial (pass it to the verdict). */
  begin(): boolean {
    if (this.state() !== 'half-open') return false;
    this.trial = true;
    return true;
  }

  /** The member answered. */
  succeeded(trial: boolean): void {
    if (trial) this.trial = false;
    this.failures = 0;
    if (this.openUntil !== undefined) this.close('it answered');
  }

  /**
   * The member failed (connect error, timeout, 5xx, 429); `retryAfterMs` when the upstream sent
   * one; `cause` for the log line of an opening.
   */
  failed(trial: boolean, retryAfterMs?: number, cause = 'failed'): void {
    if (trial) this.trial = false;
    this.failures++;
    // A failure while not closed (the trial, or a request that started before it opened) reopens it.
    if (trial || this.openUntil !== undefined || this.failures >= this.options.failures) {
      const wait = retryAfterMs === undefined ? '' : `; the upstream asked to retry after ${retryAfterMs} ms`;
      this.open(retryAfterMs, `${trial ? 'the trial request' : `${this.failures} consecutive failure(s)`}, last: ${cause}${wait}`);
    }
  }

  /** The request ended without telling anything (the caller went away): another may be the trial. */
  released(trial: boolean): void {
    if (trial) this.trial = false;
  }

  healthPassed(): void {
    if (this.openUntil === undefined || this.options.now() < this.retryAfterUntil) return;
    this.failures = 0;
    this.close('its health check passed');
  }

  healthFailed(): void {
    this.open(undefined, 'its health check failed');
  }

  private open(retryAfterMs: number | undefined, why: string): void {
    const now = this.options.now();
    const wasOpen = this.openUntil !== undefined;
    if (retryAfterMs !== undefined) {
      // The upstream's latest word on when to come back is the one that counts.
      this.retryAfterUntil = now + retryAfterMs;
      this.openUntil = this.retryAfterUntil;
    } else {
      // Never shorter than a Retry-After still running.
      this.openUntil = Math.max(now + this.options.cooldownMs, this.retryAfterUntil);
    }
    this.failures = 0;
    if (!wasOpen) this.options.onChange?.('open', why);
  }

  private close(why: string): void {
    this.openUntil = undefined;
    this.retryAfterUntil = -Infinity;
    this.options.onChange?.('closed', why);
  }
}
