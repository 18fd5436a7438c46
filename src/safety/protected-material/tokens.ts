// Tokenizers for protected material: the unit of comparison is a token, not a character, so a
// copy that was reflowed, re-punctuated or re-indented still lines up with its source. Each
// token keeps its character span in the input so a match can be pointed at in the completion.
//
// Text: lowercase runs of Unicode letters, marks and digits; punctuation and whitespace are
// dropped. Han ideographs and kana are one token per character, since those scripts put no
// spaces between words (a whole sentence would otherwise be one token). Thai, Lao, Khmer and
// Burmese also write without spaces but are kept as runs: per-character tokens of an alphabet
// would make the word thresholds far too short for them.
//
// Code: whitespace and comments are dropped; identifiers, numbers and single punctuation
// characters are tokens, case kept. Comments are `//…`, `/*…*/`, and `#…` where `#` starts a
// line or follows whitespace (Python, shell, Ruby, YAML) — except `#[`/`#![` (Rust attributes)
// and C preprocessor directives (`#include`, `#define`, …), which are code. A quoted string on
// one line is recognized first so that "http://x" or "a # b" inside it is not a comment; its
// contents are tokenized like code. Both sides of a comparison go through the same rules, so
// where a rule misreads a language it misreads the reference and the completion alike.

/** Called once per token: its normalized form and its [start, end) span in the input. */
export type TokenVisitor = (token: string, start: number, end: number) => void;

export interface Tokens {
  values: string[];
  starts: Uint32Array;
  ends: Uint32Array;
}

export type MaterialTokenizer = (source: string, visit: TokenVisitor) => void;

const WORD = /[\p{L}\p{M}\p{N}]+/gu;
const NON_SPACED = /[\p{Ideographic}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const NON_SPACED_SPLIT = /[\p{Ideographic}\p{Script=Hiragana}\p{Script=Katakana}]|[^\p{Ideographic}\p{Script=Hiragana}\p{Script=Katakana}]+/gu;
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/** NFKC folds compatibility forms (ligatures, full-width letters, decomposed accents) so they compare equal. */
function normalizeWord(word: string): string {
  return ASCII_ONLY.test(word) ? word.toLowerCase() : word.normalize('NFKC').toLowerCase();
}

export const forEachTextToken: MaterialTokenizer = (source, visit) => {
  for (const m of source.matchAll(WORD)) {
    const run = m[0];
    const start = m.index;
    if (!NON_SPACED.test(run)) {
      visit(normalizeWord(run), start, start + run.length);
      continue;
    }
    for (const part of run.matchAll(NON_SPACED_SPLIT)) {
      visit(normalizeWord(part[0]), start + part.index, start + part.index + part[0].length);
    }
  }
};

const DIRECTIVES = 'include|define|undef|if|ifdef|ifndef|elif|else|endif|pragma|error|warning|line|import|region|endregion';
// Longer "strings" are read as code: an unmatched quote (a Rust lifetime, an apostrophe) then
// costs a bounded look-ahead instead of a scan to the end of a possibly huge minified line.
const MAX_STRING = 500;
// One pass over the source: each alternative is tried in order at every position. Comments
// (captured in group 1) are skipped; strings (group 2) are re-tokenized without comments.
const CODE = new RegExp(
  [
    `(\\/\\/[^\\n]*|\\/\\*[\\s\\S]*?(?:\\*\\/|$)|(?<!\\S)#(?!!?\\[|(?:${DIRECTIVES})\\b)[^\\n]*)`,
    `((["'\`])(?:[^\\n\\\\]|\\\\.){0,${MAX_STRING}}?\\3)`,
    `[\\p{L}\\p{Nl}_$][\\p{L}\\p{M}\\p{N}_$]*`,
    `\\p{Nd}[\\p{L}\\p{M}\\p{N}_.]*`,
    `\\S`,
  ].join('|'),
  'gu',
);
const CODE_IN_STRING = /[\p{L}\p{Nl}_$][\p{L}\p{M}\p{N}_$]*|\p{Nd}[\p{L}\p{M}\p{N}_.]*|\S/gu;

export const forEachCodeToken: MaterialTokenizer = (source, visit) => {
  for (const m of source.matchAll(CODE)) {
    if (m[1] !== undefined) continue;
    const start = m.index;
    if (m[2] === undefined) {
      visit(m[0], start, start + m[0].length);
      continue;
    }
    for (const part of m[2].matchAll(CODE_IN_STRING)) {
      visit(part[0], start + part.index, start + part.index + part[0].length);
    }
  }
};

function collect(tokenize: MaterialTokenizer, source: string): Tokens {
  const values: string[] = [];
  // A token covers at least one UTF-16 unit, so the source length bounds their number.
  const starts = new Uint32Array(source.length);
  const ends = new Uint32Array(source.length);
  tokenize(source, (token, start, end) => {
    starts[values.length] = start;
    ends[values.length] = end;
    values.push(token);
  });
  return { values, starts: starts.subarray(0, values.length), ends: ends.subarray(0, values.length) };
}

export function textTokens(source: string): Tokens {
  return collect(forEachTextToken, source);
}

export function codeTokens(source: string): Tokens {
  return collect(forEachCodeToken, source);
}
