// Test helpers: the limiter drivers a suite runs on (memory always, Redis when REDIS_URL is set,
// DESIGN.md "Conventions"), each with a clock the test moves by hand so no test ever sleeps.

import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Limiter } from '../../core/capacity.js';
import { MemoryLimiter } from './memory.js';
import { RedisLimiter, createRedisClient } from './redis.js';

export class TestClock {
  /** A whole second, so bucket arithmetic in tests reads plainly. */
  constructor(public now = 1_700_000_000_000) {}
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

export interface OpenLimiters {
  limiter: Limiter;
  /** Another replica sharing `limiter`'s counters (the same object in memory, another connection on Redis). */
  replica: Limiter;
  /** Ends both and deletes whatever they stored. */
  cleanup(): Promise<void>;
}

export interface LimiterDriver {
  name: string;
  /** Limiters on fresh counters; `clock` undefined means the driver's own (Date.now or Redis TIME). */
  open(clock?: () => number): Promise<OpenLimiters>;
}

export const memoryDriver: LimiterDriver = {
  name: 'memory',
  async open(clock) {
    const limiter = new MemoryLimiter(clock);
    return { limiter, replica: limiter, cleanup: () => limiter.close() };
  },
};

/** Deletes every key under `prefix`. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

export function redisDriver(url: string): LimiterDriver {
  return {
    name: 'redis',
    async open(clock) {
      const prefix = `lapis-test:${randomBytes(6).toString('hex')}:`;
      const clients = [createRedisClient(url), createRedisClient(url)] as const;
      await Promise.all(clients.map((client) => waitReady(client)));
      const [limiter, replica] = clients.map((client) => new RedisLimiter(client, { prefix, clock })) as [RedisLimiter, RedisLimiter];
      return {
        limiter,
        replica,
        async cleanup() {
          await deleteKeys(clients[0], prefix);
          await Promise.all([limiter.close(), replica.close()]);
        },
      };
    },
  };
}

/** Resolves once the client can take commands (createRedisClient has no offline queue). */
export function waitReady(client: Redis): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const ready = () => (client.off('error', fail), resolve());
    const fail = (error: Error) => (client.off('ready', ready), reject(error));
    client.once('ready', ready).once('error', fail);
  });
}

/** Memory, and Redis when REDIS_URL is set. */
export function limiterDrivers(): LimiterDriver[] {
  const url = process.env.REDIS_URL;
  return url ? [memoryDriver, redisDriver(url)] : [memoryDriver];
}
