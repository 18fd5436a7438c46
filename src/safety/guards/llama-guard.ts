// Llama Guard 3: one request with the conversation; the model's chat template embeds the
// hazard taxonomy (MLCommons S1–S14), so the messages are the bare turns. The answer is
// "safe", or "unsafe" and a line of violated codes, e.g. "unsafe\nS1,S10".
// https://github.com/meta-llama/PurpleLlama/blob/main/Llama-Guard3/8B/MODEL_CARD.md

import type { HarmCategory } from '../classifier/index.js';
import { allSafe, UNSAFE, type HarmSeverities } from '../external.js';
import { conversation, unreadable, type GuardFormat } from './guard-format.js';

/** The Llama Guard 3 hazards that fall in an Azure harm category; the rest (S2 non-violent crimes, S5 defamation, …) have none. */
const AZURE_CATEGORY: Record<string, HarmCategory> = {
  S1: 'violence', // Violent Crimes
  S3: 'sexual', // Sex-Related Crimes
  S4: 'sexual', // Child Sexual Exploitation
  S9: 'violence', // Indiscriminate Weapons
  S10: 'hate', // Hate
  S11: 'self_harm', // Suicide & Self-Harm
  S12: 'sexual', // Sexual Content
};

export function parseLlamaGuard(answer: string): HarmSeverities {
  const lines = answer.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const verdict = lines[0]?.toLowerCase();
  if (verdict === 'safe' && lines.length === 1) return allSafe();
  if (verdict !== 'unsafe' || lines.length > 2) throw unreadable('Llama Guard', answer);
  const found = allSafe();
  const codesLine = lines[1];
  if (codesLine === undefined) {
    // "unsafe" without codes says something is wrong but not what: flag every category rather
    // than let an unsafe verdict pass as safe (safety fails closed, DESIGN.md).
    for (const category of Object.keys(found) as HarmCategory[]) found[category] = UNSAFE;
    return found;
  }
  for (const raw of codesLine.split(',')) {
    const code = raw.trim().toUpperCase();
    if (!/^S\d{1,2}$/.test(code)) throw unreadable('Llama Guard', answer);
    const category = AZURE_CATEGORY[code];
    if (category !== undefined) found[category] = UNSAFE;
  }
  return found;
}

export const LLAMA_GUARD: GuardFormat = {
  queries: (input) => [{ messages: conversation(input), parse: parseLlamaGuard }],
};
