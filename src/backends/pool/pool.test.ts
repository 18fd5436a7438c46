// The pool over real members: openai-compatible backends on loopback upstreams that answer as a
// test scripts them (500s, 429 with Retry-After, hangs, cut connections, normal SSE) and
// simulator backends. The breakers' clock and the weighted draw are injected: no long sleeps.

import { afterEach, describe, expect, it } from 'vitest';
import { BackendUnavailableError, ModelLoadError, UpstreamHttpError } from '../../core/errors.js';
import type { ChatGenerationRequest, GenerationEvent, InferenceBackend, ServedBy } from '../../core/inference.js';
import type { PoolMemberBackendSpec, SimulatorBackendSpec } from '../../core/resources.js';
import {
  assemble,
  chatChunk,
  closedPort,
  collect,
  sendJson,
  sendSse,
  sse,
  startUpstream,
  type Upstream,
  type UpstreamHandler,
} from '../../../test/helpers/upstream.js';
import { createOpenAICompatibleBackend } from '../openai-compatible/index.js';
import { createSimulatorBackend } from '../simulator/index.js';
import { loadPoolBackend } from './load.js';
import { PoolBackend, type PoolMember, type PoolOptions } from './pool-backend.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const delta = (content: string) => ({ index: 0, delta: { content }, finish_reason: null });
const okStream = (text: string) =>
  sse([chatChunk([delta(text)]), chatChunk([{ index: 0, delta: {}, finish_reason: 'stop' }]), chatChunk([], { usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } })]);

/** A loopback upstream; GET /v1/models answers `models()` (200 unless told otherwise). */
async function upstream(handler: UpstreamHandler, models: () => number = () => 200): Promise<Upstream> {
  const u = await startUpstream((req, res, body, attempt) => {
    if (req.method === 'GET') return sendJson(res, models(), { object: 'list', data: [] });
    return handler(req, res, body, attempt);
  });
  cleanups.push(() => u.close());
  return u;
}

/** An openai-compatible member as the runtime builds it in a pool: no retries of its own. */
function remote(baseUrl: string, extra: { timeoutMs?: number } = {}): InferenceBackend {
  return createOpenAICompatibleBackend({ kind: 'openai-compatible', baseUrl: `${baseUrl}/v1`, model: 'up', ...extra }, { maxRetries: 0 });
}

const sim = (model: string, extra: Partial<SimulatorBackendSpec> = {}) => createSimulatorBackend({ kind: 'simulator', model, ...extra });

function member(name: string, backend: InferenceBackend, priority = 1, weight = 1): PoolMember {
  return { name, backend, priority, weight };
}

function pool(members: PoolMember[], options: PoolOptions = {}): PoolBackend {
  const p = new PoolBackend(members, { healthCheck: { intervalMs: 0 }, random: () => 0, ...options });
  cleanups.push(() => p.close());
  return p;
}

const ask = (served?: ServedBy): ChatGenerationRequest => ({
  messages: [{ role: 'user', content: 'Hi' }],
  params: { maxTokens: 3 },
  signal: new AbortController().signal,
  ...(served ? { served } : {}),
});

/** Runs a chat to its end; the member that answered and its text. */
async function chat(p: PoolBackend): Promise<{ by?: string; text: string }> {
  const served: ServedBy = {};
  const events = await collect(p.chat(ask(served)));
  return { by: served.by, text: assemble(events).choices[0]?.text ?? '' };
}

const stateOf = (p: PoolBackend, name: string) => p.status().find((s) => s.name === name)?.state;

