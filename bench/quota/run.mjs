// bench/quota: does a Standard deployment's token limit hold across replicas, and what does the
// limiter add to a request? Side by side in one run.
//
//   node bench/quota/run.mjs [--seconds 60] [--clients 200] [--replicas 3] [--capacity 10]
//                            [--prompt-tokens 400] [--max-tokens 100] [--no-align]
//                            [--latency-seconds 10] [--latency-clients 4] [--no-memory]
//
// Needs PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test) and Redis
// (REDIS_URL, default redis://127.0.0.1:6379). Runs against dist/ (rebuilt first when missing or
// older than src/). No dependency beyond the root package's (undici, pg).
//
// 1. Quota across replicas. N `lapis serve` processes (default 3) share one fresh PostgreSQL
//    schema (dropped at the end) and one Redis. Through the first one's control plane: the
//    default account and simulator deployments `limited` (Standard, capacity 10 = 10,000 TPM and
//    60 RPM, enforced as 10 requests per 10 s), `roomy` (capacity 100,000: counted, never
//    throttled here) and `open` (no capacity: not counted). 200 client loops, round-robin over
//    the replicas, send chat completions to `limited` for 60 s; on a 429 a client waits
//    retry-after-ms, as the openai SDK does. They start on a whole second of Redis' clock, so the
//    run's minutes are the limiter's own sixty 1-s buckets (--no-align: at once, and then the
//    bucket of the opening burst leaves the minute up to 1 s before the run's minute ends).
//    Printed: per 10-s step the 200s, the 429s by limit, the tokens admitted (settled usage =
//    usage.total_tokens of the 200s, and the admission estimates) and the sliding-minute sum at
//    the step's end; then tokens admitted per minute against the quota (goal: within ±3%), over
//    the full run and, with --seconds ≥ 120, after the first minute (steady state).
// 2. The limiter's added latency. The other replicas stopped, replica-1 (Redis) and a fresh
//    replica without REDIS_URL (in-process counters; not with --no-memory) on the same schema;
//    4 clients for 10 s, each cycling through `roomy` and `open` on both, so all four series run
//    interleaved under the same machine conditions: p50/p99 of each, and roomy − open is what
//    admission costs (estimate + reserve + settle: two Lua scripts in Redis, or two map updates).
//
// Request sizing. The simulator counts a token per 4 characters, and the estimate of a chat
// request is its prompt (content + 7 framing tokens for one user message, exactly what the
// simulator's usage reports) + max_tokens. Its answers stop by themselves after 16–64 tokens,
// and with no pacing a response ends (and is settled) within milliseconds of its admission, so
// what the minute holds is the real usage: prompt + ~40. For the token limit to bind, a request
// must use more than 10,000 / 60 ≈ 167 tokens, else 60 RPM binds first. A 150-token prompt with
// max_tokens 300 (estimate 450) settles at ~190 tokens, ~52 requests a minute: barely under the
// RPM cap, so both limits refuse. The default, a 400-token prompt with max_tokens 100 (estimate
// 500, usage 416–464), binds on tokens at ~22 requests a minute. max_tokens stays above 64 so no
// answer is cut. Every prompt is distinct (a sequence number at its start), so answer lengths
// vary as they would.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Pool } from 'undici';

const root = resolve(import.meta.dirname, '../..');
const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    clients: { type: 'string', default: '200' },
    replicas: { type: 'string', default: '3' },
    capacity: { type: 'string', default: '10' },
    'prompt-tokens': { type: 'string', default: '400' },
    'max-tokens': { type: 'string', default: '100' },
    step: { type: 'string', default: '10' },
    'latency-seconds': { type: 'string', default: '10' },
    'latency-clients': { type: 'string', default: '4' },
    'latency-warmup': { type: 'string', default: '2' },
    'no-memory': { type: 'boolean', default: false },
    'no-align': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds);
