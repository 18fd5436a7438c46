// The index of one kind of material (text or code): its works' tokens and the winnowed
// fingerprints that point into them. Everything lives in typed arrays — about 4 bytes per
// indexed token plus 8 per kept fingerprint — because a corpus runs to millions of tokens and
// an object per token would cost ten times that and burden the garbage collector.
//
// Layout: every distinct token gets a number (its id); `store` holds the ids of all works one
// after another, each followed by SEPARATOR; a posting is (fingerprint, position in `store` of
// its k-gram's first token), sorted by fingerprint, with a directory on the top 16 bits of the
// fingerprint so a lookup is one small binary search.

import { kgramHashes, maskRepetitive, REPETITIVE, tokenHash, winnow } from './fingerprint.js';
import type { MaterialTokenizer } from './tokens.js';

/** In `store`: ends every work, so a run extended token by token stops at the work's end. */
const SEPARATOR = 0xfffffffe;
/** In a query: a token no work contains; it matches nothing, not even SEPARATOR. */
const UNKNOWN = 0xffffffff;

/** A growable Uint32Array: doubling, then trimmed once the index is built. */
class U32List {
  data = new Uint32Array(1024);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) this.grow(this.length + 1);
    this.data[this.length++] = value;
  }

  append(values: Uint32Array): void {
    if (this.length + values.length > this.data.length) this.grow(this.length + values.length);
    this.data.set(values, this.length);
    this.length += values.length;
  }

  private grow(min: number): void {
    const next = new Uint32Array(Math.max(min, this.data.length * 2));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }

  trimmed(): Uint32Array {
    return this.data.slice(0, this.length);
  }
}

/** The longest run found: which work, and where it lies in the query (token and character spans). */
export interface RunMatch {
  workIndex: number;
  sharedTokens: number;
  start: number;
  end: number;
}

export class KindIndex {
  private readonly vocab = new Map<string, number>();
  private tokenHashes = new U32List();
  private store = new U32List();
  private postingHashes = new U32List();
  private postingPositions = new U32List();
  /** Where each work starts in `store`, and its index in the caller's list of works. */
  private workStarts = new U32List();
  private workIndices = new U32List();
  private sealed?: {
    store: Uint32Array;
    tokenHashes: Uint32Array;
    hashes: Uint32Array;
    positions: Uint32Array;
    directory: Uint32Array;
    workStarts: Uint32Array;
    workIndices: Uint32Array;
  };

  /** Each kept fingerprint covers k tokens; winnowing windows hold w = threshold − k + 1 of them. */
  readonly window: number;
  /**
   * Fewest distinct tokens in a run that counts. A copied passage of 40 words or 50 code tokens
   * has dozens; a run that is long only because both sides hold the same filler (a zero-filled
   * array after `x = [`, a refrain) has a handful, and is not material anyone owns.
   */
  readonly minDistinct: number;

  constructor(
    private readonly tokenize: MaterialTokenizer,
    readonly k: number,
    readonly threshold: number,
  ) {
    this.window = threshold - k + 1;
    this.minDistinct = Math.ceil(threshold / 4);
  }

  add(workIndex: number, content: string): void {
    if (this.sealed) throw new Error('the index is already built');
    const ids = new U32List();
    const hashes = new U32List();
    this.tokenize(content, (token) => {
      let id = this.vocab.get(token);
      if (id === undefined) {
        id = this.vocab.size;
        this.vocab.set(token, id);
        this.tokenHashes.push(tokenHash(token));
      }
      ids.push(id);
      hashes.push(this.tokenHashes.data[id]!);
    });
    const base = this.store.length;
    this.workStarts.push(base);
    this.workIndices.push(workIndex);
    this.store.append(ids.data.subarray(0, ids.length));
    this.store.push(SEPARATOR);
    // A work shorter than the threshold cannot share a run that long: nothing to look up.
    if (ids.length < this.threshold) return;
    const fingerprints = kgramHashes(hashes.data.subarray(0, hashes.length), this.k);
    maskRepetitive(ids.data.subarray(0, ids.length), this.k, fingerprints);
    winnow(fingerprints, this.window, (position) => {
      if (fingerprints[position] === REPETITIVE) return;
      this.postingHashes.push(fingerprints[position]!);
      this.postingPositions.push(base + position);
    });
  }

  /** Sorts the postings and drops the build buffers; `find` works from here on. */
  seal(): void {
    if (this.sealed) return;
    const sorted = sortPostings(this.postingHashes.data.subarray(0, this.postingHashes.length), this.postingPositions.data.subarray(0, this.postingPositions.length));
    this.sealed = {
      store: this.store.trimmed(),
      tokenHashes: this.tokenHashes.trimmed(),
      workStarts: this.workStarts.trimmed(),
      workIndices: this.workIndices.trimmed(),
      ...sorted,
    };
    this.tokenHashes = this.store = this.postingHashes = this.postingPositions = this.workStarts = this.workIndices = new U32List();
  }

  get stats(): { tokens: number; distinctTokens: number; fingerprints: number; bytes: number } {
    const s = this.sealed;
    if (!s) throw new Error('the index is not built yet');
    const bytes = [s.store, s.tokenHashes, s.hashes, s.positions, s.directory, s.workStarts, s.workIndices].reduce((sum, a) => sum + a.byteLength, 0);
    return { tokens: s.store.length - s.workStarts.length, distinctTokens: this.vocab.size, fingerprints: s.hashes.length, bytes };
  }

