import { describe, expect, it } from 'vitest';
import { codeTokens, textTokens } from './tokens.js';

const spans = (source: string, t: { starts: Uint32Array; ends: Uint32Array }) => [...t.starts].map((s, i) => source.slice(s, t.ends[i]));

describe('text tokens', () => {
  it('are lowercase words without punctuation, with their spans in the source', () => {
    const source = 'We hold these Truths—to be\n  self-evident; (1776).';
    const t = textTokens(source);
    expect(t.values).toEqual(['we', 'hold', 'these', 'truths', 'to', 'be', 'self', 'evident', '1776']);
    expect(spans(source, t)).toEqual(['We', 'hold', 'these', 'Truths', 'to', 'be', 'self', 'evident', '1776']);
  });

  it('fold compatibility forms and decomposed accents', () => {
    expect(textTokens('Café ﬁnal ＡＢＣ').values).toEqual(textTokens('cafe\u0301 final abc').values);
  });

  it('are one per character in Han and kana, whose words have no spaces between them', () => {
    const t = textTokens('東京は大きい city');
    expect(t.values).toEqual(['東', '京', 'は', '大', 'き', 'い', 'city']);
  });
});

describe('code tokens', () => {
  it('are identifiers, numbers and punctuation, case kept, whitespace dropped', () => {
    const t = codeTokens('const Total=sum(xs,  1.5e3);\n\treturn Total');
    expect(t.values).toEqual(['const', 'Total', '=', 'sum', '(', 'xs', ',', '1.5e3', ')', ';', 'return', 'Total']);
    expect(spans('const Total=sum(xs,  1.5e3);\n\treturn Total', t)).toEqual(t.values);
  });

  it('drop //, /* */ and # comments', () => {
    const source = ['a = 1 // one', '/* block', '   comment */ b = 2', '# python comment', 'c = 3  # trailing', 'd = e#f'].join('\n');
    expect(codeTokens(source).values).toEqual(['a', '=', '1', 'b', '=', '2', 'c', '=', '3', 'd', '=', 'e', '#', 'f']);
  });

  it('keep C directives and Rust attributes, which are code', () => {
    expect(codeTokens('#include <stdio.h>\n#[derive(Debug)]').values).toEqual(['#', 'include', '<', 'stdio', '.', 'h', '>', '#', '[', 'derive', '(', 'Debug', ')', ']']);
  });

  it('do not read comment markers inside a quoted string', () => {
    const source = `fetch("http://x/a # b"); // gone`;
    const t = codeTokens(source);
    expect(t.values).toEqual(['fetch', '(', '"', 'http', ':', '/', '/', 'x', '/', 'a', '#', 'b', '"', ')', ';']);
    expect(spans(source, t)).toEqual(t.values);
  });

  it('survive an unmatched quote (a Rust lifetime)', () => {
    expect(codeTokens("fn f<'a>(x: &'a str) // c").values).toEqual(['fn', 'f', '<', "'", 'a', '>', '(', 'x', ':', '&', "'", 'a', 'str', ')']);
  });
});