const CLIENTS = Number(args.clients);
const REPLICAS = Number(args.replicas);
const CAPACITY = Number(args.capacity);
const PROMPT_TOKENS = Number(args['prompt-tokens']);
const MAX_TOKENS = Number(args['max-tokens']);
const STEP = Number(args.step);
const LAT_SECONDS = Number(args['latency-seconds']);
const LAT_CLIENTS = Number(args['latency-clients']);
const LAT_WARMUP = Number(args['latency-warmup']);
for (const [name, v] of Object.entries({ SECONDS, CLIENTS, REPLICAS, CAPACITY, PROMPT_TOKENS, MAX_TOKENS, STEP, LAT_SECONDS, LAT_CLIENTS })) {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name.toLowerCase().replace('_', '-')} must be a number > 0`);
}
if (PROMPT_TOKENS < 8) throw new Error('--prompt-tokens must be at least 8 (7 are framing)');

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATA_API_VERSION = '2024-10-21';
const ARM_API_VERSION = '2025-06-01';
const ACCOUNT = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/lapis/providers/Microsoft.CognitiveServices/accounts/default';
const QUOTA_TPM = CAPACITY * 1000;
const RPW = CAPACITY; // requests per 10-s window (= 6 × capacity per minute)
const ROOMY_CAPACITY = 100_000; // 100M TPM, 100,000 requests per 10 s: never the limit here
const ESTIMATE = PROMPT_TOKENS + MAX_TOKENS;
const ALIGN = !args['no-align'];
const START_SLACK_MS = 5;
const END_SLACK_MS = 25;
const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : 'n/a');
const pct = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}%`;

// ---- cleanup: servers stopped, temp dirs removed, schema dropped — also on errors and Ctrl-C ----

const cleanups = [];
const children = new Set();
let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err) => console.error(`cleanup: ${err.message}`));
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (cleaning) process.exit(130); // a second Ctrl-C: the exit hook below still kills the servers
    console.error(`\n${signal}: stopping the servers and dropping the schema…`);
    cleanup().finally(() => process.exit(130));
  });
}
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

// ---- dist/ ----

/** Sources tsconfig.build.json compiles whose .js in dist/ is missing or older. */
function staleSources() {
  const stale = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.ts$/.test(entry.name) && !/\.(test|d)\.ts$/.test(entry.name) && entry.name !== 'testing.ts') {
        const js = join(root, 'dist', relative(join(root, 'src'), path)).replace(/\.ts$/, '.js');
        if (!existsSync(js) || statSync(js).mtimeMs < statSync(path).mtimeMs) stale.push(relative(root, path));
      }
    }
  };
  walk(join(root, 'src'));
  return stale;
}

function ensureDist() {
  const entry = join(root, 'dist/cli/index.js');
  const missing = !existsSync(entry);
  const stale = missing ? [] : staleSources();
  if (!missing && stale.length === 0) return 'dist/ is up to date with src/';
  const why = missing ? 'dist/ is missing' : `dist/ is older than ${stale.length} source file(s) (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', …' : ''})`;
  console.log(`${why}: running npm run build first`);
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status === 0) return `${why}; rebuilt with npm run build before the run`;
  if (missing) throw new Error('npm run build failed and there is no dist/ to run');
  console.log('npm run build failed: running against the existing (stale) dist/');
  return `${why}; npm run build FAILED, so the run used the stale dist/`;
}

// ---- the machine, PostgreSQL, Redis ----

async function machineTicks() {
  const t = (await readFile('/proc/stat', 'utf8')).split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { busy: t.reduce((a, b) => a + b, 0) - t[3] - t[4], total: t.reduce((a, b) => a + b, 0) };
}
async function busyPct(ms) {
  const a = await machineTicks().catch(() => undefined);
  await sleep(ms);
  const b = await machineTicks().catch(() => undefined);
  return a && b ? (100 * (b.busy - a.busy)) / Math.max(1, b.total - a.total) : NaN;
}

