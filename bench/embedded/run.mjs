// bench/embedded: decoding speed of the llama backend through Lapis against node-llama-cpp
// called directly, on the same model and threads, side by side in one run.
//
//   npm run bench:embedded [-- --model path.gguf --max-tokens 256 --reps 5 --seed 42]
//
// - direct: bench/embedded/direct.mjs, node-llama-cpp in a plain process (threads 1, one
//   context of 4 sequences);
// - lapis: `lapis serve` (LAPIS_LLAMA_THREADS=1) with a deployment {"kind":"llama","parallel":4},
//   called over HTTP as an application would: streamed chat completions with include_usage,
//   completion tokens read from usage.
// Cases: one stream, and 4 concurrent streams (aggregate tokens/s = all tokens / time until
// the last one ends). Every stream asks for max_tokens with EOS banned (logit_bias −100), so
// both sides always decode the same number of tokens; stream i is seeded seed+i. The sides
// alternate within each repetition, so drift of the machine hits both; medians are printed.
// Times include the prompt (a few tokens; its cached prefix is reused on both sides). CPU per
// token: all CPU time of direct.mjs, or of lapis serve plus its model process, during the run
// over the tokens decoded (the bench's own HTTP client is in neither).

import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readGgufFileInfo } from 'node-llama-cpp';
import { request } from 'undici';
import { startLapis, DATA_API_VERSION } from '../proxy/lapis.mjs';
import { backgroundBusyPct, start, stopAll, treeCpuMs, waitForOutput } from '../proxy/processes.mjs';

const root = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: resolve(root, '../shared/models/stories260K.gguf') },
    'max-tokens': { type: 'string', default: '256' },
    reps: { type: 'string', default: '5' },
    seed: { type: 'string', default: '42' },
  },
});
const modelPath = resolve(values.model);
const maxTokens = Number(values['max-tokens']);
const reps = Number(values.reps);
const seed = Number(values.seed);
const PARALLEL = 4;
const PROMPT = 'Tell me a story about a little dog.';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Asks the direct process for `streams` generations at once; { ms, tokens: [...] }. */
async function direct(child, streams) {
  const answer = waitForOutput(child, /^(\{"ms".*\})\n/m, 600_000);
  child.stdin.write(`${JSON.stringify({ streams, maxTokens, seed })}\n`);
  return JSON.parse((await answer)[1]);
}

/** One streamed chat completion through Lapis; its completion tokens from the usage chunk. */
async function lapisStream(url, key, streamSeed, eos) {
  const res = await request(`${url}/openai/deployments/stories/chat/completions?api-version=${DATA_API_VERSION}`, {
    method: 'POST',
    headers: { 'api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({
      messages: [{ role: 'user', content: PROMPT }],
      max_tokens: maxTokens,
      seed: streamSeed,
      logit_bias: { [eos]: -100 },
      stream: true,
      stream_options: { include_usage: true },
    }),
  });
  let tail = '';
  for await (const chunk of res.body) tail = (tail + chunk).slice(-4096); // usage is in the last events
  if (res.statusCode !== 200) throw new Error(`lapis: ${res.statusCode} ${tail}`);
  const usage = /"prompt_tokens":(\d+),"completion_tokens":(\d+)/.exec(tail);
  if (!usage) throw new Error(`lapis: no usage in the stream: ${tail.slice(-300)}`);
  lapisPromptTokens = Number(usage[1]);
  return Number(usage[2]);
}

async function lapis(url, key, streams, eos) {
  const started = performance.now();
  const tokens = await Promise.all(Array.from({ length: streams }, (_, i) => lapisStream(url, key, seed + i, eos)));
  return { ms: performance.now() - started, tokens };
}

const sum = (xs) => xs.reduce((a, b) => a + b, 0);
let lapisPromptTokens; // the same prompt on both sides shows as the same count

