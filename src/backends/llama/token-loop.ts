// One choice decoded token by token on its own context sequence (LlamaContextSequence
// .evaluateWithMetadata): sampling with the request's settings, a grammar when the output is
// constrained, log-probabilities from the sampled distribution, stop strings and markers, and an
// abort checked after every token. Sequences of one context that decode at the same time share
// node-llama-cpp's batches. Runs in the model process.

import { LlamaGrammarEvaluationState, type LlamaContextSequence, type LlamaGrammar, type Token } from 'node-llama-cpp';
import type { TokenLogprob } from '../../core/inference.js';
import { metadataFor, stepLogprob } from './logprobs.js';
import type { ModelHost } from './model-host.js';
import { repeatPenaltyFor, type ChoiceSampling } from './sampling.js';
import { endsWithSequence, type Stops } from './stops.js';
import { TextOutput, type Emit } from './text-output.js';
import { Utf8Guard } from './utf8-guard.js';

const REPLACEMENT = '\uFFFD';
/** A UTF-8 character spans at most 4 byte tokens: hold no more than that for it to complete. */
const MAX_PARTIAL_TOKENS = 4;
/** Tokens of context for detokenizing (SentencePiece's leading space depends on what precedes). */
const DETOKENIZE_CONTEXT = 4;

export interface TokenLoopInput {
  sequence: LlamaContextSequence;
  /** Tokens to evaluate first: what of the prompt the sequence does not hold yet (at least one). */
  input: Token[];
  /** The tokens before the output (its first tokens are detokenized after them). */
  before: readonly Token[];
  maxTokens: number;
  sampling: ChoiceSampling;
  grammar?: LlamaGrammar;
  stops: Stops;
  /** undefined: no log-probabilities; n: with the n most likely alternatives. */
  logprobs?: number;
  trimTrailingWhitespace?: boolean;
  signal: AbortSignal;
  emit: Emit;
}

export interface TokenLoopResult {
  finishReason: 'stop' | 'length';
  /** Sampled tokens, including an end token or the tokens of a stop string that were not emitted. */
  completionTokens: number;
  aborted: boolean;
}

/** Resets the sequence to the longest prefix it shares with `prompt` and returns the tokens left to evaluate. */
export async function alignSequence(sequence: LlamaContextSequence, prompt: Token[], reuse = true): Promise<Token[]> {
  // One token is always evaluated again: sampling needs the logits of the last prompt position.
  const keep = reuse ? Math.min(sequence.compareContextTokens(prompt).firstDifferentIndex, prompt.length - 1) : 0;
  if (keep < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
  // Models that cannot erase part of their state (recurrent, sliding window) clear more.
  return prompt.slice(sequence.nextTokenIndex);
}

export async function runTokenLoop(host: ModelHost, req: TokenLoopInput): Promise<TokenLoopResult> {
  const { model } = host;
  const { sampling, stops, signal, logprobs } = req;
  const generated: Token[] = [];
  let completionTokens = 0;
  if (signal.aborted) return { finishReason: 'stop', completionTokens, aborted: true };

  const output = new TextOutput(stops.texts, req.emit, logprobs !== undefined, req.trimTrailingWhitespace);
  const recent = (count: number): Token[] => [...req.before.slice(-DETOKENIZE_CONTEXT), ...generated.slice(0, count)].slice(-DETOKENIZE_CONTEXT);
  let pending: Token[] = [];
  let pendingLogprobs: TokenLogprob[] = [];
  let finishReason: 'stop' | 'length' = 'stop';

  // Under a grammar, byte tokens must also spell valid UTF-8 (utf8-guard.ts).
  const guard = req.grammar === undefined ? undefined : Utf8Guard.for(model, host.texts.byteTokens, sampling.logitBias);
  const steps = req.sequence.evaluateWithMetadata(req.input, logprobs === undefined ? {} : metadataFor(logprobs, sampling.temperature), {
    temperature: sampling.temperature,
    topP: sampling.topP,
    topK: sampling.topK,
    seed: sampling.seed,
    tokenBias: guard === undefined ? sampling.tokenBias : () => guard.bias(),
    repeatPenalty: repeatPenaltyFor(sampling, generated),
    grammarEvaluationState: req.grammar === undefined ? undefined : new LlamaGrammarEvaluationState({ model, grammar: req.grammar }),
    // The end token is seen (and counted) here rather than ending the iteration unseen.
    yieldEogToken: true,
  });
  for await (const step of steps) {
    completionTokens++;
    if (signal.aborted) return { finishReason, completionTokens, aborted: true };
    const { token } = step;
    if (model.isEogToken(token) || stops.tokens.has(token)) break;
    guard?.accept(token);
    if (logprobs !== undefined) {
      pendingLogprobs.push(stepLogprob(host.texts, step, logprobs, sampling.temperature, recent(generated.length)));
    }
    generated.push(token);
    pending.push(token);
    if (endsWithSequence(generated, stops.sequences)) break;
    const last = completionTokens >= req.maxTokens;
    const text = model.detokenize(pending, false, recent(generated.length - pending.length));
    // Part of a multi-byte character: wait for the rest before it becomes text.
    if (text.endsWith(REPLACEMENT) && pending.length < MAX_PARTIAL_TOKENS && !last) continue;
    pending = [];
    const stopped = output.push(text, pendingLogprobs);
    pendingLogprobs = [];
    if (stopped) return { finishReason: 'stop', completionTokens, aborted: false };
    if (last) {
      finishReason = 'length';
      break;
    }
  }
  if (pending.length > 0) output.push(model.detokenize(pending, false, recent(generated.length - pending.length)), pendingLogprobs);
  output.finish();
  return { finishReason, completionTokens, aborted: false };
}
