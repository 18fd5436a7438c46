// Lapis's built-in, in-process content-safety classifier: hashed n-gram features plus a few dozen
// hand-written cue-list features (see features.ts) -> one logistic-regression head per label
// (trained by scripts/train-safety.mjs, weights committed in ./weights/builtin.ts). No native
// code, no model download; a 1 KB text costs well under a millisecond.
//
// Heads: hate, sexual, violence, self_harm (severity), sexual_minors / hate_threat /
// violence_graphic (push a detected harm to high), jailbreak (user prompts), indirect_attack
// (documents). Severity thresholds were fitted on out-of-fold TRAIN scores (see the script).

import { gunzipSync } from 'node:zlib';
import { featurize, segmentDocument, HASH_BITS, LEX_FEATURES, NUM_BUCKETS, type SparseVector } from './features.js';
import { BUILTIN_META, BUILTIN_WEIGHTS_B64 } from './weights/builtin.js';

export type HarmCategory = 'hate' | 'sexual' | 'violence' | 'self_harm';
export const HARM_CATEGORIES: readonly HarmCategory[] = ['hate', 'sexual', 'violence', 'self_harm'];

/** Azure's severity scale as the four-level output uses it: 0 safe, 2 low, 4 medium, 6 high. */
export interface Severity {
  severity: 'safe' | 'low' | 'medium' | 'high';
  level: 0 | 2 | 4 | 6;
}

export interface Detection {
  detected: boolean;
  /** Head probability in [0, 1]. */
  score: number;
}

export interface SafetyResult {
  hate: Severity;
  sexual: Severity;
  violence: Severity;
  self_harm: Severity;
  /** Raw probabilities of every head, for logging and threshold tuning. */
  scores: Record<HarmCategory | 'sexual_minors' | 'hate_threat' | 'violence_graphic' | 'jailbreak' | 'indirect_attack', number>;
  /** Direct attack in a user prompt (Azure Prompt Shields "jailbreak"). */
  jailbreak: Detection;
  /**
   * Injected instruction inside a document (Azure applies this to documents and tool output only).
   * Computed as detectIndirectAttack(text); an ordinary user request can score high here, so read
   * it for documents, not for the user's own prompt.
   */
  indirect_attack: Detection;
}

export interface SafetyClassifier {
  classify(text: string): SafetyResult;
  /** Scores a document (email, web page, tool output) for an embedded instruction. */
  detectIndirectAttack(documentText: string): Detection;
}

type HeadName = keyof SafetyResult['scores'];

const SEVERITIES: readonly Severity[] = [
  { severity: 'safe', level: 0 },
  { severity: 'low', level: 2 },
  { severity: 'medium', level: 4 },
  { severity: 'high', level: 6 },
];
const EXTRA_FOR: Record<HarmCategory, HeadName | null> = {
  hate: 'hate_threat',
  sexual: 'sexual_minors',
  violence: 'violence_graphic',
  self_harm: null,
};

/**
 * The jailbreak threshold for a text of this length: short texts use a stricter per-band threshold
 * (chosen on TRAIN out-of-fold scores for the same benign FPR in every band; see the script).
 */
function jailbreakThreshold(words: number): number {
  const jb = BUILTIN_META.thresholds.jailbreak;
  for (const band of jb.byLength) if (words <= band.maxWords) return band.detect;
  return jb.detect;
}

class LinearSafetyClassifier implements SafetyClassifier {
  readonly #heads: readonly HeadName[];
  readonly #h: number;
  readonly #q: Int8Array; // [bucket * H + head]
  readonly #lex: Float64Array; // cue-list feature weights, [k * H + head] for feature NUM_BUCKETS + k
  readonly #scale: Float64Array;
  readonly #bias: Float64Array;
  readonly #acc: Float64Array;
  readonly #ia: number; // index of the indirect_attack head

  constructor() {
    if (BUILTIN_META.hashBits !== HASH_BITS) throw new Error('safety weights were trained with other features');
    this.#heads = BUILTIN_META.heads as readonly HeadName[];
    this.#h = this.#heads.length;
    const raw = gunzipSync(Buffer.from(BUILTIN_WEIGHTS_B64, 'base64'));
    this.#q = new Int8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    if (this.#q.length !== (1 << HASH_BITS) * this.#h) throw new Error('safety weights have the wrong size');
    const lex = BUILTIN_META.lexFeatures;
    if (lex.length !== LEX_FEATURES.length || lex.some((name, k) => name !== LEX_FEATURES[k])) {
      throw new Error('safety weights were trained with other cue lists');
    }
    this.#lex = Float64Array.from(BUILTIN_META.lexWeights);
    this.#scale = Float64Array.from(BUILTIN_META.scales);
    this.#bias = Float64Array.from(BUILTIN_META.bias);
    this.#acc = new Float64Array(this.#h);
    this.#ia = this.#heads.indexOf('indirect_attack');
  }

