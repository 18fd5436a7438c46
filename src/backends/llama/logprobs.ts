// Log-probabilities from what node-llama-cpp reports per sampled token. Its probabilities are of
// the distribution llama.cpp samples from: the model's logits plus logit_bias and penalties,
// masked by the grammar when one constrains the output, truncated to the nucleus when top_p < 1,
// and divided by the temperature. The temperature is undone here (exactly: softmax(z/T) raised
// to the power T and renormalised is softmax(z)), so the figures describe the model rather than
// the sampling settings, as OpenAI's do.

import type { Token } from 'node-llama-cpp';
import type { TokenLogprob, TopLogprob } from '../../core/inference.js';
import type { TokenTexts } from './token-texts.js';

/** OpenAI reports tokens the distribution rules out with this value rather than -Infinity (not valid JSON). */
export const LOGPROB_FLOOR = -9999;

export interface SampledStep {
  token: Token;
  /** Probability of the sampled token. */
  confidence?: number;
  /** The whole distribution, most likely first. */
  probabilities?: Map<Token, number>;
}

/** What to ask node-llama-cpp for at each step to report `topN` alternatives at `temperature`. */
export function metadataFor(topN: number, temperature: number): { confidence: true; probabilities: boolean } {
  return { confidence: true, probabilities: topN > 0 || temperatureFactor(temperature) !== 1 };
}

/** Greedy decoding (T = 0) does not scale logits; neither does T = 1. */
function temperatureFactor(temperature: number): number {
  return temperature > 0 ? temperature : 1;
}

const clamp = (logprob: number): number => (Number.isFinite(logprob) ? Math.max(LOGPROB_FLOOR, logprob) : LOGPROB_FLOOR);

export function stepLogprob(
  texts: TokenTexts,
  step: SampledStep,
  topN: number,
  temperature: number,
  previous: readonly Token[],
): TokenLogprob {
  const factor = temperatureFactor(temperature);
  let logprobOf: (p: number) => number = (p) => Math.log(p);
  if (factor !== 1 && step.probabilities !== undefined) {
    let max = -Infinity;
    for (const p of step.probabilities.values()) if (p > 0) max = Math.max(max, factor * Math.log(p));
    let sum = 0;
    for (const p of step.probabilities.values()) if (p > 0) sum += Math.exp(factor * Math.log(p) - max);
    const logZ = max + Math.log(sum);
    logprobOf = (p) => factor * Math.log(p) - logZ;
  }
  const chosen = step.probabilities?.get(step.token) ?? step.confidence ?? 0;
  const top: TopLogprob[] = [];
  if (topN > 0 && step.probabilities !== undefined) {
    for (const [token, p] of step.probabilities) {
      if (top.length >= topN) break;
      top.push(texts.entry(token, clamp(logprobOf(p)), previous));
    }
  }
  return { ...texts.entry(step.token, clamp(logprobOf(chosen)), previous), topLogprobs: top };
}

/**
 * Log-probability of `actual` from the raw logits of one prompt position (controlledEvaluate
 * with logits of the top tokens and of `actual`, and the total weight Σ exp(logit − max)).
 */
export function promptLogprob(
  texts: TokenTexts,
  actual: Token,
  logits: Map<Token, number>,
  totalLogitWeight: number,
  topN: number,
  previous: readonly Token[],
): TokenLogprob {
  let max = -Infinity;
  for (const logit of logits.values()) max = Math.max(max, logit);
  const logZ = max + Math.log(totalLogitWeight);
  const sorted = [...logits.entries()].sort((a, b) => b[1] - a[1]);
  const top = sorted.slice(0, topN).map(([token, logit]) => texts.entry(token, clamp(logit - logZ), previous));
  const own = logits.get(actual);
  return { ...texts.entry(actual, clamp(own === undefined ? -Infinity : own - logZ), previous), topLogprobs: top };
}
