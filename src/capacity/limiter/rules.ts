// The counting rules both limiter drivers follow, written once. memory.ts applies them to
// in-process maps; redis.ts applies the same decisions inside Lua scripts (scripts.ts) and then
// builds its answers with the functions below, so the two drivers agree to the millisecond.
// Azure's behaviour they model: ../../../../shared/reference/azure-api.md §5.1 and §5.2.
//
// STANDARD (StandardLimits)
// - Time is cut into 1-second buckets; a bucket is named by its start: now − now mod 1000.
//   A bucket counts toward a window of W ms while now < start + W (it "leaves" at start + W).
//   Tokens use W = one minute (60 buckets); requests use W = requestWindowMs (10 buckets at 10 s).
// - Requests are checked first: admit if count + 1 ≤ requestsPerWindow.
// - Tokens: admit while used < tokensPerMinute, whatever this request's estimate: Azure's
//   documented running counter ("if at any time during that minute the TPM rate limit value is
//   reached, further requests receive a 429"), so the minute ends between the quota and the quota
//   plus one request. Checking used + tokens ≤ quota instead held the minute near quota minus one
//   estimate, which bench/quota measured 3–10% under the quota depending on max_tokens; and an
//   estimate bigger than the whole minute still gets in when the minute has room.
// - Both must pass. An admission adds 1 request and `tokens` tokens to the current bucket; a
//   refusal counts nothing. limit = 'requests' if the request check failed, else 'tokens'.
// - retryAfterMs = when this same request would pass every check it fails, if nothing else
//   arrives: walk the live buckets oldest first until the ones left fit; the answer is when the
//   last bucket walked leaves, minus now (whole ms, at least 1). If both checks fail, the later.
// - remainingRequests = floor(requestsPerWindow − (count + 1)), remainingTokens =
//   floor(tokensPerMinute − (used + tokens)), both after the admission and never below 0.
// - Reservation.bucket = the bucket the tokens went into. settle() adds (actual − estimate) to that
//   bucket if it is still live in the minute (now < bucket + 60 s), else does nothing; a bucket
//   never goes below 0 (the excess of a correction is dropped, it never borrows from neighbours).
// - Dead buckets are deleted when a reserve on the key sees them (housekeeping, not counting).
//
// PROVISIONED (ProvisionedLimits): a leaky bucket, https://learn.microsoft.com/azure/ai-services/openai/concepts/provisioned-throughput
// - Level L drains at tokensPerMinute / 60,000 tokens per ms since its last update, never below 0.
//   Capacity C = tokensPerMinute (one minute of throughput); utilization = L / C × 100.
// - Admit if utilization ≤ 100 before this request, then L += tokens (so bursts pass over 100%);
//   otherwise refuse at once with retryAfterMs = ceil((L − C) / rate) and the utilization.
//   A refusal writes nothing.
// - settle(): drain at the rate stored by the last reserve (settle is not given the limits), then
//   L += actual − estimate, floor 0.
// - An entry is forgotten once it has been empty for SETTLE_GRACE_MS: forgetting is invisible to
//   reserve (an empty level is an empty level) but makes a later settle a no-op, as a standard
//   settle is once its bucket left the minute. The grace outlives any sane request, so corrections
//   of real requests are never lost; it exists so an idle deployment leaves nothing behind.
// - L is kept in units of 1/60,000 token, so the drain is tokensPerMinute units per ms: with whole
//   token counts and whole ms the arithmetic is exact integers (doubles are exact to 2^53) in
//   JavaScript and in Redis' Lua alike, and no rounding makes the drivers drift apart.

import type {
  ProvisionedAdmission,
  ProvisionedLimits,
  Refusal,
  Reservation,
  StandardAdmission,
  StandardLimits,
} from '../../core/capacity.js';

export const BUCKET_MS = 1000;
export const MINUTE_MS = 60_000;
/** Provisioned levels are stored in units of 1/UNITS_PER_TOKEN token (see above). */
export const UNITS_PER_TOKEN = MINUTE_MS;
/** How long an emptied provisioned entry is kept for late settles (longer than any request runs). */
export const SETTLE_GRACE_MS = 15 * MINUTE_MS;

/** Live buckets of one window, oldest first: [start ms, count]. */
export type Buckets = ReadonlyArray<readonly [start: number, count: number]>;

export const bucketStart = (now: number): number => now - (now % BUCKET_MS);
export const isLive = (start: number, windowMs: number, now: number): boolean => now < start + windowMs;

export const requestsFit = (count: number, limits: StandardLimits): boolean => count + 1 <= limits.requestsPerWindow;
export const tokensFit = (used: number, _tokens: number, limits: StandardLimits): boolean => used < limits.tokensPerMinute;

const sum = (buckets: Buckets): number => buckets.reduce((total, [, count]) => total + count, 0);

/** Ms until enough of `buckets` leave the window that `fits(what remains)` holds. */
export function waitUntilFits(buckets: Buckets, windowMs: number, now: number, fits: (remaining: number) => boolean): number {
  const oldestFirst = [...buckets].sort((a, b) => a[0] - b[0]);
  let remaining = sum(oldestFirst);
  for (const [start, count] of oldestFirst) {
    remaining -= count;
    if (fits(remaining)) return Math.max(1, Math.ceil(start + windowMs - now));
  }
  // Only reachable with limits that nothing fits (rejected by checkStandardLimits).
  return Number.POSITIVE_INFINITY;
}