describe('selection', () => {
  it('draws by weight within the best priority group, and never from a worse group while it can serve', async () => {
    const p = pool([member('a', sim('a'), 1, 3), member('b', sim('b'), 1, 1), member('c', sim('c'), 2, 100)], {
      random: (() => {
        let i = 0;
        return () => (i++ % 400) / 400; // an even sweep of [0, 1): the exact shares show
      })(),
    });
    const counts: Record<string, number> = {};
    for (let i = 0; i < 400; i++) {
      const served: ServedBy = {};
      await collect(p.chat({ ...ask(served), params: { maxTokens: 1 } }));
      counts[served.by!] = (counts[served.by!] ?? 0) + 1;
    }
    expect(counts).toEqual({ a: 300, b: 100 });
  });

  it('reports the preferred member as its model and what every member can do', async () => {
    const p = pool([
      member('late', sim('late-model', { contextSize: 2048, embeddingDimensions: 256 }), 2),
      member('first', sim('first-model', { contextSize: 8192 }), 1),
    ]);
    expect(p.modelId).toBe('first-model');
    expect(p.capabilities.contextSize).toBe(2048);
    expect(p.capabilities.embeddingDimensions).toBe(256);
    expect(p.capabilities.chat).toBe(true);
    expect(typeof p.countTokens).toBe('function');
  });
});

describe('failover before the first event', () => {
  it('goes to the next member of the same group when one cannot be reached', async () => {
    const good = await upstream((_req, res) => sendSse(res, okStream('from good')));
    const p = pool([member('gone', remote(`http://127.0.0.1:${await closedPort()}`)), member('good', remote(good.url))]);
    expect(await chat(p)).toEqual({ by: 'good', text: 'from good' });
  });

  it('goes to the next group on a 5xx, each member tried once', async () => {
    const failing = await upstream((_req, res) => sendJson(res, 502, { error: { message: 'bad gateway' } }));
    const also = await upstream((_req, res) => sendJson(res, 500, { error: { message: 'boom' } }));
    const backup = await upstream((_req, res) => sendSse(res, okStream('backup')));
    const p = pool([member('a', remote(failing.url)), member('b', remote(also.url)), member('backup', remote(backup.url), 2)]);
    expect(await chat(p)).toEqual({ by: 'backup', text: 'backup' });
    expect([failing.requests.length, also.requests.length, backup.requests.length]).toEqual([1, 1, 1]);
  });

  it('goes on after a 429 and a timeout before any event; embeddings fail over too', async () => {
    const throttled = await upstream((_req, res) => sendJson(res, 429, { error: { message: 'slow down' } }, { 'retry-after': '3' }));
    const hung = await upstream(() => undefined);
    const good = await upstream((_req, res, body) =>
      body.input ? sendJson(res, 200, { data: [{ index: 0, embedding: [1, 2] }], usage: { prompt_tokens: 1 } }) : sendSse(res, okStream('ok')),
    );
    const p = pool([member('throttled', remote(throttled.url)), member('hung', remote(hung.url, { timeoutMs: 100 }), 2), member('good', remote(good.url), 3)]);
    expect(await chat(p)).toEqual({ by: 'good', text: 'ok' });
    const served: ServedBy = {};
    const result = await p.embed({ input: ['x'], signal: new AbortController().signal, served });
    expect(result.embeddings).toEqual([[1, 2]]);
    expect(served.by).toBe('good');
  });

  it('passes a request error (400) through without trying another member', async () => {
    const picky = await upstream((_req, res) => sendJson(res, 400, { error: { message: 'bad temperature', param: 'temperature' } }));
    const other = await upstream((_req, res) => sendSse(res, okStream('x')));
    const p = pool([member('picky', remote(picky.url)), member('other', remote(other.url), 2)]);
    await expect(chat(p)).rejects.toMatchObject({ status: 400, message: 'bad temperature' });
    expect(other.requests).toHaveLength(0);
  });

  it('throws the last failure when every member failed', async () => {
    const a = await upstream((_req, res) => sendJson(res, 500, { error: { message: 'first' } }));
    const b = await upstream((_req, res) => sendJson(res, 503, { error: { message: 'second' } }));
    const p = pool([member('a', remote(a.url)), member('b', remote(b.url), 2)]);
    await expect(chat(p)).rejects.toMatchObject({ status: 503, message: 'second' });
  });
});

