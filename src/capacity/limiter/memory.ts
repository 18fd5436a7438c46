// The in-process limiter: the default when no Redis is configured (one replica). It follows
// rules.ts exactly as the Redis scripts do; each call runs synchronously between awaits, so
// it is atomic without locks.

import type {
  Limiter,
  ProvisionedAdmission,
  ProvisionedLimits,
  Refusal,
  Reservation,
  StandardAdmission,
  StandardLimits,
} from '../../core/capacity.js';
import {
  type Buckets,
  MINUTE_MS,
  UNITS_PER_TOKEN,
  bucketStart,
  checkProvisioned,
  checkSettle,
  checkStandard,
  drained,
  forgetAt,
  isLive,
  overCapacity,
  provisionedAdmission,
  provisionedRefusal,
  requestsFit,
  standardAdmission,
  standardRefusal,
  tokensFit,
  utilizationOf,
} from './rules.js';

interface StandardEntry {
  /** bucket start → requests admitted in it */
  requests: Map<number, number>;
  /** bucket start → tokens counted in it */
  tokens: Map<number, number>;
  /** Every bucket is dead by then (the Redis keys' PEXPIRE). */
  expiresAt: number;
}

interface ProvisionedEntry {
  /** In units of 1/UNITS_PER_TOKEN token, as of `at`. */
  level: number;
  at: number;
  /** The rate of the last reserve: settle() drains with it. */
  tokensPerMinute: number;
}

/** Forgotten entries are swept at most this often, so idle deployments leave nothing behind. */
const SWEEP_EVERY_MS = MINUTE_MS;

/** Deletes the buckets that left the window; returns the live ones, oldest first. */
function prune(buckets: Map<number, number>, windowMs: number, now: number): Buckets {
  const live: Array<[number, number]> = [];
  for (const [start, count] of buckets) {
    if (isLive(start, windowMs, now)) live.push([start, count]);
    else buckets.delete(start);
  }
  return live.sort((a, b) => a[0] - b[0]);
}

const total = (buckets: Buckets): number => buckets.reduce((sum, [, count]) => sum + count, 0);
const add = (buckets: Map<number, number>, start: number, count: number): void => {
  buckets.set(start, (buckets.get(start) ?? 0) + count);
};

export class MemoryLimiter implements Limiter {
  private readonly standard = new Map<string, StandardEntry>();
  private readonly provisioned = new Map<string, ProvisionedEntry>();
  private lastSweep = Number.NEGATIVE_INFINITY;

  /** `clock` returns epoch ms; tests inject one so they never sleep. */
  constructor(private readonly clock: () => number = Date.now) {}

  private now(): number {
    const now = Math.floor(this.clock());
    if (now - this.lastSweep >= SWEEP_EVERY_MS) this.sweep(now);
    return now;
  }

  async reserveStandard(key: string, tokens: number, limits: StandardLimits): Promise<StandardAdmission | Refusal> {
    checkStandard(key, tokens, limits);
    const now = this.now();
    const entry = this.standard.get(key) ?? { requests: new Map(), tokens: new Map(), expiresAt: now };
    const requests = prune(entry.requests, limits.requestWindowMs, now);
    const tokenBuckets = prune(entry.tokens, MINUTE_MS, now);
    const requestsBefore = total(requests);
    const tokensBefore = total(tokenBuckets);
    if (!requestsFit(requestsBefore, limits) || !tokensFit(tokensBefore, tokens, limits)) {
      return standardRefusal(now, tokens, limits, requests, tokenBuckets);
    }
    const bucket = bucketStart(now);
    add(entry.requests, bucket, 1);
    add(entry.tokens, bucket, tokens);
    entry.expiresAt = Math.max(entry.expiresAt, now + Math.max(limits.requestWindowMs, MINUTE_MS));
    this.standard.set(key, entry);
    return standardAdmission(key, tokens, limits, bucket, requestsBefore, tokensBefore);
  }

  async reserveProvisioned(key: string, tokens: number, limits: ProvisionedLimits): Promise<ProvisionedAdmission | Refusal> {
    checkProvisioned(key, tokens, limits);
    const now = this.now();
    const level = this.levelNow(key, now, limits.tokensPerMinute);
    if (overCapacity(level, limits.tokensPerMinute)) return provisionedRefusal(level, limits);
    const after = level + tokens * UNITS_PER_TOKEN;
    this.provisioned.set(key, { level: after, at: now, tokensPerMinute: limits.tokensPerMinute });
    return provisionedAdmission(key, tokens, limits, after);
  }

  async settle(reservation: Reservation, actualTokens: number): Promise<void> {
    checkSettle(reservation, actualTokens);
    const now = this.now();
    const delta = actualTokens - reservation.tokens;
    if (reservation.kind === 'standard') {
      const bucket = reservation.bucket as number;
      if (!isLive(bucket, MINUTE_MS, now)) return;
      let entry = this.standard.get(reservation.key);
      if (!entry) {
        entry = { requests: new Map(), tokens: new Map(), expiresAt: bucket + MINUTE_MS };
        this.standard.set(reservation.key, entry);
      }
      entry.tokens.set(bucket, Math.max(0, (entry.tokens.get(bucket) ?? 0) + delta));
      return;
    }
    const entry = this.live(reservation.key, now);
    if (!entry) return;
    const level = drained(entry.level, entry.at, now, entry.tokensPerMinute);
    entry.level = Math.max(0, level + delta * UNITS_PER_TOKEN);
    entry.at = now;
  }

  async utilization(key: string, limits: ProvisionedLimits): Promise<number> {
    checkProvisioned(key, 0, limits);
    const now = this.now();
    return utilizationOf(this.levelNow(key, now, limits.tokensPerMinute), limits.tokensPerMinute);
  }

  async close(): Promise<void> {
    this.standard.clear();
    this.provisioned.clear();
  }

  /** The provisioned entry unless it has been forgotten (rules.ts). */
  private live(key: string, now: number): ProvisionedEntry | undefined {
    const entry = this.provisioned.get(key);
    if (entry && now >= forgetAt(entry.level, entry.at, entry.tokensPerMinute)) {
      this.provisioned.delete(key);
      return undefined;
    }
    return entry;
  }

  private levelNow(key: string, now: number, tokensPerMinute: number): number {
    const entry = this.live(key, now);
    return entry ? drained(entry.level, entry.at, now, tokensPerMinute) : 0;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, entry] of this.standard) if (now >= entry.expiresAt) this.standard.delete(key);
    for (const key of this.provisioned.keys()) this.live(key, now);
  }
}
