// One streamed generation: POST, then read SSE events off the response body as the bytes arrive
// and hand each chunk's canonical events to the caller at once. Retries (client.ts) all happen
// before the first event; once anything was yielded a failure is the caller's to see. An abort
// (request.signal) makes undici drop the upstream connection and the iteration end quietly.

import { BackendUnavailableError, UpstreamHttpError } from '../../core/errors.js';
import type { GenerationEvent, Usage } from '../../core/inference.js';
import { ChunkReader, type WireChunk } from './chunks.js';
import type { OpenAIWireClient, WireOperation } from './client.js';
import { transportError } from './errors.js';
import { SseReader } from './sse.js';

export interface StreamCall {
  client: OpenAIWireClient;
  operation: WireOperation;
  body: unknown;
  signal: AbortSignal;
  kind: 'chat' | 'completion';
  /** The upstream reported its model (first non-empty `model` of the stream). */
  onModel?: (model: string) => void;
  /** Prompt size to report if the upstream sends no usage (it refused stream_options). */
  estimatedPromptTokens: number;
}

export async function* streamGeneration(call: StreamCall): AsyncGenerator<GenerationEvent> {
  const { signal } = call;
  const response = await call.client.post(call.operation, call.body, signal);
  if (response === undefined) return;
  const body = response.body;
  const sse = new SseReader();
  const chunks = new ChunkReader(call.kind);
  const out: GenerationEvent[] = [];
  let sawDone = false;
  let reportedModel = false;
  const where = `${call.operation} stream`;
  try {
    const read = (data: string): void => {
      if (data === '[DONE]') {
        sawDone = true;
        return;
      }
      chunks.read(parseChunk(data), out);
      if (!reportedModel && chunks.model !== undefined) {
        reportedModel = true;
        call.onModel?.(chunks.model);
      }
    };
    for await (const bytes of body as AsyncIterable<Buffer>) {
      let failure: { err: unknown } | undefined;
      for (const data of sse.push(bytes)) {
        try {
          read(data);
        } catch (err) {
          // The events before an error event in the same bytes still reach the caller first.
          failure = { err };
          break;
        }
      }
      if (out.length > 0) {
        // Copy first: the consumer may take its time, and `out` is reused for the next bytes.
        const events = out.splice(0, out.length);
        for (const event of events) yield event;
      }
      if (failure !== undefined) throw failure.err;
    }
    for (const data of sse.end()) read(data);
    for (const event of out.splice(0, out.length)) yield event;
    const open = chunks.unfinished();
    if (!sawDone && (open.length > 0 || chunks.empty)) {
      throw new BackendUnavailableError(`${where}: the upstream ended the stream before it finished`);
    }
    // [DONE] closes every choice; a lenient upstream may not have sent a finish_reason for each.
    for (const choice of open) yield { type: 'done', choice, finishReason: 'stop' };
    yield { type: 'usage', usage: chunks.usage ?? estimate(chunks, call.estimatedPromptTokens) };
  } catch (err) {
    if (signal.aborted) return;
    throw transportError(err, where);
  } finally {
    // Unread body (the consumer stopped early, or we failed): drop the connection, which is
    // what tells the upstream to stop generating.
    if (!body.readableEnded) body.destroy();
  }
}

function parseChunk(data: string): WireChunk {
  try {
    return JSON.parse(data) as WireChunk;
  } catch {
    throw new UpstreamHttpError(502, `the upstream sent an event that is not JSON: ${data.slice(0, 200)}`, {
      code: 'invalid_upstream_response',
    });
  }
}

/** No usage on the stream: the prompt estimate, and one token per delta (what engines send). */
function estimate(chunks: ChunkReader, promptTokens: number): Usage {
  return { promptTokens, completionTokens: chunks.pieces };
}