let server;
try {
  const info = await readGgufFileInfo(modelPath, { readTensorInfo: false, logWarnings: false });
  const eos = info.metadata.tokenizer?.ggml?.eos_token_id;
  if (eos === undefined) throw new Error('the model names no EOS token');

  const directChild = start('direct', process.execPath, [join(import.meta.dirname, 'direct.mjs'), JSON.stringify({ modelPath, parallel: PARALLEL, prompt: PROMPT })], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const ready = JSON.parse((await waitForOutput(directChild, /^(\{"ready".*\})\n/m))[1]);
  server = await startLapis({ env: { LAPIS_LLAMA_THREADS: '1' } });
  const key = await server.createDeployment('stories', { kind: 'llama', modelPath, parallel: PARALLEL });
  const background = await backgroundBusyPct();

  // One untimed round each: first-use costs (allocations, JIT) are not what is measured.
  await direct(directChild, PARALLEL);
  await lapis(server.url, key, PARALLEL, eos);

  const cases = [1, PARALLEL].map((streams) => ({ streams, direct: [], lapis: [] }));
  // CPU of each side's processes per run: direct.mjs; lapis serve and its model process.
  const withCpu = async (pid, run) => {
    const before = await treeCpuMs(pid);
    const result = await run();
    return { ...result, cpuMs: (await treeCpuMs(pid)) - before };
  };
  for (let r = 0; r < reps; r++) {
    for (const c of cases) {
      c.direct.push(await withCpu(directChild.pid, () => direct(directChild, c.streams)));
      c.lapis.push(await withCpu(server.child.pid, () => lapis(server.url, key, c.streams, eos)));
    }
  }

  const rate = (runs) => median(runs.map((x) => (1000 * sum(x.tokens)) / x.ms));
  const tokens = (runs) => median(runs.map((x) => median(x.tokens)));
  const cpuPerToken = (runs) => median(runs.map((x) => (1000 * x.cpuMs) / sum(x.tokens)));
  console.log(`\nmodel: ${modelPath}`);
  console.log(`threads 1; one context of ${PARALLEL} sequences (context ${ready.contextSize} per sequence); prompt tokens: direct ${ready.promptTokens}, lapis ${lapisPromptTokens}`);
  console.log(`${availableParallelism()} cores; ${background.toFixed(0)}% busy with other work before the runs (both sides loaded and idle)`);
  console.log(`max_tokens ${maxTokens} with EOS banned; seeds ${seed}+i; lapis: streamed chat completions over HTTP; median of ${reps}\n`);
  const head = ['case', 'direct tok/s', 'lapis tok/s', 'lapis/direct', 'CPU µs/token (direct / lapis)', 'tokens per stream (direct / lapis)'];
  const widths = [22, 14, 13, 14, 31, 36];
  const row = (cells) => console.log(cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(''));
  row(head);
  const results = cases.map((c) => ({ ...c, d: rate(c.direct), l: rate(c.lapis) }));
  for (const c of results) {
    row([c.streams === 1 ? '1 stream' : `${c.streams} streams (aggregate)`, c.d.toFixed(0), c.l.toFixed(0), `${(c.l / c.d).toFixed(2)}×`, `${cpuPerToken(c.direct).toFixed(0)} / ${cpuPerToken(c.lapis).toFixed(0)}`, `${tokens(c.direct)} / ${tokens(c.lapis)}`]);
  }
  const [one, many] = results;
  row([`${PARALLEL} streams / 1 stream`, `${(many.d / one.d).toFixed(2)}×`, `${(many.l / one.l).toFixed(2)}×`, '', '', '']);

  const within = one.l / one.d;
  const scale = many.l / one.l;
  console.log(`\nlapis 1 stream at ${(100 * within).toFixed(0)}% of direct (goal ≥ 90%: ${within >= 0.9 ? 'met' : 'not met'})`);
  console.log(`lapis ${PARALLEL} streams at ${scale.toFixed(2)}× its 1-stream rate (goal ≥ 2×: ${scale >= 2 ? 'met' : 'not met'}); ` +
    `node-llama-cpp alone: ${(many.d / one.d).toFixed(2)}×, the ceiling for this model and thread count`);
} finally {
  await server?.stop(); // also removes its data directory
  await stopAll();
}
