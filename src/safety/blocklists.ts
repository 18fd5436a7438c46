// Custom blocklists on the data path: a blocklist's items compiled once into a matcher that
// says which items a text hits. Pure (no I/O, no Fastify); the control plane uses
// checkBlocklistPattern to refuse a bad item when it is written, so the data path never meets one.
//
// Matching rules (Azure documents exact terms as matched case-insensitively; word boundaries
// and whitespace handling are Lapis's choice, written here once):
// - An exact item (isRegex false) matches as a whole word or phrase, case-insensitively
//   (Unicode case folding): "bad word" hits "A BAD   word!" but not "badword" or "bad words".
//   Runs of whitespace in the item match any run of whitespace in the text. The word-boundary
//   check applies only at an edge of the item that is a letter or digit, so "$$$" hits "x$$$y".
// - A regex item matches anywhere, case-insensitively, as written (no implicit anchors).
//
// Regexes run on the V8 backtracking engine, synchronously, so a pattern that backtracks
// catastrophically would stall the event loop for every request. Patterns are therefore
// refused when they are long, nest quantifiers ("(a+)+", "(\w*)*", "(x+y?)*"), or use
// backreferences. Overlapping alternation under a quantifier ("(a|a)*") is not detected; the
// texts matched are bounded by the request body limit.

import type { RaiBlocklistItem } from '../core/safety.js';

/** Longest pattern accepted, exact or regex (Azure's own limit is UNCONFIRMED). */
export const MAX_PATTERN_LENGTH = 1000;

/** Why this item cannot be used, or undefined when it can. */
export function checkBlocklistPattern(pattern: string, isRegex: boolean): string | undefined {
  if (pattern.trim() === '') return 'The pattern is empty.';
  if (pattern.length > MAX_PATTERN_LENGTH) return `The pattern is longer than ${MAX_PATTERN_LENGTH} characters.`;
  if (!isRegex) return undefined;
  let regex: RegExp;
  try {
    regex = compileRegex(pattern);
  } catch (error) {
    return `The pattern is not a valid regular expression: ${(error as Error).message}`;
  }
  // A pattern that matches the empty text matches every text: surely not what was meant.
  if (regex.test('')) return 'The pattern matches empty text, so it would match every text.';
  return riskyRegex(pattern);
}

/**
 * Case-insensitive, with Unicode semantics when the pattern allows them (`u` refuses some
 * escapes that other engines accept, such as "\_"; those compile without it).
 */
function compileRegex(pattern: string): RegExp {
  try {
    return new RegExp(pattern, 'iu');
  } catch {
    return new RegExp(pattern, 'i');
  }
}

/** Nested unbounded quantifiers or backreferences: the shapes that backtrack exponentially. */
function riskyRegex(pattern: string): string | undefined {
  // One entry per open group: whether something inside it repeats without bound.
  const groups: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(next) || next === 'k')) return 'Backreferences are not supported in blocklist patterns.';
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') groups.push(false);
    else if (c === ')') {
      const inner = groups.pop() ?? false;
      const repeated = repeatsAt(pattern, i + 1);
      if (inner && repeated) {
        return 'The pattern nests repetition (a repeated group containing * + or {n,}), which can take exponential time.';
      }
      if ((inner || repeated) && groups.length > 0) groups[groups.length - 1] = true;
    } else if (repeatsAt(pattern, i) && groups.length > 0) groups[groups.length - 1] = true;
  }
  return undefined;
}

/** Whether an unbounded (or large) quantifier starts at `i`: *, +, {n,} or {n,m} with m > 10. */
function repeatsAt(pattern: string, i: number): boolean {
  const c = pattern[i];
  if (c === '*' || c === '+') return true;
  if (c !== '{') return false;
  const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
  if (!m) return false;
  if (m[2] === undefined) return Number(m[1]) > 10;
  return m[3] === '' || Number(m[3]) > 10;
}

const WORD = /[\p{L}\p{N}_]/u;

function exactRegex(pattern: string): RegExp {
  const phrase = pattern.trim();
  const body = phrase
    .split(/\s+/u)
    .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('\\s+');
  const before = WORD.test(phrase[0]!) ? '(?<![\\p{L}\\p{N}_])' : '';
  const after = WORD.test(phrase.at(-1)!) ? '(?![\\p{L}\\p{N}_])' : '';
  return new RegExp(`${before}${body}${after}`, 'iu');
}

export interface BlocklistMatcher {
  readonly blocklistName: string;
  /** Names of the items the text hits, in the blocklist's item order. */
  match(text: string): string[];
}

/** Compiles a blocklist once (per change of it); items refused by checkBlocklistPattern throw. */
export function compileBlocklist(blocklist: { name: string; items: readonly RaiBlocklistItem[] }): BlocklistMatcher {
  const compiled = blocklist.items.map((item) => {
    const problem = checkBlocklistPattern(item.pattern, item.isRegex);
    if (problem) throw new Error(`Blocklist '${blocklist.name}' item '${item.name}': ${problem}`);
    return { name: item.name, regex: item.isRegex ? compileRegex(item.pattern) : exactRegex(item.pattern) };
  });
  return {
    blocklistName: blocklist.name,
    match: (text) => compiled.filter((c) => c.regex.test(text)).map((c) => c.name),
  };
}

export interface BlocklistHit {
  blocklistName: string;
  itemNames: string[];
}

/** The blocklists (of those given) that the text hits, each with the items it hits. */
export function matchBlocklists(text: string, matchers: readonly BlocklistMatcher[]): BlocklistHit[] {
  const hits: BlocklistHit[] = [];
  for (const m of matchers) {
    const itemNames = m.match(text);
    if (itemNames.length > 0) hits.push({ blocklistName: m.blocklistName, itemNames });
  }
  return hits;
}
