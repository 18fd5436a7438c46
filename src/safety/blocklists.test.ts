import { describe, expect, it } from 'vitest';
import { checkBlocklistPattern, compileBlocklist, matchBlocklists, MAX_PATTERN_LENGTH } from './blocklists.js';

const list = (name: string, items: [string, string, boolean?][]) =>
  compileBlocklist({ name, items: items.map(([n, pattern, isRegex]) => ({ name: n, pattern, isRegex: isRegex ?? false })) });

describe('exact items', () => {
  const m = list('words', [['phrase', 'bad word'], ['money', '$$$'], ['accent', 'Éclair']]);

  it.each([
    ['A BAD   word!', ['phrase']],
    ['bad\nword', ['phrase']],
    ['(bad word)', ['phrase']],
    ['badword', []],
    ['bad words', []],
    ['notbad word', []],
    ['x$$$y', ['money']],
    ['an éclair', ['accent']],
    ['éclairs', []],
  ])('%j → %j', (text, expected) => {
    expect(m.match(text)).toEqual(expected);
  });

  it('treats regex metacharacters in an exact item literally', () => {
    expect(list('l', [['dot', 'a.b']]).match('axb')).toEqual([]);
    expect(list('l', [['dot', 'a.b']]).match('say a.b now')).toEqual(['dot']);
  });
});

describe('regex items', () => {
  it('match anywhere, case-insensitively', () => {
    const m = list('re', [['digits', 'acct-\\d{4}', true], ['hex', '0x[0-9a-f]+', true]]);
    expect(m.match('ACCT-1234 and 0XFF')).toEqual(['digits', 'hex']);
    expect(m.match('acct-12')).toEqual([]);
  });

  it('accept escapes that only non-unicode mode allows', () => {
    expect(checkBlocklistPattern('a\\_b', true)).toBeUndefined();
    expect(list('re', [['u', 'a\\_b', true]]).match('xa_by')).toEqual(['u']);
  });
});

describe('checkBlocklistPattern', () => {
  it.each([
    ['(a+)+$', /nests repetition/],
    ['(\\w*)*x', /nests repetition/],
    ['x((ab+)?c)*', /nests repetition/],
    ['(x+y?){2,}', /nests repetition/],
    ['(a)\\1', /Backreferences/],
    ['(?<w>a)\\k<w>', /Backreferences/],
    ['([a-z', /not a valid regular expression/],
    ['a*', /matches empty text/],
    ['   ', /empty/],
  ])('refuses %j', (pattern, reason) => {
    expect(checkBlocklistPattern(pattern, true)).toMatch(reason);
  });

  it.each(['(ab)+', '(a+b)', '[(+)]+x', '(cat|dog)s?', '\\d+-\\d+', '(a{2,3})+', '(?:foo)+bar'])('accepts %j', (pattern) => {
    expect(checkBlocklistPattern(pattern, true)).toBeUndefined();
  });

  it('caps the length of any pattern, and does not parse exact ones as regexes', () => {
    expect(checkBlocklistPattern('x'.repeat(MAX_PATTERN_LENGTH + 1), false)).toMatch(/longer than/);
    expect(checkBlocklistPattern('x'.repeat(MAX_PATTERN_LENGTH), false)).toBeUndefined();
    expect(checkBlocklistPattern('(a+)+', false)).toBeUndefined();
  });

  it('makes compileBlocklist refuse a bad item, naming it', () => {
    expect(() => list('l', [['boom', '(a+)+', true]])).toThrow(/Blocklist 'l' item 'boom'/);
  });
});

describe('matchBlocklists', () => {
  it('returns the blocklists hit, with their items, in the order given', () => {
    const a = list('a', [['x', 'secret']]);
    const b = list('b', [['y', 'project \\w+', true], ['z', 'nothing']]);
    const c = list('c', [['w', 'other']]);
    expect(matchBlocklists('The Secret project Lapis', [a, b, c])).toEqual([
      { blocklistName: 'a', itemNames: ['x'] },
      { blocklistName: 'b', itemNames: ['y'] },
    ]);
    expect(matchBlocklists('clean', [a, b, c])).toEqual([]);
  });
});
