import { describe, expect, it } from 'vitest';
import { MAX_TEXT, shieldBatches, splitText } from './pieces.js';

const cp = (s: string) => [...s].length;

describe('splitText', () => {
  it('keeps a text within the limit whole', () => {
    expect(splitText('short')).toEqual(['short']);
    expect(splitText('a'.repeat(MAX_TEXT))).toHaveLength(1);
    // 10,000 code points are 20,000 UTF-16 units: still one piece.
    expect(splitText('😀'.repeat(MAX_TEXT))).toHaveLength(1);
  });

  it('cuts after whitespace, so no word is split, and loses nothing', () => {
    const text = 'lorem ipsum dolor '.repeat(1500); // 27,000 characters
    const pieces = splitText(text);
    expect(pieces.join('')).toBe(text);
    expect(pieces.length).toBe(3);
    for (const p of pieces) expect(cp(p)).toBeLessThanOrEqual(MAX_TEXT);
    for (const p of pieces.slice(0, -1)) expect(p).toMatch(/\s$/);
  });

  it('cuts hard where there is no whitespace, never inside a code point', () => {
    const pieces = splitText('😀'.repeat(MAX_TEXT + 1));
    expect(pieces.map(cp)).toEqual([MAX_TEXT, 1]);
    expect(pieces[1]).toBe('😀');
  });
});

describe('shieldBatches', () => {
  it('makes one call for a prompt and documents within the limits', () => {
    expect(shieldBatches('hi', ['a', 'b'])).toEqual([{ userPrompt: 'hi', documents: [{ index: 0, text: 'a' }, { index: 1, text: 'b' }] }]);
    expect(shieldBatches(undefined, ['a'])).toEqual([{ documents: [{ index: 0, text: 'a' }] }]);
    expect(shieldBatches(undefined, [])).toEqual([]);
  });

  it('spreads long prompts and many or long documents over calls, each within the limits', () => {
    const doc = 'word '.repeat(1500); // 7,500 characters
    const batches = shieldBatches('x '.repeat(6000), [doc, doc, 'a', 'b', 'c', 'd', 'e', 'f']);
    expect(batches.filter((b) => b.userPrompt !== undefined)).toHaveLength(2);
    for (const b of batches) {
      expect(b.documents.length).toBeLessThanOrEqual(5);
      expect(b.documents.reduce((n, d) => n + cp(d.text), 0)).toBeLessThanOrEqual(10_000);
    }
    expect(batches.flatMap((b) => b.documents.map((d) => d.index))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
