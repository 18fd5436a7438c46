// What the simulator will answer, decided whole before the first token: per choice a list of
// pieces (one token each) and a finish reason. The in-process backend and the HTTP server only
// pace and render a plan, so they always agree. Everything is a function of the request key
// (prompt + seed), hence deterministic.

import { ContextLengthExceededError, UnsupportedRequestError } from '../../core/errors.js';
import type {
  ChatGenerationRequest,
  CompletionRequest,
  FinishReason,
  GenerationParams,
  TokenLogprob,
  ToolDefinition,
} from '../../core/inference.js';
import { sampleSchema } from './schema-sample.js';
import { charPieces, countTokens, detokenize, hash32, idFrom, pick, substream, tokenLogprob, wordPieces, words, type Rng } from './text.js';

export type TextPiece = { kind: 'text'; text: string; logprobs?: TokenLogprob[] };
export type ToolPiece = { kind: 'tool'; index: number; id?: string; name?: string; arguments: string };
export type Piece = TextPiece | ToolPiece;

export interface ChoicePlan {
  /** The prompt, for completions with echo: sent with the first token and not counted. */
  echo?: TextPiece;
  pieces: Piece[];
  finishReason: FinishReason;
}

export interface Plan {
  choices: ChoicePlan[];
  promptTokens: number;
  completionTokens: number;
}

/** Image tokens as Azure counts them for one 512-px tile at low detail / a 1024² image at high. */
const IMAGE_TOKENS = { low: 85, high: 765 } as const;

/** The request key: a hash of what the text depends on (the prompt and the seed). */
export function chatKey(request: ChatGenerationRequest): number {
  let key = hash32(String(request.params.seed ?? ''));
  for (const m of request.messages) key = hash32(`${m.role}\u0000${m.content}\u0000${m.toolCallId ?? ''}`, key);
  return key;
}

export function completionKey(request: CompletionRequest): number {
  const prompt = typeof request.prompt === 'string' ? request.prompt : `ids:${request.prompt.join(',')}`;
  return hash32(prompt, hash32(String(request.params.seed ?? '')));
}

export function chatPromptTokens(request: ChatGenerationRequest): number {
  let tokens = 3; // reply priming, as OpenAI counts it
  for (const m of request.messages) {
    tokens += 4 + countTokens(m.content) + (m.name === undefined ? 0 : countTokens(m.name));
    for (const call of m.toolCalls ?? []) tokens += countTokens(call.name) + countTokens(call.arguments);
    for (const part of m.parts ?? []) if (part.type === 'image') tokens += part.detail === 'low' ? IMAGE_TOKENS.low : IMAGE_TOKENS.high;
  }
  if (request.tools !== undefined && request.tools.length > 0) tokens += countTokens(JSON.stringify(request.tools));
  return tokens;
}

export function planChat(request: ChatGenerationRequest, key: number, contextSize: number): Plan {
  const promptTokens = chatPromptTokens(request);
  const budget = budgetOf(request.params, promptTokens, contextSize);
  const tools = toolsToCall(request, substream(key, -1));
  const choices: ChoicePlan[] = [];
  for (let i = 0; i < (request.n ?? 1); i++) {
    const r = substream(key, i);
    if (tools.length > 0) {
      choices.push({ pieces: toolPieces(tools, r), finishReason: 'tool_calls' });
      continue;
    }
    const format = request.responseFormat;
    const pieces =
      format?.type === 'json_schema' ? charPieces(JSON.stringify(sampleSchema(format.schema, r)))
      : format?.type === 'json_object' ? charPieces(JSON.stringify(sampleObject(r)))
      : wordPieces(r, naturalLength(r));
    choices.push(finishText(pieces, request.params, budget, substream(key, 1000 + i)));
  }
  return withUsage(choices, promptTokens);
}

export function planCompletion(request: CompletionRequest, key: number, contextSize: number): Plan {
  const promptTokens = countTokens(request.prompt);
  const budget = budgetOf(request.params, promptTokens, contextSize);
  const promptText = typeof request.prompt === 'string' ? request.prompt : detokenize(request.prompt);
  const choices: ChoicePlan[] = [];
  for (let i = 0; i < (request.n ?? 1); i++) {
    const r = substream(key, i);
    const lr = substream(key, 1000 + i);
    const choice = finishText(wordPieces(r, naturalLength(r)), request.params, budget, lr);
    if (request.echo === true) {
      const echo: TextPiece = { kind: 'text', text: promptText };
      const top = request.params.logprobs;
      if (top !== undefined) echo.logprobs = charPieces(promptText).map((t) => tokenLogprob(lr, t, top));
      choice.echo = echo;
    }
    choices.push(choice);
  }
  return withUsage(choices, promptTokens);
}

