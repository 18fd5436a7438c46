// Loads the classifier straight from src/safety/classifier/*.ts by transpiling it (TypeScript's
// transpileModule, no type check) into a temp dir. Why: training and the bench must not depend on
// the whole project building (`tsc -p tsconfig.build.json` covers every engineer's src/), and
// Node 20 cannot import .ts itself. Serving uses the normal tsc output in dist/.

import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

export const SRC_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../src/safety/classifier');

function* tsFiles(dir) {
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) yield* tsFiles(p);
    else if (f.endsWith('.ts') && !f.endsWith('.test.ts')) yield p;
  }
}

/** Transpile the classifier sources and import `entry` (e.g. 'features.js', 'index.js'). */
export async function importClassifierModule(entry) {
  const out = mkdtempSync(join(tmpdir(), 'lapis-safety-'));
  process.on('exit', () => rmSync(out, { recursive: true, force: true })); // no temp dirs left behind
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  for (const file of tsFiles(SRC_DIR)) {
    const js = ts.transpileModule(readFileSync(file, 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const dest = join(out, relative(SRC_DIR, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, js);
  }
  return import(pathToFileURL(join(out, entry)).href);
}
