// Reading a V8 .cpuprofile (node --cpu-prof): self and total time per function, with the
// function's place in src/ found through dist/'s source maps, so the owner of the code can go
// straight to it; and self time per owner (Lapis src/, each npm package, Node internals, GC).

import { readFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const maps = new Map();

async function sourceMapOf(file) {
  if (!maps.has(file)) {
    maps.set(file, readFile(`${file}.map`, 'utf8').then((t) => new SourceMap(JSON.parse(t)), () => undefined));
  }
  return maps.get(file);
}

/** `src/x/y.ts:line` for compiled Lapis code, else a short path:line (1-based lines). */
async function locate(url, line, column, root) {
  if (url.startsWith('wasm:')) return { where: url, owner: 'wasm' };
  if (url.startsWith('node:')) return { where: `${url}:${line + 1}`, owner: 'node internals' };
  const file = url.startsWith('file:') ? fileURLToPath(url) : url;
  const rel = relative(root, file);
  const pkg = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(rel);
  if (pkg) return { where: `${pkg[1]}/…/${rel.split('/').pop()}:${line + 1}`, owner: pkg[1] };
  if (rel.startsWith('dist/')) {
    const entry = (await sourceMapOf(file))?.findEntry(line, column);
    if (entry?.originalSource) {
      const src = relative(root, fileURLToPath(new URL(entry.originalSource, pathToFileURL(file))));
      return { where: `${src}:${entry.originalLine + 1}`, owner: 'lapis src/' };
    }
  }
  return { where: `${rel}:${line + 1}`, owner: rel.startsWith('..') ? file : rel.split('/')[0] };
}

async function describe({ functionName, url, lineNumber, columnNumber }, root) {
  const name = functionName || '(anonymous)';
  // (garbage collector), (program) stand on their own; other frames without a script are
  // C++ bindings (writev, writeUtf8String…).
  const { where, owner } = url ? await locate(url, lineNumber, columnNumber, root) : { where: '(native)', owner: name.startsWith('(') ? name : 'native' };
  return { key: `${name} ${where}`, name, where, owner };
}

/**
 * { totalMs, functions: [{ self, total, name, where, owner }] by self time, owners: [{ owner, ms }] },
 * in ms, idle left out. `total` counts a sample once per function on its stack (recursion is
 * not counted twice). Only samples within [fromUs, toUs] count: V8 stamps samples with the
 * monotonic clock process.hrtime reads, so a span taken by the bench leaves out start-up.
 */
export async function selfTimes(profilePath, root, { fromUs = -Infinity, toUs = Infinity } = {}) {
  const profile = JSON.parse(await readFile(profilePath, 'utf8'));
  const info = new Map();
  const parent = new Map();
  for (const node of profile.nodes) {
    info.set(node.id, await describe(node.callFrame, root));
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  // The time until the next sample belongs to a sample; the last one gets the mean interval.
  const mean = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
  const functions = new Map();
  const owners = new Map();
  let totalMs = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i];
    const self = info.get(id);
    if (at < fromUs || at > toUs || self.name === '(idle)') return;
    const ms = (profile.timeDeltas[i + 1] ?? mean) / 1000;
    totalMs += ms;
    owners.set(self.owner, (owners.get(self.owner) ?? 0) + ms);
    const seen = new Set();
    for (let n = id; n !== undefined; n = parent.get(n)) {
      const fn = info.get(n);
      if (seen.has(fn.key)) continue;
      seen.add(fn.key);
      const entry = functions.get(fn.key) ?? { ...fn, self: 0, total: 0 };
      entry.total += ms;
      if (n === id) entry.self += ms;
      functions.set(fn.key, entry);
    }
  });
  return {
    totalMs,
    functions: [...functions.values()].sort((a, b) => b.self - a.self),
    owners: [...owners].map(([owner, ms]) => ({ owner, ms })).sort((a, b) => b.ms - a.ms),
  };
}
