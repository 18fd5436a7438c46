// Canonical token log-probabilities → the two wire forms: chat's `logprobs.content[]` and the
// legacy completions' parallel arrays (tokens, token_logprobs, top_logprobs, text_offset).

import type { TokenLogprob } from '../../core/index.js';

export function chatLogprobs(tokens: TokenLogprob[]) {
  return {
    content: tokens.map((t) => ({
      token: t.token,
      logprob: t.logprob,
      bytes: t.bytes,
      top_logprobs: t.topLogprobs.map((a) => ({ token: a.token, logprob: a.logprob, bytes: a.bytes })),
    })),
    refusal: null,
  };
}

/** `startOffset`: where these tokens begin in the choice's text (for text_offset). */
export function legacyLogprobs(tokens: TokenLogprob[], startOffset = 0) {
  const textOffset: number[] = [];
  let offset = startOffset;
  for (const t of tokens) {
    textOffset.push(offset);
    offset += t.token.length;
  }
  return {
    tokens: tokens.map((t) => t.token),
    token_logprobs: tokens.map((t) => t.logprob),
    top_logprobs: tokens.map((t) => Object.fromEntries(t.topLogprobs.map((a) => [a.token, a.logprob]))),
    text_offset: textOffset,
  };
}
