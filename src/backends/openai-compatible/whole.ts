// One generation fetched whole: when the client does not stream, the upstream is asked for a
// plain JSON answer (stream: false). One JSON.parse of the body instead of one per SSE chunk,
// and one response to read — the proxy's cheapest path. The body is then read as if it were a
// single stream chunk, so the conversion to canonical events is the streamed path's own.

import { BackendUnavailableError, UpstreamHttpError } from '../../core/errors.js';
import type { GenerationEvent } from '../../core/inference.js';
import { ChunkReader, type WireChunk } from './chunks.js';
import { transportError } from './errors.js';
import type { StreamCall } from './stream.js';

interface WholeChoice {
  index?: number;
  finish_reason?: string | null;
  message?: { content?: string | null; tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[] | null } | null;
  text?: string | null;
  logprobs?: unknown;
}

/** A chat.completion / text_completion body as the one chunk that would carry all of it. */
function asChunk(body: Omit<WireChunk, 'choices'> & { choices?: WholeChoice[] | null }): WireChunk {
  const choices = (body.choices ?? []).map((c: WholeChoice) => {
    const calls = c.message?.tool_calls?.map((call, index) => ({ index, id: call.id, function: call.function }));
    return {
      index: c.index,
      finish_reason: c.finish_reason,
      logprobs: c.logprobs,
      ...(c.text !== undefined ? { text: c.text } : {}),
      ...(c.message ? { delta: { content: c.message.content, ...(calls?.length ? { tool_calls: calls } : {}) } } : {}),
    };
  });
  return { ...body, choices } as WireChunk;
}

export async function* wholeGeneration(call: StreamCall): AsyncGenerator<GenerationEvent> {
  const { signal } = call;
  const where = `${call.operation} answer`;
  const events: GenerationEvent[] = [];
  const chunks = new ChunkReader(call.kind);
  try {
    const response = await call.client.post(call.operation, call.body, signal);
    if (response === undefined) return;
    let body: Parameters<typeof asChunk>[0];
    try {
      body = (await response.body.json()) as Parameters<typeof asChunk>[0];
    } catch (err) {
      if (err instanceof SyntaxError) throw new UpstreamHttpError(502, 'the upstream sent an answer that is not JSON', { code: 'invalid_upstream_response' });
      throw err;
    }
    chunks.read(asChunk(body), events);
    if (chunks.model !== undefined) call.onModel?.(chunks.model);
    if (chunks.empty) throw new BackendUnavailableError(`${where}: the upstream answered with no choices`);
    for (const choice of chunks.unfinished()) events.push({ type: 'done', choice, finishReason: 'stop' });
    events.push({ type: 'usage', usage: chunks.usage ?? { promptTokens: call.estimatedPromptTokens, completionTokens: chunks.pieces } });
  } catch (err) {
    if (signal.aborted) return;
    throw transportError(err, where);
  }
  yield* events;
}