async function pgQuery(sql) {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A raw RESP connection to Redis (PING, TIME): no client library needed for two commands. */
async function redisConnect() {
  const url = new URL(REDIS_URL);
  const socket = connect({ host: url.hostname || '127.0.0.1', port: Number(url.port || 6379) });
  socket.setNoDelay(true);
  await new Promise((res, rej) => socket.once('connect', res).once('error', rej));
  let buffer = Buffer.alloc(0);
  const waiting = [];
  // One reply starting at `pos`: [value, next position], or undefined while incomplete.
  const parse = (pos) => {
    const eol = buffer.indexOf('\r\n', pos);
    if (eol < 0) return undefined;
    const type = String.fromCharCode(buffer[pos]);
    const line = buffer.toString('utf8', pos + 1, eol);
    if (type === '+') return [line, eol + 2];
    if (type === '-') return [new Error(line), eol + 2];
    if (type === ':') return [Number(line), eol + 2];
    if (type === '$') {
      const n = Number(line);
      if (n < 0) return [null, eol + 2];
      return buffer.length < eol + 4 + n ? undefined : [buffer.toString('utf8', eol + 2, eol + 2 + n), eol + 4 + n];
    }
    if (type === '*') {
      const items = [];
      let next = eol + 2;
      for (let i = 0; i < Number(line); i++) {
        const item = parse(next);
        if (!item) return undefined;
        items.push(item[0]);
        next = item[1];
      }
      return [items, next];
    }
    throw new Error(`unexpected RESP reply type ${type}`);
  };
  socket.on('data', (d) => {
    buffer = Buffer.concat([buffer, d]);
    for (let reply; waiting.length > 0 && (reply = parse(0)); ) {
      buffer = buffer.subarray(reply[1]);
      const { resolve: res, reject: rej } = waiting.shift();
      if (reply[0] instanceof Error) rej(reply[0]);
      else res(reply[0]);
    }
  });
  socket.on('error', (err) => waiting.splice(0).forEach((w) => w.reject(err)));
  const command = (...parts) =>
    new Promise((res, rej) => {
      waiting.push({ resolve: res, reject: rej });
      socket.write(`*${parts.length}\r\n${parts.map((x) => `$${Buffer.byteLength(String(x))}\r\n${x}\r\n`).join('')}`);
    });
  if (url.password) await command('AUTH', decodeURIComponent(url.username || 'default'), decodeURIComponent(url.password));
  return { command, close: () => socket.destroy() };
}

/** `n` PING round trips in a row, ms. */
async function redisPings(n) {
  const redis = await redisConnect();
  try {
    const times = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await redis.command('PING');
      times.push(performance.now() - t);
    }
    return times;
  } finally {
    redis.close();
  }
}

const epochMs = () => performance.timeOrigin + performance.now();

/**
 * Waits until `slackMs` past the next whole second of Redis' clock — the clock the limiter's
 * 1-s buckets are cut by — and returns performance.now() of that whole second. The offset to
 * Redis' clock is taken from the TIME call with the shortest round trip of a few.
 */
async function untilRedisSecond(slackMs) {
  const redis = await redisConnect();
  let best;
  try {
    for (let i = 0; i < 7; i++) {
      const before = epochMs();
      const [sec, usec] = await redis.command('TIME');
      const after = epochMs();
      const offset = Number(sec) * 1000 + Number(usec) / 1000 - (before + after) / 2;
      if (!best || after - before < best.rtt) best = { rtt: after - before, offset };
    }
  } finally {
    redis.close();
  }
  const second = Math.ceil((epochMs() + best.offset + 300) / 1000) * 1000; // at least 300 ms ahead
  const localSecond = second - best.offset;
  await sleep(Math.max(0, localSecond + slackMs - epochMs() - 3));
  while (epochMs() < localSecond + slackMs); // timers may fire a ms early: spin the rest
  return performance.now() - (epochMs() - localSecond);
}

// ---- Lapis processes ----

const adminToken = randomBytes(24).toString('base64url');
const schema = `lapis_bench_quota_${randomBytes(5).toString('hex')}`;
/** The caller's environment without anything that would configure Lapis behind the bench's back. */
const baseEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LAPIS_') && k !== 'DATABASE_URL' && k !== 'REDIS_URL')),
  DATABASE_URL,
  LAPIS_DATABASE_SCHEMA: schema,
  LAPIS_ENCRYPTION_KEY: randomBytes(32).toString('base64'), // shared: every replica opens the same sealed keys
  LAPIS_ADMIN_TOKEN: adminToken,
  LAPIS_LOG_LEVEL: 'warn',
  // roomy's 100,000 units are far above the default Standard quota of 1,000 per model.
  LAPIS_QUOTAS: JSON.stringify({ 'OpenAI.Standard.sim-roomy': ROOMY_CAPACITY }),
};

