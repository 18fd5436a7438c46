// The sha-256 a server vouches for, read from response headers. Only headers that describe the
// whole file (the representation) count: a 206 carries a slice, so Content-Digest (a digest of
// the bytes in this message) is never used, while Repr-Digest and the others still hold.
import type { IncomingHttpHeaders } from 'node:http';

export interface ExpectedDigest {
  /** Lower-case hex sha-256. */
  hex: string;
  /** Where it came from, for the mismatch message ("x-linked-etag", "#sha256 in the URL"). */
  from: string;
}

const HEX64 = /^[0-9a-f]{64}$/i;

export function digestsFromHeaders(headers: IncomingHttpHeaders): ExpectedDigest[] {
  const found: ExpectedDigest[] = [];
  const add = (hex: string | undefined, from: string): void => {
    if (hex && HEX64.test(hex)) found.push({ hex: hex.toLowerCase(), from });
  };
  // Hugging Face answers /resolve/ for an LFS file with X-Linked-Etag: "<sha256 of the file>".
  add(unquote(header(headers, 'x-linked-etag')), 'x-linked-etag');
  // A plain ETag is trusted as a sha-256 only from the Hub itself (it sends X-Repo-Commit):
  // other servers, CDNs included, may use 64-hex ETags that hash something else (a Xet hash,
  // a hash of mtime and inode), and treating those as checksums would fail good downloads.
  if (header(headers, 'x-repo-commit') !== undefined) add(unquote(header(headers, 'etag')), 'etag');
  add(header(headers, 'x-checksum-sha256')?.trim(), 'x-checksum-sha256');
  // RFC 3230 Digest: "SHA-256=<base64>", possibly among other algorithms.
  add(fromBase64(dictValue(header(headers, 'digest'), 'sha-256')), 'digest');
  // RFC 9530 Repr-Digest: a structured dictionary whose values are byte sequences, sha-256=:<base64>:
  add(fromBase64(dictValue(header(headers, 'repr-digest'), 'sha-256')?.replace(/^:|:$/g, '')), 'repr-digest');
  return found;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function unquote(value: string | undefined): string | undefined {
  return value?.trim().replace(/^"(.*)"$/, '$1');
}

/** `a=1, sha-256=xyz` → `xyz` for key `sha-256` (keys compare case-insensitively). */
function dictValue(value: string | undefined, key: string): string | undefined {
  for (const part of value?.split(',') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim().toLowerCase() === key) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function fromBase64(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === 32 ? bytes.toString('hex') : undefined;
}
