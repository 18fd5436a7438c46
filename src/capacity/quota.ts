// Quota: how much capacity the deployments of a subscription may hold in one region, per
// deployment type and model, as Azure's usages API reports it ("Tokens Per Minute (thousands)
// - gpt-4o" for Standard types, PTUs for Provisioned ones). Limits come from configuration
// (the operator plays the role of Azure's quota requests); deployments without a capacity use
// none.

import type { Deployment } from '../core/index.js';
import { readJsonObject } from './json-setting.js';
import { capacityKind, modelNameOf } from './sku.js';

export interface QuotaName {
  /** `OpenAI.Standard.gpt-4o`, `OpenAI.ProvisionedManaged.gpt-4o`, … */
  value: string;
  localizedValue: string;
}

export interface QuotaUsage {
  name: QuotaName;
  currentValue: number;
  limit: number;
}

export interface QuotaSettings {
  /** Limit per usage name (`OpenAI.Standard.gpt-4o`) or per deployment type (`OpenAI.Standard`). */
  limits: Record<string, number>;
  /** Limit of a Standard usage name not listed. */
  defaultStandard: number;
  /** Limit of a Provisioned usage name not listed. */
  defaultProvisioned: number;
}

/** The usage a deployment's capacity counts against; none for SKUs without quota or without a capacity. */
export function quotaNameOf(deployment: Pick<Deployment, 'sku' | 'properties'>): QuotaName | undefined {
  const kind = capacityKind(deployment.sku.name);
  if (deployment.sku.capacity === undefined || (kind !== 'standard' && kind !== 'provisioned')) return undefined;
  const model = modelNameOf(deployment as Deployment);
  const what = kind === 'standard' ? 'Tokens Per Minute (thousands)' : 'Provisioned Throughput Units';
  return { value: `OpenAI.${deployment.sku.name}.${model}`, localizedValue: `${what} - ${deployment.sku.name} - ${model}` };
}

export function quotaLimit(settings: QuotaSettings, name: QuotaName): number {
  const [, sku] = name.value.split('.');
  const exact = Object.entries(settings.limits).find(([k]) => k.toLowerCase() === name.value.toLowerCase());
  if (exact) return exact[1];
  const byType = Object.entries(settings.limits).find(([k]) => k.toLowerCase() === `openai.${sku}`.toLowerCase());
  if (byType) return byType[1];
  return capacityKind(sku ?? '') === 'provisioned' ? settings.defaultProvisioned : settings.defaultStandard;
}

/** Usage per quota name over `deployments` (those of one subscription and region). */
export function quotaUsages(settings: QuotaSettings, deployments: readonly Deployment[]): QuotaUsage[] {
  const byName = new Map<string, QuotaUsage>();
  for (const d of deployments) {
    const name = quotaNameOf(d);
    if (!name) continue;
    const usage = byName.get(name.value) ?? { name, currentValue: 0, limit: quotaLimit(settings, name) };
    usage.currentValue += d.sku.capacity ?? 0;
    byName.set(name.value, usage);
  }
  return [...byName.values()].sort((a, b) => a.name.value.localeCompare(b.name.value));
}

/**
 * Why `wanted` cannot be deployed next to `others` (the rest of the subscription's deployments in
 * the region, without the one being replaced), in Azure's InsufficientQuota wording; undefined when it can.
 */
export function quotaShortfall(settings: QuotaSettings, wanted: Pick<Deployment, 'sku' | 'properties'>, replaced: Deployment | undefined, others: readonly Deployment[]): string | undefined {
  const name = quotaNameOf(wanted);
  if (!name) return undefined;
  const used = others.filter((d) => quotaNameOf(d)?.value === name.value).reduce((sum, d) => sum + (d.sku.capacity ?? 0), 0);
  const before = replaced && quotaNameOf(replaced)?.value === name.value ? (replaced.sku.capacity ?? 0) : 0;
  const limit = quotaLimit(settings, name);
  const need = (wanted.sku.capacity ?? 0) - before;
  const current = used + before;
  const available = Math.max(0, limit - current);
  if (need <= available) return undefined;
  return (
    `This operation require ${need} new capacity in quota ${name.localizedValue}, which is bigger than the current available capacity ${available}. ` +
    `The current quota usage is ${current} and the quota limit is ${limit} for quota ${name.localizedValue}.`
  );
}

/** Reads LAPIS_QUOTAS: usage name or deployment type → non-negative integer. */
export function parseQuotas(json: string): Record<string, number> {
  const raw = readJsonObject('quotas', json, 'usage name → limit');
  for (const [name, v] of Object.entries(raw)) {
    if (!Number.isInteger(v) || (v as number) < 0) throw new Error(`quotas['${name}'] must be a non-negative integer`);
  }
  return raw as Record<string, number>;
}
