// Loads the operator's reference corpus (setting `protectedMaterial`) into an index: a .jsonl
// file with one work per line, or a directory tree with one work per file. Done once at
// startup; any problem stops it with a message naming the file (and line), because a corpus
// that silently lost works would let their copies through.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { readCorpusDirectory } from './corpus-directory.js';
import type { ReferenceWork } from './index.js';
import { createProtectedMaterialIndex, type LocatedProtectedMaterialIndex, type ProtectedMaterialOptions } from './reference-index.js';

const JSONL_FIELDS = new Set(['kind', 'content', 'title', 'url', 'license']);

/** One line's work, or the reason it is not one. */
function parseJsonlWork(line: string, defaultTitle: string): { work: ReferenceWork; content: string } | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return `not valid JSON (${(error as Error).message})`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).find((key) => !JSONL_FIELDS.has(key));
  if (unknown !== undefined) return `unknown field '${unknown}' (allowed: ${[...JSONL_FIELDS].join(', ')})`;
  const { kind, content, title, url, license } = record;
  if (kind !== 'text' && kind !== 'code') return `"kind" must be "text" or "code", got ${JSON.stringify(kind)}`;
  if (typeof content !== 'string') return '"content" must be a string';
  if (content.trim() === '') return '"content" is empty';
  for (const [name, field] of [['title', title], ['url', url], ['license', license]] as const) {
    if (field !== undefined && typeof field !== 'string') return `"${name}" must be a string`;
  }
  const work: ReferenceWork = { kind, title: (title as string | undefined) ?? defaultTitle };
  if (url !== undefined) work.url = url as string;
  if (license !== undefined) work.license = license as string;
  return { work, content };
}

/** Read line by line: a corpus file may be larger than one string can hold. */
async function readJsonl(path: string): Promise<{ work: ReferenceWork; content: string }[]> {
  const entries: { work: ReferenceWork; content: string }[] = [];
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let number = 0;
  for await (const raw of lines) {
    number++;
    const line = number === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.trim() === '') continue; // blank lines (a trailing newline, spacing) carry no work
    const parsed = parseJsonlWork(line, `${basename(path)}:${number}`);
    if (typeof parsed === 'string') throw new Error(`protected material corpus '${path}' line ${number}: ${parsed}`);
    entries.push(parsed);
  }
  return entries;
}

export async function loadProtectedMaterial(path: string, options?: ProtectedMaterialOptions): Promise<LocatedProtectedMaterialIndex> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`protected material corpus '${path}' does not exist`);
    throw new Error(`protected material corpus '${path}' cannot be read: ${(error as Error).message}`, { cause: error });
  }
  let entries: { work: ReferenceWork; content: string }[];
  if (info.isDirectory()) entries = await readCorpusDirectory(path);
  else if (info.isFile() && path.toLowerCase().endsWith('.jsonl')) entries = await readJsonl(path);
  else throw new Error(`protected material corpus '${path}' must be a .jsonl file or a directory`);
  return createProtectedMaterialIndex(entries, options);
}
