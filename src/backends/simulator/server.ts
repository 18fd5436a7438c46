// The simulator as a standalone OpenAI-compatible HTTP server: POST /v1/chat/completions,
// /v1/completions, /v1/embeddings and GET /v1/models, JSON or SSE. Built on node:http alone, and
// with nothing asynchronous between request and answer when there is no pacing, so a benchmark
// behind a proxy measures the proxy, not this. Faults look as they do on the wire: 429 with
// retry-after and retry-after-ms, 500, a request that never answers, a connection cut mid-stream.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { ContextLengthExceededError, UnsupportedRequestError, UpstreamHttpError } from '../../core/errors.js';
import type { SimulatorBackendSpec } from '../../core/resources.js';
import { SimulatorEngine, type Outcome } from './engine.js';
import { rateLimitError, serverError } from './faults.js';
import { sleep } from './pace.js';
import { chatFromWire, completionFromWire, embeddingFromWire, WireRequestError } from './server-requests.js';
import {
  chatJson,
  chatStream,
  completionJson,
  completionStream,
  embeddingsJson,
  errorJson,
  type Meta,
  type StreamRenderer,
} from './server-responses.js';
import type { Plan } from './plan.js';

export interface SimulatorServerOptions {
  /** 0 (default) = a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  spec?: Partial<SimulatorBackendSpec>;
}

export interface SimulatorServer {
  /** http://host:port — the OpenAI base URL is `${url}/v1`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json';
const NEVER = new AbortController().signal;

/** A signal that aborts when the client goes away before its answer was finished. */
function abortOnClose(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

export async function startSimulatorServer(options: SimulatorServerOptions = {}): Promise<SimulatorServer> {
  const engine = new SimulatorEngine(options.spec);
  const ids = { prefix: randomBytes(4).toString('hex'), next: 0 };
  // Without pacing or faults every answer is written before this handler returns: nothing to abort.
  const calm = engine.pace().instant && engine.faults === undefined;
  const models = JSON.stringify({ object: 'list', data: [{ id: engine.model, object: 'model', created: 0, owned_by: 'lapis' }] });
  // Keep-alive longer than clients' (undici: 4 s by default) so the client always closes first.
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    // A client that goes away mid-upload makes req emit 'error'; unheard, it would end the process.
    req.on('error', () => undefined);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (req.method === 'GET' && path === '/v1/models') return send(res, 200, models);
    const route = ROUTES[path];
    if (req.method !== 'POST' || route === undefined) {
      req.resume();
      return send(res, 404, errorJson(`Unknown request URL: ${req.method} ${path}`, 'invalid_request_error', null, 'unknown_url'));
    }
    readJson(req, (body) => {
      if (body === undefined) return send(res, 400, errorJson('The body is not valid JSON.', 'invalid_request_error', null, null));
      const signal = calm ? NEVER : abortOnClose(res);
      const meta: Meta = { id: `${route.idPrefix}-${ids.prefix}${(ids.next++).toString(36)}`, created: Math.floor(Date.now() / 1000), model: engine.model };
      try {
        route.handle(engine, body, signal, res, meta);
      } catch (err) {
        sendFailure(res, err);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address, family } = server.address() as AddressInfo;
  const host = family === 'IPv6' ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // Hung (timeout-fault) and idle keep-alive connections would hold close() forever.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Handler = (engine: SimulatorEngine, body: Record<string, unknown>, signal: AbortSignal, res: ServerResponse, meta: Meta) => void;

const ROUTES: Record<string, { idPrefix: string; handle: Handler } | undefined> = {
  '/v1/chat/completions': {
    idPrefix: 'chatcmpl',
    handle(engine, body, signal, res, meta) {
      const { request, stream, includeUsage } = chatFromWire(body, signal);
      answer(engine, engine.chat(request), res, signal, stream ? (plan) => chatStream(plan, meta, includeUsage) : (plan) => chatJson(plan, meta));
    },
  },
  '/v1/completions': {
    idPrefix: 'cmpl',
    handle(engine, body, signal, res, meta) {
      const { request, stream, includeUsage } = completionFromWire(body, signal);
      answer(engine, engine.complete(request), res, signal, stream ? (plan) => completionStream(plan, meta, includeUsage) : (plan) => completionJson(plan, meta));
    },
  },
  '/v1/embeddings': {
    idPrefix: 'emb',
    handle(engine, body, signal, res) {
      const { request, base64 } = embeddingFromWire(body, signal);
      const fault = engine.embeddingFault();
      if (fault === 'dropStream') return void res.socket?.destroy();
      if (fault !== undefined) return answer(engine, { fault }, res, signal, () => '');
      const result = engine.embed(request);
      send(res, 200, embeddingsJson(result.embeddings, result.promptTokens, engine.model, base64));
    },
  },
};

/** Sends a plan whole (JSON) or paced (SSE), or acts out its fault. */
function answer(engine: SimulatorEngine, outcome: Outcome, res: ServerResponse, signal: AbortSignal, render: (plan: Plan) => string | StreamRenderer): void {
  const { fault, plan } = outcome;
  if (fault === 'rateLimit') return sendFailure(res, rateLimitError(engine.faults));
  if (fault === 'serverError') return sendFailure(res, serverError());
  if (fault === 'timeout' || plan === undefined) return; // never answers; the client's timeout ends it
  const drop = fault === 'dropStream';
  const rendered = render(plan);
  const pace = engine.pace();
  if (typeof rendered === 'string') {
    if (drop) return void res.socket?.destroy();
    const steps = plan.choices.reduce((max, c) => Math.max(max, c.pieces.length), 1);
    if (pace.instant) return send(res, 200, rendered);
    void sleep(Math.max(0, pace.wait(steps - 1)), signal).then((ok) => ok && send(res, 200, rendered));
    return;
  }
  if (pace.instant && !drop) {
    let text = rendered.head();
    for (let step = 0; step < rendered.steps; step++) text += rendered.step(step);
    return send(res, 200, text + rendered.tail(), 'text/event-stream');
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  void paced(rendered, pace, res, signal, drop ? Math.floor(rendered.steps / 2) : -1);
}

async function paced(rendered: StreamRenderer, pace: ReturnType<SimulatorEngine['pace']>, res: ServerResponse, signal: AbortSignal, dropAt: number): Promise<void> {
  for (let step = 0; step < rendered.steps; step++) {
    if (step === dropAt) return void res.socket?.destroy();
    const wait = pace.wait(step);
    if (wait > 0 && !(await sleep(wait, signal))) return;
    if (signal.aborted) return;
    res.write(step === 0 ? rendered.head() + rendered.step(0) : rendered.step(step));
  }
  res.end(rendered.tail());
}

function readJson(req: IncomingMessage, then: (body: Record<string, unknown> | undefined) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let body: unknown;
    try {
      body = JSON.parse((chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)).toString('utf8'));
    } catch {
      body = undefined;
    }
    then(typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined);
  });
}

function send(res: ServerResponse, status: number, body: string, type = JSON_TYPE, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendFailure(res: ServerResponse, err: unknown): void {
  if (res.headersSent) return void res.socket?.destroy();
  if (err instanceof UpstreamHttpError) {
    const headers: Record<string, string> = {};
    const { retryAfterMs } = err.options;
    if (retryAfterMs !== undefined) {
      headers['retry-after-ms'] = String(retryAfterMs);
      headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    }
    const type = err.status === 429 ? 'rate_limit_error' : err.status >= 500 ? 'server_error' : 'invalid_request_error';
    return send(res, err.status, errorJson(err.message, type, err.options.param ?? null, err.options.code ?? null), JSON_TYPE, headers);
  }
  if (err instanceof ContextLengthExceededError) {
    return send(res, 400, errorJson(err.message, 'invalid_request_error', 'messages', 'context_length_exceeded'));
  }
  if (err instanceof UnsupportedRequestError || err instanceof WireRequestError) {
    return send(res, 400, errorJson(err.message, 'invalid_request_error', err.param, null));
  }
  send(res, 500, errorJson(err instanceof Error ? err.message : String(err), 'server_error', null, null));
}
