// A content-filter policy applied to text: the classifiers' findings, graded against the
// policy's filters for one source (Prompt or Completion), as Azure's annotations
// (shared/reference/azure-api.md §3.2, §6.3). No I/O of its own: the data plane gathers the
// texts, the compiled blocklists and the policy's classifiers, and decides what to do with a
// filtered result.

import type { RaiContentFilter, RaiFailureMode, RaiFilterName, RaiPolicyContent, RaiSource } from '../core/index.js';
import type { BlocklistMatcher } from './blocklists.js';
import { matchBlocklists } from './blocklists.js';
import type { HarmCategory, SafetyClassifier, Severity } from './classifier/index.js';
import type { ExternalClassifier, HarmSeverities, ShieldResult } from './external.js';
import type { MaterialMatch, ProtectedMaterialIndex } from './protected-material/index.js';

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
export interface CitedDetection extends DetectionAnnotation {
  citation?: { URL: string; license: string };
}
export interface FilterResults {
  hate?: SeverityAnnotation;
  sexual?: SeverityAnnotation;
  violence?: SeverityAnnotation;
  self_harm?: SeverityAnnotation;
  jailbreak?: DetectionAnnotation;
  indirect_attack?: DetectionAnnotation;
  protected_material_text?: DetectionAnnotation;
  protected_material_code?: CitedDetection;
  custom_blocklists?: { filtered: boolean; details: { filtered: boolean; id: string }[] };
  /** Azure's annotation when a filter could not run (contentFilterResultsBase.error). */
  error?: { code: string; message: string };
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
  /** Completion only: the user's words the completion answers (guard models judge in context). */
  prompt?: string;
  /** Completion only: `text` with the completion before it, for matches across segments (protected material). */
  context?: string;
}

/** A policy's own classifier with its timeout and failure mode; `unavailable` when it could not even be reached. */
export type PolicyClassifier =
  | { classifier: ExternalClassifier; timeoutMs: number; failureMode: RaiFailureMode }
  | { unavailable: string; failureMode: RaiFailureMode };

export interface Classifiers {
  builtIn: SafetyClassifier;
  /** Grades the harm categories (and the prompt shields, where it can) instead of the built-in. */
  external?: PolicyClassifier;
  protectedMaterial?: ProtectedMaterialIndex;
}

function filterFor(policy: RaiPolicyContent, name: RaiFilterName, source: RaiSource): RaiContentFilter | undefined {
  return policy.contentFilters.find((f) => f.name === name && f.source === source && f.enabled);
}

class ClassifierFailure extends Error {
  constructor(readonly code: string, message: string, readonly failureMode: RaiFailureMode) {
    super(message);
  }
}