  /** Probabilities of all heads for one feature vector. */
  #score(x: SparseVector): Record<HeadName, number> {
    const H = this.#h;
    const acc = this.#acc.fill(0);
    const q = this.#q;
    let j = 0;
    // featurize() puts the cue-list features (indices >= NUM_BUCKETS) last.
    for (; j < x.idx.length && x.idx[j]! < NUM_BUCKETS; j++) {
      const base = x.idx[j]! * H;
      const v = x.val[j]!;
      for (let h = 0; h < H; h++) acc[h]! += q[base + h]! * v;
    }
    for (let h = 0; h < H; h++) acc[h]! *= this.#scale[h]!;
    for (; j < x.idx.length; j++) {
      const base = (x.idx[j]! - NUM_BUCKETS) * H;
      const v = x.val[j]!;
      for (let h = 0; h < H; h++) acc[h]! += this.#lex[base + h]! * v;
    }
    const out = {} as Record<HeadName, number>;
    for (let h = 0; h < H; h++) {
      out[this.#heads[h]!] = 1 / (1 + Math.exp(-(this.#bias[h]! + acc[h]!)));
    }
    return out;
  }

  /**
   * The indirect_attack probability alone, n-grams only: document segments need no other head,
   * and that head was trained without the cue-list features (its weights for them are 0).
   */
  #scoreIndirect(x: SparseVector): number {
    const H = this.#h;
    const h = this.#ia;
    const q = this.#q;
    let acc = 0;
    for (let j = 0; j < x.idx.length; j++) acc += q[x.idx[j]! * H + h]! * x.val[j]!;
    return 1 / (1 + Math.exp(-(this.#bias[h]! + this.#scale[h]! * acc)));
  }

  #severity(cat: HarmCategory, s: Record<HeadName, number>): Severity {
    const t = BUILTIN_META.thresholds[cat];
    const p = s[cat];
    let lvl = p >= t.high ? 3 : p >= t.medium ? 2 : p >= t.low ? 1 : 0;
    // Minors, threats and graphic detail make a detected harm high (Azure's severity guidance).
    const extra = EXTRA_FOR[cat];
    if (lvl > 0 && extra && s[extra] >= BUILTIN_META.thresholds[extra as 'hate_threat'].detect) lvl = 3;
    return SEVERITIES[lvl]!;
  }

  detectIndirectAttack(documentText: string): Detection {
    return this.#indirect(documentText, this.#score(featurize(documentText)).indirect_attack);
  }

  #indirect(documentText: string, wholeScore: number): Detection {
    // Max over the whole text and its segments: an injected sentence is diluted in a long email.
    let score = wholeScore;
    const segs = segmentDocument(documentText);
    if (segs.length > 1) for (const seg of segs) score = Math.max(score, this.#scoreIndirect(featurize(seg, false)));
    return { detected: score >= BUILTIN_META.thresholds.indirect_attack.detect, score };
  }

  classify(text: string): SafetyResult {
    const x = featurize(text);
    const s = this.#score(x);
    const indirect = this.#indirect(text, s.indirect_attack);
    s.indirect_attack = indirect.score;
    return {
      hate: this.#severity('hate', s),
      sexual: this.#severity('sexual', s),
      violence: this.#severity('violence', s),
      self_harm: this.#severity('self_harm', s),
      scores: s,
      jailbreak: { detected: s.jailbreak >= jailbreakThreshold(x.distinctWords), score: s.jailbreak },
      indirect_attack: indirect,
    };
  }
}

let instance: SafetyClassifier | undefined;

/** The process-wide built-in classifier; weights are decoded once (a few ms) on first use. */
export function loadBuiltInClassifier(): SafetyClassifier {
  instance ??= new LinearSafetyClassifier();
  return instance;
}

/** Convenience wrapper around the built-in classifier's document scorer. */
export function detectIndirectAttack(documentText: string): Detection {
  return loadBuiltInClassifier().detectIndirectAttack(documentText);
}
