// OpenAI's sampling parameters onto node-llama-cpp's. OpenAI's defaults (temperature 1, top_p 1,
// no top-k) replace node-llama-cpp's (greedy, top-k 40, top-p 0.95).

import { randomInt } from 'node:crypto';
import { TokenBias, type LlamaModel, type Token } from 'node-llama-cpp';
import type { GenerationParams } from '../../core/inference.js';

export interface ChoiceSampling {
  temperature: number;
  topP: number;
  topK: 0;
  seed: number;
  tokenBias?: TokenBias;
  /** The caller's logit_bias as given (token id → bias), for biases built on top of it. */
  logitBias?: Record<string, number>;
  presencePenalty: number;
  frequencyPenalty: number;
}

/**
 * Choice `choice` of a request: with a seed, choice i draws from seed + i, so the choices differ
 * and a repeated request gives the same ones. Without a seed each choice gets a random one
 * (node-llama-cpp would seed from the clock in seconds: requests in the same second would then
 * draw the same text). llama.cpp seeds are 32-bit unsigned.
 */
export function choiceSampling(model: LlamaModel, params: GenerationParams, choice: number): ChoiceSampling {
  const seed = params.seed === undefined ? randomInt(2 ** 31) : (((params.seed + choice) % 2 ** 32) + 2 ** 32) % 2 ** 32;
  return {
    temperature: params.temperature ?? 1,
    topP: params.topP ?? 1,
    topK: 0,
    seed,
    tokenBias: tokenBias(model, params.logitBias),
    logitBias: params.logitBias,
    presencePenalty: params.presencePenalty ?? 0,
    frequencyPenalty: params.frequencyPenalty ?? 0,
  };
}

/** logit_bias is added to the logit before sampling, as OpenAI defines it; ±100 bans or forces. */
function tokenBias(model: LlamaModel, logitBias: Record<string, number> | undefined): TokenBias | undefined {
  if (logitBias === undefined || Object.keys(logitBias).length === 0) return undefined;
  const bias = new TokenBias(model.tokenizer);
  for (const [id, value] of Object.entries(logitBias)) bias.set(Number(id) as Token, { logit: value });
  return bias;
}

/**
 * OpenAI's presence/frequency penalties have llama.cpp's semantics already (logit -= present +
 * count·frequency, negative values allowed); the multiplicative repeat penalty stays off (1).
 * They count the completion so far, as OpenAI does.
 */
export function repeatPenaltyFor(sampling: ChoiceSampling, generated: readonly Token[]) {
  if (sampling.presencePenalty === 0 && sampling.frequencyPenalty === 0) return undefined;
  return {
    punishTokens: () => generated as Token[],
    penalty: 1,
    presencePenalty: sampling.presencePenalty,
    frequencyPenalty: sampling.frequencyPenalty,
  };
}
