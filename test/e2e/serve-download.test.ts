// `lapis serve --model <URL | hf:…>`: the model is downloaded once into the data directory
// (from a loopback server here), with progress on stderr, resumed after a cut, verified, and
// then served. A checksum mismatch stops the command with a clear message.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AzureOpenAI } from 'openai';
import { startFileServer, type FileServer } from '../helpers/download-server.js';
import { newServerState, runCli, startCli, STORIES, type ServerState } from '../helpers/server.js';

describe('lapis serve --model <url>', () => {
  let files: FileServer;
  let model: Buffer;
  let sha256: string;
  const states: ServerState[] = [];

  beforeAll(async () => {
    model = await readFile(STORIES);
    sha256 = createHash('sha256').update(model).digest('hex');
    files = await startFileServer();
    // Served like a Hugging Face LFS file: the digest travels in X-Linked-Etag on a redirect.
    files.files.set('/org/tiny/resolve/main/stories260K.gguf', {
      redirectTo: '/cdn/stories260K.gguf',
      headers: { 'x-linked-etag': `"${sha256}"`, 'x-repo-commit': 'abc' },
    });
    files.files.set('/cdn/stories260K.gguf', { body: model, etag: '"v1"', cut: { at: 400_000 } });
    files.files.set('/bad/stories260K.gguf', { body: model, etag: '"v1"' });
  });
  afterAll(async () => {
    await files?.close();
    for (const s of states) await s.cleanup();
  });

  it('downloads an hf: model with progress, resuming after a cut, then serves it', async () => {
    const state = await newServerState();
    states.push(state);
    state.env.LAPIS_HF_ENDPOINT = files.base;
    const server = await startCli(state, ['--model', 'hf:org/tiny/stories260K.gguf']);
    try {
      // The first attempt was cut at 400,000 bytes; the second asked for the rest.
      const cdn = files.requests.filter((r) => r.path === '/cdn/stories260K.gguf');
      expect(cdn.length).toBe(2);
      expect(cdn[1]!.headers.range).toBe('bytes=400000-');
      expect(server.stderr()).toMatch(/stories260K\.gguf/);
      expect(server.stderr()).toMatch(/100%|done|complete/i);
      const openai = new AzureOpenAI({ endpoint: server.url, apiKey: server.key, apiVersion: '2024-10-21', deployment: 'default', maxRetries: 0 });
      const completion = await openai.chat.completions.create({ model: 'default', messages: [{ role: 'user', content: 'Once' }], max_tokens: 8 });
      expect(completion.usage!.completion_tokens).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
    // A second start reuses the downloaded file: no new request reaches the origin.
    const before = files.requests.length;
    const again = await startCli(state, ['--model', 'hf:org/tiny/stories260K.gguf']);
    await again.stop();
    expect(files.requests.length).toBe(before);
  });

  it('refuses a file whose sha-256 does not match and exits with a clear message', async () => {
    const state = await newServerState();
    states.push(state);
    const wrong = '0'.repeat(64);
    const res = await runCli(state, ['serve', '--port', '0', '--model', `${files.base}/bad/stories260K.gguf#sha256=${wrong}`]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(wrong);
    expect(res.stderr).toContain(sha256);
    expect(res.stderr).toMatch(/^lapis: /m);
  });

  it('fails with a clear message when the model host cannot be reached', async () => {
    const state = await newServerState();
    states.push(state);
    const res = await runCli(state, ['serve', '--port', '0', '--model', 'http://127.0.0.1:9/model.gguf']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/cannot download http:\/\/127\.0\.0\.1:9\/model\.gguf/);
  });
});
