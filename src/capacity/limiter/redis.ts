// The Redis limiter: counters that hold across replicas. Every operation is one Lua script
// (scripts.ts), so its read, decision and writes are atomic however many replicas call at once.
// An unreachable Redis must fail fast and loudly (LimiterUnavailableError), never queue: the
// data plane's failure policy decides what a request does then, and it must not wait for it.

import { Redis, type RedisOptions } from 'ioredis';
import {
  type Limiter,
  LimiterUnavailableError,
  type ProvisionedAdmission,
  type ProvisionedLimits,
  type Refusal,
  type Reservation,
  type StandardAdmission,
  type StandardLimits,
} from '../../core/capacity.js';
import {
  type Buckets,
  checkProvisioned,
  checkSettle,
  checkStandard,
  provisionedAdmission,
  provisionedRefusal,
  standardAdmission,
  standardRefusal,
  utilizationOf,
} from './rules.js';
import {
  provisionedLevelLua,
  reserveProvisionedLua,
  reserveStandardLua,
  settleProvisionedLua,
  settleStandardLua,
} from './scripts.js';

export interface RedisLimiterOptions {
  /** Prepended to every key (default `lapis:limiter:`); tests use a random one. */
  prefix?: string;
  /** Epoch ms. Only for tests: without it the scripts read Redis' TIME, one clock for all replicas. */
  clock?: () => number;
}

export interface RedisConnectOptions extends RedisLimiterOptions {
  /** TCP connect timeout (default 1,000 ms). */
  connectTimeoutMs?: number;
  /** A command without an answer after this long fails (default 1,000 ms): a stalled Redis must not hang requests. */
  commandTimeoutMs?: number;
}

type Script = (...args: Array<string | number>) => Promise<unknown>;
interface Scripts {
  lapisLimiterReserveStandard: Script;
  lapisLimiterSettleStandard: Script;
  lapisLimiterReserveProvisioned: Script;
  lapisLimiterSettleProvisioned: Script;
  lapisLimiterProvisionedLevel: Script;
}

/** Redis' own errors that mean "not serving now" rather than "this command is wrong". */
const UNAVAILABLE_REPLY = /^(LOADING|BUSY|MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN|NOREPLICAS|OOM)\b/;

/** An ioredis client set up to fail fast: no offline queue, one retry, short timeouts. Reconnects on its own. */
export function createRedisClient(url: string, options: RedisConnectOptions = {}): Redis {
  const client = new Redis(url, {
    lazyConnect: false,
    // Queued commands would wait for a Redis that may never come back; fail them instead.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: options.connectTimeoutMs ?? 1000,
    commandTimeout: options.commandTimeoutMs ?? 1000,
  } satisfies RedisOptions);
  // Without a listener ioredis prints every reconnect failure; RedisLimiter reports them instead.
  client.on('error', () => {});
  return client;
}

/** Connects, waits until Redis answers, and returns a limiter that owns the client. */
export async function connectRedisLimiter(url: string, options: RedisConnectOptions = {}): Promise<RedisLimiter> {
  const client = createRedisClient(url, options);
  try {
    await new Promise<void>((resolve, reject) => {
      if (client.status === 'ready') return resolve();
      const fail = (error: unknown) => {
        client.off('ready', ready);
        reject(error instanceof Error ? error : new Error(String(error)));
      };
      const ready = () => {
        client.off('error', fail);
        resolve();
      };
      client.once('ready', ready);
      client.once('error', fail);
    });
  } catch (error) {
    client.disconnect();
    throw unavailable(client, error);
  }
  return new RedisLimiter(client, options);
}

function unavailable(client: Redis, error: unknown, lastConnectionError?: Error): LimiterUnavailableError {
  const { host, port, path } = client.options;
  const where = path ?? `${host ?? 'localhost'}:${port ?? 6379}`;
  let reason = error instanceof Error ? error.message : String(error);
  // "Stream isn't writeable" says little; the connection's own failure says why.
  if (lastConnectionError && lastConnectionError !== error) reason += ` (connection: ${lastConnectionError.message})`;
  return new LimiterUnavailableError(`Redis at ${where} is unavailable for rate limiting: ${reason}`, { cause: error });
}

function buckets(flat: unknown): Buckets {
  const list = flat as string[];
  const out: Array<[number, number]> = [];
  for (let i = 0; i < list.length; i += 2) out.push([Number(list[i]), Number(list[i + 1])]);
  return out;
}

