// Capacity on the wire, on simulator deployments: Standard request and token limits with
// Azure's 429 body and headers, provisioned utilization with its immediate 429, spillover by
// property and by header, settlement after streams and aborts, and the openai SDK's own retry
// honouring retry-after-ms. Runs on the in-process limiter, or on Redis when REDIS_URL is set.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureOpenAI } from 'openai';
import type { RunningServer } from '../../src/main.js';
import { accountPath, adminApi, newServerState, startInProcess, type ServerState } from '../helpers/server.js';

let state: ServerState;
let server: RunningServer;
let key: string;
let admin: ReturnType<typeof adminApi>;
/** A prompt of about `PROMPT_TOKENS` tokens for the simulator's counter, calibrated at start-up. */
let longPrompt: string;
const PROMPT_TOKENS = 1500;
/** Throughput of one PTU of the model 'ptu-model' (LAPIS_PTU_THROUGHPUT): 100 tokens a second. */
const PTU_TPM = 6000;

/** Sends a chat request; `fill` reads and drops the answer (an unread body holds its connection). */
async function fill(deployment: string, body: object): Promise<void> {
  await (await chat(deployment, body)).arrayBuffer();
}

/** The answer read whole (an unread body would hold its connection open past the server's stop), unless a signal may cut it. */
async function chat(deployment: string, body: object, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  const res = await fetch(`${server.url}/openai/deployments/${deployment}/chat/completions?api-version=2024-10-21`, {
    method: 'POST',
    headers: { 'api-key': key, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
  if (signal) return res;
  return new Response(await res.arrayBuffer(), { status: res.status, headers: res.headers });
}
const ask = (content: string, extra: object = {}) => ({ messages: [{ role: 'user', content }], max_tokens: 16, ...extra });

async function deploy(name: string, sku: object, model: string, extra: object = {}, backend: object = { kind: 'simulator' }) {
  const put = await admin.putDeployment(name, { sku, properties: { model: { format: 'OpenAI', name: model, version: '1' }, ...extra, lapis: { backend } } });
  if (put.error) throw new Error(JSON.stringify(put.error));
}

beforeAll(async () => {
  state = await newServerState();
  server = await startInProcess(state, { ptuThroughput: JSON.stringify({ 'ptu-model': { inputTokensPerMinute: PTU_TPM, outputWeight: 1 } }) });
  admin = adminApi(server);
  key = await admin.defaultAccountKey();
  await deploy('free', { name: 'Standard' }, 'sim');
  const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i % 50}`).join(' ');
  const probe = (await (await chat('free', ask(words(1000)))).json()) as any;
  longPrompt = words(Math.round((1000 * PROMPT_TOKENS) / probe.usage.prompt_tokens));
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await state?.cleanup();
});

describe('a Standard deployment', () => {
  it('admits capacity-many requests per 10 s and refuses the next with the call-rate 429', async () => {
    await deploy('std-1', { name: 'Standard', capacity: 1 }, 'sim');
    const ok = await chat('std-1', ask('hello'));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-ratelimit-limit-requests')).toBe('6');
    expect(ok.headers.get('x-ratelimit-limit-tokens')).toBe('1000');
    expect(ok.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const remaining = Number(ok.headers.get('x-ratelimit-remaining-tokens'));
    expect(remaining).toBeGreaterThan(900);
    expect(remaining).toBeLessThan(1000 - 16); // the estimate counted the 16-token allowance
    const refused = await chat('std-1', ask('hello again'));
    expect(refused.status).toBe(429);
    const ms = Number(refused.headers.get('retry-after-ms'));
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThanOrEqual(10_000);
    expect(refused.headers.get('retry-after')).toBe(String(Math.ceil(ms / 1000)));
    const body = (await refused.json()) as any;
    expect(body.error.code).toBe('429');
    expect(body.error.message).toMatch(/^Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded call rate limit of your current OpenAI S0 pricing tier\. Please retry after \d+ seconds?\./);
  });

  it('refuses on tokens per minute once the running count reaches the limit', async () => {
    await deploy('std-2', { name: 'Standard', capacity: 5 }, 'sim'); // 5,000 TPM, 5 requests per 10 s
    // About 1,500 tokens each: admitted at 0, 1,500, 3,000 and 4,500 counted (under the limit).
    for (let i = 0; i < 4; i++) expect((await chat('std-2', ask(longPrompt))).status).toBe(200);
    const refused = await chat('std-2', ask('hi'));
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as any).error.message).toContain('exceeded token rate limit');
    expect(Number(refused.headers.get('retry-after-ms'))).toBeGreaterThan(40_000); // the minute must pass
  });

  it('settles an estimate down to the real usage, so a large max_tokens does not hold the minute', async () => {
    await deploy('std-3', { name: 'Standard', capacity: 3 }, 'sim');
    // The estimate (about 2,900 tokens) nearly fills the minute; the simulator writes far fewer.
    const first = await chat('std-3', ask('hi', { max_tokens: 2_900 }));
    expect(Number(first.headers.get('x-ratelimit-remaining-tokens'))).toBeLessThan(100);
    const used = ((await first.json()) as any).usage.total_tokens as number;
    const second = await chat('std-3', ask('hi'));
    expect(second.status).toBe(200);
    expect(Number(second.headers.get('x-ratelimit-remaining-tokens'))).toBeGreaterThan(3000 - used - 60);
  });

  it('settles a stream the client abandons with what it generated', async () => {
    await deploy('slow', { name: 'Standard', capacity: 3 }, 'sim', {}, { kind: 'simulator', tokensPerSecond: 20 });
    const controller = new AbortController();
    const res = await chat('slow', ask('tell me a story', { max_tokens: 2_900, stream: true }), {}, controller.signal);
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await new Promise((r) => setTimeout(r, 200));
    const next = await chat('slow', ask('hi'));
    expect(next.status).toBe(200);
    // Without the settlement the 2,900-token estimate would still be counted.
    expect(Number(next.headers.get('x-ratelimit-remaining-tokens'))).toBeGreaterThan(2_800);
    await next.text();
  });

  it('counts embeddings by their input tokens', async () => {
    await deploy('emb', { name: 'Standard', capacity: 1 }, 'text-embedding-3-small');
    const res = await fetch(`${server.url}/openai/deployments/emb/embeddings?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ input: 'hello world' }),
    });
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('x-ratelimit-remaining-tokens'))).toBeGreaterThan(990);
    expect(((await res.json()) as any).data).toHaveLength(1);
  });
});

