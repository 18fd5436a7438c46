// The Lua scripts of the Redis limiter: one per operation, so every decision and its writes run
// atomically on the server and any number of replicas share one budget. They make the same
// decisions as memory.ts, by the rules in rules.ts; what can be computed outside the atomic
// step (retry times, remaining counts, utilization) is returned raw and computed by rules.ts.
//
// Key layout, for a limiter key K and prefix P (the braces are a Redis Cluster hash tag, so the
// keys of one K share a slot and a script may touch them together):
//   P{K}:req  hash  bucket start (ms) → requests admitted in it     PEXPIRE requestWindowMs
//   P{K}:tok  hash  bucket start (ms) → tokens counted in it         PEXPIRE one minute
//   P{K}:ptu  hash  level (1/60,000 tokens), at (ms), tpm            PEXPIRE until empty + grace
// Expiry is only garbage collection: every script decides by the bucket starts and `at`, so a key
// that outlives its content changes nothing.
//
// The first argument of every script is "now" in ms, or '' to read Redis' own TIME: replicas
// with skewed clocks then agree on one clock. Tests pass their injected clock instead.
// Numbers travel as strings ('%.17g' round-trips a double exactly; Redis would truncate a Lua
// number reply to an integer).

import { BUCKET_MS, MINUTE_MS, SETTLE_GRACE_MS, UNITS_PER_TOKEN } from './rules.js';

const prelude = `
local MINUTE = ${MINUTE_MS}
local BUCKET = ${BUCKET_MS}
local UNITS = ${UNITS_PER_TOKEN}
local GRACE = ${SETTLE_GRACE_MS}
local function num(x) return string.format('%.17g', x) end
local function clock(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/** KEYS: req, tok. ARGV: now, tokens, requestsPerWindow, requestWindowMs, tokensPerMinute.
 *  Admitted: {1, now, requests before, tokens before, bucket}. Refused: {0, now, live req buckets, live tok buckets}
 *  (buckets flattened: start, count, start, count…). */
export const reserveStandardLua = `${prelude}
local now = clock(ARGV[1])
local tokens = tonumber(ARGV[2])
local perWindow = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local perMinute = tonumber(ARGV[5])

-- Sums the live buckets of a window and deletes the dead ones.
local function live(key, windowMs)
  local all = redis.call('HGETALL', key)
  local total, kept, dead = 0, {}, {}
  for i = 1, #all, 2 do
    if now < tonumber(all[i]) + windowMs then
      total = total + tonumber(all[i + 1])
      kept[#kept + 1] = all[i]
      kept[#kept + 1] = all[i + 1]
    else
      dead[#dead + 1] = all[i]
    end
  end
  if #dead > 0 then redis.call('HDEL', key, unpack(dead)) end
  return total, kept
end

local requests, requestBuckets = live(KEYS[1], window)
local used, tokenBuckets = live(KEYS[2], MINUTE)
-- requestsFit and tokensFit of rules.ts; an empty minute admits any estimate.
if requests + 1 > perWindow or used >= perMinute then
  return {0, num(now), requestBuckets, tokenBuckets}
end
local bucket = num(now - now % BUCKET)
redis.call('HINCRBY', KEYS[1], bucket, 1)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('HINCRBY', KEYS[2], bucket, ARGV[2])
redis.call('PEXPIRE', KEYS[2], MINUTE)
return {1, num(now), num(requests), num(used), bucket}
`;

/** KEYS: tok. ARGV: now, bucket, actual − estimate. Corrects the bucket while it is in the minute. */
export const settleStandardLua = `${prelude}
local now = clock(ARGV[1])
local bucket = tonumber(ARGV[2])
if now >= bucket + MINUTE then return 0 end
local field = num(bucket)
local value = tonumber(redis.call('HGET', KEYS[1], field) or '0') + tonumber(ARGV[3])
if value < 0 then value = 0 end
redis.call('HSET', KEYS[1], field, num(value))
-- Only ever lengthen the key's life: newer buckets may need longer than this one.
local ttl = bucket + MINUTE - now
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], num(ttl)) end
return 1
`;

const provisionedPrelude = `${prelude}
-- The stored level, at and rate, unless the entry has been forgotten (rules.ts: forgetAt).
local function load(key, now)
  local h = redis.call('HMGET', key, 'level', 'at', 'tpm')
  if not h[1] then return nil end
  local level, at, rate = tonumber(h[1]), tonumber(h[2]), tonumber(h[3])
  if now >= at + math.ceil(level / rate) + GRACE then return nil end
  return level, at, rate
end
local function drained(level, at, now, rate)
  local dt = now - at
  if dt < 0 then dt = 0 end
  local left = level - rate * dt
  if left < 0 then left = 0 end
  return left
end
local function store(key, level, now, rate)
  redis.call('HSET', key, 'level', num(level), 'at', num(now), 'tpm', num(rate))
  redis.call('PEXPIRE', key, num(math.ceil(level / rate) + GRACE))
end
`;

/** KEYS: ptu. ARGV: now, tokens, tokensPerMinute. {1, level after} or {0, level that refused}. */
export const reserveProvisionedLua = `${provisionedPrelude}
local now = clock(ARGV[1])
local rate = tonumber(ARGV[3])
local level, at = load(KEYS[1], now)
level = level and drained(level, at, now, rate) or 0
if level > rate * MINUTE then return {0, num(level)} end
level = level + tonumber(ARGV[2]) * UNITS
store(KEYS[1], level, now, rate)
return {1, num(level)}
`;

/** KEYS: ptu. ARGV: now, actual − estimate. Drains at the stored rate, then corrects, floor 0. */
export const settleProvisionedLua = `${provisionedPrelude}
local now = clock(ARGV[1])
local level, at, rate = load(KEYS[1], now)
if not level then return 0 end
level = drained(level, at, now, rate) + tonumber(ARGV[2]) * UNITS
if level < 0 then level = 0 end
store(KEYS[1], level, now, rate)
return 1
`;

/** KEYS: ptu. ARGV: now, tokensPerMinute. The level now, as a string; writes nothing. */
export const provisionedLevelLua = `${provisionedPrelude}
local now = clock(ARGV[1])
local level, at = load(KEYS[1], now)
return num(level and drained(level, at, now, tonumber(ARGV[2])) or 0)
`;
