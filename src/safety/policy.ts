// A content-filter policy applied to text: the classifier's findings, graded against the
// policy's filters for one source (Prompt or Completion), as Azure's annotations
// (shared/reference/azure-api.md §3.2, §6.3). Pure: the data plane gathers the texts and the
// compiled blocklists and decides what to do with a filtered result.

import type { RaiContentFilter, RaiFilterName, RaiPolicyContent, RaiSource } from '../core/index.js';
import type { BlocklistMatcher } from './blocklists.js';
import { matchBlocklists } from './blocklists.js';
import type { HarmCategory, SafetyClassifier, Severity } from './classifier/index.js';

const HARM: Record<HarmCategory, RaiFilterName> = { hate: 'Hate', sexual: 'Sexual', violence: 'Violence', self_harm: 'Selfharm' };
const LEVEL_OF_THRESHOLD = { Low: 2, Medium: 4, High: 6 } as const;

export interface SeverityAnnotation {
  filtered: boolean;
  severity: Severity['severity'];
}
export interface DetectionAnnotation {
  filtered: boolean;
  detected: boolean;
}
export interface FilterResults {
  hate?: SeverityAnnotation;
  sexual?: SeverityAnnotation;
  violence?: SeverityAnnotation;
  self_harm?: SeverityAnnotation;
  jailbreak?: DetectionAnnotation;
  indirect_attack?: DetectionAnnotation;
  custom_blocklists?: { filtered: boolean; details: { filtered: boolean; id: string }[] };
}

export interface Evaluation {
  results: FilterResults;
  /** Whether any blocking filter fired: the text must not pass. */
  filtered: boolean;
}

export interface TextToCheck {
  /** The text graded for harm categories and blocklists. */
  text: string;
  /** Prompt only: the user's own words, checked for jailbreak attempts. */
  userText?: string;
  /** Prompt only: documents and tool output, checked for indirect attacks. */
  documents?: string[];
}

function filterFor(policy: RaiPolicyContent, name: RaiFilterName, source: RaiSource): RaiContentFilter | undefined {
  return policy.contentFilters.find((f) => f.name === name && f.source === source && f.enabled);
}

export function evaluate(
  classifier: SafetyClassifier,
  policy: RaiPolicyContent,
  source: RaiSource,
  input: TextToCheck,
  blocklists: readonly BlocklistMatcher[],
): Evaluation {
  const results: FilterResults = {};
  let filtered = false;
  const found = classifier.classify(input.text);
  for (const category of Object.keys(HARM) as HarmCategory[]) {
    const filter = filterFor(policy, HARM[category], source);
    if (!filter) continue;
    const { severity, level } = found[category];
    const hit = filter.blocking && level > 0 && level >= LEVEL_OF_THRESHOLD[filter.severityThreshold ?? 'Medium'];
    results[category] = { filtered: hit, severity };
    filtered ||= hit;
  }
  if (source === 'Prompt') {
    const jailbreak = filterFor(policy, 'Jailbreak', source);
    if (jailbreak && input.userText) {
      // One classification when the user's words are the whole prompt (the common case).
      const detected = (input.userText === input.text ? found : classifier.classify(input.userText)).jailbreak.detected;
      results.jailbreak = { filtered: detected && jailbreak.blocking, detected };
      filtered ||= results.jailbreak.filtered;
    }
    const indirect = filterFor(policy, 'Indirect Attack', source);
    if (indirect && input.documents?.length) {
      const detected = input.documents.some((d) => classifier.detectIndirectAttack(d).detected);
      results.indirect_attack = { filtered: detected && indirect.blocking, detected };
      filtered ||= results.indirect_attack.filtered;
    }
  }
  const lists = policy.customBlocklists.filter((b) => b.source === source);
  if (lists.length > 0) {
    const hits = new Set(matchBlocklists(input.text, blocklists.filter((m) => lists.some((l) => l.blocklistName.toLowerCase() === m.blocklistName.toLowerCase()))).map((h) => h.blocklistName.toLowerCase()));
    const details = lists.map((l) => ({ filtered: l.blocking && hits.has(l.blocklistName.toLowerCase()), id: l.blocklistName }));
    const blocked = details.some((d) => d.filtered);
    results.custom_blocklists = { filtered: blocked, details: details.filter((d) => hits.has(d.id.toLowerCase())) };
    filtered ||= blocked;
  }
  return { results, filtered };
}
