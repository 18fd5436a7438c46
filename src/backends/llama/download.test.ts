import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureModel, resolveModelSource, type DownloadProgress, type EnsureModelOptions, type ModelSource } from './download.js';
import { startFileServer, type FileServer } from '../../../test/helpers/download-server.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const BODY = randomBytes(300_000);
const ETAG = '"v1"';

let server: FileServer;
let modelsDir: string;

beforeEach(async () => {
  server = await startFileServer();
  modelsDir = await mkdtemp(join(tmpdir(), 'lapis-dl-'));
});
afterEach(async () => {
  await server.close();
  await rm(modelsDir, { recursive: true, force: true });
});

function source(spec: string): Extract<ModelSource, { kind: 'url' }> {
  const s = resolveModelSource(spec, { modelsDir, hfEndpoint: server.base });
  if (s.kind !== 'url') throw new Error('expected a URL source');
  return s;
}
const fast: Partial<EnsureModelOptions> = { retryDelayMs: 5 };
const leftovers = (s: { dest: string }): boolean[] => [s.dest, `${s.dest}.part`, `${s.dest}.part.json`].map((p) => existsSync(p));

describe('ensureModel over HTTP', () => {
  it('downloads with progress reaching the total, then reuses the file with no request', async () => {
    server.files.set('/m.gguf', { body: BODY, etag: ETAG });
    const src = source(`${server.base}/m.gguf`);
    const events: DownloadProgress[] = [];
    const path = await ensureModel(src, { modelsDir, onProgress: (p) => events.push(p) });

    expect(path).toBe(src.dest);
    expect(sha256(await readFile(path))).toBe(sha256(BODY));
    expect(events.at(-1)).toEqual({ receivedBytes: BODY.length, totalBytes: BODY.length, resumedFrom: 0 });
    expect(events.every((e, i) => i === 0 || e.receivedBytes >= events[i - 1]!.receivedBytes)).toBe(true);
    expect(leftovers(src)).toEqual([true, false, false]);

    const seen = server.requests.length;
    await server.close(); // a second call must not need the network at all
    expect(await ensureModel(src, { modelsDir })).toBe(path);
    expect(server.requests.length).toBe(seen);
  });

  it('resumes a cut connection with Range + If-Range from the partial size', async () => {
    server.files.set('/m.gguf', { body: BODY, etag: ETAG, cut: { at: 100_000 }, headers: { 'x-checksum-sha256': sha256(BODY) } });
    const src = source(`${server.base}/m.gguf`);
    const events: DownloadProgress[] = [];
    await ensureModel(src, { modelsDir, ...fast, onProgress: (p) => events.push(p) });

    expect(server.requests.map((r) => [r.headers.range, r.headers['if-range'], r.status])).toEqual([
      [undefined, undefined, 200],
      ['bytes=100000-', ETAG, 206],
    ]);
    expect(events.at(-1)).toEqual({ receivedBytes: BODY.length, totalBytes: BODY.length, resumedFrom: 100_000 });
    expect(sha256(await readFile(src.dest))).toBe(sha256(BODY));
  });

  it('starts over when the server ignores Range (200 to a ranged request)', async () => {
    server.files.set('/m.gguf', { body: BODY, etag: ETAG, cut: { at: 100_000 }, ignoreRange: true });
    const src = source(`${server.base}/m.gguf`);
    await ensureModel(src, { modelsDir, ...fast });
    expect(server.requests.map((r) => [r.headers.range, r.status])).toEqual([[undefined, 200], ['bytes=100000-', 200]]);
    expect(sha256(await readFile(src.dest))).toBe(sha256(BODY));
  });

  it('restarts instead of splicing when the ETag changed between attempts', async () => {
    const v2 = randomBytes(250_000);
    server.files.set('/m.gguf', { body: BODY, etag: ETAG, cut: { at: 100_000 }, onCut: () => server.files.set('/m.gguf', { body: v2, etag: '"v2"' }) });
    const src = source(`${server.base}/m.gguf`);
    await ensureModel(src, { modelsDir, ...fast });
    expect(server.requests[1]).toMatchObject({ headers: { range: 'bytes=100000-', 'if-range': ETAG }, status: 200 });
    expect(sha256(await readFile(src.dest))).toBe(sha256(v2));
  });

  it('restarts when a server honours Range for a changed file despite If-Range', async () => {
    const v2 = randomBytes(300_000);
    server.files.set('/m.gguf', {
      body: BODY, etag: ETAG, cut: { at: 100_000 },
      onCut: () => server.files.set('/m.gguf', { body: v2, etag: '"v2"', ignoreIfRange: true }),
    });
    const src = source(`${server.base}/m.gguf`);
    await ensureModel(src, { modelsDir, ...fast });
    expect(server.requests.map((r) => [r.headers.range, r.status])).toEqual([[undefined, 200], ['bytes=100000-', 206], [undefined, 200]]);
    expect(sha256(await readFile(src.dest))).toBe(sha256(v2));
  });

  it('restarts cleanly on 416', async () => {
    server.files.set('/m.gguf', { body: BODY, etag: ETAG });
    const src = source(`${server.base}/m.gguf`);
    // A .part longer than the file, recorded for the same version: the server answers 416.
    await writeFile(`${src.dest}.part`, randomBytes(400_000));
    await writeFile(`${src.dest}.part.json`, JSON.stringify({ url: src.url, etag: ETAG, digests: [] }));
    await ensureModel(src, { modelsDir, ...fast });
    expect(server.requests.map((r) => r.status)).toEqual([416, 200]);
    expect(sha256(await readFile(src.dest))).toBe(sha256(BODY));
  });

  it('finishes a complete .part left by a stopped process without asking again', async () => {
    server.files.set('/m.gguf', { body: BODY, etag: ETAG });
    const src = source(`${server.base}/m.gguf#sha256=${sha256(BODY)}`);
    await writeFile(`${src.dest}.part`, BODY);
    await writeFile(`${src.dest}.part.json`, JSON.stringify({ url: src.url, etag: ETAG, totalBytes: BODY.length, digests: [] }));
    expect(await ensureModel(src, { modelsDir })).toBe(src.dest);
    expect(server.requests).toHaveLength(0);
    expect(leftovers(src)).toEqual([true, false, false]);
  });

  it('shares one download between concurrent callers', async () => {
    server.files.set('/m.gguf', { body: BODY, etag: ETAG });
    const src = source(`${server.base}/m.gguf`);
    const paths = await Promise.all([ensureModel(src, { modelsDir }), ensureModel(src, { modelsDir })]);
    expect(paths).toEqual([src.dest, src.dest]);
    expect(server.requests).toHaveLength(1);
  });

  it('gives up on a server that keeps cutting at the same place, keeping the .part', async () => {
    server.files.set('/m.gguf', { body: BODY, etag: ETAG, cut: { at: 50_000, times: Infinity } });
    const src = source(`${server.base}/m.gguf`);
    await expect(ensureModel(src, { modelsDir, ...fast, maxAttempts: 3 })).rejects.toThrow(
      /^cannot download http:\/\/127\.0\.0\.1:\d+\/m\.gguf: the connection was cut at 50000 of 300000 bytes \(3 attempts in a row without progress\); check the network or pass a local file$/,
    );
    expect(server.requests).toHaveLength(4); // one that made progress, then three that did not
    expect((await stat(`${src.dest}.part`)).size).toBe(50_000);
  });

  it('verifies Digest and Repr-Digest headers', async () => {
    const b64 = createHash('sha256').update(BODY).digest('base64');
    server.files.set('/a.gguf', { body: BODY, headers: { digest: `md5=xyz, SHA-256=${b64}` } });
    server.files.set('/b.gguf', { body: BODY, headers: { 'repr-digest': `sha-256=:${b64}:` } });
    await ensureModel(source(`${server.base}/a.gguf`), { modelsDir });
    await ensureModel(source(`${server.base}/b.gguf`), { modelsDir });
  });

  it('refuses a bad checksum, names both digests and leaves no file', async () => {
    server.files.set('/m.gguf', { body: BODY, etag: ETAG });
    const wrong = 'ab'.repeat(32);
    const src = source(`${server.base}/m.gguf#sha256=${wrong}`);
    expect(src.url).toBe(`${server.base}/m.gguf`);
    await expect(ensureModel(src, { modelsDir })).rejects.toThrow(
      `checksum mismatch for ${src.url}: expected sha256 ${wrong} (from #sha256 in the model spec), got ${sha256(BODY)}; the downloaded file was deleted`,
    );
    expect(leftovers(src)).toEqual([false, false, false]);
  });

  it('resolves hf: through the hub redirect and checks its X-Linked-Etag', async () => {
    const hubHeaders = { 'x-repo-commit': 'c0ffee', 'x-linked-etag': `"${sha256(BODY)}"` };
    server.files.set('/user/repo/resolve/main/sub/m.gguf', { redirectTo: '/cdn/blob?sig=1', headers: hubHeaders });
    // A 64-hex CDN ETag that is not the file's sha-256 (like a Xet hash) must not be taken for one.
    server.files.set('/cdn/blob?sig=1', { body: BODY, etag: `"${'0'.repeat(64)}"` });
    const src = source('hf:user/repo/sub/m.gguf');
    expect(src.url).toBe(`${server.base}/user/repo/resolve/main/sub/m.gguf`);
    expect(sha256(await readFile(await ensureModel(src, { modelsDir })))).toBe(sha256(BODY));
    expect(server.requests.map((r) => r.path)).toEqual(['/user/repo/resolve/main/sub/m.gguf', '/cdn/blob?sig=1']);

    server.files.set('/user/repo/resolve/v2/m.gguf', { redirectTo: '/cdn/blob?sig=1', headers: { ...hubHeaders, 'x-linked-etag': `"${'1'.repeat(64)}"` } });
    const bad = source('hf:user/repo/m.gguf@v2');
    await expect(ensureModel(bad, { modelsDir })).rejects.toThrow(`expected sha256 ${'1'.repeat(64)} (from x-linked-etag)`);
    expect(leftovers(bad)).toEqual([false, false, false]);
  });

  it('reports HTTP errors with their status', async () => {
    server.files.set('/private.gguf', { status: 401 });
    await expect(ensureModel(source(`${server.base}/missing.gguf`), { modelsDir })).rejects.toMatchObject({
      name: 'ModelDownloadError', statusCode: 404, message: `cannot download ${server.base}/missing.gguf: HTTP 404 Not Found`,
    });
    await expect(ensureModel(source(`${server.base}/private.gguf`), { modelsDir })).rejects.toThrow('HTTP 401 Unauthorized (the file may be private or gated)');
  });

  it('keeps the .part when aborted, and resumes from it next time', async () => {
    server.files.set('/m.gguf', { body: BODY, etag: ETAG });
    const src = source(`${server.base}/m.gguf`);
    const ac = new AbortController();
    const run = ensureModel(src, { modelsDir, signal: ac.signal, onProgress: (p) => p.receivedBytes > 0 && ac.abort() });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    const partial = (await stat(`${src.dest}.part`)).size;
    expect(partial).toBeGreaterThan(0);
    await ensureModel(src, { modelsDir });
    expect(server.requests.at(-1)?.headers.range).toBe(`bytes=${partial}-`);
    expect(sha256(await readFile(src.dest))).toBe(sha256(BODY));
  });
});

describe('ensureModel without a server', () => {
  it('says connection refused clearly, without retrying', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/m.gguf`;
    await expect(ensureModel(source(url), { modelsDir })).rejects.toThrow(
      `cannot download ${url}: connection refused; check the network or pass a local file`,
    );
  });

  it('says when a host name does not resolve', async () => {
    // .invalid never resolves (RFC 6761), so this needs no network either.
    await expect(ensureModel(source('http://lapis-test.invalid/m.gguf'), { modelsDir })).rejects.toThrow(
      /^cannot download http:\/\/lapis-test\.invalid\/m\.gguf: host .*\(DNS\); check the network or pass a local file$/,
    );
  });

  it('returns an existing local file and names a missing one', async () => {
    const file = join(modelsDir, 'local.gguf');
    await writeFile(file, 'GGUF');
    expect(await ensureModel(resolveModelSource(file, { modelsDir }), { modelsDir })).toBe(file);
    await expect(ensureModel(resolveModelSource(join(modelsDir, 'nope.gguf'), { modelsDir }), { modelsDir })).rejects.toThrow(
      `model file not found: ${join(modelsDir, 'nope.gguf')}`,
    );
  });
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}