describe('after the first event', () => {
  it('never replays a partly sent answer: the error passes through, the next member is not asked', async () => {
    const cut = await upstream(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(sse([chatChunk([delta('Hel')])], false));
      await new Promise((r) => setTimeout(r, 20));
      res.destroy();
    });
    const next = await upstream((_req, res) => sendSse(res, okStream('again')));
    const p = pool([member('cut', remote(cut.url)), member('next', remote(next.url), 2)], { breaker: { failures: 1 } });
    const served: ServedBy = {};
    const events: GenerationEvent[] = [];
    const err = await (async () => {
      for await (const e of p.chat(ask(served))) events.push(e);
    })().catch((e: unknown) => e);
    expect(events).toEqual([{ type: 'text', choice: 0, text: 'Hel' }]);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(served.by).toBe('cut');
    expect(next.requests).toHaveLength(0);
    // It still counts against the member.
    expect(stateOf(p, 'cut')).toBe('open');
  });
});

describe('circuit breaker', () => {
  it('opens after N failures, half-opens after the cooldown for one trial, and closes when it succeeds', async () => {
    const clock = { t: 0 };
    let healthy = false;
    const flaky = await upstream((_req, res) => (healthy ? sendSse(res, okStream('flaky')) : sendJson(res, 500, { error: { message: 'down' } })));
    const p = pool([member('flaky', remote(flaky.url)), member('backup', sim('backup'), 2)], { breaker: { failures: 2, cooldownMs: 5000 }, now: () => clock.t });
    expect((await chat(p)).by).toBe('backup');
    expect((await chat(p)).by).toBe('backup');
    expect(stateOf(p, 'flaky')).toBe('open');
    expect((await chat(p)).by).toBe('backup');
    expect(flaky.requests).toHaveLength(2); // open: not asked
    clock.t = 5000;
    expect(stateOf(p, 'flaky')).toBe('half-open');
    expect((await chat(p)).by).toBe('backup'); // the trial failed: open again for a cooldown
    expect(flaky.requests).toHaveLength(3);
    expect(stateOf(p, 'flaky')).toBe('open');
    clock.t = 10_000;
    healthy = true;
    expect(await chat(p)).toEqual({ by: 'flaky', text: 'flaky' });
    expect(stateOf(p, 'flaky')).toBe('closed');
  });

  it("stays open as long as the upstream's Retry-After asked, not the cooldown", async () => {
    const clock = { t: 0 };
    const throttled = await upstream((_req, res) => sendJson(res, 429, { error: { message: 'later' } }, { 'retry-after-ms': '20000' }));
    const p = pool([member('throttled', remote(throttled.url)), member('backup', sim('backup'), 2)], { breaker: { failures: 1, cooldownMs: 1000 }, now: () => clock.t });
    expect((await chat(p)).by).toBe('backup');
    clock.t = 19_999;
    expect(stateOf(p, 'throttled')).toBe('open');
    expect((await chat(p)).by).toBe('backup');
    expect(throttled.requests).toHaveLength(1);
    clock.t = 20_000;
    expect(stateOf(p, 'throttled')).toBe('half-open');
  });

  it('lets one trial through while half-open: requests meanwhile go elsewhere', async () => {
    const clock = { t: 0 };
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const slow = await upstream(async (_req, res, _body, attempt) => {
      if (attempt === 1) return sendJson(res, 500, { error: { message: 'down' } });
      await held;
      sendSse(res, okStream('trial'));
    });
    const p = pool([member('slow', remote(slow.url)), member('backup', sim('backup'), 2)], { breaker: { failures: 1, cooldownMs: 100 }, now: () => clock.t });
    expect((await chat(p)).by).toBe('backup');
    clock.t = 100;
    const trial = chat(p);
    await expect.poll(() => slow.requests.length).toBe(2);
    expect((await chat(p)).by).toBe('backup');
    expect(slow.requests).toHaveLength(2);
    release();
    expect(await trial).toEqual({ by: 'slow', text: 'trial' });
    expect(stateOf(p, 'slow')).toBe('closed');
  });

  it('answers 429 with the time until the first member comes back when all wait out a Retry-After, else 503', async () => {
    const clock = { t: 0 };
    const throttled = await upstream((_req, res) => sendJson(res, 429, { error: { message: 'later' } }, { 'retry-after': '7' }));
    const p = pool([member('only', remote(throttled.url))], { breaker: { failures: 1 }, now: () => clock.t });
    await expect(chat(p)).rejects.toMatchObject({ status: 429 });
    clock.t = 2000;
    const err = await chat(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamHttpError);
    expect(err).toMatchObject({ status: 429, options: { retryAfterMs: 5000 } });
    expect(throttled.requests).toHaveLength(1);

    const down = pool([member('down', remote(`http://127.0.0.1:${await closedPort()}`))], { breaker: { failures: 1 } });
    await expect(chat(down)).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(chat(down)).rejects.toThrow(/no member of the pool can take requests now/);
  });
});

