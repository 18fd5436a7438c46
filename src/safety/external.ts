// The port of classifiers that run outside the process: a guard model behind a Lapis deployment
// (src/safety/guards/deployment.ts) or an Azure AI Content Safety HTTP service
// (src/safety/guards/content-safety.ts). A policy that names one grades the four harm categories
// with it instead of the built-in classifier; policy.ts applies the policy's timeout and failure
// mode around every call, so implementations only classify and throw when they cannot.

import type { HarmCategory, Severity } from './classifier/index.js';

export type HarmSeverities = Record<HarmCategory, Severity>;

export interface HarmInput {
  /** The text graded: the prompt, or (a segment of) the completion. */
  text: string;
  /** Whose words `text` is: guard formats judge a user turn and an assistant reply differently. */
  role: 'user' | 'assistant';
  /** For an assistant reply, the user's words it answers (guard models judge a reply in context). */
  prompt?: string;
}

export interface ShieldInput {
  userPrompt?: string;
  documents: string[];
}

export interface ShieldResult {
  /** Undefined when no user prompt was given. */
  userPromptAttack?: boolean;
  /** One per document, in order. */
  documentAttacks: boolean[];
}

export interface ExternalClassifier {
  /** For error messages and logs, e.g. "guard deployment 'llama-guard' (LlamaGuard)". */
  readonly description: string;
  /** Severities of the four categories; categories the classifier does not grade come back safe. */
  harms(input: HarmInput, signal: AbortSignal): Promise<HarmSeverities>;
  /** Prompt shields, where the classifier has them; absent = the built-in detectors run. */
  shieldPrompt?(input: ShieldInput, signal: AbortSignal): Promise<ShieldResult>;
}

/** Thrown by an implementation when the classifier answered but not in a form it understands. */
export class ClassifierAnswerError extends Error {}

export const SAFE: Severity = { severity: 'safe', level: 0 };
/** A guard model's binary "unsafe": medium, so the default threshold filters it and a High one only annotates. */
export const UNSAFE: Severity = { severity: 'medium', level: 4 };

/** Azure's 0–7 severity scale folded to the four levels (0–1 safe, 2–3 low, 4–5 medium, 6–7 high). */
export function severityOfLevel(level: number): Severity {
  if (level >= 6) return { severity: 'high', level: 6 };
  if (level >= 4) return { severity: 'medium', level: 4 };
  if (level >= 2) return { severity: 'low', level: 2 };
  return SAFE;
}

export function allSafe(): HarmSeverities {
  return { hate: SAFE, sexual: SAFE, violence: SAFE, self_harm: SAFE };
}
