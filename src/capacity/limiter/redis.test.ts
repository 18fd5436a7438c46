// What only the Redis driver has: failure when Redis is unreachable or stalls, its key layout and
// expiry, its use of Redis' own clock, exact agreement with the memory driver, and its cost.
// The failure tests need no Redis; the rest run when REDIS_URL is set (DESIGN.md "Conventions").

import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { LimiterUnavailableError, type Limiter, type Reservation, type StandardLimits } from '../../core/capacity.js';
import { MemoryLimiter } from './memory.js';
import { RedisLimiter, connectRedisLimiter, createRedisClient } from './redis.js';
import { MINUTE_MS, SETTLE_GRACE_MS } from './rules.js';
import { TestClock, deleteKeys, memoryDriver, redisDriver, waitReady } from './testing.js';

const url = process.env.REDIS_URL;
const roomy: StandardLimits = { requestsPerWindow: 1e9, requestWindowMs: 10_000, tokensPerMinute: 1e12 };

/** Resolves with how a promise settled and how long it took, so a hang fails the test's own timeout. */
async function timed<T>(promise: Promise<T>): Promise<{ error: unknown; ms: number }> {
  const start = performance.now();
  try {
    await promise;
    return { error: undefined, ms: performance.now() - start };
  } catch (error) {
    return { error, ms: performance.now() - start };
  }
}

describe('redis limiter when Redis is unreachable', () => {
  it('fails a reserve fast with LimiterUnavailableError naming Redis', async () => {
    const limiter = new RedisLimiter(createRedisClient('redis://127.0.0.1:1'));
    try {
      const { error, ms } = await timed(limiter.reserveStandard('d', 1, roomy));
      expect(error).toBeInstanceOf(LimiterUnavailableError);
      expect((error as Error).message).toMatch(/Redis at 127\.0\.0\.1:1/);
      expect(ms).toBeLessThan(2_000);
      await new Promise((resolve) => setTimeout(resolve, 50)); // let the connection attempt fail
      const again = await timed(limiter.reserveProvisioned('d', 1, { tokensPerMinute: 1_000 }));
      expect(again.error).toBeInstanceOf(LimiterUnavailableError);
      expect((again.error as Error).message).toMatch(/ECONNREFUSED/);
    } finally {
      await limiter.close();
    }
  });

  it('refuses to connect with LimiterUnavailableError', async () => {
    const { error, ms } = await timed(connectRedisLimiter('redis://127.0.0.1:1'));
    expect(error).toBeInstanceOf(LimiterUnavailableError);
    expect((error as Error).message).toMatch(/^Redis at 127\.0\.0\.1:1 .*ECONNREFUSED/);
    expect(ms).toBeLessThan(2_000);
  });
});

