// Canonical → wire for chat completions: the JSON body and the SSE chunks, in Azure's
// order (shared/reference/azure-api.md §3.2, §3.3).

import { randomBytes } from 'node:crypto';
import type { FinishReason, Usage } from '../../core/index.js';

export function newCompletionId(): string {
  return `chatcmpl-${randomBytes(15).toString('base64url')}`;
}

function usageToWire(u: Usage) {
  return { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, total_tokens: u.promptTokens + u.completionTokens };
}

export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

export function chatCompletionBody(meta: CompletionMeta, text: string, finishReason: FinishReason, usage: Usage) {
  return {
    id: meta.id,
    object: 'chat.completion',
    created: meta.created,
    model: meta.model,
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        finish_reason: finishReason,
        logprobs: null,
        message: { role: 'assistant', content: text, refusal: null },
      },
    ],
    usage: usageToWire(usage),
  };
}

function chunk(meta: CompletionMeta, choices: unknown[], extra: Record<string, unknown> = {}) {
  return {
    id: meta.id,
    object: 'chat.completion.chunk',
    created: meta.created,
    model: meta.model,
    system_fingerprint: null,
    choices,
    ...extra,
  };
}

/** The first chunk: the assistant role with empty content. */
export function roleChunk(meta: CompletionMeta) {
  return chunk(meta, [{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, finish_reason: null, logprobs: null }]);
}

export function contentChunk(meta: CompletionMeta, text: string) {
  return chunk(meta, [{ index: 0, delta: { content: text }, finish_reason: null, logprobs: null }]);
}

export function finishChunk(meta: CompletionMeta, finishReason: FinishReason) {
  return chunk(meta, [{ index: 0, delta: {}, finish_reason: finishReason, logprobs: null }]);
}

/** With stream_options.include_usage: one last chunk with no choices and the usage. */
export function usageChunk(meta: CompletionMeta, usage: Usage) {
  return chunk(meta, [], { usage: usageToWire(usage) });
}
