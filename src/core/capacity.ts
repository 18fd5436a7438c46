// The limiter port: counters of admitted requests and tokens per deployment, shared by every
// replica when they live in Redis, in-process otherwise (src/capacity/limiter). The rules that
// turn a deployment's SKU into limits live in src/capacity; drivers only count, atomically.

/** Standard deployments (Standard, GlobalStandard, DataZoneStandard): requests over a short window, tokens per minute. */
export interface StandardLimits {
  /** Requests admitted per `requestWindowMs` (RPM / 6 for the 10-second window). */
  requestsPerWindow: number;
  requestWindowMs: number;
  /** Tokens admitted per sliding minute (sku.capacity × 1,000). */
  tokensPerMinute: number;
}

/** Provisioned deployments: a leaky bucket of weighted tokens that drains at `tokensPerMinute`. */
export interface ProvisionedLimits {
  tokensPerMinute: number;
}

/** What settle() needs to correct an admission by the real usage. */
export interface Reservation {
  key: string;
  kind: 'standard' | 'provisioned';
  /** The estimate counted at admission. */
  tokens: number;
  /** Standard: the start (ms) of the minute bucket the estimate was counted in. */
  bucket?: number;
}

export interface StandardAdmission {
  admitted: true;
  reservation: Reservation;
  /** Left in the request window after this request. */
  remainingRequests: number;
  /** Left in the sliding minute after this request's estimate. */
  remainingTokens: number;
}

export interface ProvisionedAdmission {
  admitted: true;
  reservation: Reservation;
  /** Utilization after this request's estimate, in percent (may exceed 100: short bursts pass). */
  utilization: number;
}

export interface Refusal {
  admitted: false;
  /** Which limit refused: the request rate, the token rate, or provisioned utilization. */
  limit: 'requests' | 'tokens' | 'utilization';
  /** When the same request would be admitted, if nothing else arrives. */
  retryAfterMs: number;
  /** Provisioned only: the utilization that refused, in percent. */
  utilization?: number;
}

export interface Limiter {
  /** Admits one request estimated at `tokens` against `key`'s limits, atomically, or says when to retry. */
  reserveStandard(key: string, tokens: number, limits: StandardLimits): Promise<StandardAdmission | Refusal>;
  /** Admits when utilization is at most 100% before this request (then adds `tokens`), or refuses at once. */
  reserveProvisioned(key: string, tokens: number, limits: ProvisionedLimits): Promise<ProvisionedAdmission | Refusal>;
  /** Replaces a reservation's estimate by the real count (may be lower or higher; never below zero). */
  settle(reservation: Reservation, actualTokens: number): Promise<void>;
  /** Provisioned utilization now, in percent, without admitting anything. */
  utilization(key: string, limits: ProvisionedLimits): Promise<number>;
  close(): Promise<void>;
}

/** Thrown by a driver whose shared store cannot be reached (Redis down): the data plane applies the failure policy. */
export class LimiterUnavailableError extends Error {}