/** Tokens a choice may generate: max_tokens, and never past the context window. */
function budgetOf(params: GenerationParams, promptTokens: number, contextSize: number): number {
  if (promptTokens > contextSize) throw new ContextLengthExceededError(promptTokens, contextSize);
  return Math.min(params.maxTokens ?? Number.POSITIVE_INFINITY, contextSize - promptTokens);
}

/** How long a reply is when nothing stops it: 16–64 tokens. */
function naturalLength(r: Rng): number {
  return 16 + Math.floor(r() * 49);
}

function withUsage(choices: ChoicePlan[], promptTokens: number): Plan {
  let completionTokens = 0;
  for (const c of choices) completionTokens += c.pieces.length;
  return { choices, promptTokens, completionTokens };
}

/** Stop strings cut the text before the first match; the budget cuts it with finish 'length'. */
function finishText(texts: string[], params: GenerationParams, budget: number, lr: Rng): ChoicePlan {
  let kept = params.stop !== undefined && params.stop.length > 0 ? cutAtStop(texts, params.stop) : texts;
  let finishReason: FinishReason = 'stop';
  if (kept.length > budget) {
    kept = kept.slice(0, budget);
    finishReason = 'length';
  }
  const top = params.logprobs;
  const pieces = kept.map((text): TextPiece =>
    top === undefined ? { kind: 'text', text } : { kind: 'text', text, logprobs: [tokenLogprob(lr, text, top)] },
  );
  return { pieces, finishReason };
}

function cutAtStop(texts: string[], stops: string[]): string[] {
  const full = texts.join('');
  let at = -1;
  for (const stop of stops) {
    const i = stop.length > 0 ? full.indexOf(stop) : -1;
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  if (at < 0) return texts;
  const kept: string[] = [];
  let offset = 0;
  for (const text of texts) {
    if (offset + text.length <= at) kept.push(text);
    else {
      if (at > offset) kept.push(text.slice(0, at - offset));
      break;
    }
    offset += text.length;
  }
  return kept;
}

/**
 * Which tools the reply calls. 'none' → none; a named choice → that tool; 'required' → the
 * tools the last user message names, else one picked by the key; 'auto' → the tools the last
 * message names when that message is the user's (after a tool result the model answers in text).
 */
function toolsToCall(request: ChatGenerationRequest, r: Rng): ToolDefinition[] {
  const tools = request.tools ?? [];
  const choice = request.toolChoice ?? 'auto';
  if (tools.length === 0 || choice === 'none') return [];
  if (typeof choice === 'object') {
    const named = tools.find((t) => t.name === choice.name);
    if (named === undefined) throw new UnsupportedRequestError('tool_choice', `tool_choice names "${choice.name}", which is not among the tools`);
    return [named];
  }
  const last = request.messages[request.messages.length - 1];
  const lastUser = [...request.messages].reverse().find((m) => m.role === 'user')?.content.toLowerCase() ?? '';
  let named = tools.filter((t) => lastUser.includes(t.name.toLowerCase()));
  if (request.parallelToolCalls === false) named = named.slice(0, 1);
  if (choice === 'required') return named.length > 0 ? named : [pick(r, tools)];
  return last?.role === 'user' ? named : [];
}

function toolPieces(tools: ToolDefinition[], r: Rng): Piece[] {
  const pieces: Piece[] = [];
  tools.forEach((tool, index) => {
    const args = JSON.stringify(sampleSchema(tool.parameters ?? { type: 'object', properties: {} }, r));
    // As OpenAI streams a call: id and name first, then the arguments in small pieces.
    pieces.push({ kind: 'tool', index, id: `call_${idFrom(r)}`, name: tool.name, arguments: '' });
    for (const part of charPieces(args)) pieces.push({ kind: 'tool', index, arguments: part });
  });
  return pieces;
}

/** json_object: a small, deterministic, readable object. */
function sampleObject(r: Rng): Record<string, unknown> {
  const tags = Array.from({ length: 1 + Math.floor(r() * 3) }, () => words(r, 1).toLowerCase());
  return { title: words(r, 3), summary: words(r, 4 + Math.floor(r() * 5)), tags, score: Math.round(r() * 100) / 100 };
}
