// The model process on its own, spoken to over its IPC protocol: what the parent cannot see
// (how much is decoded after an abort, whether a request aborted in the queue ever ran).

import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyGguf } from '../../../test/fixtures/gguf.js';
import { workerScriptPath } from './model-process.js';
import type { WorkerCommand, WorkerEvent } from './protocol.js';

let dir: string;
let child: ChildProcess;
const listeners = new Set<(event: WorkerEvent) => void>();
const send = (command: WorkerCommand): void => void child.send(command);

/** Resolves with the first event matching `until`; `seen` gets every event of that id before it. */
function waitFor(until: (e: WorkerEvent) => boolean, seen?: (e: WorkerEvent) => void): Promise<WorkerEvent> {
  return new Promise((resolve) => {
    const listener = (event: WorkerEvent): void => {
      if (until(event)) {
        listeners.delete(listener);
        resolve(event);
      } else {
        seen?.(event);
      }
    };
    listeners.add(listener);
  });
}

const chat = (id: number, maxTokens: number): WorkerCommand => ({
  type: 'chat',
  id,
  request: {
    messages: [{ role: 'user', content: 'hello world' }],
    // The model cannot emit an end token (suppressEndTokens): only maxTokens or an abort ends it.
    params: { maxTokens, temperature: 0 },
    n: 1,
  },
});

/** The one message that ends request `id`. */
const isFinal = (id: number) => (e: WorkerEvent): boolean => 'id' in e && e.id === id && e.type !== 'text' && e.type !== 'done';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lapis-llama-worker-'));
  const modelPath = join(dir, 'tiny.gguf');
  await writeTinyGguf(modelPath, { contextLength: 4096, suppressEndTokens: true });
  child = fork(workerScriptPath(), [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  child.on('message', (event: WorkerEvent) => listeners.forEach((l) => l(event)));
  const loaded = waitFor((e) => e.type === 'loaded' || e.type === 'load-failed');
  // One sequence: a second request waits in the queue.
  send({ type: 'load', modelPath, threads: 1, parallel: 1 });
  expect(await loaded).toMatchObject({ type: 'loaded', contextSize: 4096 });
});

afterAll(async () => {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  send({ type: 'shutdown' });
  await exited;
  await rm(dir, { recursive: true, force: true });
});

describe('model process', () => {
  const LONG = 1000;

  it('runs a long generation to its end when nothing stops it (the baseline)', async () => {
    const done = waitFor((e) => e.type === 'done' && e.id === 1);
    const end = waitFor(isFinal(1));
    send(chat(1, LONG));
    expect(await done).toEqual({ type: 'done', id: 1, choice: 0, finishReason: 'length' });
    expect(await end).toMatchObject({ type: 'end', usage: { completionTokens: LONG } });
  });

  it('stops decoding right after an abort', async () => {
    let afterAbort = 0;
    let aborted = false;
    const end = waitFor(
      isFinal(2),
      (e) => {
        if (e.type !== 'text' || e.id !== 2) return;
        if (aborted) afterAbort++;
        else if (!aborted) {
          aborted = true;
          send({ type: 'abort', id: 2 });
        }
      },
    );
    send(chat(2, LONG));
    const event = await end;
    expect(event.type).toBe('aborted');
    const decoded = (event as Extract<WorkerEvent, { type: 'aborted' }>).completionTokens;
    // ~2,000 tokens/s here: 100 ms are ~200 tokens. The bound counts tokens, not wall time.
    expect(afterAbort).toBeLessThan(200);
    expect(decoded).toBeLessThan(200);
  });

  it('never runs a request aborted while queued', async () => {
    const textsOf4: string[] = [];
    const events = waitFor(
      isFinal(3),
      (e) => {
        if (e.type === 'text' && e.id === 4) textsOf4.push(e.text);
      },
    );
    const dropped = waitFor(isFinal(4));
    send(chat(3, 200));
    send(chat(4, 200));
    send({ type: 'abort', id: 4 });
    expect(await dropped).toEqual({ type: 'aborted', id: 4, completionTokens: 0 });
    expect(await events).toMatchObject({ type: 'end', id: 3 });
    expect(textsOf4).toEqual([]);
  });
});
