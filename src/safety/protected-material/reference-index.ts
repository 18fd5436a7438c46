// The protected material index over a reference corpus: one fingerprint index for text works
// (word tokens) and one for code works (code tokens). A completion is tokenized both ways and
// each kind reports its longest shared run with one work, if that run is long enough. Filler
// shared by chance (a zero-filled array, a refrain) does not count toward a run's worth: see
// maskRepetitive (fingerprint.ts) and minDistinct (kind-index.ts).

import type { MaterialKind, MaterialMatch, ProtectedMaterialIndex, ReferenceWork } from './index.js';
import { KindIndex } from './kind-index.js';
import { forEachCodeToken, forEachTextToken } from './tokens.js';

// Thresholds: how long a shared run must be before it counts as reproduced material. Azure
// does not publish its own, so these are Lapis's choice. They must sit above what any two
// independent texts share by chance: set phrases, quotations of a line, legal formulas
// ("the above copyright notice and this permission notice shall be included in all copies")
// run to 20–30 words, so 40 words (two or three sentences) is the first length that says
// "copied". In code, comments (license headers among them) are not tokens at all, and a block
// of `import` lines or a common idiom (a for loop with its braces, a main() signature) stays
// well under 50 tokens — about four to six lines of real code, each operator a token.
export const DEFAULT_TEXT_THRESHOLD = 40;
export const DEFAULT_CODE_THRESHOLD = 50;

// k-gram lengths: long enough that a k-gram is rare in prose or code (fewer postings to check
// per lookup), short enough that w = threshold − k + 1 stays large and the index sparse
// (about 2 / (w + 1) of the positions are kept: 1 in 17 for text, 1 in 21 for code).
export const TEXT_K = 8;
export const CODE_K = 10;

export interface ProtectedMaterialOptions {
  /** Shortest shared run of words that counts as protected text. */
  textThreshold?: number;
  /** Shortest shared run of code tokens that counts as protected code. */
  codeThreshold?: number;
}

/** A match with where it lies in the searched text: characters [start, end). */
export interface LocatedMaterialMatch extends MaterialMatch {
  start: number;
  end: number;
}

export interface ProtectedMaterialStats {
  works: number;
  /** Per kind: tokens indexed, distinct tokens, fingerprints kept, bytes of typed arrays. */
  text: { tokens: number; distinctTokens: number; fingerprints: number; bytes: number };
  code: { tokens: number; distinctTokens: number; fingerprints: number; bytes: number };
}

export interface LocatedProtectedMaterialIndex extends ProtectedMaterialIndex {
  find(text: string): { text?: LocatedMaterialMatch; code?: LocatedMaterialMatch };
  /** For the startup log: how big the index is. */
  readonly stats: ProtectedMaterialStats;
}

function threshold(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

export function createProtectedMaterialIndex(
  entries: readonly { work: ReferenceWork; content: string }[],
  options: ProtectedMaterialOptions = {},
): LocatedProtectedMaterialIndex {
  const textThreshold = threshold('textThreshold', options.textThreshold, DEFAULT_TEXT_THRESHOLD);
  const codeThreshold = threshold('codeThreshold', options.codeThreshold, DEFAULT_CODE_THRESHOLD);
  // A k-gram longer than the threshold could miss a run of exactly the threshold's length.
  const kinds: Record<MaterialKind, KindIndex> = {
    text: new KindIndex(forEachTextToken, Math.min(TEXT_K, textThreshold), textThreshold),
    code: new KindIndex(forEachCodeToken, Math.min(CODE_K, codeThreshold), codeThreshold),
  };
  const works = entries.map((e) => e.work);
  entries.forEach((entry, i) => kinds[entry.work.kind].add(i, entry.content));
  kinds.text.seal();
  kinds.code.seal();
  const stats: ProtectedMaterialStats = { works: works.length, text: kinds.text.stats, code: kinds.code.stats };

  const located = (kind: MaterialKind, text: string): LocatedMaterialMatch | undefined => {
    const run = kinds[kind].find(text);
    return run && { work: works[run.workIndex]!, sharedTokens: run.sharedTokens, start: run.start, end: run.end };
  };

  return {
    size: works.length,
    stats,
    find(text) {
      const found: { text?: LocatedMaterialMatch; code?: LocatedMaterialMatch } = {};
      const textMatch = located('text', text);
      const codeMatch = located('code', text);
      if (textMatch) found.text = textMatch;
      if (codeMatch) found.code = codeMatch;
      return found;
    },
  };
}
