export { loadPoolBackend, type PoolLoadOptions } from './load.js';
export { PoolBackend, POOL_DEFAULTS, type MemberStatus, type PoolLog, type PoolMember, type PoolOptions } from './pool-backend.js';
export type { BreakerState } from './breaker.js';
