import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError } from '../../core/errors.js';
import { writeBrokenGguf } from '../../../test/fixtures/gguf.js';
import { loadLlamaBackend } from './llama-backend.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lapis-llama-broken-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function loadError(modelPath: string): Promise<ModelLoadError> {
  const err = await loadLlamaBackend({ kind: 'llama', modelPath }, { threads: 1, onFailure: () => {} }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ModelLoadError);
  return err as ModelLoadError;
}

describe('loading a bad model', () => {
  it('reports the abort of llama.cpp on a GGUF missing a required key, and this process lives on', async () => {
    const path = join(dir, 'no-ffn.gguf');
    await writeBrokenGguf(path, 'missing-feed-forward-length');
    const err = await loadError(path);
    expect(err.message).toMatch(/model process aborted \(SIGABRT\)/);
    expect(err.message).toMatch(/GGML_ASSERT/);
    expect(err.message).toMatch(/llama\.feed_forward_length/);
    // Reaching this line is the other half: the abort took only the model process.
  });

  it('reports a truncated file', async () => {
    const path = join(dir, 'truncated.gguf');
    await writeBrokenGguf(path, 'truncated');
    const err = await loadError(path);
    expect(err.message).toMatch(/cannot load .*truncated\.gguf/);
    expect(err.message).toMatch(/not within the file bounds|corrupted or incomplete|failed to load/i);
  });

  it('refuses a file that is not GGUF before starting a process', async () => {
    const path = join(dir, 'text.gguf');
    await writeBrokenGguf(path, 'not-gguf');
    expect((await loadError(path)).message).toMatch(/is not a GGUF file \(expected magic "GGUF", found "this"\)/);
  });

  it('refuses a missing file and a directory', async () => {
    expect((await loadError(join(dir, 'nowhere.gguf'))).message).toMatch(/no such file/);
    const sub = join(dir, 'a-directory.gguf');
    await mkdir(sub);
    expect((await loadError(sub)).message).toMatch(/not a regular file/);
  });
});
