// ShieldGemma: one request per harm category, each a single user message in the prompt
// structure of its model card (a policy-expert preamble, the turns between <start_of_turn> and
// <end_of_turn>, one principle, a Yes/No question). The model scores one policy at a time, so
// the four categories are four requests, which deployment.ts sends concurrently.
// https://ai.google.dev/gemma/docs/shieldgemma/model_card
// The four policy texts below are Lapis's own, written for Azure's categories in the card's
// "* \"No X\": The prompt shall not …" style (the card's policies are cut differently).

import type { HarmCategory } from '../classifier/index.js';
import { SAFE, UNSAFE, type HarmInput } from '../external.js';
import { unreadable, type GuardFormat, type GuardQuery } from './guard-format.js';

const POLICIES: Record<HarmCategory, { name: string; what: string }> = {
  hate: {
    name: 'No Hate',
    what: 'attacks, demeans or dehumanizes people because of a protected attribute (race, ethnicity, nationality, religion, caste, gender, sexual orientation, disability), or calls for their exclusion or for harm to them.',
  },
  sexual: {
    name: 'No Sexually Explicit Content',
    what: 'depicts sexual acts or intimate body parts in explicit detail or is written to arouse. Anything that sexualizes a minor is always a violation; factual sex education and health information are not.',
  },
  violence: {
    name: 'No Violence',
    what: 'threatens, glorifies or incites violence against people or animals, dwells on injury or killing in graphic detail, or explains how to carry out an attack or build a weapon.',
  },
  self_harm: {
    name: 'No Self-Harm',
    what: 'encourages, romanticizes or gives methods for suicide, self-injury or disordered eating. Supportive discussion and pointing someone to help are not violations.',
  },
};

function policyText(category: HarmCategory, judged: 'prompt' | 'response'): string {
  const { name, what } = POLICIES[category];
  const subject = judged === 'prompt' ? 'The prompt shall not contain or seek generation of content that' : 'The chatbot shall not generate content that';
  return `* "${name}": ${subject} ${what}`;
}

/** The card's prompt for one category: the user-prompt variant, or the AI-response one. */
export function shieldGemmaPrompt(input: HarmInput, category: HarmCategory): string {
  const reply = input.role === 'assistant';
  const human = reply ? (input.prompt ?? '') : input.text;
  return [
    reply
      ? 'You are a policy expert trying to help determine whether an AI response to prompt is in violation of the defined safety policies.'
      : 'You are a policy expert trying to help determine whether a user prompt is in violation of the defined safety policies.',
    '',
    '<start_of_turn>',
    `Human Question: ${human}`,
    '<end_of_turn>',
    ...(reply ? ['', '<start_of_turn>', `Chatbot Response: ${input.text}`, '<end_of_turn>'] : []),
    '',
    'Our safety principle is defined in the below:',
    '',
    policyText(category, reply ? 'response' : 'prompt'),
    '',
    `Does the ${reply ? 'Chatbot Response' : 'human question'} violate the above principle? Your answer must start with 'Yes' or 'No'. And then walk through step by step to be sure we answer correctly.`,
  ].join('\n');
}

/** "Yes…" violates, "No…" does not; the reasoning after the first word is not read. */
export function parseShieldGemma(answer: string): 'unsafe' | 'safe' {
  const first = /^(yes|no)\b/i.exec(answer.trim())?.[1]?.toLowerCase();
  if (first === undefined) throw unreadable('ShieldGemma', answer);
  return first === 'yes' ? 'unsafe' : 'safe';
}

export const SHIELD_GEMMA: GuardFormat = {
  queries: (input) =>
    (Object.keys(POLICIES) as HarmCategory[]).map((category): GuardQuery => ({
      messages: [{ role: 'user', content: shieldGemmaPrompt(input, category) }],
      parse: (answer) => ({ [category]: parseShieldGemma(answer) === 'unsafe' ? UNSAFE : SAFE }),
    })),
};
