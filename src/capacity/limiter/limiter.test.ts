// One suite against the Limiter port, run on every driver (rules.ts says what they must agree on).

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Limiter, ProvisionedLimits, Refusal, StandardAdmission, StandardLimits } from '../../core/capacity.js';
import { SETTLE_GRACE_MS } from './rules.js';
import { type OpenLimiters, TestClock, limiterDrivers } from './testing.js';

const roomy: StandardLimits = { requestsPerWindow: 1_000, requestWindowMs: 10_000, tokensPerMinute: 1_000_000 };

function admitted<T extends { admitted: boolean }>(outcome: T | Refusal): Exclude<T, Refusal> {
  if (!outcome.admitted) throw new Error(`refused: ${JSON.stringify(outcome)}`);
  return outcome as Exclude<T, Refusal>;
}
function refused(outcome: { admitted: boolean }): Refusal {
  if (outcome.admitted) throw new Error(`admitted: ${JSON.stringify(outcome)}`);
  return outcome as Refusal;
}

describe.each(limiterDrivers())('limiter on $name', (driver) => {
  let clock: TestClock;
  let open: OpenLimiters;
  let limiter: Limiter;
  let key: string;
  let t0: number;

  beforeEach(async () => {
    clock = new TestClock();
    t0 = clock.now;
    open = await driver.open(clock.read);
    limiter = open.limiter;
    key = `deployment-${Math.random().toString(36).slice(2)}`;
  });
  afterEach(() => open.cleanup());

  /** Tokens counted in the minute now, read through a free request's remainingTokens. */
  const tokensUsed = async (limits: StandardLimits): Promise<number> =>
    limits.tokensPerMinute - admitted(await limiter.reserveStandard(key, 0, limits)).remainingTokens;

  describe('standard: requests', () => {
    const limits: StandardLimits = { requestsPerWindow: 3, requestWindowMs: 10_000, tokensPerMinute: 1_000_000 };

    it('admits N in the window, then refuses until the oldest bucket leaves it', async () => {
      clock.now = t0 + 300; // the oldest request lands in the bucket starting at t0
      expect(admitted(await limiter.reserveStandard(key, 1, limits)).remainingRequests).toBe(2);
      clock.now = t0 + 2_500;
      expect(admitted(await limiter.reserveStandard(key, 1, limits)).remainingRequests).toBe(1);
      clock.now = t0 + 5_200;
      expect(admitted(await limiter.reserveStandard(key, 1, limits)).remainingRequests).toBe(0);

      clock.now = t0 + 6_000;
      expect(await limiter.reserveStandard(key, 1, limits)).toEqual({ admitted: false, limit: 'requests', retryAfterMs: 4_000 });
      clock.now = t0 + 9_999;
      expect(refused(await limiter.reserveStandard(key, 1, limits)).retryAfterMs).toBe(1);
      clock.now = t0 + 10_000; // the t0 bucket left; the t0+2s one still counts
      expect(admitted(await limiter.reserveStandard(key, 1, limits)).remainingRequests).toBe(0);
      expect(refused(await limiter.reserveStandard(key, 1, limits)).retryAfterMs).toBe(2_000);
    });

    it('a refusal counts nothing', async () => {
      for (let i = 0; i < 3; i++) admitted(await limiter.reserveStandard(key, 1, limits));
      for (let i = 0; i < 5; i++) refused(await limiter.reserveStandard(key, 1, limits));
      clock.advance(10_000);
      const next = admitted(await limiter.reserveStandard(key, 1, limits));
      expect(next.remainingRequests).toBe(2);
      expect(next.remainingTokens).toBe(limits.tokensPerMinute - 4);
    });

    it('keeps keys apart', async () => {
      for (let i = 0; i < 3; i++) admitted(await limiter.reserveStandard(key, 1, limits));
      refused(await limiter.reserveStandard(key, 1, limits));
      admitted(await limiter.reserveStandard(`${key}-other`, 1, limits));
    });
  });

  describe('standard: tokens', () => {
    const limits: StandardLimits = { requestsPerWindow: 100, requestWindowMs: 10_000, tokensPerMinute: 1_000 };

    it('counts a sliding minute as a running counter and frees it bucket by bucket', async () => {
      expect(admitted(await limiter.reserveStandard(key, 400, limits)).remainingTokens).toBe(600);
      clock.now = t0 + 20_000;
      expect(admitted(await limiter.reserveStandard(key, 400, limits)).remainingTokens).toBe(200);
      clock.now = t0 + 25_000;
      // 800 < 1,000: the counter has not reached the limit, so even 300 more gets in (Azure's rule).
      expect(admitted(await limiter.reserveStandard(key, 300, limits)).remainingTokens).toBe(0);

      clock.now = t0 + 30_000;
      // 1,100 ≥ 1,000: nothing gets in until the counter is under the limit again, when the
      // t0 bucket leaves at t0 + 60 s (700 left), whatever the size of the next request.
      expect(await limiter.reserveStandard(key, 1, limits)).toEqual({ admitted: false, limit: 'tokens', retryAfterMs: 30_000 });
      expect(refused(await limiter.reserveStandard(key, 700, limits)).retryAfterMs).toBe(30_000);

      clock.now = t0 + 60_000;
      expect(admitted(await limiter.reserveStandard(key, 300, limits)).remainingTokens).toBe(0);
      // 1,000 reached again: the t0+20 s bucket frees 400 at t0 + 80 s.
      expect(await limiter.reserveStandard(key, 1, limits)).toEqual({ admitted: false, limit: 'tokens', retryAfterMs: 20_000 });
    });

    it('admits one request bigger than the whole minute when the minute is empty', async () => {
      const big = admitted(await limiter.reserveStandard(key, 5_000, limits));
      expect(big.remainingTokens).toBe(0);
      clock.advance(1_000);
      expect(await limiter.reserveStandard(key, 1, limits)).toEqual({ admitted: false, limit: 'tokens', retryAfterMs: 59_000 });
      clock.advance(59_000);
      admitted(await limiter.reserveStandard(key, 5_000, limits));
    });

    it('reports what is left after the admission, never below zero', async () => {
      const first = admitted(await limiter.reserveStandard(key, 10, { ...limits, requestsPerWindow: 5 }));
      expect(first).toMatchObject({ remainingRequests: 4, remainingTokens: 990 });
      expect(first.reservation).toEqual({ key, kind: 'standard', tokens: 10, bucket: t0 });
      const exact = admitted(await limiter.reserveStandard(key, 990, limits));
      expect(exact.remainingTokens).toBe(0);
      // Whole requests only: RPM 100 gives 16.67 per 10 s.
      const fractional = admitted(await limiter.reserveStandard(`${key}-f`, 0, { ...limits, requestsPerWindow: 100 / 6 }));
      expect(fractional.remainingRequests).toBe(15);
    });

    it('names requests first when both limits refuse, and waits for both', async () => {
      const tight: StandardLimits = { requestsPerWindow: 1, requestWindowMs: 10_000, tokensPerMinute: 100 };
      admitted(await limiter.reserveStandard(key, 100, tight));
      clock.advance(1_000);
      expect(await limiter.reserveStandard(key, 50, tight)).toEqual({ admitted: false, limit: 'requests', retryAfterMs: 59_000 });
      clock.advance(9_000);
      expect(await limiter.reserveStandard(key, 50, tight)).toEqual({ admitted: false, limit: 'tokens', retryAfterMs: 50_000 });
    });

    it('rejects nonsense arguments', async () => {
      await expect(limiter.reserveStandard(key, -1, limits)).rejects.toThrow(RangeError);
      await expect(limiter.reserveStandard(key, 1.5, limits)).rejects.toThrow(RangeError);
      await expect(limiter.reserveStandard(key, 1, { ...limits, requestsPerWindow: 0 })).rejects.toThrow(RangeError);
      await expect(limiter.reserveStandard(key, 1, { ...limits, requestWindowMs: 500 })).rejects.toThrow(RangeError);
      await expect(limiter.reserveProvisioned(key, 1, { tokensPerMinute: 0 })).rejects.toThrow(RangeError);
    });
  });

  describe('standard: settle', () => {
    const limits: StandardLimits = { requestsPerWindow: 100, requestWindowMs: 10_000, tokensPerMinute: 1_000 };

    it('corrects the estimate down and up in the bucket it was counted in', async () => {
      const { reservation } = admitted(await limiter.reserveStandard(key, 600, limits));
      await limiter.settle(reservation, 200);
      expect(await tokensUsed(limits)).toBe(200);
      await limiter.settle({ ...reservation, tokens: 200 }, 900);
      expect(await tokensUsed(limits)).toBe(900);
      // The correction lives in the t0 bucket: it leaves with it.
      clock.advance(60_000);
      expect(await tokensUsed(limits)).toBe(0);
    });

    it('does nothing once the bucket left the minute', async () => {
      const early = admitted(await limiter.reserveStandard(key, 100, limits)).reservation;
      clock.advance(30_000);
      admitted(await limiter.reserveStandard(key, 250, limits));
      clock.advance(30_000);
      await limiter.settle(early, 5_000);
      expect(await tokensUsed(limits)).toBe(250);
    });

    it('never takes a bucket below zero', async () => {
      const a = admitted(await limiter.reserveStandard(key, 600, limits)).reservation;
      clock.advance(1_000);
      admitted(await limiter.reserveStandard(key, 100, limits));
      await limiter.settle(a, 0);
      await limiter.settle(a, 0); // a second, wrong settle must not eat the neighbour's 100
      expect(await tokensUsed(limits)).toBe(100);
    });
  });

  describe('provisioned', () => {
    // 60,000 TPM drains exactly one token per ms.
    const ptu: ProvisionedLimits = { tokensPerMinute: 60_000 };

    it('admits while at most 100%, lets a burst pass over it, then refuses at once until drained', async () => {
      expect(admitted(await limiter.reserveProvisioned(key, 50_000, ptu)).utilization).toBeCloseTo(83.333, 3);
      const burst = admitted(await limiter.reserveProvisioned(key, 20_000, ptu));
      expect(burst.utilization).toBeCloseTo(116.667, 3);
      expect(burst.reservation).toEqual({ key, kind: 'provisioned', tokens: 20_000 });

      const refusal = refused(await limiter.reserveProvisioned(key, 1, ptu));
      expect(refusal).toMatchObject({ limit: 'utilization', retryAfterMs: 10_000 });
      expect(refusal.utilization).toBeCloseTo(116.667, 3);
      clock.advance(9_999);
      expect(refused(await limiter.reserveProvisioned(key, 1, ptu)).retryAfterMs).toBe(1);
      clock.advance(1); // exactly 100%: admitted
      expect(admitted(await limiter.reserveProvisioned(key, 1, ptu)).utilization).toBeCloseTo(100 + 100 / 60_000, 9);
    });

    it('drains continuously at tokensPerMinute, with retry times rounded up', async () => {
      const slow: ProvisionedLimits = { tokensPerMinute: 1_000 };
      expect(admitted(await limiter.reserveProvisioned(key, 1_500, slow)).utilization).toBe(150);
      // 500 tokens over capacity at 1,000 per minute: 30 s.
      expect(refused(await limiter.reserveProvisioned(key, 1, slow)).retryAfterMs).toBe(30_000);
      clock.advance(15_000);
      expect(await limiter.utilization(key, slow)).toBe(125);
      clock.advance(1);
      expect(refused(await limiter.reserveProvisioned(key, 1, slow)).retryAfterMs).toBe(14_999);
      clock.advance(7);
      // 1,000 TPM is 1/60 token per ms, kept exact (rules.ts), so no rounding drifts the answer.
      expect(refused(await limiter.reserveProvisioned(key, 1, slow)).retryAfterMs).toBe(14_992);
      clock.advance(14_992);
      admitted(await limiter.reserveProvisioned(key, 1, slow));
      clock.advance(10 * 60_000);
      expect(await limiter.utilization(key, slow)).toBe(0);
    });

    it('reads utilization without admitting anything', async () => {
      expect(await limiter.utilization(key, ptu)).toBe(0);
      admitted(await limiter.reserveProvisioned(key, 30_000, ptu));
      expect(await limiter.utilization(key, ptu)).toBe(50);
      expect(await limiter.utilization(key, ptu)).toBe(50);
      clock.advance(15_000);
      expect(await limiter.utilization(key, ptu)).toBe(25);
    });

    it('settles by actual − estimate, never below zero', async () => {
      const { reservation } = admitted(await limiter.reserveProvisioned(key, 30_000, ptu));
      await limiter.settle(reservation, 12_000);
      expect(await limiter.utilization(key, ptu)).toBe(20);
      await limiter.settle({ ...reservation, tokens: 12_000 }, 42_000);
      expect(await limiter.utilization(key, ptu)).toBe(70);
      clock.advance(40_000); // 42,000 − 40,000 = 2,000 left
      await limiter.settle({ ...reservation, tokens: 42_000 }, 0);
      expect(await limiter.utilization(key, ptu)).toBe(0);
      admitted(await limiter.reserveProvisioned(key, 6_000, ptu));
      expect(await limiter.utilization(key, ptu)).toBe(10);
    });

    it('applies a late settle until the drained entry is forgotten, then ignores it', async () => {
      const { reservation } = admitted(await limiter.reserveProvisioned(key, 600, ptu));
      clock.advance(1_000); // drained to empty at +600 ms, still remembered
      await limiter.settle(reservation, 6_600);
      expect(await limiter.utilization(key, ptu)).toBe(10);
      clock.advance(6_000 + SETTLE_GRACE_MS);
      await limiter.settle({ ...reservation, tokens: 6_600 }, 60_000);
      expect(await limiter.utilization(key, ptu)).toBe(0);
    });
  });

  it('admits exactly the limit under 200 concurrent calls from two replicas', async () => {
    const limits: StandardLimits = { requestsPerWindow: 50, requestWindowMs: 10_000, tokensPerMinute: 1_000_000 };
    const calls = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? limiter : open.replica).reserveStandard(key, 7, limits));
    const outcomes = await Promise.all(calls);
    const admissions = outcomes.filter((o): o is StandardAdmission => o.admitted);
    expect(admissions).toHaveLength(50);
    expect(admissions.map((a) => a.remainingRequests).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(await tokensUsed({ ...limits, requestsPerWindow: 51 })).toBe(50 * 7);
  });

  it('admits a concurrent provisioned burst only while at most 100%', async () => {
    const ptu: ProvisionedLimits = { tokensPerMinute: 60_000 };
    const calls = Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? limiter : open.replica).reserveProvisioned(key, 1_000, ptu));
    const outcomes = await Promise.all(calls);
    // 60 fill it to exactly 100%, the 61st passes at 100% and takes it over; the rest are refused.
    expect(outcomes.filter((o) => o.admitted)).toHaveLength(61);
  });
});

describe('limiter drivers', () => {
  it('always include memory', () => {
    expect(limiterDrivers().map((d) => d.name)).toContain('memory');
  });
});