describe('active health checks', () => {
  it('a failing check opens the breaker and a passing one closes it; the path is resolved against the base URL', async () => {
    let status = 500;
    const u = await upstream((_req, res) => sendSse(res, okStream('x')), () => status);
    const p = pool([member('u', remote(u.url)), member('sim', sim('sim'))]);
    await p.checkHealth();
    expect(stateOf(p, 'u')).toBe('open');
    expect(u.requests.at(-1)).toMatchObject({ method: 'GET', url: '/v1/models' });
    status = 200;
    await p.checkHealth();
    expect(stateOf(p, 'u')).toBe('closed');
    expect(stateOf(p, 'sim')).toBe('closed'); // the simulator has no health check: never judged by one

    const atRoot = pool([member('u', remote(u.url))], { healthCheck: { intervalMs: 0, path: '/health' } });
    await atRoot.checkHealth();
    expect(u.requests.at(-1)).toMatchObject({ method: 'GET', url: '/health' });
  });

  it('runs on a timer that close() stops', async () => {
    const u = await upstream((_req, res) => sendSse(res, okStream('x')));
    const p = new PoolBackend([member('u', remote(u.url))], { healthCheck: { intervalMs: 10 } });
    cleanups.push(() => p.close());
    await expect.poll(() => u.requests.length).toBeGreaterThanOrEqual(2);
    await p.close();
    const after = u.requests.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(u.requests.length).toBe(after);
  });
});

describe('loading', () => {
  it('opens every member with the given loader, and fails naming the member that did not load (closing the others)', async () => {
    const closed: string[] = [];
    const open = async (spec: PoolMemberBackendSpec) => {
      if (spec.kind !== 'simulator') throw new Error('no such model file');
      const backend = createSimulatorBackend(spec);
      return { ...backend, modelId: backend.modelId, capabilities: backend.capabilities, close: async () => void closed.push(spec.model!) };
    };
    await expect(
      loadPoolBackend(
        { kind: 'pool', members: [{ name: 'ok', backend: { kind: 'simulator', model: 'ok' } }, { name: 'broken', backend: { kind: 'llama', modelPath: '/nope.gguf' } }] },
        { open, onFailure: () => undefined },
      ),
    ).rejects.toThrow(new ModelLoadError("pool member 'broken': no such model file"));
    expect(closed).toEqual(['ok']);
  });

  it('serves on when a member dies for good, and fails when the last one does', async () => {
    const deaths: ((reason: string) => void)[] = [];
    const failures: string[] = [];
    const p = await loadPoolBackend(
      {
        kind: 'pool',
        members: [
          { name: 'a', backend: { kind: 'simulator', model: 'a' } },
          { name: 'b', priority: 2, backend: { kind: 'simulator', model: 'b' } },
        ],
        healthCheck: { intervalMs: 0 },
      },
      {
        open: async (spec, onFailure) => {
          deaths.push(onFailure);
          return createSimulatorBackend(spec as SimulatorBackendSpec);
        },
        onFailure: (reason) => failures.push(reason),
      },
    );
    cleanups.push(() => p.close());
    expect((await chat(p)).by).toBe('a');
    deaths[0]!('process crashed');
    expect((await chat(p)).by).toBe('b');
    expect(stateOf(p, 'a')).toBe('dead');
    expect(failures).toEqual([]);
    deaths[1]!('also crashed');
    expect(failures).toEqual(["every member of the pool failed: 'a': process crashed; 'b': also crashed"]);
    await expect(chat(p)).rejects.toBeInstanceOf(BackendUnavailableError);
  });
});
