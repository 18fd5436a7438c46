// Streamed OpenAI chunks (chat.completion.chunk, text_completion) → canonical GenerationEvents.
// Fields we do not read are dropped on purpose: Azure's prompt_filter_results (its first chunk has
// `choices: []`), per-choice content_filter_results and filter-offset annotations — Lapis runs its
// own filters on what we emit. Only the first finish_reason of a choice counts: Azure's
// asynchronous filter may annotate a choice again after it finished.

import type { FinishReason, GenerationEvent, TokenLogprob, TopLogprob, Usage } from '../../core/inference.js';
import { errorFromBody } from './errors.js';

interface WireTopLogprob {
  token?: string;
  logprob?: number | null;
  bytes?: number[] | null;
}
interface WireTokenLogprob extends WireTopLogprob {
  top_logprobs?: WireTopLogprob[] | null;
}
interface WireToolCallDelta {
  index?: number;
  id?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}
/** Legacy completions logprobs: parallel arrays, alternatives as a token → logprob map. */
interface LegacyLogprobs {
  tokens?: string[];
  token_logprobs?: (number | null)[];
  top_logprobs?: (Record<string, number> | null)[] | null;
}
interface WireChoice {
  index?: number;
  finish_reason?: string | null;
  delta?: { content?: string | null; tool_calls?: WireToolCallDelta[] | null } | null;
  logprobs?: ({ content?: WireTokenLogprob[] | null } & LegacyLogprobs) | null;
  /** completions */
  text?: string | null;
}
export interface WireChunk {
  model?: string | null;
  choices?: WireChoice[] | null;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: unknown;
}

export class ChunkReader {
  /** The upstream's own count, when it sent one. */
  usage: Usage | undefined;
  /** The first non-empty `model` the upstream reported. */
  model: string | undefined;
  /** Deltas that carried output: a stand-in for completion tokens when no usage arrives. */
  pieces = 0;
  private readonly open = new Set<number>();
  private readonly finished = new Set<number>();

  constructor(private readonly kind: 'chat' | 'completion') {}

  /** Appends the events of one chunk to `out`. Throws the upstream's error for an error chunk. */
  read(chunk: WireChunk, out: GenerationEvent[]): void {
    if (chunk.error !== undefined && chunk.error !== null) {
      const status = (chunk.error as { status?: unknown }).status;
      throw errorFromBody(typeof status === 'number' && status >= 400 ? status : 500, chunk);
    }
    if (this.model === undefined && typeof chunk.model === 'string' && chunk.model.length > 0) this.model = chunk.model;
    const usage = chunk.usage;
    if (usage !== undefined && usage !== null) {
      this.usage = { promptTokens: usage.prompt_tokens ?? 0, completionTokens: usage.completion_tokens ?? 0 };
    }
    const choices = chunk.choices;
    if (choices === undefined || choices === null) return;
    for (const c of choices) {
      const choice = c.index ?? 0;
      if (this.finished.has(choice)) continue;
      this.open.add(choice);
      if (this.kind === 'chat') this.chatDelta(choice, c, out);
      else this.completionDelta(choice, c, out);
      if (typeof c.finish_reason === 'string' && c.finish_reason.length > 0) {
        this.open.delete(choice);
        this.finished.add(choice);
        out.push({ type: 'done', choice, finishReason: finishReason(c.finish_reason) });
      }
    }
  }

  /** Choices that started but never finished. */
  unfinished(): number[] {
    return [...this.open];
  }

  /** True when nothing at all arrived for any choice. */
  get empty(): boolean {
    return this.open.size === 0 && this.finished.size === 0;
  }

  private chatDelta(choice: number, c: WireChoice, out: GenerationEvent[]): void {
    const content = c.delta?.content;
    const wireLogprobs = c.logprobs?.content;
    if ((typeof content === 'string' && content.length > 0) || (wireLogprobs !== undefined && wireLogprobs !== null && wireLogprobs.length > 0)) {
      this.pieces++;
      out.push(textEvent(choice, content ?? '', wireLogprobs?.map(tokenLogprob)));
    }
    const calls = c.delta?.tool_calls;
    if (calls === undefined || calls === null) return;
    for (const call of calls) {
      this.pieces++;
      const event: Extract<GenerationEvent, { type: 'tool_call' }> = {
        type: 'tool_call',
        choice,
        index: call.index ?? 0,
        arguments: call.function?.arguments ?? '',
      };
      if (typeof call.id === 'string' && call.id.length > 0) event.id = call.id;
      if (typeof call.function?.name === 'string' && call.function.name.length > 0) event.name = call.function.name;
      out.push(event);
    }
  }

  private completionDelta(choice: number, c: WireChoice, out: GenerationEvent[]): void {
    const text = c.text;
    const logprobs = c.logprobs ? legacyLogprobs(c.logprobs) : undefined;
    if ((typeof text === 'string' && text.length > 0) || (logprobs !== undefined && logprobs.length > 0)) {
      this.pieces++;
      out.push(textEvent(choice, text ?? '', logprobs));
    }
  }
}

function textEvent(choice: number, text: string, logprobs: TokenLogprob[] | undefined): GenerationEvent {
  return logprobs === undefined ? { type: 'text', choice, text } : { type: 'text', choice, text, logprobs };
}

function finishReason(wire: string): FinishReason {
  switch (wire) {
    case 'length':
    case 'tool_calls':
    case 'content_filter':
      return wire;
    case 'function_call':
      return 'tool_calls';
    default:
      // 'stop', 'eos' and engine-specific reasons: the model ended on its own.
      return 'stop';
  }
}

function topLogprob(t: WireTopLogprob): TopLogprob {
  const token = t.token ?? '';
  return { token, logprob: t.logprob ?? 0, bytes: t.bytes === undefined ? utf8(token) : t.bytes };
}

function tokenLogprob(t: WireTokenLogprob): TokenLogprob {
  return { ...topLogprob(t), topLogprobs: (t.top_logprobs ?? []).map(topLogprob) };
}

/**
 * Legacy parallel arrays → one TokenLogprob per token. text_offset is not kept: it follows from
 * the token texts. An echoed prompt's first token has a null logprob on the wire; the canonical
 * form has no null, so it becomes 0 (probability 1: nothing was predicted there).
 */
export function legacyLogprobs(wire: LegacyLogprobs): TokenLogprob[] {
  const tokens = wire.tokens ?? [];
  return tokens.map((token, i) => {
    const top = wire.top_logprobs?.[i];
    const alternatives = top ? Object.entries(top).map(([t, logprob]) => ({ token: t, logprob, bytes: utf8(t) })) : [];
    alternatives.sort((a, b) => b.logprob - a.logprob);
    return { token, logprob: wire.token_logprobs?.[i] ?? 0, bytes: utf8(token), topLogprobs: alternatives };
  });
}

function utf8(text: string): number[] {
  return [...Buffer.from(text, 'utf8')];
}
