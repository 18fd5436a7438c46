// What ends a choice besides maxTokens: the caller's stop strings, the end-of-turn markers of the
// chat template (node-llama-cpp's stopGenerationTriggers: special tokens or plain text) and a
// grammar's own triggers. Special tokens are matched as tokens, text as text (across tokens).

import { isLlamaText, type LlamaModel, type LlamaText, type Token } from 'node-llama-cpp';

export interface Stops {
  texts: string[];
  /** Single tokens that end the output (beyond the model's end-of-generation tokens). */
  tokens: Set<Token>;
  /** Token sequences that end it (special-token markers longer than one token). */
  sequences: Token[][];
}

type Trigger = LlamaText | string | readonly (string | Token)[];

export function resolveStops(model: LlamaModel, userStops: readonly string[] | undefined, triggers: readonly Trigger[]): Stops {
  const stops: Stops = { texts: (userStops ?? []).filter((s) => s.length > 0), tokens: new Set(), sequences: [] };
  for (const trigger of triggers) {
    if (typeof trigger === 'string') {
      stops.texts.push(trigger);
      continue;
    }
    if (!isLlamaText(trigger)) {
      // node-llama-cpp's mixed form: strings and token ids.
      const tokens = trigger.flatMap((part) => (typeof part === 'string' ? model.tokenize(part, false, 'trimLeadingSpace') : [part]));
      addTokens(stops, tokens);
      continue;
    }
    if (trigger.values.every((value) => typeof value === 'string')) {
      const text = trigger.values.join('');
      if (text.length > 0) stops.texts.push(text);
    } else {
      addTokens(stops, trigger.tokenize(model.tokenizer, 'trimLeadingSpace'));
    }
  }
  return stops;
}

function addTokens(stops: Stops, tokens: Token[]): void {
  if (tokens.length === 1) stops.tokens.add(tokens[0]!);
  else if (tokens.length > 1) stops.sequences.push(tokens);
}

export function endsWithSequence(generated: readonly Token[], sequences: readonly Token[][]): boolean {
  return sequences.some(
    (seq) => seq.length <= generated.length && seq.every((token, i) => generated[generated.length - seq.length + i] === token),
  );
}
