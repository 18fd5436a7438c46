// Hashed sparse features for the built-in safety classifier.
//
// This file has NO imports on purpose: scripts/train-safety.mjs and bench/safety/run.mjs
// transpile it on the fly, so training and serving share one featurizer byte for byte.
//
// Features (all hashed into 2^HASH_BITS buckets, no vocabulary to ship):
//   - character 3/4/5-grams of the normalized text (robust to misspellings, "k1ll", inflections);
//   - word unigrams and bigrams (phrases such as "ignore previous", "kill myself");
//   - one coarse length bucket, weighted x2 (jailbreak prompts are long, moderation prompts vary).
// Values are sqrt(count), then the vector is L2-normalized so long and short texts score alike.

export const HASH_BITS = 18;
export const NUM_BUCKETS = 1 << HASH_BITS;
const MASK = NUM_BUCKETS - 1;

// Per-namespace seeds keep a word "the" and the char-gram "the" in different buckets.
const SEED_CHAR = 0x811c9dc5;
const SEED_WORD = 0x01000193 ^ 0x5bd1e995;
const SEED_BIGRAM = 0x27d4eb2d;
const SEED_META = 0x165667b1;
const LENGTH_WEIGHT = 4;

export interface SparseVector {
  idx: Int32Array;
  val: Float32Array;
}

/** Lowercase and collapse whitespace; cheap and deterministic (no locale, no NFKC). */
export function normalizeText(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}

function isWordChar(c: number): boolean {
  // a-z, 0-9, apostrophe, and any non-ASCII letter (kept as part of words).
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 39 || c > 127;
}

// Scratch space reused across calls: classify() allocates only the output arrays.
const scratch = new Float32Array(NUM_BUCKETS);
let touched = new Int32Array(4096);

/** Featurize one text into a sparse, L2-normalized vector (indices unsorted). */
export function featurize(text: string): SparseVector {
  const s = ' ' + normalizeText(text) + ' ';
  const n = s.length;
  let nt = 0;
  const add = (h: number) => {
    const b = h & MASK;
    if (scratch[b] === 0) {
      if (nt === touched.length) {
        const grown = new Int32Array(touched.length * 2);
        grown.set(touched);
        touched = grown;
      }
      touched[nt++] = b;
    }
    scratch[b]! += 1;
  };

  // Character n-grams, n = 3..5: one FNV-1a pass per start position.
  for (let i = 0; i + 3 <= n; i++) {
    let h = SEED_CHAR;
    for (let k = 0; k < 5 && i + k < n; k++) {
      h = Math.imul(h ^ s.charCodeAt(i + k), 0x01000193);
      if (k >= 2) add((h ^ (k << 28)) >>> 0);
    }
  }

  // Word unigrams and bigrams.
  let prev = 0;
  let hasPrev = false;
  let words = 0;
  for (let i = 0; i < n; ) {
    while (i < n && !isWordChar(s.charCodeAt(i))) i++;
    if (i >= n) break;
    let h = SEED_WORD;
    while (i < n && isWordChar(s.charCodeAt(i))) {
      h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
      i++;
    }
    add(h >>> 0);
    if (hasPrev) add(Math.imul(prev ^ SEED_BIGRAM, 0x9e3779b1) ^ h);
    prev = h;
    hasPrev = true;
    words++;
  }

  // Coarse length bucket: floor(log2(words + 1)), capped. Counted LENGTH_WEIGHT times (value 2
  // before normalization) so a head can learn a real prior per length, e.g. that 1-6 word texts
  // are rarely jailbreaks, instead of reading a greeting's n-grams as the n-grams of "Hello ChatGPT".
  const lb = Math.imul(SEED_META ^ Math.min(12, Math.floor(Math.log2(words + 1))), 0x85ebca6b) >>> 0;
  for (let k = 0; k < LENGTH_WEIGHT; k++) add(lb);

  const idx = new Int32Array(nt);
  const val = new Float32Array(nt);
  let norm = 0;
  for (let j = 0; j < nt; j++) {
    const b = touched[j]!;
    const v = Math.sqrt(scratch[b]!);
    scratch[b] = 0;
    idx[j] = b;
    val[j] = v;
    norm += v * v;
  }
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let j = 0; j < nt; j++) val[j]! *= inv;
  return { idx, val };
}

/**
 * Number of words as featurize() counts them (runs of a-z, 0-9, apostrophe, non-ASCII after
 * normalizeText). The jailbreak head's threshold depends on it (see JAILBREAK_LENGTH_BANDS).
 */
export function wordCount(text: string): number {
  const s = normalizeText(text);
  let words = 0;
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const w = isWordChar(s.charCodeAt(i));
    if (w && !inWord) words++;
    inWord = w;
  }
  return words;
}

/**
 * Upper word counts of the jailbreak head's length bands (the last band is open-ended). They
 * follow the featurizer's own length bucket floor(log2(words + 1)): 1-2, 3-6, 7-14, 15-30, 31+.
 */
export const JAILBREAK_LENGTH_BANDS: readonly number[] = [2, 6, 14, 30];

/**
 * Split a document into segments for indirect-attack scoring: an injected instruction is a
 * short span inside a long benign document, and whole-document features dilute it.
 * Splits on newlines, '|' field separators and sentence ends; merges fragments < 24 chars
 * into the next segment so "Cheers" or "Hi," never stand alone.
 */
export function segmentDocument(text: string): string[] {
  const raw = text.split(/\n+|\|+|(?<=[.!?])\s+/);
  const out: string[] = [];
  let carry = '';
  for (const part of raw) {
    const t = (carry ? carry + ' ' : '') + part.trim();
    if (t.trim().length < 24) {
      carry = t;
      continue;
    }
    out.push(t.trim());
    carry = '';
  }
  if (carry.trim()) {
    if (out.length > 0) out[out.length - 1] += ' ' + carry.trim();
    else out.push(carry.trim());
  }
  return out;
}