async function stopChild(child, graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** `node bin/lapis.js serve` (bin → dist/cli/index.js) on 127.0.0.1 and a free port. */
async function startReplica(name, { redis }) {
  const home = await mkdtemp(join(tmpdir(), `lapis-bench-quota-${name}-`));
  cleanups.push(() => rm(home, { recursive: true, force: true }));
  const env = { ...baseEnv, LAPIS_HOME: home, ...(redis ? { REDIS_URL } : {}) };
  const child = spawn(process.execPath, [join(root, 'bin/lapis.js'), 'serve', '--host', '127.0.0.1', '--port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  cleanups.push(() => stopChild(child));
  let tail = '';
  let out = '';
  child.stderr.on('data', (d) => (tail = (tail + d).slice(-4000)));
  const url = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${name} did not start in 60 s:\n${tail}`)), 60_000);
    child.stdout.on('data', (d) => {
      tail = (tail + d).slice(-4000);
      if (out === null) return; // drained, never read again
      out += d;
      const m = /Lapis is serving at (\S+)/.exec(out);
      if (m) {
        out = null;
        clearTimeout(timer);
        res(m[1]);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      rej(new Error(`${name} exited (${code ?? signal}) before serving:\n${tail}`));
    });
  });
  return { name, child, url, redis, stop: () => stopChild(child) };
}

async function arm(url, method, path, body) {
  const res = await fetch(`${url}${path}?api-version=${ARM_API_VERSION}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`control plane ${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}

/** A simulator deployment of the default account; waits until it is Succeeded. */
async function deploy(url, name, sku) {
  const path = `${ACCOUNT}/deployments/${name}`;
  await arm(url, 'PUT', path, {
    sku,
    properties: { model: { format: 'OpenAI', name: `sim-${name}`, version: '1' }, lapis: { backend: { kind: 'simulator' } } },
  });
  for (;;) {
    const d = await arm(url, 'GET', path);
    const state = d.properties?.provisioningState;
    if (state === 'Succeeded') return;
    if (state === 'Failed') throw new Error(`deployment ${name} failed: ${JSON.stringify(d.properties?.lapis)}`);
    await sleep(20);
  }
}

// ---- requests ----

let key;
const chatPath = (deployment) => `/openai/deployments/${deployment}/chat/completions?api-version=${DATA_API_VERSION}`;

async function chat(pool, deployment, body) {
  const started = performance.now();
  const res = await pool.request({ method: 'POST', path: chatPath(deployment), headers: { 'api-key': key, 'content-type': 'application/json' }, body });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, ms: performance.now() - started };
}

const FILLER = 'the quick brown fox jumps over the lazy dog while servers hum softly near old stone walls ';
/** Exactly PROMPT_TOKENS − 7 simulator tokens of content (4 characters each), distinct per `seq`. */
function promptText(seq) {
  const length = (PROMPT_TOKENS - 7) * 4;
  let text = `Request ${seq}: `;
  while (text.length < length) text += FILLER;
  return text.slice(0, length);
}
const loadBody = (seq) => JSON.stringify({ messages: [{ role: 'user', content: promptText(seq) }], max_tokens: MAX_TOKENS });

// ---- phase 1: quota across replicas ----

async function loadPhase(replicas) {
  const pools = replicas.map((r) => new Pool(r.url, { connections: Math.ceil(CLIENTS / replicas.length), keepAliveTimeout: 120_000 }));
  const events = [];
  const errors = new Map();
  let seq = 0;
  let limitTokens;
  // Aligned (the default), the run is [X + 5 ms, X + SECONDS − 25 ms] for a whole second X of
  // Redis' clock: its minutes are the limiter's own sixty 1-s buckets, and no request races the
  // bucket that leaves at the run's last boundary. Unaligned, the first bucket (which holds the
  // opening burst) leaves the minute up to 1 s before the run ends, and what it frees is admitted
  // inside the run: see the explanation printed at the end.
  const t0 = ALIGN ? await untilRedisSecond(START_SLACK_MS) : performance.now();
  const endAt = t0 + SECONDS * 1000 - (ALIGN ? END_SLACK_MS : 0);
  const at = () => (performance.now() - t0) / 1000;

  const progress = setInterval(() => {
    const t = at();
    const ok = events.filter((e) => e.kind === 'ok');
    process.stderr.write(`  ${t.toFixed(0).padStart(3)} s: ${ok.length} admitted, ${fmt(ok.reduce((s, e) => s + e.tokens, 0))} tokens, ${events.length - ok.length} refused\n`);
  }, STEP * 1000);

  async function client(i) {
    const pool = pools[i % pools.length];
    while (performance.now() < endAt) {
      let r;
      try {
        r = await chat(pool, 'limited', loadBody(seq++));
      } catch (err) {
        const m = err.code ?? err.message;
        errors.set(m, (errors.get(m) ?? 0) + 1);
        events.push({ t: at(), kind: 'other' });
        await sleep(100);
        continue;
      }
      const t = at();
      if (r.status === 200) {
        const usage = JSON.parse(r.text).usage;
        limitTokens ??= r.headers['x-ratelimit-limit-tokens'];
        events.push({ t, kind: 'ok', tokens: usage.total_tokens, prompt: usage.prompt_tokens, replica: i % pools.length });
      } else if (r.status === 429) {
        events.push({ t, kind: /token rate limit/.test(r.text) ? '429t' : '429r' });
        const ms = Number(r.headers['retry-after-ms'] ?? Number(r.headers['retry-after'] ?? 1) * 1000);
        await sleep(Math.max(0, Math.min(ms, endAt - performance.now())));
      } else {
        const m = `HTTP ${r.status} ${r.text.slice(0, 120)}`;
        errors.set(m, (errors.get(m) ?? 0) + 1);
        events.push({ t, kind: 'other' });
        await sleep(100);
      }
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
  clearInterval(progress);
  await Promise.all(pools.map((p) => p.close()));
  return { events, errors, limitTokens };
}

function analyse({ events }) {
  const ok = events.filter((e) => e.kind === 'ok').sort((a, b) => a.t - b.t);
  const steps = Math.ceil(SECONDS / STEP);
  const sumIn = (from, to, field) => ok.filter((e) => e.t >= from && e.t < to).reduce((s, e) => s + (field === 'est' ? ESTIMATE : e.tokens), 0);
  const stepOf = (t) => Math.min(steps - 1, Math.floor(t / STEP));
  const rows = Array.from({ length: steps }, (_, k) => ({ from: k * STEP, to: Math.min(SECONDS, (k + 1) * STEP), ok: 0, t429: 0, r429: 0, other: 0, usage: 0, est: 0 }));
  for (const e of events) {
    const row = rows[stepOf(e.t)];
    if (e.kind === 'ok') {
      row.ok++;
      row.usage += e.tokens;
      row.est += ESTIMATE;
    } else if (e.kind === '429t') row.t429++;
    else if (e.kind === '429r') row.r429++;
    else row.other++;
  }
  // Answers that arrive after the end (sent before it) count in the last step and in the totals.
  for (const row of rows) row.minute = sumIn(row.to - 60, row === rows.at(-1) ? Infinity : row.to);
  // Peak over every window of `w` seconds that starts at an admission (two pointers).
  const peak = (w) => {
    let best = 0;
    let sum = 0;
    let j = 0;
    for (let i = 0; i < ok.length; i++) {
      while (j < ok.length && ok[j].t < ok[i].t + w) sum += ok[j++].tokens;
      best = Math.max(best, sum);
      sum -= ok[i].tokens;
    }
    return best;
  };
  const usage = ok.reduce((s, e) => s + e.tokens, 0);
  const steady = SECONDS >= 120 ? (sumIn(60, Infinity) / (SECONDS - 60)) * 60 : NaN;
  const steadyRequests = SECONDS >= 120 ? (ok.filter((e) => e.t >= 60).length / (SECONDS - 60)) * 60 : NaN;
  const byReplica = Array.from({ length: REPLICAS }, (_, r) => ok.filter((e) => e.replica === r).length);
  const prompts = new Set(ok.map((e) => e.prompt));
  return {
    rows,
    ok: ok.length,
    usage,
    est: ok.length * ESTIMATE,
    perMinute: (usage / SECONDS) * 60,
    estPerMinute: ((ok.length * ESTIMATE) / SECONDS) * 60,
    meanUsage: ok.length ? usage / ok.length : NaN,
    minUsage: Math.min(...ok.map((e) => e.tokens)),
    maxUsage: Math.max(...ok.map((e) => e.tokens)),
    peak59: peak(59),
    peak60: peak(60),
    steady,
    steadyRequests,
    byReplica,
    prompts: [...prompts],
    t429: events.filter((e) => e.kind === '429t').length,
    r429: events.filter((e) => e.kind === '429r').length,
    other: events.filter((e) => e.kind === 'other').length,
    late: ok.filter((e) => e.t >= SECONDS).length,
  };
}

// ---- phase 2: the limiter's added latency ----

const LATENCY_PROMPT = 'Say something short.';
const LATENCY_BODY = JSON.stringify({ messages: [{ role: 'user', content: LATENCY_PROMPT }], max_tokens: 16 });

/**
 * Every client cycles through every (replica, deployment) pair, so all series run side by side
 * under the same machine conditions (a shared 2-core machine drifts within seconds).
 */
async function latencyPhase(targets) {
  const series = targets.flatMap((t) => ['roomy', 'open'].map((deployment) => ({ target: t, deployment, times: [], bad: 0 })));
  const pools = new Map(targets.map((t) => [t, new Pool(t.replica.url, { connections: LAT_CLIENTS })]));
  const run = async (seconds, record) => {
    const endAt = performance.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: LAT_CLIENTS }, async (_, i) => {
        // Clients start at different places in the cycle, so the series are always in flight together.
        for (let n = i; performance.now() < endAt; n++) {
          const s = series[n % series.length];
          const r = await chat(pools.get(s.target), s.deployment, LATENCY_BODY);
          if (!record) continue;
          if (r.status === 200) s.times.push(r.ms);
          else s.bad++;
        }
      }),
    );
  };
  await run(LAT_WARMUP, false);
  await run(LAT_SECONDS, true);
  await Promise.all([...pools.values()].map((p) => p.close()));
  const stats = (xs) => {
    const s = Float64Array.from(xs).sort();
    const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
    return { n: s.length, p50: q(0.5), p99: q(0.99), mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length) };
  };
  return targets.map((t) => {
    const of = (d) => series.find((s) => s.target === t && s.deployment === d);
    return { label: t.label, roomy: stats(of('roomy').times), open: stats(of('open').times), bad: { roomy: of('roomy').bad, open: of('open').bad } };
  });
}

// ---- main ----

async function main() {
  const distNote = ensureDist();
  const busy = await busyPct(1000);
  const [l1, l5, l15] = loadavg();

  try {
    await pgQuery('select 1');
  } catch (err) {
    throw new Error(`PostgreSQL at ${DATABASE_URL} does not answer (${err.message}); set DATABASE_URL`);
  }
  cleanups.push(() => pgQuery(`drop schema if exists "${schema}" cascade`).then(() => undefined));
  await redisPings(10).catch((err) => {
    throw new Error(`Redis at ${REDIS_URL} does not answer (${err.message}); set REDIS_URL`);
  });

  console.log(`\nbench/quota — ${REPLICAS} Lapis replicas on one PostgreSQL (schema ${schema}) and one Redis, simulator backend`);
  console.log(`machine: ${availableParallelism()} cores; load average ${l1.toFixed(2)} / ${l5.toFixed(2)} / ${l15.toFixed(2)}; ${busy.toFixed(0)}% busy in the second before the bench started (other work on the machine takes CPU from the bench too)`);
  console.log(`dist: ${distNote}`);

  const started = performance.now();
  const replicas = await Promise.all(Array.from({ length: REPLICAS }, (_, i) => startReplica(`replica-${i + 1}`, { redis: true })));
  console.log(`replicas: ${replicas.map((r) => r.url).join(', ')} (up in ${((performance.now() - started) / 1000).toFixed(1)} s)`);

  const cp = replicas[0].url;
  await arm(cp, 'PUT', ACCOUNT, { location: 'local', kind: 'OpenAI', sku: { name: 'S0' }, properties: {} });
  await deploy(cp, 'limited', { name: 'Standard', capacity: CAPACITY });
  await deploy(cp, 'open', { name: 'Standard' });
  await deploy(cp, 'roomy', { name: 'Standard', capacity: ROOMY_CAPACITY });
  key = (await arm(cp, 'POST', `${ACCOUNT}/listKeys`)).key1;

  // Warm every replica up (key, account, deployments, simulator) on the unlimited deployments
  // only: a request to `limited` now would take from the minute the run measures. It also checks
  // that the simulator counts the prompt as this bench does.
  for (const r of replicas) {
    const pool = new Pool(r.url, { connections: 1 });
    const res = await chat(pool, 'open', loadBody(-1));
    if (res.status !== 200) throw new Error(`${r.name}: warm-up answered ${res.status} ${res.text.slice(0, 300)}`);
    const prompt = JSON.parse(res.text).usage.prompt_tokens;
    if (prompt !== PROMPT_TOKENS) console.log(`warning: the simulator counted ${prompt} prompt tokens, the bench assumed ${PROMPT_TOKENS}`);
    const roomy = await chat(pool, 'roomy', LATENCY_BODY);
    if (roomy.status !== 200) throw new Error(`${r.name}: warm-up of roomy answered ${roomy.status} ${roomy.text.slice(0, 300)}`);
    await pool.close();
  }

  const expectedRequests = QUOTA_TPM / (PROMPT_TOKENS + Math.min(40, MAX_TOKENS));
  console.log(`\ndeployment 'limited': Standard, capacity ${CAPACITY} → ${fmt(QUOTA_TPM)} tokens per sliding minute, ${CAPACITY * 6} RPM (${RPW} requests per 10 s)`);
  console.log(
    `request: ${PROMPT_TOKENS}-token prompt + max_tokens ${MAX_TOKENS} → admission estimate ${ESTIMATE} tokens; the simulator answers 16–64 tokens, ` +
      `so settlement brings it to ${PROMPT_TOKENS + Math.min(16, MAX_TOKENS)}–${PROMPT_TOKENS + Math.min(64, MAX_TOKENS)}`,
  );
  console.log(
    `  → the token limit admits ~${expectedRequests.toFixed(0)} requests a minute (settled usage), ` +
      (expectedRequests < CAPACITY * 6 ? `below the ${CAPACITY * 6} RPM cap: tokens bind` : `ABOVE the ${CAPACITY * 6} RPM cap: requests bind first`),
  );
  console.log(
    `\nload: ${CLIENTS} clients × ${SECONDS} s, round-robin over ${REPLICAS} replicas; a 429 waits its retry-after-ms; ` +
      (ALIGN ? `started on a whole second of Redis' clock (the limiter's bucket edges)` : 'started at once (--no-align)'),
  );

  const load = await loadPhase(replicas);
  const a = analyse(load);

  // ---- the per-step table ----
  console.log(`\n${'seconds'.padEnd(9)}${'200'.padStart(6)}${'429 tok'.padStart(9)}${'429 req'.padStart(9)}${'other'.padStart(7)}${'admitted (usage)'.padStart(18)}${'admitted (estim.)'.padStart(19)}${'sliding minute (usage)'.padStart(24)}`);
  for (const r of a.rows) {
    console.log(
      `${`${r.from}–${r.to}`.padEnd(9)}${String(r.ok).padStart(6)}${String(r.t429).padStart(9)}${String(r.r429).padStart(9)}${String(r.other).padStart(7)}` +
        `${fmt(r.usage).padStart(18)}${fmt(r.est).padStart(19)}${fmt(r.minute).padStart(24)}`,
    );
  }
  console.log(
    `${'total'.padEnd(9)}${String(a.ok).padStart(6)}${String(a.t429).padStart(9)}${String(a.r429).padStart(9)}${String(a.other).padStart(7)}${fmt(a.usage).padStart(18)}${fmt(a.est).padStart(19)}`,
  );
  console.log(`(sliding minute = usage of the 200s answered in the 60 s before the step's end; admitted per replica: ${a.byReplica.join(' / ')})`);
  if (load.errors.size) for (const [m, n] of load.errors) console.log(`  other: ${n} × ${m}`);
  if (load.limitTokens !== undefined && Number(load.limitTokens) !== QUOTA_TPM) console.log(`warning: x-ratelimit-limit-tokens says ${load.limitTokens}`);

  // ---- tokens per minute against the quota ----
  const dev = (x) => ((x - QUOTA_TPM) / QUOTA_TPM) * 100;
  const verdict = (x) => (Number.isFinite(x) ? (Math.abs(dev(x)) <= 3 ? 'yes' : 'no') : '');
  console.log(`\ntokens admitted per minute against the quota of ${fmt(QUOTA_TPM)} (goal: within ±3%)\n`);
  console.log(`${'figure'.padEnd(58)}${'tokens/min'.padStart(11)}${'vs quota'.padStart(10)}${'±3%'.padStart(6)}`);
  const line = (name, x, judge = true) =>
    console.log(`${name.padEnd(58)}${fmt(x).padStart(11)}${(Number.isFinite(x) ? pct(dev(x)) : '').padStart(10)}${(judge ? verdict(x) : '').padStart(6)}`);
  line(`full run (${SECONDS} s), settled usage, per minute`, a.perMinute);
  line(`full run (${SECONDS} s), admission estimates, per minute`, a.estPerMinute, false);
  if (SECONDS >= 120) line(`steady state (after the first minute), settled usage`, a.steady);
  else console.log(`${'steady state (after the first minute), settled usage'.padEnd(58)}${'n/a'.padStart(11)}   (needs --seconds ≥ 120)`);
  line('busiest 59-s window, settled usage', a.peak59, false);
  line('busiest 60-s window, settled usage', a.peak60, false);
  console.log(`${'rule: admitted while the minute holds < quota'.padEnd(58)}${fmt(QUOTA_TPM).padStart(11)}${pct(0).padStart(10)}`);
  line(`expected at steady state ≈ quota + mean usage / 2`, QUOTA_TPM + a.meanUsage / 2, false);
  console.log(`settled usage per admitted request: mean ${a.meanUsage.toFixed(0)}, ${a.minUsage}–${a.maxUsage}; prompt tokens reported: ${a.prompts.join(', ')}`);
  if (SECONDS >= 120) console.log(`steady state: ${a.steadyRequests.toFixed(1)} requests per minute`);
  const share = ((a.meanUsage / QUOTA_TPM) * 100).toFixed(1);
  console.log(`
What the figures mean. The quota governs a sliding minute of sixty 1-s buckets (Redis' clock).
A request counts at its estimate (${ESTIMATE}) when admitted and is corrected to its real usage at
settlement, a few ms later with this simulator, so the minute holds settled usage: the "settled
usage" rows are what is held to ${fmt(QUOTA_TPM)}; the "estimates" row is what would count without
settlement. A request is admitted while the minute holds less than the quota (Azure's running
counter), so a full minute holds between the quota and the quota + one request's usage (one
request is ${share}% of the quota here: a single minute cannot land closer than that), about
quota + usage / 2 on average.
Tokens admitted late in a second leave the minute less than 60 s later (a bucket leaves at the
start of its second + 60 s), so the busiest 59-s window is what must stay ≤ ${fmt(QUOTA_TPM)}; a 60-s
window may hold one bucket more, and the opening burst of ${RPW} requests is one bucket.
${
    ALIGN
      ? `The run started on a whole second of Redis' clock, so each of its minutes is exactly the limiter's
sixty buckets. From an empty minute the request limit binds first (${RPW} per 10 s) until the minute
is full; then nothing gets in until the first bucket leaves, at the end of the first minute.`
      : `Unaligned (--no-align), the bucket of the opening burst leaves up to 1 s before the run's first
minute ends and what it held is admitted again inside that minute: the full-run figure of a 60-s
run then counts that bucket twice.`
  }
The rate the limiter settles to after the first minute: the steady-state row (--seconds 180).`);
  if (a.late) console.log(`(${a.late} admitted request(s) were answered after the end of the run; they count in the last step)`);

  // ---- phase 2 ----
  for (const r of replicas.slice(1)) await r.stop();
  const targets = [{ label: 'Redis (shared counters)', replica: replicas[0] }];
  if (!args['no-memory']) targets.push({ label: 'in-process (no REDIS_URL)', replica: await startReplica('in-process', { redis: false }) });
  const pings = await redisPings(2000);
  pings.sort((x, y) => x - y);

  console.log(
    `\nlimiter's added latency: replica-1 of the load (Redis)${targets.length > 1 ? ' and a fresh replica without REDIS_URL' : ''}, the other replicas stopped; ` +
      `${LAT_CLIENTS} clients × ${LAT_SECONDS} s after ${LAT_WARMUP} s warm-up, each cycling through every row below in turn; ` +
      `'roomy' has capacity ${fmt(ROOMY_CAPACITY)} (estimated, admitted, settled, never throttled), 'open' none (not counted); ` +
      `a ${Math.ceil(LATENCY_PROMPT.length / 4) + 7}-token prompt, max_tokens 16 (the answer is always 16 tokens)\n`,
  );
  console.log(`${'limiter'.padEnd(28)}${'deployment'.padEnd(22)}${'requests'.padStart(9)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'mean ms'.padStart(9)}`);
  for (const l of await latencyPhase(targets)) {
    const row = (name, s) => console.log(`${l.label.padEnd(28)}${name.padEnd(22)}${String(s.n).padStart(9)}${s.p50.toFixed(3).padStart(9)}${s.p99.toFixed(3).padStart(9)}${s.mean.toFixed(3).padStart(9)}`);
    row('roomy (limited)', l.roomy);
    row('open (no limiter)', l.open);
    const d = (k) => (l.roomy[k] - l.open[k]).toFixed(3).padStart(9);
    console.log(`${l.label.padEnd(28)}${'added by the limiter'.padEnd(22)}${''.padStart(9)}${d('p50')}${d('p99')}${d('mean')}`);
    if (l.bad.roomy || l.bad.open) console.log(`  non-200 answers: roomy ${l.bad.roomy}, open ${l.bad.open}`);
  }
  const q = (p) => pings[Math.min(pings.length - 1, Math.floor(p * pings.length))];
  console.log(`(for scale: a Redis PING round trip from the bench process, ${pings.length} in a row: p50 ${q(0.5).toFixed(3)} ms, p99 ${q(0.99).toFixed(3)} ms)`);
}

try {
  await main();
} catch (err) {
  console.error(`\nbench/quota failed: ${err.stack ?? err}`);
  process.exitCode = 1;
} finally {
  await cleanup();
  console.log(`\nstopped all servers, removed their data directories, dropped schema ${schema}`);
}
