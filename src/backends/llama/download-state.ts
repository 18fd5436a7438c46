// The `<dest>.part.json` sidecar: which URL a `.part` file holds and which version of it
// (validators), so a later attempt resumes only the same bytes (If-Range) and never splices two
// versions of a file together. Without a validator there is nothing to resume against.
import { writeFileSync } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import type { IncomingHttpHeaders } from 'node:http';
import type { ExpectedDigest } from './download-digest.js';

export interface PartRecord {
  url: string;
  etag?: string;
  lastModified?: string;
  totalBytes?: number;
  /** Digests the server gave when the download began; a resumed response may not repeat them. */
  digests: ExpectedDigest[];
}

export interface ResumePoint {
  size: number;
  /** Value for If-Range. */
  validator: string;
  record: PartRecord;
}

export const partPath = (dest: string): string => `${dest}.part`;
export const recordPath = (dest: string): string => `${dest}.part.json`;

export function recordFromResponse(url: string, headers: IncomingHttpHeaders, totalBytes: number | undefined, digests: ExpectedDigest[]): PartRecord {
  const etag = first(headers.etag);
  const lastModified = first(headers['last-modified']);
  return { url, ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}), ...(totalBytes !== undefined ? { totalBytes } : {}), digests };
}

/** Synchronous on purpose: a few hundred bytes, written while a response body waits to be read. */
export function writeRecord(dest: string, record: PartRecord): void {
  writeFileSync(recordPath(dest), JSON.stringify(record));
}

/** A resumable `.part`, or undefined after deleting whatever cannot be trusted. */
export async function loadResumePoint(dest: string, url: string): Promise<ResumePoint | undefined> {
  const size = await fileSize(partPath(dest));
  const record = await readRecord(dest);
  const validator = record && ifRangeValidator(record);
  const usable =
    size > 0 && record?.url === url && validator !== undefined && (record.totalBytes === undefined || size <= record.totalBytes);
  if (usable) return { size, validator, record };
  await discardPart(dest);
  return undefined;
}

/** Whether a 206 answers for the same version the `.part` holds (guards servers that ignore If-Range). */
export function sameVersion(record: PartRecord, headers: IncomingHttpHeaders, totalBytes: number | undefined): boolean {
  const etag = first(headers.etag);
  const lastModified = first(headers['last-modified']);
  if (record.etag && etag && record.etag !== etag) return false;
  if (record.lastModified && lastModified && record.lastModified !== lastModified) return false;
  return record.totalBytes === undefined || totalBytes === undefined || record.totalBytes === totalBytes;
}

export async function discardPart(dest: string): Promise<void> {
  await Promise.all([rm(partPath(dest), { force: true }), rm(recordPath(dest), { force: true })]);
}

export async function fileSize(path: string): Promise<number> {
  try {
    const s = await stat(path);
    return s.isFile() ? s.size : 0;
  } catch {
    return 0;
  }
}

/** RFC 9110 §13.1.5: If-Range needs a strong validator; a weak ETag cannot be used, a date can. */
function ifRangeValidator(record: PartRecord): string | undefined {
  if (record.etag && !record.etag.startsWith('W/')) return record.etag;
  return record.lastModified;
}

async function readRecord(dest: string): Promise<PartRecord | undefined> {
  try {
    const parsed = JSON.parse(await readFile(recordPath(dest), 'utf8')) as Partial<PartRecord>;
    // A torn or foreign sidecar is as good as none: the download starts over.
    if (typeof parsed.url !== 'string' || !Array.isArray(parsed.digests)) return undefined;
    return parsed as PartRecord;
  } catch {
    return undefined;
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
