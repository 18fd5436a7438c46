// bench/proxy: what a proxy costs in front of a zero-latency upstream, side by side in one run.
//
//   npm run bench:proxy [-- --duration 10 --warmup 3 --connections 10 --max-tokens 32 --profile]
//
// Targets, each a process of its own (so is the upstream; autocannon runs in this one):
//   - upstream: Lapis's simulator HTTP server, no pacing (POST /v1/chat/completions) — the floor;
//   - lapis: `lapis serve` on PGlite, a deployment of kind openai-compatible pointing at the
//     upstream, called Azure-style (/openai/deployments/{d}/chat/completions, api-key);
//   - portkey: the Portkey gateway 1.15.2 (its `gateway` bin), x-portkey-custom-host = upstream.
// For each, non-streaming and streaming (stream_options.include_usage): a warm-up, then a fixed
// duration at N keep-alive connections. Printed: 2xx requests/s, p50/p99 latency and what the
// proxy adds to the upstream's, time to first byte (streaming), the target's CPU time per
// request and its peak RSS during the run. With --profile (or when Lapis misses its goal)
// Lapis is run again under --cpu-prof and its top self-time functions are printed with their
// place in src/. The 2 cores are shared by all processes, unpinned: absolute figures understate
// what each server does on a machine of its own; the side-by-side ratios are the point.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startLapis, DATA_API_VERSION } from './lapis.mjs';
import { backgroundBusyPct, cpuMs, machineTicks, rssKiB, start, stopAll, waitForOutput, watchRss } from './processes.mjs';

const here = import.meta.dirname;
const root = resolve(here, '../..');
const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    'max-tokens': { type: 'string', default: '32' },
    profile: { type: 'boolean', default: false },
  },
});
const durationS = Number(values.duration);
const warmupS = Number(values.warmup);
const connections = Number(values.connections);
const maxTokens = Number(values['max-tokens']);

// Portkey and autocannon are bench-only dependencies with their own package.json (and the
// @hono/node-server override); installed on first use, never into the root package.
if (!existsSync(join(here, 'node_modules'))) {
  const npm = spawnSync('npm', ['install', '--prefix', here, '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (npm.status !== 0) throw new Error('npm install of bench/proxy failed');
}
const { load } = await import('./load.mjs');
const { startPortkey } = await import('./portkey.mjs');
const { selfTimes } = await import('./profile.mjs');

const DEPLOYMENT = 'sim';
const messages = [{ role: 'user', content: 'Hello' }];
const STREAM = { stream: true, stream_options: { include_usage: true } };
const MODES = [
  { name: 'non-streaming', extra: {} },
  { name: 'streaming', extra: STREAM },
];

/** One request, checked, so that a target answering errors fast cannot pass for a fast one. */
async function check(target, mode) {
  const res = await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body: JSON.stringify(target.body(mode)) });
  const text = await res.text();
  const ok = res.status === 200 && (mode.extra.stream ? /"completion_tokens":\d+/.test(text) && text.trimEnd().endsWith('data: [DONE]') : /"content":"[^"]/.test(text));
  if (!ok) throw new Error(`${target.name} ${mode.name}: ${res.status} ${text.slice(0, 300)}`);
}

async function measure(target, mode) {
  const spec = { url: target.url, headers: target.headers, body: target.body(mode), connections };
  await check(target, mode);
  await load({ ...spec, durationS: warmupS, record: false });
  const [cpu0, host0, t0] = [await cpuMs(target.pid), await machineTicks(), performance.now()];
  const rss = watchRss(target.pid);
  const r = await load({ ...spec, durationS });
  const peakKiB = await rss.stop();
  const [cpu1, host1, t1] = [await cpuMs(target.pid), await machineTicks(), performance.now()];
  return {
    ...r,
    peakKiB,
    cpuPerReq: (cpu1 - cpu0) / r.ok,
    // The target's CPU as a share of one core, and how busy the whole machine was: a target
    // below 100% on a machine near 100% was starved by its neighbours, not idle.
    cpuPct: (100 * (cpu1 - cpu0)) / (t1 - t0),
    hostPct: (100 * (host1.busy - host0.busy)) / (host1.total - host0.total),
  };
}

