import { fork } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeTinyGguf } from '../../../test/fixtures/gguf.js';
import { loadLlamaBackend, type LlamaBackend } from './llama-backend.js';
import { workerScriptPath } from './model-process.js';
import type { WorkerCommand, WorkerEvent } from './protocol.js';
import { collect, STORIES_260K, tempDir, userTurn } from './testing.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
let tiny: LlamaBackend;
beforeAll(async () => {
  dir = await tempDir('lapis-llama-batch-');
  await writeTinyGguf(dir.path('tiny.gguf'), { contextLength: 512, suppressEndTokens: true });
  tiny = await loadLlamaBackend({ kind: 'llama', modelPath: dir.path('tiny.gguf') }, { threads: 1, onFailure: () => {} });
});
afterAll(async () => {
  await tiny.close();
  await dir.remove();
});

describe('n choices', () => {
  it('generates n different choices, each ending with done, and one usage at the end', async () => {
    const request = (): ReturnType<typeof tiny.chat> => tiny.chat(userTurn('once upon a time', { maxTokens: 12, seed: 7 }, { n: 3 }));
    const single = await collect(tiny.chat(userTurn('once upon a time', { maxTokens: 12, seed: 7 })));
    const out = await collect(request());
    expect(out.choices).toHaveLength(3);
    expect(new Set(out.choices.map((c) => c.text)).size).toBe(3);
    expect(out.events.filter((e) => e.type === 'done')).toHaveLength(3);
    expect(out.events.filter((e) => e.type === 'usage')).toHaveLength(1);
    expect(out.events.at(-1)).toEqual({ type: 'usage', usage: { promptTokens: single.usage!.promptTokens, completionTokens: 36 } });
    // Choice i draws from seed + i: choice 0 is the single answer, and the whole request repeats.
    expect(out.choices[0]!.text).toBe(single.choices[0]!.text);
    expect((await collect(request())).choices.map((c) => c.text)).toEqual(out.choices.map((c) => c.text));
  });
});

/**
 * A model process spoken to over IPC: its messages arrive in the order it sends them, which is
 * the order of generation (a consumer of the backend's streams sees buffered events later).
 */
async function worker(parallel: number): Promise<{ send: (c: WorkerCommand) => void; events: WorkerEvent[]; stop: () => Promise<void> }> {
  const child = fork(workerScriptPath(), [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const events: WorkerEvent[] = [];
  child.on('message', (event: WorkerEvent) => events.push(event));
  const send = (command: WorkerCommand): void => void child.send(command);
  send({ type: 'load', modelPath: dir.path('tiny.gguf'), threads: 1, parallel });
  await vi.waitFor(() => expect(events.some((e) => e.type === 'loaded')).toBe(true), { timeout: 20_000 });
  const stop = async (): Promise<void> => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    send({ type: 'shutdown' });
    await exited;
  };
  return { send, events, stop };
}

/** Sends `count` chats at once and waits for all to end; returns the request id of each text event, in order. */
async function race(w: Awaited<ReturnType<typeof worker>>, count: number, maxTokens: number): Promise<{ texts: number[]; ends: number[] }> {
  const ids = Array.from({ length: count }, (_, i) => 100 * maxTokens + i);
  for (const id of ids) {
    w.send({ type: 'chat', id, request: { messages: [{ role: 'user', content: `story ${id}` }], params: { maxTokens, seed: id }, n: 1 } });
  }
  const mine = (e: WorkerEvent): e is Extract<WorkerEvent, { id: number }> => 'id' in e && ids.includes(e.id);
  await vi.waitFor(() => expect(w.events.filter((e) => mine(e) && e.type === 'end')).toHaveLength(count), { timeout: 20_000 });
  const events = w.events.filter(mine);
  for (const e of events) if (e.type === 'end') expect(e.usage.completionTokens).toBe(maxTokens);
  return {
    texts: events.filter((e) => e.type === 'text').map((e) => e.id),
    ends: events.filter((e) => e.type === 'end' || e.type === 'text').map((e) => (e.type === 'end' ? -e.id : e.id)),
  };
}

describe('concurrent requests share one model', () => {
  it('decodes up to `parallel` streams together: every stream starts before any ends', async () => {
    const w = await worker(4);
    try {
      const { ends } = await race(w, 4, 64);
      const firstEnd = ends.findIndex((id) => id < 0);
      const started = new Set(ends.slice(0, firstEnd));
      expect(started.size).toBe(4);
    } finally {
      await w.stop();
    }
  });

  it('with parallel 1 the same streams run one after another', async () => {
    const w = await worker(1);
    try {
      const { texts } = await race(w, 3, 16);
      // Runs of one request each: a…a b…b c…c.
      expect(texts.filter((id, i) => i === 0 || texts[i - 1] !== id)).toHaveLength(3);
    } finally {
      await w.stop();
    }
  });

  it('serves stories260K to 4 concurrent streams', async () => {
    const stories = await loadLlamaBackend({ kind: 'llama', modelPath: STORIES_260K, contextSize: 512 }, { threads: 1, onFailure: () => {} });
    try {
      const outs = await Promise.all(
        [0, 1, 2, 3].map((i) => collect(stories.chat(userTurn(`Once upon a time ${i}`, { maxTokens: 48, seed: i })))),
      );
      for (const out of outs) {
        expect(out.choices[0]!.text.length).toBeGreaterThan(0);
        expect(out.usage?.completionTokens).toBeGreaterThan(0);
      }
    } finally {
      await stories.close();
    }
  });
});
