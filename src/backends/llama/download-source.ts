// Where a model file comes from: `lapis serve --model <path | http(s) URL | hf:user/repo/file>`.
// Parsing is pure (no I/O) so the CLI can show the resolved URL and destination before any
// network traffic happens.
import { createHash } from 'node:crypto';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ModelSource =
  | { kind: 'local'; path: string }
  | {
      kind: 'url';
      /** What the user typed, for messages. */
      spec: string;
      /** The URL requested, without any `#sha256=` fragment. */
      url: string;
      /** Absolute path of the completed file under modelsDir. */
      dest: string;
      /** Lower-case hex sha-256 pinned by the user with `#sha256=<hex>`. */
      sha256?: string;
    };

export interface ResolveModelSourceOptions {
  modelsDir: string;
  /** Hugging Face mirror or a test server; default https://huggingface.co. */
  hfEndpoint?: string;
}

const HF_DEFAULT = 'https://huggingface.co';

export function resolveModelSource(spec: string, options: ResolveModelSourceOptions): ModelSource {
  const trimmed = spec.trim();
  if (trimmed === '') throw new Error('model spec is empty: pass a file path, an http(s) URL or hf:<user>/<repo>/<file>');
  if (/^hf:/i.test(trimmed)) {
    const { rest, sha256 } = splitChecksum(trimmed.slice(3), spec);
    return remote(spec, hfUrl(rest, options.hfEndpoint ?? HF_DEFAULT, spec), sha256, options.modelsDir);
  }
  if (/^https?:\/\//i.test(trimmed)) {
    const { rest, sha256 } = splitChecksum(trimmed, spec);
    let url: URL;
    try {
      url = new URL(rest);
    } catch {
      throw new Error(`invalid model URL "${spec}"`);
    }
    return remote(spec, url.href, sha256, options.modelsDir);
  }
  if (/^file:/i.test(trimmed)) return { kind: 'local', path: fileURLToPath(trimmed) };
  // Anything else with a scheme (ftp://, s3://) is a mistake, not a relative path named "s3:".
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new Error(`unsupported model source "${spec}": use a file path, an http(s) URL or hf:<user>/<repo>/<file>`);
  }
  return { kind: 'local', path: resolve(trimmed) };
}

/** Splits a `#sha256=<hex>` pin off a remote spec; any other fragment is refused, not ignored. */
function splitChecksum(value: string, spec: string): { rest: string; sha256?: string } {
  const hash = value.indexOf('#');
  if (hash < 0) return { rest: value };
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(value.slice(hash + 1));
  if (!m?.[1]) throw new Error(`invalid checksum in "${spec}": expected #sha256=<64 hex digits>`);
  return { rest: value.slice(0, hash), sha256: m[1].toLowerCase() };
}

/**
 * hf:user/repo/path/file.gguf[@revision] → <endpoint>/user/repo/resolve/<revision>/path/file.gguf,
 * the URL huggingface_hub's hf_hub_url builds (the revision is quoted whole, so refs/pr/1 works).
 */
function hfUrl(rest: string, endpoint: string, spec: string): string {
  const at = rest.lastIndexOf('@');
  const path = at >= 0 ? rest.slice(0, at) : rest;
  const revision = at >= 0 ? rest.slice(at + 1) : 'main';
  const parts = path.replace(/^\/+/, '').split('/');
  if (parts.length < 3 || parts.some((p) => p === '' || p === '.' || p === '..') || revision === '') {
    throw new Error(`invalid model spec "${spec}": expected hf:<user>/<repo>/<path/to/file.gguf>[@revision]`);
  }
  const [user, repo, ...file] = parts.map(encodeURIComponent);
  return `${endpoint.replace(/\/+$/, '')}/${user}/${repo}/resolve/${encodeURIComponent(revision)}/${file.join('/')}`;
}

function remote(spec: string, url: string, sha256: string | undefined, modelsDir: string): ModelSource {
  return { kind: 'url', spec, url, dest: join(resolve(modelsDir), destName(url, sha256)), ...(sha256 ? { sha256 } : {}) };
}

/**
 * `<12 hex of sha256(url[#pin])>-<file name>`: readable in `ls`, and two URLs (or two pins of one
 * URL) never share a file, so a completed file can be reused without asking the network.
 */
function destName(url: string, sha256: string | undefined): string {
  const key = createHash('sha256').update(sha256 ? `${url}#sha256=${sha256}` : url).digest('hex').slice(0, 12);
  let name = '';
  try {
    name = decodeURIComponent(basename(new URL(url).pathname));
  } catch {
    // A malformed %-escape only costs the readable part of the name.
  }
  name = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '').slice(0, 120);
  return `${key}-${name || 'model.gguf'}`;
}