/**
 * The limiter on a Redis client it then owns (close() disconnects it). Build the client with
 * createRedisClient(), or with the same fail-fast options: a client with an offline queue would
 * make calls wait for a dead Redis instead of failing.
 */
export class RedisLimiter implements Limiter {
  private readonly scripts: Scripts;
  private readonly prefix: string;
  private readonly clock: (() => number) | undefined;
  private lastConnectionError: Error | undefined;

  constructor(
    private readonly redis: Redis,
    options: RedisLimiterOptions = {},
  ) {
    this.prefix = options.prefix ?? 'lapis:limiter:';
    this.clock = options.clock;
    redis.on('error', (error: Error) => (this.lastConnectionError = error));
    redis.on('ready', () => (this.lastConnectionError = undefined));
    // defineCommand sends EVALSHA and falls back to EVAL once per connection (NOSCRIPT).
    redis.defineCommand('lapisLimiterReserveStandard', { numberOfKeys: 2, lua: reserveStandardLua });
    redis.defineCommand('lapisLimiterSettleStandard', { numberOfKeys: 1, lua: settleStandardLua });
    redis.defineCommand('lapisLimiterReserveProvisioned', { numberOfKeys: 1, lua: reserveProvisionedLua });
    redis.defineCommand('lapisLimiterSettleProvisioned', { numberOfKeys: 1, lua: settleProvisionedLua });
    redis.defineCommand('lapisLimiterProvisionedLevel', { numberOfKeys: 1, lua: provisionedLevelLua, readOnly: true });
    this.scripts = redis as unknown as Scripts;
  }

  async reserveStandard(key: string, tokens: number, limits: StandardLimits): Promise<StandardAdmission | Refusal> {
    checkStandard(key, tokens, limits);
    const reply = (await this.run('lapisLimiterReserveStandard', this.key(key, 'req'), this.key(key, 'tok'), this.now(),
      tokens, limits.requestsPerWindow, limits.requestWindowMs, limits.tokensPerMinute)) as unknown[];
    if (reply[0] === 1) {
      return standardAdmission(key, tokens, limits, Number(reply[4]), Number(reply[2]), Number(reply[3]));
    }
    return standardRefusal(Number(reply[1]), tokens, limits, buckets(reply[2]), buckets(reply[3]));
  }

  async reserveProvisioned(key: string, tokens: number, limits: ProvisionedLimits): Promise<ProvisionedAdmission | Refusal> {
    checkProvisioned(key, tokens, limits);
    const [admitted, level] = (await this.run('lapisLimiterReserveProvisioned', this.key(key, 'ptu'), this.now(), tokens,
      limits.tokensPerMinute)) as [number, string];
    return admitted === 1 ? provisionedAdmission(key, tokens, limits, Number(level)) : provisionedRefusal(Number(level), limits);
  }

  async settle(reservation: Reservation, actualTokens: number): Promise<void> {
    checkSettle(reservation, actualTokens);
    const delta = actualTokens - reservation.tokens;
    if (reservation.kind === 'standard') {
      await this.run('lapisLimiterSettleStandard', this.key(reservation.key, 'tok'), this.now(), reservation.bucket as number, delta);
    } else {
      await this.run('lapisLimiterSettleProvisioned', this.key(reservation.key, 'ptu'), this.now(), delta);
    }
  }

  async utilization(key: string, limits: ProvisionedLimits): Promise<number> {
    checkProvisioned(key, 0, limits);
    const level = await this.run('lapisLimiterProvisionedLevel', this.key(key, 'ptu'), this.now(), limits.tokensPerMinute);
    return utilizationOf(Number(level), limits.tokensPerMinute);
  }

  async close(): Promise<void> {
    if (this.redis.status !== 'ready') return this.redis.disconnect();
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  /** One key of the layout in scripts.ts. */
  private key(key: string, kind: 'req' | 'tok' | 'ptu'): string {
    return `${this.prefix}{${key}}:${kind}`;
  }

  /** The scripts' clock argument: '' lets them read Redis' TIME. */
  private now(): string {
    return this.clock ? String(Math.floor(this.clock())) : '';
  }

  private async run(script: keyof Scripts, ...args: Array<string | number>): Promise<unknown> {
    try {
      return await this.scripts[script](...args.map(String));
    } catch (error) {
      // A script or argument error is a bug to see as one; anything else means Redis is not serving.
      const reply = error instanceof Error && error.name === 'ReplyError';
      if (reply && !UNAVAILABLE_REPLY.test(error.message)) throw error;
      throw unavailable(this.redis, error, this.lastConnectionError);
    }
  }
}
