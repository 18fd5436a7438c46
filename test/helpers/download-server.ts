// A loopback file server for the download tests: ETag, Range and If-Range like a real origin or
// CDN, plus the faults a download must survive (a cut connection, Range ignored, a file that
// changes between attempts, redirects that carry headers). Test-only; nothing in src imports it.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedFile {
  body?: Buffer;
  etag?: string;
  /** Extra response headers (digests, X-Repo-Commit…); on a redirect they go on the 3xx. */
  headers?: Record<string, string>;
  /** Answer 302 to this path (relative to the server) instead of serving a body. */
  redirectTo?: string;
  /** Destroy the socket once the response reaches this absolute byte offset, `times` times (default 1). */
  cut?: { at: number; times?: number };
  /** Called after each cut: lets a test change the file between two attempts. */
  onCut?: () => void;
  ignoreRange?: boolean;
  /** Honour Range even when If-Range no longer matches (a broken server). */
  ignoreIfRange?: boolean;
  status?: number;
}

export interface SeenRequest {
  path: string;
  headers: IncomingHttpHeaders;
  status: number;
}

export interface FileServer {
  base: string;
  files: Map<string, ServedFile>;
  requests: SeenRequest[];
  close: () => Promise<void>;
}

export async function startFileServer(): Promise<FileServer> {
  const files = new Map<string, ServedFile>();
  const requests: SeenRequest[] = [];
  const cutCount = new Map<string, number>();

  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    const file = files.get(path);
    const seen: SeenRequest = { path, headers: req.headers, status: 0 };
    requests.push(seen);
    const send = (status: number, headers: Record<string, string | number>, body?: Buffer): void => {
      seen.status = status;
      res.writeHead(status, headers);
      res.end(body);
    };
    if (!file) return send(404, { 'content-type': 'text/plain' }, Buffer.from('not found'));
    if (file.status) return send(file.status, { 'content-type': 'text/plain' }, Buffer.from('no'));
    if (file.redirectTo) return send(302, { location: file.redirectTo, ...file.headers });

    const body = file.body ?? Buffer.alloc(0);
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes', ...file.headers };
    if (file.etag) headers.etag = file.etag;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const ifRange = req.headers['if-range'];
    const rangeApplies = range && !file.ignoreRange && (ifRange === undefined || ifRange === file.etag || file.ignoreIfRange);
    const start = rangeApplies ? Number(range[1]) : 0;
    if (rangeApplies && start >= body.length) {
      return send(416, { 'content-range': `bytes */${body.length}` });
    }
    let status = 200;
    if (rangeApplies) {
      status = 206;
      headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    }
    headers['content-length'] = body.length - start;
    seen.status = status;
    res.writeHead(status, headers);

    const cuts = cutCount.get(path) ?? 0;
    if (file.cut && cuts < (file.cut.times ?? 1)) {
      cutCount.set(path, cuts + 1);
      const slice = body.subarray(start, Math.max(start, file.cut.at));
      // Flush what the client may have, then drop the connection mid-body.
      res.flushHeaders();
      res.write(slice, () => {
        res.socket?.destroy();
        file.onCut?.();
      });
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    files,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
