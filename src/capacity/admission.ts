// Capacity admission: a deployment's SKU turned into limits, checked against the shared
// counters before the request runs, and settled with the real usage after it. Standard types:
// requests per 10-second window and tokens per sliding minute; Provisioned types: utilization of
// the PTUs' weighted throughput. A deployment without a capacity is not limited.

import type { Deployment, Limiter, Refusal, Reservation } from '../core/index.js';
import { LimiterUnavailableError } from '../core/index.js';
import { REQUEST_WINDOW_MS, TOKENS_PER_UNIT, capacityKind, modelNameOf } from './sku.js';
import type { ThroughputTable } from './throughput.js';

export interface Estimate {
  promptTokens: number;
  /** The output allowance: max_tokens (or the default) × n. */
  completionTokens: number;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/** An admitted request: the headers its response carries, and how to settle it. */
export interface Ticket {
  headers: Record<string, string>;
  /** Replaces the estimate by the real usage; once (later calls do nothing). */
  settle(usage: Usage): Promise<void>;
}

export type Admission = { admitted: true; ticket: Ticket } | { admitted: false; refusal: Refusal; limits: Record<string, string> };

/** The ticket of a request to a deployment that is not limited: no headers, nothing to settle. */
export const UNLIMITED: Ticket = { headers: {}, settle: async () => undefined };

export interface CapacityOptions {
  limiter: Limiter;
  throughput: ThroughputTable;
  /** Used when `limiter` cannot be reached and the policy is to fall back to local counts; absent = fail closed. */
  fallback?: Limiter;
}

export class Capacity {
  constructor(private readonly options: CapacityOptions) {}

  /** Whether requests to this deployment are counted at all. */
  limits(deployment: Deployment): boolean {
    const kind = capacityKind(deployment.sku.name);
    return deployment.sku.capacity !== undefined && (kind === 'standard' || kind === 'provisioned');
  }

  /**
   * Admits a request or says why not. Throws LimiterUnavailableError when the shared counters
   * cannot be reached and there is no fallback (the caller answers 503).
   */
  async admit(deployment: Deployment, estimate: Estimate): Promise<Admission> {
    if (!this.limits(deployment)) return { admitted: true, ticket: UNLIMITED };
    try {
      return await this.admitWith(this.options.limiter, deployment, estimate);
    } catch (error) {
      if (!(error instanceof LimiterUnavailableError) || !this.options.fallback) throw error;
      return this.admitWith(this.options.fallback, deployment, estimate);
    }
  }

  private async admitWith(limiter: Limiter, deployment: Deployment, estimate: Estimate): Promise<Admission> {
    const capacity = deployment.sku.capacity!;
    const key = `deployment:${deployment.id}`;
    if (capacityKind(deployment.sku.name) === 'provisioned') {
      const t = this.options.throughput(modelNameOf(deployment));
      const weighted = (u: Usage) => Math.ceil(u.promptTokens + u.completionTokens * t.outputWeight);
      const limits = { tokensPerMinute: capacity * t.inputTokensPerMinute };
      const got = await limiter.reserveProvisioned(key, weighted(estimate), limits);
      if (!got.admitted) return { admitted: false, refusal: got, limits: { 'azure-openai-deployment-utilization': percent(got.utilization ?? 100) } };
      const headers = { 'azure-openai-deployment-utilization': percent(got.utilization) };
      return { admitted: true, ticket: ticket(limiter, got.reservation, headers, weighted) };
    }
    const limits = { requestsPerWindow: capacity, requestWindowMs: REQUEST_WINDOW_MS, tokensPerMinute: capacity * TOKENS_PER_UNIT };
    // RPM as Azure states it (6 per 1,000 TPM); enforced per 10-second window.
    const limitHeaders = { 'x-ratelimit-limit-requests': String(capacity * 6), 'x-ratelimit-limit-tokens': String(limits.tokensPerMinute) };
    const got = await limiter.reserveStandard(key, estimate.promptTokens + estimate.completionTokens, limits);
    if (!got.admitted) return { admitted: false, refusal: got, limits: limitHeaders };
    const headers = {
      ...limitHeaders,
      'x-ratelimit-remaining-requests': String(got.remainingRequests),
      'x-ratelimit-remaining-tokens': String(got.remainingTokens),
    };
    return { admitted: true, ticket: ticket(limiter, got.reservation, headers, (u) => u.promptTokens + u.completionTokens) };
  }

  /** Provisioned utilization now (for metrics and the portal); undefined for other deployments. */
  async utilization(deployment: Deployment): Promise<number | undefined> {
    if (!this.limits(deployment) || capacityKind(deployment.sku.name) !== 'provisioned') return undefined;
    const t = this.options.throughput(modelNameOf(deployment));
    return this.options.limiter.utilization(`deployment:${deployment.id}`, { tokensPerMinute: deployment.sku.capacity! * t.inputTokensPerMinute });
  }
}

function ticket(limiter: Limiter, reservation: Reservation, headers: Record<string, string>, cost: (u: Usage) => number): Ticket {
  let settled = false;
  return {
    headers,
    async settle(usage) {
      if (settled) return;
      settled = true;
      // A lost settlement leaves the estimate counted: never worth failing a finished response for.
      await limiter.settle(reservation, cost(usage)).catch(() => undefined);
    },
  };
}

/** Azure's utilization header: a percentage with one decimal and a % sign ("42.5%"). */
function percent(value: number): string {
  return `${(Math.round(value * 10) / 10).toFixed(1)}%`;
}