  /**
   * The longest run of tokens `source` shares with one work, if it reaches the threshold. Every
   * k-gram of the query is looked up (a completion is short; the corpus side is winnowed), and
   * every hit is checked and extended against the stored tokens.
   */
  find(source: string): RunMatch | undefined {
    const s = this.sealed;
    if (!s) throw new Error('the index is not built yet');
    if (s.hashes.length === 0) return undefined;
    const ids = new U32List();
    const hashes = new U32List();
    const starts = new U32List();
    const ends = new U32List();
    this.tokenize(source, (token, start, end) => {
      const id = this.vocab.get(token);
      ids.push(id ?? UNKNOWN);
      hashes.push(id === undefined ? 0 : s.tokenHashes[id]!);
      starts.push(start);
      ends.push(end);
    });
    const n = ids.length;
    if (n < this.threshold) return undefined;
    const query = ids.data;
    const { store, hashes: postingHashes, positions, directory } = s;
    const k = this.k;
    // known[i]: how many tokens from i on are in the corpus. A run cannot cross a token no work
    // contains, so only stretches of known tokens as long as the threshold are looked up.
    const known = new Uint32Array(n + 1);
    for (let i = n - 1; i >= 0; i--) known[i] = query[i] === UNKNOWN ? 0 : known[i + 1]! + 1;
    let stretch = 0; // length of the stretch of known tokens that i lies in
    const fingerprints = kgramHashes(hashes.data.subarray(0, n), k);
    // Per alignment (store position − query position): where the run found on it ends, so the
    // other fingerprints inside that run do not extend it again.
    const covered = new Map<number, number>();
    let best: { length: number; workIndex: number; q0: number } | undefined;
    for (let i = 0; i + k <= n; i++) {
      if (i === 0 || query[i - 1] === UNKNOWN) stretch = known[i]!;
      if (stretch < this.threshold || known[i]! < k) continue;
      const fp = fingerprints[i]!;
      let p = lowerBound(postingHashes, directory[fp >>> 16]!, directory[(fp >>> 16) + 1]!, fp);
      for (; p < postingHashes.length && postingHashes[p] === fp; p++) {
        const g = positions[p]!;
        const diagonal = g - i;
        const end = covered.get(diagonal);
        if (end !== undefined && i < end) continue;
        let same = true;
        for (let j = 0; j < k && same; j++) same = store[g + j] === query[i + j];
        if (!same) continue; // a hash collision
        let q0 = i;
        let g0 = g;
        while (q0 > 0 && g0 > 0 && store[g0 - 1] === query[q0 - 1]) {
          q0--;
          g0--;
        }
        let q1 = i + k;
        let g1 = g + k;
        while (q1 < n && store[g1] === query[q1]) {
          q1++;
          g1++;
        }
        covered.set(diagonal, q1);
        const length = q1 - q0;
        if (length < this.threshold || (best && length < best.length)) continue;
        const workIndex = s.workIndices[upperBound(s.workStarts, g0) - 1]!;
        // Equal runs in two works: the one listed first in the corpus, whatever the hit order.
        if (best && length === best.length && workIndex >= best.workIndex) continue;
        if (!hasDistinct(query, q0, q1, this.minDistinct)) continue;
        best = { length, workIndex, q0 };
        if (length === n) break; // nothing can be longer than the whole query
      }
      if (best?.length === n) break;
    }
    if (!best) return undefined;
    return {
      workIndex: best.workIndex,
      sharedTokens: best.length,
      start: starts.data[best.q0]!,
      end: ends.data[best.q0 + best.length - 1]!,
    };
  }
}

/** Whether tokens [from, to) hold at least `count` different ones. */
function hasDistinct(tokens: Uint32Array, from: number, to: number, count: number): boolean {
  const seen = new Set<number>();
  for (let i = from; i < to && seen.size < count; i++) seen.add(tokens[i]!);
  return seen.size >= count;
}

/** First index in [lo, hi) whose value is ≥ key (hi if none). */
function lowerBound(a: Uint32Array, lo: number, hi: number, key: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose value is > key. */
function upperBound(a: Uint32Array, key: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Sorts postings by fingerprint with two stable counting passes (low 16 bits, then high), in
 * linear time and without comparing; the second pass's bucket starts are the directory.
 */
function sortPostings(hashes: Uint32Array, positions: Uint32Array): { hashes: Uint32Array; positions: Uint32Array; directory: Uint32Array } {
  const n = hashes.length;
  const midHashes = new Uint32Array(n);
  const midPositions = new Uint32Array(n);
  const outHashes = new Uint32Array(n);
  const outPositions = new Uint32Array(n);
  const pass = (fromH: Uint32Array, fromP: Uint32Array, toH: Uint32Array, toP: Uint32Array, shift: number): Uint32Array => {
    const starts = new Uint32Array(65537);
    for (let i = 0; i < n; i++) starts[((fromH[i]! >>> shift) & 0xffff) + 1]!++;
    for (let b = 0; b < 65536; b++) starts[b + 1]! += starts[b]!;
    const next = starts.slice(0, 65536);
    for (let i = 0; i < n; i++) {
      const at = next[(fromH[i]! >>> shift) & 0xffff]!++;
      toH[at] = fromH[i]!;
      toP[at] = fromP[i]!;
    }
    return starts;
  };
  pass(hashes, positions, midHashes, midPositions, 0);
  const directory = pass(midHashes, midPositions, outHashes, outPositions, 16);
  return { hashes: outHashes, positions: outPositions, directory };
}
