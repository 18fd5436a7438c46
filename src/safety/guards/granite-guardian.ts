// Granite Guardian (3.x): one request per harm category, the system message naming the risk
// the model's chat template should check, as Ollama's granite3-guardian takes it
// (https://ollama.com/library/granite3-guardian). The answer is "Yes" (the risk is present) or
// "No"; version 3.2 appends "<confidence> High </confidence>", which is not read.

import type { HarmCategory } from '../classifier/index.js';
import { SAFE, UNSAFE } from '../external.js';
import { conversation, unreadable, type GuardFormat, type GuardQuery } from './guard-format.js';

/** Granite Guardian's risk names for Azure's categories ("harm" is its umbrella risk, the nearest to self-harm it has). */
export const GRANITE_RISKS: Record<HarmCategory, string> = {
  hate: 'social_bias',
  sexual: 'sexual_content',
  violence: 'violence',
  self_harm: 'harm',
};

export function parseGraniteGuardian(answer: string): 'unsafe' | 'safe' {
  const verdict = answer
    .trim()
    .replace(/<confidence>[^<]*<\/confidence>$/i, '')
    .trim()
    .toLowerCase();
  if (verdict === 'yes') return 'unsafe';
  if (verdict === 'no') return 'safe';
  throw unreadable('Granite Guardian', answer);
}

export const GRANITE_GUARDIAN: GuardFormat = {
  queries: (input) =>
    (Object.keys(GRANITE_RISKS) as HarmCategory[]).map((category): GuardQuery => ({
      messages: [{ role: 'system', content: GRANITE_RISKS[category] }, ...conversation(input)],
      parse: (answer) => ({ [category]: parseGraniteGuardian(answer) === 'unsafe' ? UNSAFE : SAFE }),
    })),
};
