import { describe, expect, it } from 'vitest';
import { kgramHashes, maskRepetitive, REPETITIVE, tokenHash, winnow } from './fingerprint.js';
import { random } from './testing.js';

function randomHashes(seed: number, n: number, distinct = 2 ** 32): Uint32Array {
  const next = random(seed);
  return Uint32Array.from({ length: n }, () => Math.floor(next() * distinct));
}

describe('k-gram hashes', () => {
  it('depend only on the k tokens they cover (rolling equals hashing each k-gram afresh)', () => {
    const tokens = randomHashes(1, 200);
    const k = 8;
    const rolled = kgramHashes(tokens, k);
    expect(rolled.length).toBe(200 - k + 1);
    for (let i = 0; i < rolled.length; i++) expect(rolled[i]).toBe(kgramHashes(tokens.subarray(i, i + k), k)[0]);
  });

  it('differ when the order of tokens differs', () => {
    const [a, b, c] = ['alpha', 'beta', 'gamma'].map(tokenHash) as [number, number, number];
    expect(kgramHashes([a, b, c], 3)[0]).not.toBe(kgramHashes([c, b, a], 3)[0]);
  });

  it('are empty for a sequence shorter than k', () => {
    expect(kgramHashes([1, 2], 3)).toHaveLength(0);
  });
});

describe('winnowing', () => {
  const select = (hashes: Uint32Array, w: number) => {
    const kept: number[] = [];
    winnow(hashes, w, (p) => kept.push(p));
    return kept;
  };

  it('keeps a fingerprint in every window of w hashes, including on ties', () => {
    for (const [seed, distinct] of [[2, 2 ** 32], [3, 4], [4, 1]] as const) {
      const hashes = randomHashes(seed, 2000, distinct);
      for (const w of [1, 5, 33]) {
        const kept = new Set(select(hashes, w));
        for (let start = 0; start + w <= hashes.length; start++) {
          let hit = false;
          for (let i = start; i < start + w && !hit; i++) hit = kept.has(i);
          expect(hit, `window at ${start}, w=${w}, distinct=${distinct}`).toBe(true);
        }
      }
    }
  });

  it('keeps the minimum of each window, about 2/(w+1) of the positions', () => {
    const hashes = randomHashes(5, 100_000);
    const w = 33;
    const kept = select(hashes, w);
    expect(kept).toEqual([...kept].sort((a, b) => a - b));
    expect(kept.length / hashes.length).toBeGreaterThan(1.6 / (w + 1));
    expect(kept.length / hashes.length).toBeLessThan(2.4 / (w + 1));
    expect(select(Uint32Array.from([5, 3, 3, 9]), 4)).toEqual([2]);
  });

  it('keeps a tied minimum while it is in the window (robust winnowing)', () => {
    // Every hash equal: a new position only when the kept one leaves the window.
    expect(select(new Uint32Array(100).fill(7), 10)).toEqual([9, 19, 29, 39, 49, 59, 69, 79, 89, 99]);
    expect(select(Uint32Array.from([4, 1, 5, 1, 6, 7]), 3)).toEqual([1, 3]);
  });

  it('keeps the minimum of a sequence shorter than one window', () => {
    expect(select(Uint32Array.from([7, 2, 9]), 10)).toEqual([1]);
  });
});

describe('repetitive k-grams', () => {
  const masked = (ids: number[], k: number) => {
    const hashes = kgramHashes(ids, k);
    maskRepetitive(ids, k, hashes);
    return [...hashes].map((h) => h === REPETITIVE);
  };

  it('are the k-grams made of one pattern of up to 4 tokens repeated', () => {
    // "0 , 0 , 0 , 0 , x": only the k-grams before x repeat.
    expect(masked([0, 1, 0, 1, 0, 1, 0, 1, 9], 6)).toEqual([true, true, true, false]);
    expect(masked([5, 5, 5, 5, 5], 4)).toEqual([true, true]);
    expect(masked([1, 2, 3, 4, 1, 2, 3, 4, 1, 2], 8)).toEqual([true, true, true]);
    expect(masked([1, 2, 3, 4, 5, 1, 2, 3, 4, 5], 8)).toEqual([false, false, false]);
  });

  it('never collide with a real hash', () => {
    expect([...kgramHashes(Array.from({ length: 5000 }, (_, i) => i), 3)].includes(REPETITIVE)).toBe(false);
  });
});