describe.runIf(url)('redis limiter on a live Redis', () => {
  const redisUrl = url as string;
  let admin: Redis;

  beforeAll(async () => {
    admin = createRedisClient(redisUrl);
    await waitReady(admin);
  });
  afterAll(() => admin.quit());

  it('fails with LimiterUnavailableError once its connection is gone', async () => {
    const limiter = await connectRedisLimiter(redisUrl, { prefix: 'lapis-test:gone:' });
    await limiter.close();
    await expect(limiter.reserveStandard('d', 1, roomy)).rejects.toBeInstanceOf(LimiterUnavailableError);
  });

  it('fails with LimiterUnavailableError when Redis stops answering (command timeout)', async () => {
    // A proxy in front of Redis that can freeze: the connection stays up, answers stop.
    let frozen = false;
    const target = new URL(redisUrl);
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname);
      client.on('data', (chunk) => !frozen && upstream.write(chunk));
      upstream.on('data', (chunk) => client.write(chunk));
      const end = () => (client.destroy(), upstream.destroy());
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as net.AddressInfo;
    const limiter = await connectRedisLimiter(`redis://127.0.0.1:${port}`, { prefix: 'lapis-test:stall:', commandTimeoutMs: 300 });
    try {
      expect((await limiter.reserveStandard('d', 1, roomy)).admitted).toBe(true);
      frozen = true;
      const { error, ms } = await timed(limiter.reserveStandard('d', 1, roomy));
      expect(error).toBeInstanceOf(LimiterUnavailableError);
      expect((error as Error).message).toMatch(/timed out/i);
      expect(ms).toBeLessThan(2_000);
    } finally {
      await limiter.close();
      await deleteKeys(admin, 'lapis-test:stall:');
      proxy.close();
    }
  });

  it('lets a script error through as itself: a bug is not an outage', async () => {
    const prefix = `lapis-test:wrongtype-${Date.now()}:`;
    const limiter = await connectRedisLimiter(redisUrl, { prefix });
    try {
      await admin.set(`${prefix}{d}:tok`, 'not a hash');
      const { error } = await timed(limiter.reserveStandard('d', 1, roomy));
      expect(error).not.toBeInstanceOf(LimiterUnavailableError);
      expect((error as Error).message).toMatch(/WRONGTYPE/);
    } finally {
      await deleteKeys(admin, prefix);
      await limiter.close();
    }
  });

  it('stores the documented keys on Redis time, and lets them expire', async () => {
    const prefix = `lapis-test:layout-${Date.now()}:`;
    const limiter = await connectRedisLimiter(redisUrl, { prefix }); // no clock: the scripts read TIME
    try {
      const before = Date.now();
      const admission = await limiter.reserveStandard('dep', 5, roomy);
      if (!admission.admitted) throw new Error('refused');
      // Same host, so Redis' clock and ours agree to well within a bucket or two.
      expect(Math.abs((admission.reservation.bucket as number) - (before - (before % 1000)))).toBeLessThanOrEqual(2_000);
      await limiter.reserveProvisioned('dep', 6_000, { tokensPerMinute: 60_000 });
      expect((await admin.keys(`${prefix}*`)).sort()).toEqual([`${prefix}{dep}:ptu`, `${prefix}{dep}:req`, `${prefix}{dep}:tok`]);
      expect(await admin.hgetall(`${prefix}{dep}:tok`)).toEqual({ [String(admission.reservation.bucket)]: '5' });
      const ttl = async (suffix: string) => admin.pttl(`${prefix}{dep}:${suffix}`);
      expect(await ttl('req')).toBeGreaterThan(9_000);
      expect(await ttl('req')).toBeLessThanOrEqual(10_000);
      expect(await ttl('tok')).toBeGreaterThan(59_000);
      expect(await ttl('tok')).toBeLessThanOrEqual(MINUTE_MS);
      // 6,000 tokens at 1,000 per second drain in 6 s; then the settle grace.
      expect(await ttl('ptu')).toBeGreaterThan(SETTLE_GRACE_MS + 5_000);
      expect(await ttl('ptu')).toBeLessThanOrEqual(SETTLE_GRACE_MS + 6_000);
    } finally {
      await deleteKeys(admin, prefix);
      await limiter.close();
    }
  });

  it('agrees exactly with the memory driver over a random workload', async () => {
    const clock = new TestClock();
    const memory = await memoryDriver.open(clock.read);
    const redis = await redisDriver(redisUrl).open(clock.read);
    let seed = 0x5eed;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const standardLimits: StandardLimits[] = [
      { requestsPerWindow: 4, requestWindowMs: 10_000, tokensPerMinute: 2_000 },
      { requestsPerWindow: 100 / 6, requestWindowMs: 3_000, tokensPerMinute: 1_000 },
    ];
    const ptus = [{ tokensPerMinute: 1_000 }, { tokensPerMinute: 7_777 }, { tokensPerMinute: 60_000 }];
    const reservations: Reservation[] = [];
    const step = async (limiter: Limiter, op: number, args: number[]): Promise<unknown> => {
      const key = `k${args[0]}`;
      switch (op) {
        case 0:
          return limiter.reserveStandard(key, args[1] as number, standardLimits[args[2] as number] as StandardLimits);
        case 1:
          return limiter.reserveProvisioned(key, args[1] as number, ptus[args[2] as number] as { tokensPerMinute: number });
        case 2:
          return limiter.utilization(key, ptus[args[2] as number] as { tokensPerMinute: number });
        default:
          return limiter.settle(reservations[args[2] as number] as Reservation, args[1] as number);
      }
    };
    try {
      for (let i = 0; i < 2_000; i++) {
        clock.advance(pick([0, 0, 1, 17, 250, 999, 1_000, 2_500, 9_000, 61_000, SETTLE_GRACE_MS / 3]));
        const op = reservations.length > 0 ? Math.floor(random() * 4) : Math.floor(random() * 2);
        const index = op === 3 ? Math.floor(random() * reservations.length) : Math.floor(random() * (op === 0 ? 2 : 3));
        const args = [Math.floor(random() * 2), Math.floor(random() * 3_000), index];
        const [a, b] = [await step(memory.limiter, op, args), await step(redis.limiter, op, args)];
        expect(b, `step ${i}: op ${op} ${JSON.stringify(args)}`).toEqual(a);
        const outcome = a as { admitted?: boolean; reservation?: Reservation } | undefined;
        if (outcome?.admitted) reservations.push(outcome.reservation as Reservation);
      }
      expect(reservations.length).toBeGreaterThan(200);
    } finally {
      await Promise.all([memory.cleanup(), redis.cleanup()]);
    }
  });

  it('prints the cost of one reserveStandard (no timing assertion)', async () => {
    const prefix = `lapis-test:cost-${Date.now()}:`;
    const limiters: Array<[string, Limiter]> = [
      ['memory', new MemoryLimiter()],
      ['redis', await connectRedisLimiter(redisUrl, { prefix })],
    ];
    const calls = 5_000;
    try {
      // The floor: one round trip to the same Redis on the same kind of connection.
      const pinger = createRedisClient(redisUrl);
      await waitReady(pinger);
      for (let i = 0; i < 200; i++) await pinger.ping();
      const pingStart = performance.now();
      for (let i = 0; i < calls; i++) await pinger.ping();
      console.log(`PING round trip: ${(((performance.now() - pingStart) * 1000) / calls).toFixed(1)} µs per call`);
      await pinger.quit();
      for (const [name, limiter] of limiters) {
        for (let i = 0; i < 200; i++) await limiter.reserveStandard('warmup', 100, roomy);
        const start = performance.now();
        for (let i = 0; i < calls; i++) await limiter.reserveStandard('cost', 100, roomy);
        const ms = performance.now() - start;
        console.log(
          `reserveStandard on ${name}: ${((ms * 1000) / calls).toFixed(1)} µs per call ` +
            `(${calls} sequential calls in ${ms.toFixed(0)} ms, ${Math.round(calls / (ms / 1000))} calls/s)`,
        );
      }
    } finally {
      await deleteKeys(admin, prefix);
      await Promise.all(limiters.map(([, limiter]) => limiter.close()));
    }
  });
});
