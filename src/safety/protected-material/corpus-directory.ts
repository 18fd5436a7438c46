// A reference corpus as a directory tree: every file is one work, its kind told by its
// extension, its title its path relative to the root. Citations (shown with code matches, as
// Azure shows a GitHub URL and license) come from an optional citations.json at the root that
// maps path prefixes to { url, license }, so one line can cite a whole vendored project.

import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { MaterialKind, ReferenceWork } from './index.js';

export const CITATIONS_FILE = 'citations.json';
/** Larger files are data dumps or generated bundles rather than works someone would quote. */
export const MAX_WORK_BYTES = 5 * 1024 * 1024;
/** How much of a file is searched for a NUL byte, the sign of a binary file (git's own rule). */
const BINARY_SNIFF_BYTES = 8 * 1024;

const CODE_EXTENSIONS = new Set(
  (
    'js mjs cjs jsx ts mts cts tsx py pyi java c h cc cpp cxx hpp hh hxx cs go rs rb php swift kt kts scala ' +
    'sh bash zsh fish ps1 sql m mm r jl lua pl pm dart ex exs erl hs ml fs fsx clj vb groovy gradle ' +
    'vue svelte css scss less zig nim asm s f90 cu cmake proto'
  ).split(' '),
);
const CODE_FILE_NAMES = new Set(['Makefile', 'makefile', 'GNUmakefile', 'Dockerfile', 'Rakefile', 'Gemfile', 'CMakeLists.txt', 'Jenkinsfile']);

export function kindOf(fileName: string): MaterialKind {
  if (CODE_FILE_NAMES.has(fileName)) return 'code';
  const dot = fileName.lastIndexOf('.');
  return dot > 0 && CODE_EXTENSIONS.has(fileName.slice(dot + 1).toLowerCase()) ? 'code' : 'text';
}

export interface Citation {
  url?: string;
  license?: string;
}

/** Reads and checks citations.json; an absent file means no citations. */
export async function readCitations(root: string): Promise<Map<string, Citation>> {
  const file = join(root, CITATIONS_FILE);
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new Error(`protected material citations '${file}' cannot be read: ${(error as Error).message}`, { cause: error });
  }
  const fail = (problem: string): never => {
    throw new Error(`protected material citations '${file}': ${problem}`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    return fail(`not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail('must be an object mapping path prefixes to { "url", "license" }');
  const citations = new Map<string, Citation>();
  for (const [prefix, value] of Object.entries(parsed)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`the entry '${prefix}' must be an object with "url" and/or "license"`);
    const unknown = Object.keys(value).filter((key) => key !== 'url' && key !== 'license');
    if (unknown.length > 0) fail(`the entry '${prefix}' has unknown field '${unknown[0]}' (allowed: url, license)`);
    const { url, license } = value as Record<string, unknown>;
    if (url === undefined && license === undefined) fail(`the entry '${prefix}' has neither "url" nor "license"`);
    if (url !== undefined && typeof url !== 'string') fail(`the entry '${prefix}' has a "url" that is not a string`);
    if (license !== undefined && typeof license !== 'string') fail(`the entry '${prefix}' has a "license" that is not a string`);
    // Prefixes are relative paths with forward slashes, whichever way the operator wrote them.
    const key = prefix.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
    citations.set(key, { ...(url === undefined ? {} : { url: url as string }), ...(license === undefined ? {} : { license: license as string }) });
  }
  return citations;
}

/** The citation of the longest prefix of `path` ("" cites everything not cited otherwise). */
export function citationFor(citations: Map<string, Citation>, path: string): Citation | undefined {
  let best: string | undefined;
  for (const prefix of citations.keys()) {
    if (path.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
  }
  return best === undefined ? undefined : citations.get(best);
}

function isBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}

/**
 * Every work under `root`, in a stable order (sorted paths). Skipped: names starting with a dot
 * (.git, .DS_Store), the root's citations.json, files over MAX_WORK_BYTES and binary files.
 * Symbolic links are followed, each real directory once (a link back up would loop forever).
 */
export async function readCorpusDirectory(root: string): Promise<{ work: ReferenceWork; content: string }[]> {
  const citations = await readCitations(root);
  const entries: { work: ReferenceWork; content: string }[] = [];
  const visited = new Set<string>();
  const decoder = new TextDecoder(); // drops a byte-order mark, unlike Buffer#toString

  const walk = async (dir: string, relative: string): Promise<void> => {
    const real = await realpath(dir);
    if (visited.has(real)) return;
    visited.add(real);
    const names = (await readdir(dir)).filter((name) => !name.startsWith('.')).sort();
    for (const name of names) {
      const path = join(dir, name);
      const rel = relative === '' ? name : `${relative}/${name}`;
      const info = await stat(path);
      if (info.isDirectory()) {
        await walk(path, rel);
        continue;
      }
      if (!info.isFile() || info.size > MAX_WORK_BYTES || rel === CITATIONS_FILE) continue;
      const bytes = await readFile(path);
      if (isBinary(bytes)) continue;
      const citation = citationFor(citations, rel);
      entries.push({ work: { kind: kindOf(name), title: rel, ...citation }, content: decoder.decode(bytes) });
    }
  };
  await walk(root, '');
  return entries;
}
