import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { citationFor, kindOf, MAX_WORK_BYTES } from './corpus-directory.js';
import { loadProtectedMaterial } from './load.js';
import { CSV_READER, DECLARATION, ESSAY } from './testing.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'lapis-protected-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function put(path: string, content: string | Buffer): Promise<string> {
  const full = join(root, path);
  await mkdir(dirname(full), { recursive: true });
  await writeFile(full, content);
  return full;
}

const sixtyWords = (text: string, from = 30) => text.split(/\s+/).slice(from, from + 60).join(' ').toUpperCase();

/** The reference without its comments, indented with tabs, spacing tightened. */
const copiedCode = () =>
  CSV_READER.replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s*\/\/.*$/gm, '')
    .split('\n')
    .slice(5, 45)
    .map((line) => line.replace(/^(?: {4})+/, (indent) => '\t'.repeat(indent.length / 4)))
    .join('\n')
    .replace(/ = /g, '=');

describe('a .jsonl corpus', () => {
  it('holds one work per line, blank lines ignored', async () => {
    const file = await put(
      'corpus.jsonl',
      [
        JSON.stringify({ kind: 'text', content: ESSAY, title: 'The harbour light' }),
        '',
        JSON.stringify({ kind: 'code', content: CSV_READER, url: 'https://github.com/example/csv', license: 'MIT' }),
        JSON.stringify({ kind: 'text', content: DECLARATION }),
      ].join('\r\n') + '\n',
    );
    const index = await loadProtectedMaterial(file);
    expect(index.size).toBe(3);
    expect(index.find(sixtyWords(ESSAY)).text?.work).toEqual({ kind: 'text', title: 'The harbour light' });
    expect(index.find(sixtyWords(DECLARATION, 10)).text?.work).toEqual({ kind: 'text', title: 'corpus.jsonl:4' });
    expect(index.find(copiedCode()).code?.work).toEqual({ kind: 'code', title: 'corpus.jsonl:3', url: 'https://github.com/example/csv', license: 'MIT' });
  });

  it.each([
    ['{"kind":"text","content":"x"', /line 3: not valid JSON/],
    ['["text"]', /line 3: not a JSON object/],
    ['{"kind":"poem","content":"x"}', /line 3: "kind" must be "text" or "code", got "poem"/],
    ['{"kind":"text"}', /line 3: "content" must be a string/],
    ['{"kind":"text","content":"  "}', /line 3: "content" is empty/],
    ['{"kind":"code","content":"x","license":1}', /line 3: "license" must be a string/],
    ['{"kind":"text","content":"x","author":"me"}', /line 3: unknown field 'author'/],
  ])('names the file and line of a bad line: %s', async (bad, reason) => {
    const file = await put('bad.jsonl', `${JSON.stringify({ kind: 'text', content: 'fine' })}\n\n${bad}\n`);
    await expect(loadProtectedMaterial(file)).rejects.toThrow(`protected material corpus '${file}' line 3: `);
    await expect(loadProtectedMaterial(file)).rejects.toThrow(reason);
  });
});

describe('a directory corpus', () => {
  let dir: string;

  beforeAll(async () => {
    dir = join(root, 'tree');
    await put('tree/citations.json', JSON.stringify({
      'vendor/': { license: 'Apache-2.0' },
      './vendor/csv/': { url: 'https://github.com/example/csv', license: 'MIT' },
    }));
    await put('tree/vendor/csv/src/read-csv.ts', CSV_READER);
    await put('tree/vendor/notes/harbour.md', ESSAY);
    await put('tree/docs/declaration.txt', DECLARATION);
    // Skipped: a dot directory, a binary file, a file over the size limit.
    await put('tree/.git/objects/essay-copy', ESSAY);
    await put('tree/assets/image.bin', Buffer.concat([Buffer.from([0x89, 0x50, 0x00]), Buffer.from(ESSAY)]));
    await put('tree/dump/big.txt', `${DECLARATION}\n`.repeat(Math.ceil((MAX_WORK_BYTES + 1) / DECLARATION.length)));
    // A link back up is followed once, not forever.
    await symlink(dir, join(dir, 'docs', 'loop'));
  });

  it('indexes each text file once, skipping dot-files, binaries and huge files', async () => {
    const index = await loadProtectedMaterial(dir);
    expect(index.size).toBe(3);
    expect(index.find(sixtyWords(ESSAY)).text?.work).toEqual({ kind: 'text', title: 'vendor/notes/harbour.md', license: 'Apache-2.0' });
    expect(index.find(sixtyWords(DECLARATION)).text?.work).toEqual({ kind: 'text', title: 'docs/declaration.txt' });
  });

  it('cites code by the longest matching prefix of citations.json', async () => {
    const index = await loadProtectedMaterial(dir);
    const found = index.find(`Try this:\n\n\`\`\`typescript\n${copiedCode()}\n\`\`\``);
    expect(found.code?.work).toEqual({ kind: 'code', title: 'vendor/csv/src/read-csv.ts', url: 'https://github.com/example/csv', license: 'MIT' });
  });

  it.each([
    ['{ not json', /not valid JSON/],
    ['[]', /must be an object mapping path prefixes/],
    ['{"src/": "MIT"}', /the entry 'src\/' must be an object/],
    ['{"src/": {}}', /the entry 'src\/' has neither "url" nor "license"/],
    ['{"src/": {"license": "MIT", "author": "x"}}', /the entry 'src\/' has unknown field 'author'/],
    ['{"src/": {"url": 5}}', /the entry 'src\/' has a "url" that is not a string/],
  ])('refuses a bad citations.json: %s', async (content, problem) => {
    const bad = join(root, 'bad-citations');
    await put('bad-citations/citations.json', content);
    await put('bad-citations/a.txt', 'text');
    await expect(loadProtectedMaterial(bad)).rejects.toThrow(`protected material citations '${join(bad, 'citations.json')}': `);
    await expect(loadProtectedMaterial(bad)).rejects.toThrow(problem);
  });
});

describe('paths', () => {
  it('refuses a path that does not exist', async () => {
    const missing = join(root, 'nowhere');
    await expect(loadProtectedMaterial(missing)).rejects.toThrow(`protected material corpus '${missing}' does not exist`);
  });

  it('refuses a file that is not .jsonl', async () => {
    const file = await put('corpus.txt', ESSAY);
    await expect(loadProtectedMaterial(file)).rejects.toThrow(/must be a \.jsonl file or a directory/);
  });
});

describe('kinds and citations', () => {
  it('tells code by extension or well-known name', () => {
    expect(['a.ts', 'b.PY', 'Makefile', 'x.go', 'q.sql'].map(kindOf)).toEqual(['code', 'code', 'code', 'code', 'code']);
    expect(['README.md', 'notes.txt', 'LICENSE', '.ts'].map(kindOf)).toEqual(['text', 'text', 'text', 'text']);
  });

  it('picks the longest prefix, with "" as a fallback', () => {
    const citations = new Map([
      ['', { license: 'CC-BY-4.0' }],
      ['vendor/lodash/', { url: 'https://github.com/lodash/lodash', license: 'MIT' }],
    ]);
    expect(citationFor(citations, 'vendor/lodash/map.js')).toEqual({ url: 'https://github.com/lodash/lodash', license: 'MIT' });
    expect(citationFor(citations, 'src/app.js')).toEqual({ license: 'CC-BY-4.0' });
    expect(citationFor(new Map(), 'src/app.js')).toBeUndefined();
  });
});
