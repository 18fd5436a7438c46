// Fetches the model file behind `lapis serve --model <spec>`: once, resumably, verified.
// The file is written to `<dest>.part` and renamed into place only when complete and checked, so
// a file at `<dest>` is always whole and is reused without touching the network.
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import { dirname, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { request, type Dispatcher } from 'undici';
import { ModelLoadError } from '../../core/index.js';
import { digestsFromHeaders, type ExpectedDigest } from './download-digest.js';
import { CANNOT_CONNECT, describe, errorCode, HINT, ModelDownloadError, RetryableError } from './download-errors.js';
import type { ModelSource } from './download-source.js';
import {
  discardPart, fileSize, loadResumePoint, partPath, recordFromResponse, recordPath, sameVersion, writeRecord,
  type ResumePoint,
} from './download-state.js';

export { resolveModelSource, type ModelSource, type ResolveModelSourceOptions } from './download-source.js';
export { createProgressReporter, type ProgressReporter } from './download-progress.js';
export { ModelDownloadError } from './download-errors.js';

export interface DownloadProgress {
  /** Bytes of the file received so far, counting the `.part` an earlier attempt left. */
  receivedBytes: number;
  totalBytes?: number;
  /** Where this response started: 0, or the size of the `.part` being resumed. */
  resumedFrom: number;
}

export interface EnsureModelOptions {
  /** Must be the directory the source was resolved against (it is where `.part` files live). */
  modelsDir: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** Aborting keeps the `.part`, so the next call resumes. */
  signal?: AbortSignal;
  /** Longest wait for response headers and between two body chunks. Default 30 s. */
  fetchTimeoutMs?: number;
  /** Failed attempts in a row that add no bytes before giving up. Default 5. */
  maxAttempts?: number;
  /** First back-off between attempts, doubled per failure up to 8×. Default 500 ms. */
  retryDelayMs?: number;
  /** E.g. an undici ProxyAgent; default the global dispatcher. */
  dispatcher?: Dispatcher;
}

const MAX_REDIRECTS = 10;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

// Two callers in one process asking for the same file (two deployments of one model) share one
// download instead of writing the same `.part` twice. Other processes are not coordinated.
const inFlight = new Map<string, Promise<string>>();

/**
 * Returns the absolute path of the model file, downloading it first when the source is a URL.
 * A caller that joins a download already under way shares its outcome (its own onProgress and
 * signal are not used).
 */
export function ensureModel(source: ModelSource, options: EnsureModelOptions): Promise<string> {
  if (source.kind === 'local') return checkLocal(source.path);
  const running = inFlight.get(source.dest);
  if (running) return running;
  const download = ensureDownloaded(source, options).finally(() => inFlight.delete(source.dest));
  inFlight.set(source.dest, download);
  return download;
}

async function ensureDownloaded(source: UrlSource, options: EnsureModelOptions): Promise<string> {
  if (dirname(source.dest) !== resolve(options.modelsDir)) {
    throw new TypeError(`model source was resolved for ${dirname(source.dest)}, not ${resolve(options.modelsDir)}`);
  }
  if ((await stat(source.dest).catch(() => undefined))?.isFile()) return source.dest;
  await mkdir(dirname(source.dest), { recursive: true });

  const maxAttempts = options.maxAttempts ?? 5;
  const baseDelay = options.retryDelayMs ?? 500;
  let failures = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    const progress = { written: 0 };
    try {
      await attempt(source, options, progress);
      return source.dest;
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (!(err instanceof RetryableError)) throw err;
      // Bytes gained reset the count: a flaky link that keeps moving forward eventually finishes.
      failures = progress.written > 0 ? 0 : failures + 1;
      if (failures >= maxAttempts) {
        throw new ModelDownloadError(`cannot download ${source.url}: ${err.message} (${failures} attempts in a row without progress); ${HINT}`, source.url, { cause: err.cause });
      }
      await sleep(baseDelay * 2 ** Math.min(Math.max(failures - 1, 0), 3), undefined, { signal: options.signal });
    }
  }
}

