// The HTTP side of every OpenAI-wire backend: one undici Pool per upstream origin with keep-alive
// and no pipelining (a long generation must not hold up the requests queued behind it on one
// socket), `request()` rather than global fetch (fetch and web streams are where gateways spend
// their CPU; DESIGN.md, performance notes). Retries happen here, before the caller has seen any
// event: refused/reset connections and 500/502/503/504 answers, at most `maxRetries` times.

import { Pool, type Dispatcher } from 'undici';
import { errorFromBody, isConnectFailure, retryAfterMs, transportError } from './errors.js';

export type WireOperation = 'chat/completions' | 'completions' | 'embeddings';

export interface OpenAIWireTarget {
  /** Absolute URL of each operation, query included (Azure's api-version). */
  url(operation: WireOperation): string;
  /** Sent with every request: authentication and the like. */
  headers: Record<string, string>;
  /** Longest wait for response headers and between two body chunks. Default 60 s. */
  timeoutMs?: number;
  /** URL of an active health check, `path` resolved against the upstream's base URL. Absent: none. */
  healthUrl?(path?: string): string;
}

export interface WireClientOptions {
  /** Connections per upstream origin. Default 128: each streaming request holds one for its whole length. */
  connections?: number;
  /** Retries of connect failures and 500/502/503/504 before any event. Default 2. */
  maxRetries?: number;
  /** Wait before the first retry; doubled for the next. Default 100 ms. */
  retryBackoffMs?: number;
  /** Longest wait for a TCP/TLS connection. Default 10 s. */
  connectTimeoutMs?: number;
}

const RETRIED_STATUSES = new Set([500, 502, 503, 504]);
/** Error bodies are small; an upstream that sends megabytes of HTML is cut short. */
const MAX_ERROR_BODY = 64 * 1024;

export class OpenAIWireClient {
  private readonly pools = new Map<string, Pool>();
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly backoffMs: number;
  private closed = false;

  constructor(
    private readonly target: OpenAIWireTarget,
    private readonly options: WireClientOptions = {},
  ) {
    this.timeoutMs = target.timeoutMs ?? 60_000;
    this.maxRetries = options.maxRetries ?? 2;
    this.backoffMs = options.retryBackoffMs ?? 100;
  }

  /**
   * POSTs `body` as JSON and returns the successful response, its body unread. Upstream error
   * statuses are thrown as domain errors (their bodies read). Returns undefined when `signal`
   * aborted: the caller asked to stop, there is nothing to report.
   */
  async post(operation: WireOperation, body: unknown, signal: AbortSignal): Promise<Dispatcher.ResponseData | undefined> {
    const url = new URL(this.target.url(operation));
    const pool = this.pool(url.origin);
    const payload = JSON.stringify(body);
    const where = `${operation} at ${url.origin}`;
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) return undefined;
      let response: Dispatcher.ResponseData;
      try {
        response = await pool.request({
          method: 'POST',
          path: url.pathname + url.search,
          headers: { ...this.target.headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
          body: payload,
          signal,
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
        });
      } catch (err) {
        if (signal.aborted) return undefined;
        if (attempt < this.maxRetries && isConnectFailure(err)) {
          if (!(await this.backoff(attempt, signal))) return undefined;
          continue;
        }
        throw transportError(err, where);
      }
      if (response.statusCode < 300) return response;
      const error = await readError(response).catch((err: unknown) => transportError(err, where));
      if (signal.aborted) return undefined;
      if (attempt < this.maxRetries && RETRIED_STATUSES.has(response.statusCode)) {
        if (!(await this.backoff(attempt, signal))) return undefined;
        continue;
      }
      throw error;
    }
  }

  /**
   * GETs `url` with the target's headers: true when it answers 2xx within `timeoutMs`. A health
   * check, so it never throws and never retries; it shares the keep-alive connections of requests.
   */
  async probe(url: string, timeoutMs: number): Promise<boolean> {
    try {
      const target = new URL(url);
      const response = await this.pool(target.origin).request({
        method: 'GET',
        path: target.pathname + target.search,
        headers: { ...this.target.headers, accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await response.body.dump({ limit: MAX_ERROR_BODY });
      return response.statusCode >= 200 && response.statusCode < 300;
    } catch {
      return false;
    }
  }

  /** Closes every pool; requests in flight are let finish. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (pool === undefined) {
      if (this.closed) throw transportError(new Error('the backend is closed'), origin);
      pool = new Pool(origin, {
        connections: this.options.connections ?? 128,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        connectTimeout: this.options.connectTimeoutMs ?? 10_000,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Waits before a retry; false when the signal aborted meanwhile. */
  private backoff(attempt: number, signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const onAbort = (): void => done(false);
      const timer = setTimeout(() => done(true), this.backoffMs * 2 ** attempt);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Reads an error answer's body (bounded) and turns it into a domain error. */
async function readError(response: Dispatcher.ResponseData): Promise<Error> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    if (size < MAX_ERROR_BODY) chunks.push(chunk);
    size += chunk.length;
  }
  const text = Buffer.concat(chunks).toString('utf8', 0, Math.min(size, MAX_ERROR_BODY));
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (a proxy's HTML page): the text itself is the message
  }
  return errorFromBody(response.statusCode, parsed, retryAfterMs(response.headers));
}
