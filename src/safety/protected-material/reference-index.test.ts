import { describe, expect, it } from 'vitest';
import { kgramHashes, tokenHash } from './fingerprint.js';
import type { ReferenceWork } from './index.js';
import { createProtectedMaterialIndex, DEFAULT_CODE_THRESHOLD, DEFAULT_TEXT_THRESHOLD } from './reference-index.js';
import { CSV_READER, DECLARATION, ESSAY, pseudoText, random } from './testing.js';

const essay: ReferenceWork = { kind: 'text', title: 'harbour-light.txt' };
const declaration: ReferenceWork = { kind: 'text', title: 'declaration.txt', url: 'https://www.archives.gov/founding-docs/declaration-transcript' };
const csv: ReferenceWork = { kind: 'code', title: 'src/read-csv.ts', url: 'https://github.com/example/csv', license: 'MIT' };

const index = createProtectedMaterialIndex([
  { work: essay, content: ESSAY },
  { work: declaration, content: DECLARATION },
  { work: csv, content: CSV_READER },
]);

const words = (text: string) => text.split(/\s+/).filter(Boolean);

/** `count` words of `text` from word `from`, re-cased, re-punctuated and re-wrapped. */
function quote(text: string, from: number, count: number): string {
  return words(text)
    .slice(from, from + count)
    .map((w, i) => (i % 3 === 0 ? w.toUpperCase() : w).replace(/[.,;:]/g, ''))
    .map((w, i) => (i % 11 === 10 ? `${w};\n` : i % 4 === 3 ? `${w},` : w))
    .join(' ');
}

// Framing written so that its words differ from those around any quoted run.
const before = 'Sure! Here is the passage you asked about, quoted from memory:\n\n';
const after = '\n\nLet me know whether you would like a summary too.';

describe('text', () => {
  it('finds a 60-word run of a reference text quoted with other case, punctuation and line breaks', () => {
    const quoted = quote(ESSAY, 75, 60);
    const completion = before + quoted + after;
    const found = index.find(completion);
    expect(found.text?.work).toBe(essay);
    expect(found.text?.sharedTokens).toBe(60);
    // The span covers the quotation inside the completion, from its first word to its last.
    expect(completion.slice(found.text!.start, found.text!.end)).toBe(quoted.replace(/[;,\s]+$/, ''));
    expect(found.code).toBeUndefined();
  });

  it('names the work the run comes from', () => {
    expect(index.find(before + quote(DECLARATION, 20, 70) + after).text?.work).toBe(declaration);
  });

  it('does not report a 30-word run', () => {
    expect(index.find(before + quote(ESSAY, 120, 30) + after)).toEqual({});
  });

  it('does not report an unrelated text', () => {
    const unrelated = `A lighthouse keeper's day began before dawn. The lamp had to be trimmed and the brass polished,
and the weather written into the log. Most keepers stayed for years; some for their whole working lives,
climbing the steps of the tower twice a night and keeping the light burning for the ships at sea.`;
    expect(index.find(unrelated)).toEqual({});
  });

  it('reports a run of exactly the threshold and not one word shorter', () => {
    const reference = pseudoText(11, 4000);
    const small = createProtectedMaterialIndex([{ work: essay, content: reference }]);
    const run = (n: number) => `zzfirst ${words(reference).slice(100, 100 + n).join(' ')} zzlast`;
    expect(small.find(run(DEFAULT_TEXT_THRESHOLD)).text?.sharedTokens).toBe(DEFAULT_TEXT_THRESHOLD);
    expect(small.find(run(DEFAULT_TEXT_THRESHOLD - 1)).text).toBeUndefined();
  });

  it('reports the longest run when a completion quotes several works', () => {
    const found = index.find(`${quote(DECLARATION, 0, 45)} and also ${quote(ESSAY, 10, 80)}`);
    expect(found.text).toMatchObject({ work: essay, sharedTokens: 80 });
  });

  it('honours other thresholds', () => {
    const strict = createProtectedMaterialIndex([{ work: essay, content: ESSAY }], { textThreshold: 25 });
    expect(strict.find(quote(ESSAY, 120, 30)).text?.sharedTokens).toBe(30);
    expect(() => createProtectedMaterialIndex([], { codeThreshold: 0 })).toThrow(/codeThreshold must be a positive integer/);
  });
});