function lapisTarget(lapis, key) {
  return {
    name: 'lapis',
    url: `${lapis.url}/openai/deployments/${DEPLOYMENT}/chat/completions?api-version=${DATA_API_VERSION}`,
    headers: { 'api-key': key },
    body: (mode) => ({ messages, max_tokens: maxTokens, ...mode.extra }),
    pid: lapis.child.pid,
  };
}

const f = (x, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '—');
const signed = (x) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(2)}` : '—');

function printTable(mode, rows) {
  const stream = mode.extra.stream === true;
  const cols = [
    ['target', 9, (r) => r.name],
    ['req/s', 9, (r) => f(r.rps, 0)],
    ['p50 ms', 8, (r) => f(r.p50)],
    ['p99 ms', 8, (r) => f(r.p99)],
    ['+p50 ms', 9, (r) => (r.base ? '' : signed(r.p50 - rows[0].p50))],
    ['+p99 ms', 9, (r) => (r.base ? '' : signed(r.p99 - rows[0].p99))],
    ...(stream
      ? [
          ['TTFB p50', 10, (r) => f(r.ttfb50)],
          ['TTFB p99', 10, (r) => f(r.ttfb99)],
          ['+TTFB p50', 11, (r) => (r.base ? '' : signed(r.ttfb50 - rows[0].ttfb50))],
        ]
      : []),
    ['CPU ms/req', 12, (r) => f(r.cpuPerReq, 3)],
    ['CPU %', 7, (r) => f(r.cpuPct, 0)],
    ['host %', 8, (r) => f(r.hostPct, 0)],
    ['RSS idle→peak MiB', 19, (r) => `${f(r.idleKiB / 1024, 0)} → ${f(r.peakKiB / 1024, 0)}`],
    ['non-2xx', 9, (r) => String(r.errors)],
  ];
  console.log(`\n${mode.name} — ${connections} connections, ${durationS} s after ${warmupS} s warm-up`);
  console.log(cols.map(([h, w], i) => (i === 0 ? h.padEnd(w) : h.padStart(w))).join(''));
  for (const r of rows) {
    if (r.error) console.log(`${r.name.padEnd(9)}  FAILED: ${r.error}`);
    else console.log(cols.map(([, w, v], i) => (i === 0 ? v(r).padEnd(w) : v(r).padStart(w))).join(''));
  }
}

/** Runs Lapis under --cpu-prof for one mode and prints where its CPU went. */
async function profileLapis(upstreamUrl, mode) {
  const dir = await mkdtemp(join(tmpdir(), 'lapis-prof-'));
  const span = {}; // the measured load only: start-up and warm-up left out
  try {
    const lapis = await startLapis({ nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] });
    try {
      const key = await lapis.createDeployment(DEPLOYMENT, { kind: 'openai-compatible', baseUrl: `${upstreamUrl}/v1`, model: 'sim' });
      const target = lapisTarget(lapis, key);
      const spec = { url: target.url, headers: target.headers, body: target.body(mode), connections, record: false };
      await check(target, mode);
      await load({ ...spec, durationS: warmupS });
      span.fromUs = Number(process.hrtime.bigint() / 1000n);
      await load({ ...spec, durationS });
      span.toUs = Number(process.hrtime.bigint() / 1000n);
    } finally {
      await lapis.stop(); // the profile is written as the process exits
    }
    const file = (await readdir(dir)).find((n) => n.endsWith('.cpuprofile'));
    if (!file) throw new Error('no .cpuprofile written');
    const { totalMs, functions, owners } = await selfTimes(join(dir, file), root, span);
    const pct = (ms) => `${((100 * ms) / totalMs).toFixed(1)}%`.padStart(7);
    const line = (fn) => `  ${pct(fn.self)} ${pct(fn.total)}  ${fn.name.slice(0, 36).padEnd(36)} ${fn.where}`;
    console.log(`\nLapis CPU profile, ${mode.name}: ${durationS} s of load after warm-up, ${(totalMs / 1000).toFixed(1)} s on CPU (idle left out)`);
    console.log(`  self time by owner: ${owners.slice(0, 8).map((o) => `${o.owner} ${pct(o.ms).trim()}`).join(' · ')}`);
    console.log(`     self   total  top functions by self time`);
    for (const fn of functions.slice(0, 15)) console.log(line(fn));
    const ours = functions.filter((x) => x.owner === 'lapis src/');
    console.log(`     self   total  src/ functions by self time`);
    for (const fn of ours.slice(0, 12)) console.log(line(fn));
    console.log(`     self   total  src/ functions by total time (what they and their callees cost)`);
    for (const fn of [...ours].sort((a, b) => b.total - a.total).slice(0, 12)) console.log(line(fn));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const cleanups = [];
try {
  const upstream = start('upstream', process.execPath, [join(here, 'upstream.mjs')]);
  const { url: upstreamUrl } = JSON.parse((await waitForOutput(upstream, /\{.*\}\n/))[0]);
  const lapis = await startLapis();
  cleanups.push(() => lapis.stop());
  const key = await lapis.createDeployment(DEPLOYMENT, { kind: 'openai-compatible', baseUrl: `${upstreamUrl}/v1`, model: 'sim' });
  const portkey = await startPortkey();
  const hono = JSON.parse(await readFile(join(here, 'node_modules/@hono/node-server/package.json'), 'utf8')).version;

  const openaiBody = (mode) => ({ model: 'sim', messages, max_tokens: maxTokens, ...mode.extra });
  const targets = [
    { name: 'upstream', base: true, url: `${upstreamUrl}/v1/chat/completions`, headers: {}, body: openaiBody, pid: upstream.pid },
    lapisTarget(lapis, key),
    {
      name: 'portkey',
      url: `${portkey.url}/v1/chat/completions`,
      headers: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${upstreamUrl}/v1`, authorization: 'Bearer sk-x' },
      body: openaiBody,
      pid: portkey.child.pid,
    },
  ];
  for (const t of targets) t.idleKiB = await rssKiB(t.pid);
  const background = await backgroundBusyPct();

  console.log(`node ${process.version}, ${availableParallelism()} cores shared by autocannon, the upstream and the target (unpinned); ${background.toFixed(0)}% busy before the runs`);
  console.log(`request: chat completion, "Hello", max_tokens ${maxTokens}; portkey ${portkey.version} (@hono/node-server ${hono}); latency and TTFB from 2xx answers`);
  const results = {};
  for (const mode of MODES) {
    const rows = [];
    for (const t of targets) {
      try {
        rows.push({ name: t.name, base: t.base, idleKiB: t.idleKiB, ...(await measure(t, mode)) });
      } catch (err) {
        rows.push({ name: t.name, error: err.message });
      }
    }
    printTable(mode, rows);
    results[mode.name] = Object.fromEntries(rows.map((r) => [r.name, r]));
  }

  console.log(
    [
      '',
      'latency and TTFB: 2xx answers on autocannon\'s own connections, sub-ms resolution; TTFB = request written → first body',
      '  bytes (the first SSE event); "+" = minus the upstream\'s own figure. CPU: the target process (/proc/<pid>/stat),',
      '  "CPU %" of one core, "host %" all cores busy. RSS: the target process and its children, before the runs → peak',
      '  VmRSS sampled every 100 ms during the measured run.',
      '',
    ].join('\n'),
  );
  let missed = false;
  for (const mode of MODES) {
    const { upstream: u, lapis: l, portkey: p } = results[mode.name];
    const ratio = l.rps / p.rps;
    const added = l.p50 - u.p50;
    const met = ratio >= 2 && added <= 1;
    missed ||= !met;
    console.log(
      `${mode.name.padEnd(14)} lapis/portkey req/s ${f(ratio)}× (goal ≥ 2×: ${ratio >= 2 ? 'met' : 'not met'}); ` +
        `lapis added p50 ${signed(added)} ms (goal ≤ 1 ms: ${added <= 1 ? 'met' : 'not met'})`,
    );
  }
  if (values.profile || missed) {
    for (const mode of MODES) await profileLapis(upstreamUrl, mode);
  }
} finally {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await stopAll();
}