/** Runs `call` on the policy's classifier under its timeout; failures become ClassifierFailure. */
async function external<T>(policy: PolicyClassifier, call: (c: ExternalClassifier, signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
  if ('unavailable' in policy) throw new ClassifierFailure('ClassifierUnavailable', policy.unavailable, policy.failureMode);
  const timeout = AbortSignal.timeout(policy.timeoutMs);
  try {
    return await call(policy.classifier, signal ? AbortSignal.any([signal, timeout]) : timeout);
  } catch (error) {
    if (signal?.aborted) throw error;
    if (timeout.aborted) {
      throw new ClassifierFailure('ClassifierTimeout', `The ${policy.classifier.description} did not answer within ${policy.timeoutMs} ms.`, policy.failureMode);
    }
    throw new ClassifierFailure('ClassifierError', `The ${policy.classifier.description} failed: ${(error as Error).message}`, policy.failureMode);
  }
}

export async function evaluate(
  classifiers: Classifiers,
  policy: RaiPolicyContent,
  source: RaiSource,
  input: TextToCheck,
  blocklists: readonly BlocklistMatcher[],
  signal?: AbortSignal,
): Promise<Evaluation> {
  const results: FilterResults = {};
  let filtered = false;
  const { builtIn } = classifiers;
  const harmFilters = (Object.keys(HARM) as HarmCategory[]).filter((c) => filterFor(policy, HARM[c], source));
  const jailbreak = source === 'Prompt' && input.userText ? filterFor(policy, 'Jailbreak', source) : undefined;
  const indirect = source === 'Prompt' && input.documents?.length ? filterFor(policy, 'Indirect Attack', source) : undefined;

  let builtInResult: ReturnType<SafetyClassifier['classify']> | undefined;
  const builtInOf = () => (builtInResult ??= builtIn.classify(input.text));
  // The policy's own classifier: a failure is annotated once; Closed refuses the text outright,
  // Open leaves the categories it should have graded unannotated (no verdict was reached).
  let failure: ClassifierFailure | undefined;
  const attempt = async <T>(call: (c: ExternalClassifier, signal: AbortSignal) => Promise<T>): Promise<T | undefined> => {
    try {
      return await external(classifiers.external!, call, signal);
    } catch (error) {
      if (!(error instanceof ClassifierFailure)) throw error;
      failure ??= error;
      return undefined;
    }
  };
  const ext = classifiers.external;
  let harms: HarmSeverities | undefined;
  if (ext && harmFilters.length > 0) {
    const role = source === 'Prompt' ? 'user' : 'assistant';
    harms = await attempt((c, s) => c.harms({ text: input.text, role, ...(input.prompt === undefined ? {} : { prompt: input.prompt }) }, s));
  }
  let shields: ShieldResult | undefined;
  if (ext && 'classifier' in ext && ext.classifier.shieldPrompt && (jailbreak || indirect)) {
    const request = { ...(jailbreak ? { userPrompt: input.userText! } : {}), documents: indirect ? input.documents! : [] };
    shields = await attempt((c, s) => c.shieldPrompt!(request, s));
  }
  if (failure) {
    results.error = { code: failure.code, message: failure.message };
    if (failure.failureMode === 'Closed') return { results, filtered: true };
  }

  const graded = ext ? harms : builtInOf();
  if (graded) {
    for (const category of harmFilters) {
      const filter = filterFor(policy, HARM[category], source)!;
      const { severity, level } = graded[category];
      const hit = filter.blocking && level > 0 && level >= LEVEL_OF_THRESHOLD[filter.severityThreshold ?? 'Medium'];
      results[category] = { filtered: hit, severity };
      filtered ||= hit;
    }
  }
  if (jailbreak) {
    // One classification when the user's words are the whole prompt (the common case).
    const detected = shields?.userPromptAttack ?? (input.userText === input.text ? builtInOf() : builtIn.classify(input.userText!)).jailbreak.detected;
    results.jailbreak = { filtered: detected && jailbreak.blocking, detected };
    filtered ||= results.jailbreak.filtered;
  }
  if (indirect) {
    const detected = shields ? shields.documentAttacks.some(Boolean) : input.documents!.some((d) => builtIn.detectIndirectAttack(d).detected);
    results.indirect_attack = { filtered: detected && indirect.blocking, detected };
    filtered ||= results.indirect_attack.filtered;
  }
  if (source === 'Completion') filtered = protectedMaterial(classifiers.protectedMaterial, policy, input, results) || filtered;
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

/** Protected material annotations; true when a blocking one fired. Without a corpus nothing is detected. */
function protectedMaterial(index: ProtectedMaterialIndex | undefined, policy: RaiPolicyContent, input: TextToCheck, results: FilterResults): boolean {
  const textFilter = filterFor(policy, 'Protected Material Text', 'Completion');
  const codeFilter = filterFor(policy, 'Protected Material Code', 'Completion');
  if (!textFilter && !codeFilter) return false;
  const found: { text?: MaterialMatch; code?: MaterialMatch } = index && index.size > 0 ? index.find(input.context ?? input.text) : {};
  let filtered = false;
  if (textFilter) {
    const detected = found.text !== undefined;
    results.protected_material_text = { filtered: detected && textFilter.blocking, detected };
    filtered ||= results.protected_material_text.filtered;
  }
  if (codeFilter) {
    const match = found.code;
    results.protected_material_code = {
      filtered: match !== undefined && codeFilter.blocking,
      detected: match !== undefined,
      ...(match ? { citation: { URL: match.work.url ?? '', license: match.work.license ?? '' } } : {}),
    };
    filtered ||= results.protected_material_code.filtered;
  }
  return filtered;
}
