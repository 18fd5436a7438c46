// bench/startup: cold-start time to the first successful chat completion, and idle RSS.
//
//   npm run build && node bench/startup/run.mjs [--model path.gguf] [--runs 3]
//
// Side by side in one run:
//   - node-llama-cpp direct: a bare script that loads the same model and answers one chat
//     (the floor: what any server on this engine must pay);
//   - lapis serve on PGlite, first start (a new data directory: database created, account and
//     deployment bootstrapped) and restart (same directory);
//   - lapis serve on PostgreSQL (when DATABASE_URL is set or 127.0.0.1:5432 answers).
// Time is from spawn to the first 200 of POST …/chat/completions; RSS is read from /proc
// after 2 s idle, for the server process and its model process together.

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';

const root = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: { model: { type: 'string', default: resolve(root, '../shared/models/stories260K.gguf') }, runs: { type: 'string', default: '3' } },
});
const model = resolve(values.model);
const runs = Number(values.runs);
const pgUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function rssKiB(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const own = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean);
  let total = own;
  for (const child of children) total += await rssKiB(Number(child));
  return total;
}

function waitFor(child, pattern) {
  return new Promise((res, rej) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = pattern.exec(out);
      if (m) res(m);
    });
    child.once('exit', (code) => rej(new Error(`exited ${code}: ${out}`)));
  });
}

async function lapisRun(dataDir, env) {
  const started = performance.now();
  const child = spawn(process.execPath, [join(root, 'bin/lapis.js'), 'serve', '--model', model, '--port', '0', '--data-dir', dataDir, '--threads', '1'], {
    env: { ...process.env, LAPIS_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [, url, key] = await waitFor(child, /endpoint:\s+(\S+)[\s\S]*api key:\s+(\S+)/);
  for (;;) {
    const res = await fetch(`${url}/openai/deployments/default/chat/completions?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'Hello' }], max_tokens: 8 }),
    });
    await res.arrayBuffer();
    if (res.status === 200) break;
  }
  const ms = performance.now() - started;
  await new Promise((r) => setTimeout(r, 2000));
  const rss = await rssKiB(child.pid);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { ms, rss };
}

async function directRun() {
  const started = performance.now();
  const child = spawn(process.execPath, [join(root, 'bench/startup/direct.mjs'), model], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  await waitFor(child, /ready/);
  const ms = performance.now() - started;
  await new Promise((r) => setTimeout(r, 2000));
  const rss = await rssKiB(child.pid);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { ms, rss };
}

async function pgAvailable() {
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const rows = [];
async function measure(name, fn) {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await fn(i));
  rows.push([name, median(results.map((r) => r.ms)), Math.min(...results.map((r) => r.ms)), median(results.map((r) => r.rss))]);
}

await measure('node-llama-cpp direct (floor)', () => directRun());
await measure('lapis, PGlite, first start', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lapis-bench-'));
  try {
    return await lapisRun(dir, {});
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
const warmDir = await mkdtemp(join(tmpdir(), 'lapis-bench-'));
await lapisRun(warmDir, {});
await measure('lapis, PGlite, restart', () => lapisRun(warmDir, {}));
await rm(warmDir, { recursive: true, force: true });
if (await pgAvailable()) {
  const schema = `lapis_bench_${process.pid}`;
  const dir = await mkdtemp(join(tmpdir(), 'lapis-bench-'));
  await measure('lapis, PostgreSQL', () => lapisRun(dir, { DATABASE_URL: pgUrl, LAPIS_DATABASE_SCHEMA: schema }));
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
  await rm(dir, { recursive: true, force: true });
}

console.log(`\nmodel: ${model}\nruns: ${runs} each (median shown; min in brackets)\n`);
console.log(`${'target'.padEnd(34)}${'to first chat 200'.padStart(20)}${'idle RSS'.padStart(14)}`);
for (const [name, med, min, rss] of rows) {
  console.log(`${name.padEnd(34)}${`${med.toFixed(0)} ms [${min.toFixed(0)}]`.padStart(20)}${`${(rss / 1024).toFixed(0)} MiB`.padStart(14)}`);
}
