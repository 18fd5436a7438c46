// A client that goes away cancels the work behind it: the upstream request of a brokered
// deployment is closed at once, and an embedded model is free for the next request.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningServer } from '../../src/main.js';
import { writeTinyGguf } from '../fixtures/gguf.js';
import { adminApi, newServerState, startInProcess, type ServerState } from '../helpers/server.js';

let state: ServerState;
let server: RunningServer;
let key: string;
let models: string;
let upstream: Server;
/** Resolves when the upstream sees its client (Lapis) close the streaming request. */
let upstreamClosed: Promise<void>;

let admin: ReturnType<typeof adminApi>['call'];
let deploy: ReturnType<typeof adminApi>['deploy'];

function chat(deployment: string, body: Record<string, unknown>, signal?: AbortSignal) {
  return fetch(`${server.url}/openai/deployments/${deployment}/chat/completions?api-version=2024-10-21`, {
    method: 'POST',
    headers: { 'api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...body }),
    signal,
  });
}

beforeAll(async () => {
  // An engine that streams one chunk every 50 ms, forever, until its client goes away.
  let markClosed!: () => void;
  upstreamClosed = new Promise((r) => (markClosed = r));
  upstream = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const chunk = (text: string) => `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 0, model: 'slow', choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`;
    const timer = setInterval(() => res.write(chunk('tick ')), 50);
    res.on('close', () => {
      clearInterval(timer);
      markClosed();
    });
  }).listen(0, '127.0.0.1');
  await new Promise((r) => upstream.once('listening', r));

  state = await newServerState();
  server = await startInProcess(state);
  ({ call: admin, deploy } = adminApi(server));
  models = await mkdtemp(join(tmpdir(), 'lapis-models-'));
  await writeTinyGguf(join(models, 'endless.gguf'), { suppressEndTokens: true, contextLength: 4096 });
  key = await adminApi(server).defaultAccountKey();
  await deploy('slow', { kind: 'openai-compatible', baseUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`, model: 'slow' });
  await deploy('endless', { kind: 'llama', modelPath: join(models, 'endless.gguf'), parallel: 1 });
});
afterAll(async () => {
  await server?.stop();
  upstream?.close();
  await state?.cleanup();
  await rm(models, { recursive: true, force: true });
});

async function readSomeThenAbort(deployment: string, body: Record<string, unknown>): Promise<void> {
  const controller = new AbortController();
  const res = await chat(deployment, { ...body, stream: true }, controller.signal);
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  await reader.read();
  await reader.read();
  controller.abort();
}

describe('a client that goes away', () => {
  it('closes the upstream request of a brokered deployment', async () => {
    await readSomeThenAbort('slow', {});
    await upstreamClosed; // hangs (and the test times out) if Lapis kept the upstream request open
  });

  it('frees an embedded model that would otherwise generate until its context is full', async () => {
    // parallel 1: if the aborted generation went on, the next request would wait behind ~4000 tokens.
    await readSomeThenAbort('endless', {});
    const res = await chat('endless', { max_tokens: 4 });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(4);
  });
});
