// What a guard-model format is: the chat requests to send for one text, and how to read each
// answer. Formats are pure (no I/O), so the deployment classifier (deployment.ts) owns sending,
// concurrency and cancellation, and formats can be tested on strings alone.

import type { ChatMessage } from '../../core/inference.js';
import type { Severity } from '../classifier/index.js';
import { ClassifierAnswerError, type HarmInput, type HarmSeverities } from '../external.js';

export interface GuardQuery {
  /** Sent through backend.chat(), so the model's own chat template wraps them as its server would. */
  messages: ChatMessage[];
  /** Severities this answer grades; categories left out stay as the other queries found them. */
  parse(answer: string): Partial<HarmSeverities>;
}

export interface GuardFormat {
  queries(input: HarmInput): GuardQuery[];
}

/** An answer the format cannot read; quotes what the model said, cut so a rambling model cannot flood a log. */
export function unreadable(format: string, answer: string): ClassifierAnswerError {
  const flat = answer.trim().replace(/\s+/g, ' ');
  const quoted = flat.length > 80 ? `${flat.slice(0, 80)}…` : flat;
  return new ClassifierAnswerError(`${format} answer not understood: "${quoted}"`);
}

/** The worse of two severities (levels are ordered: 0 safe < 2 low < 4 medium < 6 high). */
export function worse(a: Severity, b: Severity): Severity {
  return b.level > a.level ? b : a;
}

/** The turns a guard judges: the user's text alone, or the reply with the prompt it answers. */
export function conversation(input: HarmInput): ChatMessage[] {
  if (input.role === 'user') return [{ role: 'user', content: input.text }];
  return [
    { role: 'user', content: input.prompt ?? '' },
    { role: 'assistant', content: input.text },
  ];
}
