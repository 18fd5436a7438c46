// The index at the size the design aims for: 1,000 works of 20 KB. Prints build time, size and
// find() time; asserts only on what is found (tests never assert on wall-clock time).

import { describe, expect, it } from 'vitest';
import { createProtectedMaterialIndex } from './reference-index.js';
import { pseudoCode, pseudoText } from './testing.js';

const WORKS = 1000;
const WORK_CHARS = 20 * 1024;
const CODE_EVERY = 4; // one work in four is code

describe('1,000 works of 20 KB', () => {
  it('builds, and finds in a 2 KB completion', () => {
    const entries = Array.from({ length: WORKS }, (_, i) =>
      i % CODE_EVERY === 0
        ? { work: { kind: 'code' as const, title: `code-${i}.ts`, url: `https://example.com/${i}`, license: 'MIT' }, content: pseudoCode(1000 + i, WORK_CHARS) }
        : { work: { kind: 'text' as const, title: `text-${i}.txt` }, content: pseudoText(1000 + i, WORK_CHARS) },
    );
    const heapBefore = process.memoryUsage();
    const t0 = performance.now();
    const index = createProtectedMaterialIndex(entries);
    const buildMs = performance.now() - t0;
    const heapAfter = process.memoryUsage();

    const { text, code } = index.stats;
    const tokens = text.tokens + code.tokens;
    const bytes = text.bytes + code.bytes;
    const grown = heapAfter.heapUsed + heapAfter.arrayBuffers - heapBefore.heapUsed - heapBefore.arrayBuffers;
    console.log(
      `protected material index: ${WORKS} works, ${(tokens / 1e6).toFixed(2)} M tokens ` +
        `(text ${text.tokens}, ${text.distinctTokens} distinct, ${text.fingerprints} fingerprints; ` +
        `code ${code.tokens}, ${code.distinctTokens} distinct, ${code.fingerprints} fingerprints), ` +
        `built in ${buildMs.toFixed(0)} ms; typed arrays ${(bytes / 2 ** 20).toFixed(1)} MiB = ${(bytes / tokens).toFixed(2)} bytes/token; ` +
        `heap + array buffers grew ${(grown / 2 ** 20).toFixed(1)} MiB (garbage included)`,
    );

    const unrelated = pseudoText(5, 2048);
    const quoting = `Here it is:\n${entries[501]!.content.slice(3000, 5048)}`;
    const copying = `\`\`\`ts\n${entries[500]!.content.slice(6000, 8048)}\n\`\`\``;
    const timeIt = (label: string, completion: string) => {
      for (let i = 0; i < 50; i++) index.find(completion); // warm-up: let the JIT compile the loops
      const runs = 500;
      const start = performance.now();
      for (let i = 0; i < runs; i++) index.find(completion);
      const each = (performance.now() - start) / runs;
      console.log(`find() on a 2 KB completion, ${label}: ${(each * 1000).toFixed(0)} µs`);
      return index.find(completion);
    };
    expect(timeIt('unrelated prose', unrelated)).toEqual({});
    expect(timeIt('quoting a text work', quoting).text?.work.title).toBe('text-501.txt');
    expect(timeIt('copying a code work', copying).code?.work.title).toBe('code-500.ts');
  });
});