async function checkLocal(path: string): Promise<string> {
  const s = await stat(path).catch(() => undefined);
  if (!s) throw new ModelLoadError(`model file not found: ${path}`);
  if (!s.isFile()) throw new ModelLoadError(`model path is not a file: ${path}`);
  return path;
}

type UrlSource = Extract<ModelSource, { kind: 'url' }>;

async function attempt(source: UrlSource, options: EnsureModelOptions, progress: { written: number }): Promise<void> {
  const { dest, url } = source;
  const resume = await loadResumePoint(dest, url);
  // The `.part` is whole but the rename never happened (the process stopped in between).
  if (resume && resume.size === resume.record.totalBytes) {
    const expected = expectedDigests(source, resume.record.digests);
    return finish(source, expected, expected.length > 0 ? await hashPrefix(partPath(dest), resume.size) : undefined);
  }

  // Hash the resumed prefix before asking, not after: undici drops a body's buffered bytes when
  // the connection dies, so any wait between headers and reading loses data on a flaky link.
  const prefixHash = resume && expectedDigests(source, resume.record.digests).length > 0 ? createHash('sha256') : undefined;
  if (resume && prefixHash) await hashPrefix(partPath(dest), resume.size, prefixHash);

  const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': 'lapis' };
  if (resume) Object.assign(headers, { range: `bytes=${resume.size}-`, 'if-range': resume.validator });
  const { res, digests } = await get(url, headers, options);
  const { statusCode } = res;

  if (statusCode === 206 && resume) {
    const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
    const total = range?.[2] && range[2] !== '*' ? Number(range[2]) : undefined;
    if (Number(range?.[1]) !== resume.size || !sameVersion(resume.record, res.headers, total)) {
      await res.body.dump();
      await discardPart(dest);
      throw new RetryableError('the server answered the resume with another version of the file; starting over');
    }
    return receive(source, res, options, progress, { resume, totalBytes: total, digests: [...resume.record.digests, ...digests], prefixHash });
  }
  if (statusCode === 200) {
    // Also the answer when If-Range did not match or Range was ignored: start over from byte 0.
    const length = Number(res.headers['content-length']);
    const total = Number.isSafeInteger(length) ? length : undefined;
    writeRecord(dest, recordFromResponse(url, res.headers, total, digests));
    return receive(source, res, options, progress, { totalBytes: total, digests });
  }
  await res.body.dump().catch(() => undefined);
  if (statusCode === 416) {
    await discardPart(dest);
    throw new RetryableError('the server refused the resume range; starting over');
  }
  const reason = `HTTP ${statusCode}${res.statusText ? ` ${res.statusText}` : ''}`;
  if (statusCode >= 500 || statusCode === 408 || statusCode === 429) throw new RetryableError(reason);
  const hint = statusCode === 401 || statusCode === 403 ? ' (the file may be private or gated)' : '';
  throw new ModelDownloadError(`cannot download ${url}: ${reason}${hint}`, url, { statusCode });
}

/** GET following redirects by hand, so headers of every hop are seen: Hugging Face puts the sha-256 (X-Linked-Etag) on the 302 to its CDN. */
async function get(url: string, headers: Record<string, string>, options: EnsureModelOptions): Promise<{ res: Dispatcher.ResponseData; digests: ExpectedDigest[] }> {
  const timeout = options.fetchTimeoutMs ?? 30_000;
  const digests: ExpectedDigest[] = [];
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let res: Dispatcher.ResponseData;
    try {
      res = await request(current, {
        method: 'GET', headers, signal: options.signal, headersTimeout: timeout, bodyTimeout: timeout,
        ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      });
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      const offline = CANNOT_CONNECT[errorCode(err) ?? ''];
      const via = current === url ? '' : ` (redirected to ${new URL(current).host})`;
      if (offline) throw new ModelDownloadError(`cannot download ${url}${via}: ${offline}; ${HINT}`, url, { cause: err });
      throw new RetryableError(describe(err), { cause: err });
    }
    digests.push(...digestsFromHeaders(res.headers));
    const location = first(res.headers.location);
    if (!REDIRECTS.has(res.statusCode) || !location) return { res, digests };
    await res.body.dump();
    current = new URL(location, current).href;
  }
  throw new ModelDownloadError(`cannot download ${url}: more than ${MAX_REDIRECTS} redirects`, url);
}

