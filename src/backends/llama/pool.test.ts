// The memory budget is process-wide (every backend shares one pool), so these tests live in a
// file of their own: vitest runs each file in its own process.

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ModelLoadError } from '../../core/errors.js';
import { writeTinyGguf } from '../../../test/fixtures/gguf.js';
import { loadLlamaBackend, type LlamaBackend } from './llama-backend.js';
import { collect, tempDir, userTurn } from './testing.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
const opened: LlamaBackend[] = [];
beforeAll(async () => {
  dir = await tempDir('lapis-llama-pool-');
  await writeTinyGguf(dir.path('a.gguf'), { name: 'model-a', contextLength: 512, suppressEndTokens: true });
  await writeTinyGguf(dir.path('b.gguf'), { name: 'model-b', contextLength: 512, seed: 2, suppressEndTokens: true });
});
afterAll(async () => {
  await Promise.all(opened.map((b) => b.close()));
  await dir.remove();
});

async function load(name: string, memoryBudgetBytes?: number, onFailure = vi.fn()): Promise<LlamaBackend> {
  const backend = await loadLlamaBackend({ kind: 'llama', modelPath: dir.path(name) }, { threads: 1, onFailure, memoryBudgetBytes });
  opened.push(backend);
  return backend;
}

describe('model pool', () => {
  it('unloads the idle model for a new one, and reloads it on its next request', async () => {
    const onFailureA = vi.fn();
    const a = await load('a.gguf', 1024 ** 4, onFailureA);
    const before = await collect(a.chat(userTurn('hello', { maxTokens: 8, seed: 1 })));
    const pidA = a.pid;
    // Room for one of the two models, not both.
    const b = await load('b.gguf', Math.floor(a.memoryBytes * 1.5));
    expect(b.resident).toBe(true);
    expect(a.resident).toBe(false);
    expect(a.pid).toBeUndefined();

    const after = await collect(a.chat(userTurn('hello', { maxTokens: 8, seed: 1 })));
    expect(after.choices[0]!.text).toBe(before.choices[0]!.text);
    expect(a.resident).toBe(true);
    expect(a.pid).not.toBe(pidA);
    expect(b.resident).toBe(false);
    expect(a.modelId).toBe('model-a');
    expect(onFailureA).not.toHaveBeenCalled(); // an unload is not a failure
  });

  it('does not unload a model while it serves; the other waits for it', async () => {
    const a = opened[0]!;
    const b = opened[1]!;
    expect(a.resident).toBe(true);
    const order: string[] = [];
    const streamA = (async () => {
      for await (const event of a.chat(userTurn('long', { maxTokens: 200, seed: 3 }))) if (event.type !== 'text') order.push(`a:${event.type}`);
    })();
    // Let A's request start before B asks for the memory A holds.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const streamB = (async () => {
      for await (const event of b.chat(userTurn('short', { maxTokens: 4 }))) order.push(`b:${event.type}`);
    })();
    await Promise.all([streamA, streamB]);
    expect(order.indexOf('b:text')).toBeGreaterThan(order.indexOf('a:usage'));
    expect(b.resident).toBe(true);
    expect(a.resident).toBe(false);
  });

  it('refuses a model that cannot fit even alone, naming the sizes', async () => {
    const err = await load('a.gguf', 1024 * 1024).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(/needs about [\d.]+ MiB but the memory budget for llama models is 1\.0 MiB/);
  });
});