describe('a provisioned deployment', () => {
  it('reports utilization, refuses at once above 100% with retry-after-ms, and drains', async () => {
    await deploy('ptu', { name: 'ProvisionedManaged', capacity: 1 }, 'ptu-model');
    const small = await chat('ptu', ask('hi'));
    expect(small.headers.get('azure-openai-deployment-utilization')).toMatch(/^\d+\.\d%$/);
    expect(small.headers.get('x-ratelimit-remaining-tokens')).toBeNull();
    // Four long prompts: 6,000 tokens of a 6,000-token minute, then over.
    for (let i = 0; i < 5; i++) await fill('ptu', ask(longPrompt));
    const refused = await chat('ptu', ask('hi'));
    expect(refused.status).toBe(429);
    const utilization = refused.headers.get('azure-openai-deployment-utilization')!;
    expect(Number.parseFloat(utilization)).toBeGreaterThan(100);
    const wait = Number(refused.headers.get('retry-after-ms'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThan(60_000);
    expect(((await refused.json()) as any).error.message).toContain('exceeded the provisioned throughput of this deployment');
  });

  it('spills what it refuses to the standard deployment named by the header, then by the property', async () => {
    await deploy('ptu-spill', { name: 'ProvisionedManaged', capacity: 1 }, 'ptu-model');
    await deploy('overflow', { name: 'Standard', capacity: 10 }, 'sim');
    for (let i = 0; i < 5; i++) await fill('ptu-spill', ask(longPrompt));
    const spilled = await chat('ptu-spill', ask('hi'), { 'x-ms-spillover-deployment': 'overflow' });
    expect(spilled.status).toBe(200);
    expect(spilled.headers.get('x-ms-spillover-from-deployment')).toBe('ptu-spill');
    expect(spilled.headers.get('x-ms-deployment-name')).toBe('overflow');
    expect(spilled.headers.get('x-ratelimit-remaining-requests')).toBe('9');
    // Without the header: refused.
    expect((await chat('ptu-spill', ask('hi'))).status).toBe(429);
    // The property does it for every request.
    await deploy('ptu-spill', { name: 'ProvisionedManaged', capacity: 1 }, 'ptu-model', { spilloverDeploymentName: 'overflow' });
    for (let i = 0; i < 5; i++) await fill('ptu-spill', ask(longPrompt));
    const byProperty = await chat('ptu-spill', ask('hi'));
    expect(byProperty.status).toBe(200);
    expect(byProperty.headers.get('x-ms-spillover-from-deployment')).toBe('ptu-spill');
  });

  it("is retried by the openai SDK after retry-after-ms, and then succeeds", async () => {
    await deploy('ptu-retry', { name: 'ProvisionedManaged', capacity: 1 }, 'ptu-model');
    // Fill the bucket just past 100%: the overflow drains in about a second.
    for (let i = 0; i < 4; i++) await fill('ptu-retry', ask(longPrompt));
    await fill('ptu-retry', ask(longPrompt.slice(0, Math.floor(longPrompt.length * 0.1))));
    const first = await chat('ptu-retry', ask('hi'));
    expect(first.status).toBe(429);
    const wait = Number(first.headers.get('retry-after-ms'));
    expect(wait).toBeLessThan(10_000);
    const seen: number[] = [];
    const client = new AzureOpenAI({
      endpoint: server.url,
      apiKey: key,
      apiVersion: '2024-10-21',
      deployment: 'ptu-retry',
      maxRetries: 3,
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        seen.push(res.status);
        return res;
      },
    });
    const started = Date.now();
    const done = await client.chat.completions.create({ model: 'ptu-retry', messages: [{ role: 'user', content: 'hi' }], max_tokens: 16 });
    expect(done.choices[0]!.message.content).toBeTruthy();
    expect(seen[0]).toBe(429);
    expect(seen.at(-1)).toBe(200);
    // It waited as told (retry-after-ms), not its own exponential backoff from 0.5 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(Math.min(wait, 500) - 50);
  });
});

describe('when Redis cannot be reached', () => {
  it("refuses limited deployments with 503 by default, serves unlimited ones, and falls back to local counts when told", async () => {
    for (const [policy, expected] of [['closed', 503], ['local', 200]] as const) {
      const other = await newServerState();
      const lonely = await startInProcess(other, { redisUrl: 'redis://127.0.0.1:1', redisFailure: policy });
      try {
        const api = adminApi(lonely);
        const k = await api.defaultAccountKey();
        await api.deploy('open', { kind: 'simulator' });
        const path = `${accountPath('default')}/deployments/limited`;
        await api.call('PUT', path, { sku: { name: 'Standard', capacity: 5 }, properties: { model: { format: 'OpenAI', name: 'sim', version: '1' }, lapis: { backend: { kind: 'simulator' } } } });
        while ((await api.call('GET', path)).properties.provisioningState !== 'Succeeded') await new Promise((r) => setTimeout(r, 20));
        const call = (d: string) =>
          fetch(`${lonely.url}/openai/deployments/${d}/chat/completions?api-version=2024-10-21`, {
            method: 'POST',
            headers: { 'api-key': k, 'content-type': 'application/json' },
            body: JSON.stringify(ask('hi')),
          });
        expect((await call('open')).status).toBe(200);
        const limited = await call('limited');
        expect(limited.status).toBe(expected);
        if (expected === 503) {
          expect(((await limited.json()) as any).error).toEqual({ code: 'ServiceUnavailable', message: 'The rate limiter is temporarily unavailable, so no request can be admitted. Please retry shortly.' });
          expect(limited.headers.get('retry-after')).toBeTruthy();
        } else {
          expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('4');
        }
      } finally {
        await lonely.stop();
        await other.cleanup();
      }
    }
  }, 120_000);
});
