// Fingerprints of token sequences, after "Winnowing: Local Algorithms for Document
// Fingerprinting" (Schleimer, Wilkerson, Aiken, SIGMOD 2003).
//
// Every run of k consecutive tokens (a k-gram) gets a 32-bit hash. Keeping all of them would
// cost one posting per token; winnowing keeps, in every window of w consecutive k-gram hashes,
// the smallest, recording a position only when the selection changes ("robust winnowing": on
// a tie the one already selected stays, so "0, 0, 0, …" does not select every position). Two
// guarantees follow: any window of w consecutive k-grams of a document contains a kept
// fingerprint, so a shared run of at least w + k − 1 tokens always shares one; and about
// 2 / (w + 1) of the positions are kept. The one exception is made on purpose: k-grams that
// are a short pattern repeated are never kept (see maskRepetitive). Hashes only find
// candidates: the index compares the tokens themselves before it reports anything, so a
// collision costs time, never a false match.

/** FNV-1a over the token's UTF-16 code units: computed once per distinct token. */
export function tokenHash(token: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < token.length; i++) {
    h = Math.imul(h ^ token.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}

// Odd, so multiplication by it is invertible modulo 2^32 and no token's weight collapses to 0.
const BASE = 0x9e3779b1;

/** MurmurHash3's finalizer: a bijection that spreads the rolling sum over all 32 bits. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A k-gram hash that marks a repetitive k-gram (see maskRepetitive); no real k-gram gets it. */
export const REPETITIVE = 0xffffffff;

/**
 * The hash of every k-gram: result[i] covers tokens i … i + k − 1. A polynomial rolling hash
 * (Karp–Rabin) modulo 2^32, so each step costs two multiplications whatever k is, then mixed:
 * winnowing picks minima, which needs hashes spread evenly over the range.
 */
export function kgramHashes(tokenHashes: ArrayLike<number>, k: number): Uint32Array {
  const n = tokenHashes.length - k + 1;
  if (n <= 0) return new Uint32Array(0);
  const out = new Uint32Array(n);
  let top = 1; // BASE^(k−1): the weight of the token that leaves the window
  for (let j = 1; j < k; j++) top = Math.imul(top, BASE);
  let h = 0;
  for (let j = 0; j < k; j++) h = (Math.imul(h, BASE) + tokenHashes[j]!) | 0;
  out[0] = finish(h);
  for (let i = 1; i < n; i++) {
    h = (Math.imul((h - Math.imul(tokenHashes[i - 1]!, top)) | 0, BASE) + tokenHashes[i + k - 1]!) | 0;
    out[i] = finish(h);
  }
  return out;
}

function finish(h: number): number {
  const mixed = mix(h);
  return mixed === REPETITIVE ? REPETITIVE - 1 : mixed;
}

/** Longest period that counts as repetition: "0 , 1 , 0 , 1 ," and "[ 0 ] , [ 0 ] ," are period 4. */
export const MAX_PERIOD = 4;

/**
 * Sets to REPETITIVE the hash of every k-gram that is one short pattern repeated ("ha ha ha …",
 * "0, 0, 0, …", a period of at most MAX_PERIOD tokens). Zero-filled tables and refrains are in
 * every corpus and every long completion; as fingerprints they would be matches without meaning
 * and postings by the thousand. As the largest hash they are kept only where a whole window is
 * repetitive, and the caller drops them there.
 */
export function maskRepetitive(ids: ArrayLike<number>, k: number, hashes: Uint32Array): void {
  for (let p = 1; p <= MAX_PERIOD && p < k; p++) {
    // run: how many positions up to j repeat the token p before them, without a break.
    let run = 0;
    for (let j = p; j < ids.length; j++) {
      run = ids[j] === ids[j - p] ? run + 1 : 0;
      // The k-gram ending at j has period p when its last k − p tokens all repeat.
      if (run >= k - p && j - k + 1 >= 0) hashes[j - k + 1] = REPETITIVE;
    }
  }
}

/**
 * Calls `select` with the position of each fingerprint winnowing keeps, in increasing order.
 * A sequence shorter than one window is treated as a single window (its minimum is kept).
 */
export function winnow(hashes: Uint32Array, w: number, select: (position: number) => void): void {
  const n = hashes.length;
  if (n === 0) return;
  if (n < w) {
    let min = 0;
    for (let i = 1; i < n; i++) if (hashes[i]! <= hashes[min]!) min = i;
    select(min);
    return;
  }
  // Candidates for the current window's minimum, oldest first, hashes strictly increasing:
  // a newcomer makes every older candidate with a hash at least as large useless forever.
  const queue = new Int32Array(n);
  let head = 0;
  let tail = 0;
  let last = -1;
  for (let i = 0; i < n; i++) {
    const h = hashes[i]!;
    while (tail > head && hashes[queue[tail - 1]!]! >= h) tail--;
    queue[tail++] = i;
    if (queue[head]! <= i - w) head++;
    if (i < w - 1) continue;
    const min = queue[head]!;
    // Robust winnowing: the selection stays while it is in the window and still a minimum.
    if (last > i - w && hashes[last] === hashes[min]) continue;
    last = min;
    select(min);
  }
}
