// The simulator's deterministic material: a hash of the request picks a seeded generator, and
// everything (words, lengths, logprobs, ids, vectors) is drawn from it, so the same request
// always gives the same answer. Token rule, used everywhere in the simulator: a prompt costs
// ⌈characters / 4⌉ tokens (token ids: one each); each generated piece (a word, or ≤ 4 characters
// of JSON) is one token.

import type { TokenLogprob, TopLogprob } from '../../core/inference.js';

export type Rng = () => number;

/** FNV-1a, 32 bits: cheap and well spread for short keys. */
export function hash32(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a tiny seeded generator, uniform in [0, 1). */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A generator for one stream of a request (choice i, the fault draw, …). */
export function substream(base: number, index: number): Rng {
  return rng(hash32(String(index), base));
}

export function pick<T>(r: Rng, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)] as T;
}

export const WORDS = [
  'the', 'model', 'answers', 'a', 'quiet', 'river', 'of', 'light', 'and', 'every', 'question', 'finds',
  'its', 'shape', 'in', 'time', 'we', 'build', 'small', 'tools', 'that', 'carry', 'clear', 'ideas',
  'across', 'open', 'fields', 'where', 'simple', 'words', 'grow', 'into', 'useful', 'plans', 'for',
  'people', 'who', 'test', 'their', 'systems', 'with', 'patience', 'care', 'steady', 'hands', 'under',
  'bright', 'morning', 'skies', 'data', 'moves', 'through', 'careful', 'gates', 'each', 'request',
  'meets', 'an', 'honest', 'reply', 'while', 'servers', 'hum', 'softly', 'near', 'old', 'stone',
  'walls', 'good', 'design', 'keeps', 'things', 'calm', 'fast', 'readable', 'code', 'helps', 'teams',
  'learn', 'together', 'then', 'ship', 'work', 'they', 'trust', 'one', 'step', 'at', 'summer', 'rain',
] as const;

export function countTokens(text: string | number[]): number {
  return typeof text === 'string' ? Math.ceil(text.length / 4) : text.length;
}

/** Token ids → text, so id prompts can be echoed: id k is WORDS[k mod |WORDS|]. */
export function detokenize(ids: number[]): string {
  return ids.map((id, i) => (i === 0 ? '' : ' ') + WORDS[Math.abs(Math.trunc(id)) % WORDS.length]).join('');
}

/** `count` word tokens of pseudo-English: sentences of 5–12 words, capitalised, ending in '.'. */
export function wordPieces(r: Rng, count: number): string[] {
  const pieces: string[] = [];
  let left = 0;
  for (let i = 0; i < count; i++) {
    const start = left === 0;
    if (start) left = 5 + Math.floor(r() * 8);
    let word: string = pick(r, WORDS);
    if (start) word = word.charAt(0).toUpperCase() + word.slice(1);
    left--;
    // The last word ends a sentence, so a natural end is a full stop.
    if (left === 0 || i === count - 1) {
      word += '.';
      left = 0;
    }
    pieces.push(i === 0 ? word : ` ${word}`);
  }
  return pieces;
}

export function words(r: Rng, count: number): string {
  return wordPieces(r, count).join('').replace(/\.$/, '');
}

/** A text cut into ≤ 4-character pieces (a JSON body, an echoed prompt). */
export function charPieces(text: string, size = 4): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}

/**
 * Plausible log-probabilities: the chosen token is the most likely (≤ 0, mostly near 0), then
 * `top - 1` other words, each less likely than the one before.
 */
export function tokenLogprob(r: Rng, token: string, top: number): TokenLogprob {
  const logprob = -round(r() * r() * 2);
  const chosen: TopLogprob = { token, logprob, bytes: utf8(token) };
  const topLogprobs: TopLogprob[] = top > 0 ? [chosen] : [];
  let last = logprob;
  for (let k = 1; k < top; k++) {
    let alt: string = ` ${pick(r, WORDS)}`;
    if (alt === token || topLogprobs.some((t) => t.token === alt)) alt = `${alt}s${k}`;
    last = round(last - 0.1 - r() * 1.5);
    topLogprobs.push({ token: alt, logprob: last, bytes: utf8(alt) });
  }
  return { ...chosen, topLogprobs };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

export function utf8(text: string): number[] {
  return [...Buffer.from(text, 'utf8')];
}

/** A deterministic id suffix: 24 base-36 characters. */
export function idFrom(r: Rng): string {
  let id = '';
  while (id.length < 24) id += Math.floor(r() * 2 ** 32).toString(36);
  return id.slice(0, 24);
}
