// A hand-written loopback HTTP upstream for backend tests: each test scripts the answers
// (including broken ones: split events, hangs, cut connections) and reads back what it was sent.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: any;
}

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse, body: any, attempt: number) => void | Promise<void>;

export interface Upstream {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Resolves when a request's connection closed before its response finished (an abort). */
  clientGone: Promise<void>;
  close(): Promise<void>;
}

export async function startUpstream(handler: UpstreamHandler): Promise<Upstream> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  let gone!: () => void;
  const clientGone = new Promise<void>((resolve) => (gone = resolve));
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.on('close', () => {
        if (!res.writableFinished) gone();
      });
      Promise.resolve(handler(req, res, body, requests.length)).catch(() => res.destroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    clientGone,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** SSE text of OpenAI chunks, ending with [DONE]. */
export function sse(chunks: unknown[], done = true): string {
  return chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') + (done ? 'data: [DONE]\n\n' : '');
}

/** A chat.completion.chunk with the given choices (and extra top-level fields). */
export function chatChunk(choices: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 1, model: 'upstream-model', choices, ...extra };
}

export function sendSse(res: ServerResponse, text: string): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end(text);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

interface AssembledChoice {
  text: string;
  toolCalls: { id?: string; name?: string; arguments: string }[];
  finishReason?: string;
  logprobs: { token: string; logprob: number; topLogprobs: { token: string; logprob: number }[] }[];
}

/** Canonical events → per-choice text, tool calls, finish reasons, and the usage. */
export function assemble(events: any[]): { choices: AssembledChoice[]; usage?: { promptTokens: number; completionTokens: number } } {
  const choices: AssembledChoice[] = [];
  let usage;
  const at = (i: number) => (choices[i] ??= { text: '', toolCalls: [], logprobs: [] });
  for (const e of events) {
    if (e.type === 'usage') usage = e.usage;
    else if (e.type === 'text') {
      at(e.choice).text += e.text;
      at(e.choice).logprobs.push(...(e.logprobs ?? []));
    } else if (e.type === 'tool_call') {
      const call = (at(e.choice).toolCalls[e.index] ??= { arguments: '' });
      if (e.id !== undefined) call.id = e.id;
      if (e.name !== undefined) call.name = e.name;
      call.arguments += e.arguments;
    } else if (e.type === 'done') at(e.choice).finishReason = e.finishReason;
  }
  return { choices, usage };
}
