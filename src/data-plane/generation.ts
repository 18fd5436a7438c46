// Running a generation to the client, for chat and legacy completions alike: folded into one
// JSON body, or streamed as SSE chunks with back-pressure. A client that goes away aborts it.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GenerationEvent, ServedBy } from '../core/index.js';
import { dataPlaneErrors as errors, isApiError } from '../errors/index.js';
import { mapBackendError } from './backend-errors.js';
import { SseWriter } from './sse.js';

/** Aborts generation when the client goes away before the response is complete. */
export function abortOnDisconnect(reply: FastifyReply): AbortController {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller;
}

/**
 * The `served` out-parameter of a backend call, wired to the reply: when a backend names the
 * engine that answers (a pool's member, before its first event), `x-lapis-backend` is set at once,
 * so a stream's headers (sent with its first byte, see stream()) carry it too.
 */
export function servedHeader(reply: FastifyReply): ServedBy {
  let by: string | undefined;
  return {
    get by() {
      return by;
    },
    set by(name: string | undefined) {
      by = name;
      if (name !== undefined && !reply.sent) reply.header('x-lapis-backend', name);
    },
  };
}

export interface Folder {
  add(ev: GenerationEvent): void;
  body(): unknown | Promise<unknown>;
}

/** Runs the generation to its end and returns the folded body. */
export async function collect(events: AsyncIterable<GenerationEvent>, folder: Folder, deployment: string): Promise<unknown> {
  try {
    for await (const ev of events) folder.add(ev);
  } catch (err) {
    throw mapBackendError(err, deployment);
  }
  return folder.body();
}

export interface StreamPlan<E = GenerationEvent> {
  /** Events sent before the first generated one (Azure's prompt annotations). */
  preamble: unknown[];
  chunks(ev: E): unknown[];
}

/**
 * Streams the generation as SSE. The first event is awaited before any byte is sent, so a
 * request that fails at once (context too long, upstream down) still gets a proper HTTP error.
 */
export async function stream<E>(
  request: FastifyRequest,
  reply: FastifyReply,
  events: AsyncIterable<E>,
  plan: StreamPlan<E>,
  deployment: string,
): Promise<void> {
  const iterator = events[Symbol.asyncIterator]();
  let first: IteratorResult<E>;
  try {
    first = await iterator.next();
  } catch (err) {
    throw mapBackendError(err, deployment);
  }
  const sse = new SseWriter(reply.raw);
  reply.hijack();
  sse.start(reply.getHeaders() as Record<string, string>);
  try {
    for (const p of plan.preamble) await sse.data(p);
    for (let r = first; !r.done; r = await iterator.next()) {
      for (const chunk of plan.chunks(r.value)) await sse.data(chunk);
      if (sse.closed) {
        await iterator.return?.();
        return;
      }
    }
    await sse.done();
  } catch (err) {
    const mapped = mapBackendError(err, deployment);
    request.log.warn({ err }, 'stream failed after it started');
    await sse.fail(isApiError(mapped) ? mapped.body : errors.internalError().body);
  }
}
