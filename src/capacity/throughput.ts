// Throughput of one provisioned throughput unit (PTU) per model: input tokens per minute, and
// how many input tokens one output token weighs. Azure publishes these per model (the
// provisioned throughput concepts page, 2025; approximate and subject to change there), so the
// table is only a default: LAPIS_PTU_THROUGHPUT overrides or adds entries.

import { readJsonObject } from './json-setting.js';

export interface PtuThroughput {
  inputTokensPerMinute: number;
  outputWeight: number;
}

const PUBLISHED: Record<string, PtuThroughput> = {
  'gpt-4o': { inputTokensPerMinute: 2500, outputWeight: 4 },
  'gpt-4o-mini': { inputTokensPerMinute: 37000, outputWeight: 4 },
  'gpt-4.1': { inputTokensPerMinute: 3000, outputWeight: 4 },
  'gpt-4.1-mini': { inputTokensPerMinute: 14900, outputWeight: 4 },
  'gpt-4.1-nano': { inputTokensPerMinute: 59400, outputWeight: 4 },
  'o3-mini': { inputTokensPerMinute: 2500, outputWeight: 4 },
  o1: { inputTokensPerMinute: 230, outputWeight: 4 },
};

/** What a model not in the table gets: gpt-4o's figures. */
export const DEFAULT_PTU_THROUGHPUT: PtuThroughput = PUBLISHED['gpt-4o']!;

export type ThroughputTable = (model: string) => PtuThroughput;

/** The table with `overrides` (parsed LAPIS_PTU_THROUGHPUT) merged over the published figures. */
export function throughputTable(overrides: Record<string, PtuThroughput> = {}): ThroughputTable {
  const table = new Map<string, PtuThroughput>();
  for (const [model, t] of Object.entries({ ...PUBLISHED, ...overrides })) table.set(model.toLowerCase(), t);
  return (model) => table.get(model.toLowerCase()) ?? DEFAULT_PTU_THROUGHPUT;
}

/** Reads LAPIS_PTU_THROUGHPUT; throws a message naming the bad entry. */
export function parseThroughput(json: string): Record<string, PtuThroughput> {
  const raw = readJsonObject('ptuThroughput', json, 'model → {inputTokensPerMinute, outputWeight}');
  const out: Record<string, PtuThroughput> = {};
  for (const [model, v] of Object.entries(raw)) {
    const t = v as Partial<PtuThroughput>;
    if (typeof t?.inputTokensPerMinute !== 'number' || !(t.inputTokensPerMinute > 0)) throw new Error(`ptuThroughput['${model}'].inputTokensPerMinute must be a positive number`);
    const outputWeight = t.outputWeight ?? 1;
    if (typeof outputWeight !== 'number' || !(outputWeight > 0)) throw new Error(`ptuThroughput['${model}'].outputWeight must be a positive number`);
    out[model] = { inputTokensPerMinute: t.inputTokensPerMinute, outputWeight };
  }
  return out;
}