/** The refusal for a standard request that failed at least one check, from the live buckets it saw. */
export function standardRefusal(
  now: number,
  tokens: number,
  limits: StandardLimits,
  requests: Buckets,
  tokenBuckets: Buckets,
): Refusal {
  const requestsOk = requestsFit(sum(requests), limits);
  const tokensOk = tokensFit(sum(tokenBuckets), tokens, limits);
  const waits: number[] = [];
  if (!requestsOk) waits.push(waitUntilFits(requests, limits.requestWindowMs, now, (left) => requestsFit(left, limits)));
  if (!tokensOk) waits.push(waitUntilFits(tokenBuckets, MINUTE_MS, now, (left) => tokensFit(left, tokens, limits)));
  return { admitted: false, limit: requestsOk ? 'tokens' : 'requests', retryAfterMs: Math.max(...waits) };
}

/** The admission of a standard request, from the counts before it was added. */
export function standardAdmission(
  key: string,
  tokens: number,
  limits: StandardLimits,
  bucket: number,
  requestsBefore: number,
  tokensBefore: number,
): StandardAdmission {
  return {
    admitted: true,
    reservation: { key, kind: 'standard', tokens, bucket },
    remainingRequests: Math.max(0, Math.floor(limits.requestsPerWindow - (requestsBefore + 1))),
    remainingTokens: Math.max(0, Math.floor(limits.tokensPerMinute - (tokensBefore + tokens))),
  };
}

// ---- provisioned ----

const capacityUnits = (tokensPerMinute: number): number => tokensPerMinute * MINUTE_MS;

/** The level at `now` of a level stored at `at`, drained at `tokensPerMinute` units per ms. */
export const drained = (level: number, at: number, now: number, tokensPerMinute: number): number =>
  Math.max(0, level - tokensPerMinute * Math.max(0, now - at));

export const utilizationOf = (level: number, tokensPerMinute: number): number =>
  (level / capacityUnits(tokensPerMinute)) * 100;

export const overCapacity = (level: number, tokensPerMinute: number): boolean => level > capacityUnits(tokensPerMinute);

/** When an entry stored with `level` at `at` may be forgotten: emptied, plus the settle grace. */
export const forgetAt = (level: number, at: number, tokensPerMinute: number): number =>
  at + Math.ceil(level / tokensPerMinute) + SETTLE_GRACE_MS;

export function provisionedRefusal(level: number, limits: ProvisionedLimits): Refusal {
  return {
    admitted: false,
    limit: 'utilization',
    retryAfterMs: Math.max(1, Math.ceil((level - capacityUnits(limits.tokensPerMinute)) / limits.tokensPerMinute)),
    utilization: utilizationOf(level, limits.tokensPerMinute),
  };
}

export function provisionedAdmission(key: string, tokens: number, limits: ProvisionedLimits, levelAfter: number): ProvisionedAdmission {
  return {
    admitted: true,
    reservation: { key, kind: 'provisioned', tokens },
    utilization: utilizationOf(levelAfter, limits.tokensPerMinute),
  };
}

// ---- argument checks: a driver is never asked to count nonsense (strict by default, DESIGN.md) ----

const wholeTokens = (name: string, value: number): void => {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a whole number ≥ 0, got ${value}`);
};
const positive = (name: string, value: number): void => {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a finite number > 0, got ${value}`);
};
const checkKey = (key: string): void => {
  if (typeof key !== 'string' || key === '') throw new RangeError('limiter key must be a non-empty string');
};

export function checkStandard(key: string, tokens: number, limits: StandardLimits): void {
  checkKey(key);
  wholeTokens('tokens', tokens);
  positive('tokensPerMinute', limits.tokensPerMinute);
  // Below 1 no request could ever be admitted, so no retry time exists.
  if (!Number.isFinite(limits.requestsPerWindow) || limits.requestsPerWindow < 1) {
    throw new RangeError(`requestsPerWindow must be ≥ 1, got ${limits.requestsPerWindow}`);
  }
  // A window shorter than a bucket would stop counting the bucket a request was just added to.
  if (!Number.isSafeInteger(limits.requestWindowMs) || limits.requestWindowMs < BUCKET_MS) {
    throw new RangeError(`requestWindowMs must be a whole number ≥ ${BUCKET_MS}, got ${limits.requestWindowMs}`);
  }
}

export function checkProvisioned(key: string, tokens: number, limits: ProvisionedLimits): void {
  checkKey(key);
  wholeTokens('tokens', tokens);
  positive('tokensPerMinute', limits.tokensPerMinute);
}

export function checkSettle(reservation: Reservation, actualTokens: number): void {
  checkKey(reservation.key);
  wholeTokens('reservation.tokens', reservation.tokens);
  wholeTokens('actualTokens', actualTokens);
  if (reservation.kind === 'standard' && !Number.isSafeInteger(reservation.bucket)) {
    throw new RangeError('a standard reservation needs its bucket');
  }
}
