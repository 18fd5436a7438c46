// Repeated authentication failures from one address are slowed down: after FREE failures in
// the window, each further failure waits a little longer before its 401 (up to MAX_DELAY_MS),
// which makes guessing keys impractical without locking out a legitimate client that
// mistyped. In memory, per process; the audit log records each failure (see callers).

const WINDOW_MS = 60_000;
const FREE = 5;
const STEP_MS = 200;
const MAX_DELAY_MS = 3_000;
const MAX_TRACKED = 50_000;

interface Entry {
  failures: number;
  windowStart: number;
}

export class FailedAttempts {
  private readonly byAddress = new Map<string, Entry>();

  /** Records a failure and returns how long to hold the answer back, in ms. */
  fail(address: string, now = Date.now()): number {
    let entry = this.byAddress.get(address);
    if (!entry || now - entry.windowStart > WINDOW_MS) {
      if (!entry && this.byAddress.size >= MAX_TRACKED) this.byAddress.delete(this.byAddress.keys().next().value!);
      entry = { failures: 0, windowStart: now };
      this.byAddress.set(address, entry);
    }
    entry.failures++;
    return Math.min(MAX_DELAY_MS, Math.max(0, entry.failures - FREE) * STEP_MS);
  }

  /** How many failures this address has in the current window. */
  count(address: string, now = Date.now()): number {
    const entry = this.byAddress.get(address);
    return entry && now - entry.windowStart <= WINDOW_MS ? entry.failures : 0;
  }
}