/** The reference with its comments stripped, re-indented with tabs and its spacing changed. */
function disguise(code: string): string {
  return code
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s*\/\/.*$/gm, '')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.replace(/^(?: {4})+/, (indent) => '\t'.repeat(indent.length / 4)))
    .join('\n')
    .replace(/ = /g, '=')
    .replace(/, /g, ',')
    .replace(/\) \{/g, '){');
}

describe('code', () => {
  it('finds code copied with comments stripped, other indentation and spacing, with its citation', () => {
    const copied = disguise(CSV_READER).split('\n').slice(3, 40).join('\n');
    expect(copied).not.toContain('//');
    const found = index.find(`Here is a CSV reader:\n\n\`\`\`ts\n${copied}\n\`\`\`\n`);
    expect(found.code?.work).toEqual({ kind: 'code', title: 'src/read-csv.ts', url: 'https://github.com/example/csv', license: 'MIT' });
    expect(found.code!.sharedTokens).toBeGreaterThanOrEqual(DEFAULT_CODE_THRESHOLD);
  });

  it('does not report a few common lines', () => {
    const common = `import { readFile } from 'node:fs/promises';\nconst rows: string[][] = [];\nfor (let i = 0; i < input.length; i++) {\n  const ch = input[i];\n}\n`;
    expect(index.find(common).code).toBeUndefined();
  });

  it('does not see through renamed identifiers (a known limit of token matching)', () => {
    const renames: Record<string, string> = {
      field: 'cell', row: 'record', rows: 'table', input: 'text', ch: 'c', quoted: 'inQuotes', line: 'lineNo',
      i: 'pos', delimiter: 'sep', afterQuote: 'closed', columns: 'heads', records: 'body', fields: 'cells',
      name: 'key', seen: 'names', object: 'entry', objects: 'entries', options: 'opts',
    };
    const renamed = disguise(CSV_READER).replace(/\b[A-Za-z]+\b/g, (id) => renames[id] ?? id);
    expect(index.find(renamed).code).toBeUndefined();
    // Give two names back and a stretch that uses only original names is long enough again.
    expect(index.find(renamed.replace(/\bcells\b/g, 'fields').replace(/\bheads\b/g, 'columns')).code?.work).toBe(csv);
  });
});

describe('verification', () => {
  it('never reports a hash collision: the tokens themselves are compared', () => {
    // Two different 8-word sequences with the same fingerprint, found by the birthday bound
    // (about 80,000 random sequences for 32-bit hashes).
    const next = random(99);
    const vocabulary = Array.from({ length: 1000 }, (_, i) => `w${i}`);
    const hashes = vocabulary.map(tokenHash);
    const seen = new Map<number, number[]>();
    let pair: [number[], number[]] | undefined;
    while (!pair) {
      const gram = Array.from({ length: 8 }, () => Math.floor(next() * vocabulary.length));
      const fp = kgramHashes(gram.map((t) => hashes[t]!), 8)[0]!;
      const other = seen.get(fp);
      if (other && other.join() !== gram.join()) pair = [other, gram];
      seen.set(fp, gram);
    }
    const [a, b] = pair.map((gram) => gram.map((t) => vocabulary[t]).join(' ')) as [string, string];
    const tiny = createProtectedMaterialIndex([{ work: essay, content: a }], { textThreshold: 8 });
    expect(tiny.find(a).text?.sharedTokens).toBe(8);
    expect(tiny.find(b)).toEqual({});
  });
});

describe('filler', () => {
  it('is not material: runs made of a short repeated pattern are not reported', () => {
    const table = `const ZEROS = [${Array(300).fill('0').join(', ')}];\nconst LA = "${Array(100).fill('la').join(' ')}";`;
    const corpus = createProtectedMaterialIndex([
      { work: csv, content: `${CSV_READER}\n${table}` },
      { work: essay, content: `${ESSAY}\n${Array(100).fill('tra la la').join(' ')}` },
    ]);
    expect(corpus.find(`let z = [${Array(200).fill('0').join(', ')}]; ${Array(80).fill('tra la la').join(' ')}`)).toEqual({});
    // Even after a shared start ("const ZEROS = ["), the zeros do not make up the run.
    expect(corpus.find(`const ZEROS = [${Array(200).fill('0').join(', ')}]`)).toEqual({});
    // A real copy around the filler is still found.
    expect(corpus.find(quote(ESSAY, 200, 60)).text?.work).toBe(essay);
  });
});

describe('an empty corpus', () => {
  it('finds nothing', () => {
    const empty = createProtectedMaterialIndex([]);
    expect(empty.size).toBe(0);
    expect(empty.find(ESSAY)).toEqual({});
  });
});