/** Streams the body into `.part` (appending after a resume), then verifies and renames. */
async function receive(
  source: UrlSource, res: Dispatcher.ResponseData, options: EnsureModelOptions, progress: { written: number },
  body: { resume?: ResumePoint; totalBytes: number | undefined; digests: ExpectedDigest[]; prefixHash?: Hash | undefined },
): Promise<void> {
  const { resume, totalBytes } = body;
  const part = partPath(source.dest);
  const resumedFrom = resume?.size ?? 0;
  const expected = expectedDigests(source, body.digests);
  // Hash only when there is something to compare with. A resumed prefix was hashed from disk
  // already, unless this response is the first to name a digest.
  let hash = resume ? body.prefixHash : undefined;
  if (!hash && expected.length > 0) {
    hash = createHash('sha256');
    if (resume) await hashPrefix(part, resumedFrom, hash);
  }

  let received = resumedFrom;
  const report = (): void => options.onProgress?.({ receivedBytes: received, ...(totalBytes !== undefined ? { totalBytes } : {}), resumedFrom });
  report();
  // flush: fsync before close, so the rename below never publishes a file the disk lacks.
  // A deep write buffer keeps us reading the socket while the disk catches up: undici throws
  // away the bytes it holds for a paused reader when the connection dies, bytes we would have
  // to fetch again.
  const out = createWriteStream(part, { flags: resume ? 'a' : 'w', flush: true, highWaterMark: 8 * 1024 * 1024 });
  let diskError: Error | undefined;
  out.on('error', (err) => (diskError ??= err));
  let cut: unknown;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      hash?.update(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
      if (diskError) break;
      received += chunk.length;
      progress.written += chunk.length;
      report();
    }
  } catch (err) {
    cut = err;
  }
  // Not pipeline(): on a cut it would destroy the file stream and drop the bytes still queued
  // for disk, which are exactly what the next attempt resumes from.
  out.end();
  await finished(out).catch((err: Error) => (diskError ??= err));
  // A full disk is not the network's fault: no retry, and say which file.
  if (diskError) throw new ModelDownloadError(`cannot write ${part}: ${diskError.message}`, source.url, { cause: diskError });
  if (cut !== undefined) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new RetryableError(`${describe(cut)} at ${received}${totalBytes !== undefined ? ` of ${totalBytes}` : ''} bytes`, { cause: cut });
  }
  const size = await fileSize(part);
  if (totalBytes !== undefined && size !== totalBytes) {
    throw new RetryableError(`the connection closed at ${size} of ${totalBytes} bytes`);
  }
  await finish(source, expected, hash?.digest('hex'));
}

/** The user's pin first, then what the server said; several sources may all vouch for one file. */
function expectedDigests(source: UrlSource, fromServer: ExpectedDigest[]): ExpectedDigest[] {
  return source.sha256 ? [{ hex: source.sha256, from: '#sha256 in the model spec' }, ...fromServer] : fromServer;
}

async function finish(source: UrlSource, expected: ExpectedDigest[], actual: string | undefined): Promise<void> {
  const wrong = actual === undefined ? undefined : expected.find((d) => d.hex !== actual);
  if (wrong) {
    await discardPart(source.dest);
    throw new ModelDownloadError(
      `checksum mismatch for ${source.url}: expected sha256 ${wrong.hex} (from ${wrong.from}), got ${actual}; the downloaded file was deleted`,
      source.url,
    );
  }
  await rename(partPath(source.dest), source.dest);
  await rm(recordPath(source.dest), { force: true });
}

/** Feeds the first `size` bytes of a file to `hash` (to continue it), returning the digest so far. */
async function hashPrefix(path: string, size: number, hash: Hash = createHash('sha256')): Promise<string> {
  for await (const chunk of createReadStream(path, { start: 0, end: size - 1 })) hash.update(chunk as Buffer);
  return hash.copy().digest('hex');
}

function first(value: IncomingHttpHeaders[string]): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
