// Plans → OpenAI wire answers: whole JSON bodies, or SSE text step by step
// (https://platform.openai.com/docs/api-reference/chat/streaming). Chunks are built as strings
// around a fixed prefix: the server's cost per token should be one small JSON.stringify.

import type { TokenLogprob } from '../../core/inference.js';
import type { ChoicePlan, Piece, Plan, TextPiece } from './plan.js';

export interface Meta {
  id: string;
  created: number;
  model: string;
}

/** A stream in three parts, so the server can pace the middle. */
export interface StreamRenderer {
  readonly steps: number;
  head(): string;
  step(step: number): string;
  tail(): string;
}

function usage(plan: Plan) {
  return { prompt_tokens: plan.promptTokens, completion_tokens: plan.completionTokens, total_tokens: plan.promptTokens + plan.completionTokens };
}

function stepsOf(plan: Plan): number {
  let steps = 1;
  for (const c of plan.choices) steps = Math.max(steps, c.pieces.length);
  return steps;
}

/** The step at which a choice finishes: after its last piece (step 0 if it has none). */
function lastStep(c: ChoicePlan): number {
  return Math.max(0, c.pieces.length - 1);
}

function chatLogprobs(logprobs: TokenLogprob[]) {
  return {
    content: logprobs.map((t) => ({ token: t.token, logprob: t.logprob, bytes: t.bytes, top_logprobs: t.topLogprobs })),
    refusal: null,
  };
}

export function chatJson(plan: Plan, meta: Meta): string {
  const choices = plan.choices.map((c, index) => {
    const text = c.pieces.filter((p): p is TextPiece => p.kind === 'text');
    const message: Record<string, unknown> = { role: 'assistant', content: null, refusal: null };
    const calls: { id: string; type: 'function'; function: { name: string; arguments: string } }[] = [];
    for (const p of c.pieces) {
      if (p.kind !== 'tool') continue;
      if (p.id !== undefined) calls[p.index] = { id: p.id, type: 'function', function: { name: p.name ?? '', arguments: '' } };
      const call = calls[p.index];
      if (call !== undefined) call.function.arguments += p.arguments;
    }
    if (calls.length > 0) message.tool_calls = calls;
    else message.content = text.map((p) => p.text).join('');
    const logprobs = text.some((p) => p.logprobs) ? chatLogprobs(text.flatMap((p) => p.logprobs ?? [])) : null;
    return { index, message, logprobs, finish_reason: c.finishReason };
  });
  return JSON.stringify({ id: meta.id, object: 'chat.completion', created: meta.created, model: meta.model, choices, usage: usage(plan) });
}

export function chatStream(plan: Plan, meta: Meta, includeUsage: boolean): StreamRenderer {
  const prefix = `data: {"id":"${meta.id}","object":"chat.completion.chunk","created":${meta.created},"model":${JSON.stringify(meta.model)},"choices":[`;
  const chunk = (choice: unknown) => `${prefix}${JSON.stringify(choice)}]}\n\n`;
  const delta = (index: number, p: Piece) => {
    if (p.kind === 'text') {
      return { index, delta: { content: p.text }, logprobs: p.logprobs ? chatLogprobs(p.logprobs) : null, finish_reason: null };
    }
    const call = p.id === undefined
      ? { index: p.index, function: { arguments: p.arguments } }
      : { index: p.index, id: p.id, type: 'function', function: { name: p.name, arguments: p.arguments } };
    return { index, delta: { tool_calls: [call] }, logprobs: null, finish_reason: null };
  };
  return {
    steps: stepsOf(plan),
    head: () => plan.choices.map((_, index) => chunk({ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null })).join(''),
    step(step) {
      let out = '';
      plan.choices.forEach((c, index) => {
        const piece = c.pieces[step];
        if (piece !== undefined) out += chunk(delta(index, piece));
        if (step === lastStep(c)) out += chunk({ index, delta: {}, logprobs: null, finish_reason: c.finishReason });
      });
      return out;
    },
    tail: () => (includeUsage ? `${prefix}],"usage":${JSON.stringify(usage(plan))}}\n\n` : '') + 'data: [DONE]\n\n',
  };
}

/** Legacy logprobs (parallel arrays, alternatives as a map) with offsets into the choice's text. */
function legacyLogprobs(logprobs: TokenLogprob[], offset: number) {
  const out = { tokens: [] as string[], token_logprobs: [] as number[], top_logprobs: [] as Record<string, number>[], text_offset: [] as number[] };
  for (const t of logprobs) {
    out.tokens.push(t.token);
    out.token_logprobs.push(t.logprob);
    out.top_logprobs.push(Object.fromEntries(t.topLogprobs.map((a) => [a.token, a.logprob])));
    out.text_offset.push(offset);
    offset += t.token.length;
  }
  return out;
}

function completionTexts(c: ChoicePlan): TextPiece[] {
  const pieces = c.pieces.filter((p): p is TextPiece => p.kind === 'text');
  return c.echo === undefined ? pieces : [c.echo, ...pieces];
}

export function completionJson(plan: Plan, meta: Meta): string {
  const choices = plan.choices.map((c, index) => {
    const pieces = completionTexts(c);
    const logprobs = pieces.some((p) => p.logprobs) ? legacyLogprobs(pieces.flatMap((p) => p.logprobs ?? []), 0) : null;
    return { text: pieces.map((p) => p.text).join(''), index, logprobs, finish_reason: c.finishReason };
  });
  return JSON.stringify({ id: meta.id, object: 'text_completion', created: meta.created, model: meta.model, choices, usage: usage(plan) });
}

export function completionStream(plan: Plan, meta: Meta, includeUsage: boolean): StreamRenderer {
  const prefix = `data: {"id":"${meta.id}","object":"text_completion","created":${meta.created},"model":${JSON.stringify(meta.model)},"choices":[`;
  const chunk = (choice: unknown) => `${prefix}${JSON.stringify(choice)}]}\n\n`;
  const offsets = plan.choices.map(() => 0);
  const text = (index: number, p: TextPiece) => {
    const logprobs = p.logprobs ? legacyLogprobs(p.logprobs, offsets[index] as number) : null;
    offsets[index] = (offsets[index] as number) + p.text.length;
    return chunk({ text: p.text, index, logprobs, finish_reason: null });
  };
  return {
    steps: stepsOf(plan),
    head: () => '',
    step(step) {
      let out = '';
      plan.choices.forEach((c, index) => {
        if (step === 0 && c.echo !== undefined) out += text(index, c.echo);
        const piece = c.pieces[step];
        if (piece?.kind === 'text') out += text(index, piece);
        if (step === lastStep(c)) out += chunk({ text: '', index, logprobs: null, finish_reason: c.finishReason });
      });
      return out;
    },
    tail: () => (includeUsage ? `${prefix}],"usage":${JSON.stringify(usage(plan))}}\n\n` : '') + 'data: [DONE]\n\n',
  };
}

export function embeddingsJson(embeddings: number[][], promptTokens: number, model: string, base64: boolean): string {
  const data = embeddings.map((vector, index) => ({
    object: 'embedding',
    index,
    // base64 is what the openai SDKs ask for by default: little-endian float32.
    embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
  }));
  return JSON.stringify({ object: 'list', data, model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } });
}

export function errorJson(message: string, type: string, param: string | null, code: string | null): string {
  return JSON.stringify({ error: { message, type, param, code } });
}
