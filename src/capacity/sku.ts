// What a deployment's SKU means for capacity (shared/reference/azure-api.md §5): Standard types
// count capacity in units of 1,000 tokens per minute with 6 requests per minute per unit;
// Provisioned types count PTUs, whose throughput depends on the model (throughput.ts).

import type { Deployment } from '../core/index.js';

export const STANDARD_SKUS = ['Standard', 'GlobalStandard', 'DataZoneStandard'] as const;
export const PROVISIONED_SKUS = ['ProvisionedManaged', 'GlobalProvisionedManaged', 'DataZoneProvisionedManaged'] as const;
export const BATCH_SKUS = ['GlobalBatch', 'DataZoneBatch'] as const;

export type CapacityKind = 'standard' | 'provisioned' | 'batch';

export function capacityKind(skuName: string): CapacityKind | undefined {
  if ((STANDARD_SKUS as readonly string[]).includes(skuName)) return 'standard';
  if ((PROVISIONED_SKUS as readonly string[]).includes(skuName)) return 'provisioned';
  if ((BATCH_SKUS as readonly string[]).includes(skuName)) return 'batch';
  return undefined;
}

/** Tokens per minute of one Standard capacity unit. */
export const TOKENS_PER_UNIT = 1000;
/** Requests per minute per 1,000 TPM. */
export const REQUESTS_PER_MINUTE_PER_UNIT = 6;
/** Azure enforces the request rate over short windows; Lapis uses 10 s (RPM / 6 per window). */
export const REQUEST_WINDOW_MS = 10_000;

/** The model name quota and throughput tables key on. */
export function modelNameOf(deployment: Deployment): string {
  return deployment.properties.model.name;
}
