// Model prices in USD per million tokens, input and output: what the model router ranks the
// deployments it chooses among by (price as a proxy for capability). The table holds OpenAI's
// published list prices (https://openai.com/api/pricing, 2025) — they change, and Azure's differ
// a little by region and deployment type — so it is only a default: LAPIS_MODEL_PRICES
// overrides or adds entries. A model in neither (a local model) costs 0.

import { readJsonObject } from './json-setting.js';

export interface ModelPrice {
  /** USD per 1M input tokens. */
  input: number;
  /** USD per 1M output tokens. */
  output: number;
}

const PUBLISHED: Record<string, ModelPrice> = {
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'o4-mini': { input: 1.1, output: 4.4 },
  o3: { input: 2, output: 8 },
  'gpt-5': { input: 1.25, output: 10 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
};

/** What a model in no table costs: nothing (a model the operator runs). */
export const UNKNOWN_PRICE: ModelPrice = { input: 0, output: 0 };

export type PriceTable = (model: string) => ModelPrice;

/** The table with `overrides` (parsed LAPIS_MODEL_PRICES) merged over the published prices; names compare without case. */
export function priceTable(overrides: Record<string, ModelPrice> = {}): PriceTable {
  const table = new Map<string, ModelPrice>();
  for (const [model, p] of Object.entries({ ...PUBLISHED, ...overrides })) table.set(model.toLowerCase(), p);
  return (model) => table.get(model.toLowerCase()) ?? UNKNOWN_PRICE;
}

/** Reads LAPIS_MODEL_PRICES (`{"my-model": {"input": 0.5, "output": 2}}`); throws a message naming the bad entry. */
export function parseModelPrices(json: string): Record<string, ModelPrice> {
  const raw = readJsonObject('modelPrices', json, 'model → {input, output} (USD per 1M tokens)');
  const out: Record<string, ModelPrice> = {};
  for (const [model, v] of Object.entries(raw)) {
    const p = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
    const unknown = Object.keys(p).find((k) => k !== 'input' && k !== 'output');
    if (unknown !== undefined) throw new Error(`modelPrices['${model}'] has an unknown member '${unknown}' (expected input and output)`);
    for (const side of ['input', 'output'] as const) {
      const n = p[side];
      if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new Error(`modelPrices['${model}'].${side} must be a non-negative number (USD per 1M tokens)`);
    }
    out[model] = { input: p.input as number, output: p.output as number };
  }
  return out;
}
