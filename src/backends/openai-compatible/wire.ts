// Canonical requests → OpenAI wire bodies (https://platform.openai.com/docs/api-reference/chat/create,
// /completions, /embeddings). Only fields the caller set are sent: an upstream that does not know
// a parameter should not see it unless it was asked for. `user` is never sent (it is for our audit
// log). Streams always ask for usage (`stream_options.include_usage`) so tokens are read from the
// stream itself; see backend.ts for upstreams that refuse it.

import type {
  ChatGenerationRequest,
  ChatMessage,
  CompletionRequest,
  ContentPart,
  EmbeddingRequest,
  GenerationParams,
  ResponseFormat,
  ToolChoice,
  ToolDefinition,
} from '../../core/inference.js';

export type WireBody = Record<string, unknown>;

export function chatBody(request: ChatGenerationRequest, model: string | undefined, includeUsage: boolean): WireBody {
  const body: WireBody = {};
  if (model !== undefined) body.model = model;
  body.messages = request.messages.map(wireMessage);
  streaming(body, includeUsage);
  sampling(body, request.params);
  const { logprobs } = request.params;
  if (logprobs !== undefined) {
    body.logprobs = true;
    if (logprobs > 0) body.top_logprobs = logprobs;
  }
  if (request.n !== undefined) body.n = request.n;
  if (request.tools !== undefined && request.tools.length > 0) body.tools = request.tools.map(wireTool);
  if (request.toolChoice !== undefined) body.tool_choice = wireToolChoice(request.toolChoice);
  if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls;
  if (request.responseFormat !== undefined) body.response_format = wireResponseFormat(request.responseFormat);
  return body;
}

export function completionBody(request: CompletionRequest, model: string | undefined, includeUsage: boolean): WireBody {
  const body: WireBody = {};
  if (model !== undefined) body.model = model;
  body.prompt = request.prompt;
  streaming(body, includeUsage);
  sampling(body, request.params);
  // Legacy completions take an integer: how many alternatives per token (0 = the chosen one only).
  if (request.params.logprobs !== undefined) body.logprobs = request.params.logprobs;
  if (request.n !== undefined) body.n = request.n;
  if (request.echo !== undefined) body.echo = request.echo;
  return body;
}

export function embeddingBody(request: EmbeddingRequest, model: string | undefined): WireBody {
  const body: WireBody = {};
  if (model !== undefined) body.model = model;
  body.input = request.input;
  // Float, not the SDKs' default base64: we need the numbers, and not every engine speaks base64.
  body.encoding_format = 'float';
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  return body;
}

function streaming(body: WireBody, includeUsage: boolean): void {
  body.stream = true;
  if (includeUsage) body.stream_options = { include_usage: true };
}

function sampling(body: WireBody, p: GenerationParams): void {
  // max_tokens, not max_completion_tokens: every OpenAI-compatible engine knows the older name.
  if (p.maxTokens !== undefined) body.max_tokens = p.maxTokens;
  if (p.temperature !== undefined) body.temperature = p.temperature;
  if (p.topP !== undefined) body.top_p = p.topP;
  if (p.stop !== undefined && p.stop.length > 0) body.stop = p.stop;
  if (p.seed !== undefined) body.seed = p.seed;
  if (p.presencePenalty !== undefined) body.presence_penalty = p.presencePenalty;
  if (p.frequencyPenalty !== undefined) body.frequency_penalty = p.frequencyPenalty;
  if (p.logitBias !== undefined) body.logit_bias = p.logitBias;
}

function wireMessage(m: ChatMessage): WireBody {
  const out: WireBody = { role: m.role };
  const calls = m.toolCalls !== undefined && m.toolCalls.length > 0 ? m.toolCalls : undefined;
  // An assistant turn that only called tools has null content on the wire, not "".
  if (m.parts !== undefined && m.parts.length > 0) out.content = m.parts.map(wirePart);
  else out.content = calls !== undefined && m.content.length === 0 ? null : m.content;
  if (m.name !== undefined) out.name = m.name;
  if (calls !== undefined) {
    out.tool_calls = calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  }
  if (m.toolCallId !== undefined) out.tool_call_id = m.toolCallId;
  return out;
}

function wirePart(p: ContentPart): WireBody {
  return p.type === 'text' ? { type: 'text', text: p.text } : { type: 'image_url', image_url: { url: p.url, detail: p.detail } };
}

function wireTool(t: ToolDefinition): WireBody {
  const fn: WireBody = { name: t.name };
  if (t.description !== undefined) fn.description = t.description;
  if (t.parameters !== undefined) fn.parameters = t.parameters;
  if (t.strict !== undefined) fn.strict = t.strict;
  return { type: 'function', function: fn };
}

function wireToolChoice(c: ToolChoice): unknown {
  return typeof c === 'string' ? c : { type: 'function', function: { name: c.name } };
}

function wireResponseFormat(f: ResponseFormat): WireBody {
  if (f.type !== 'json_schema') return { type: f.type };
  const schema: WireBody = { name: f.name, schema: f.schema, strict: f.strict };
  if (f.description !== undefined) schema.description = f.description;
  return { type: 'json_schema', json_schema: schema };
}

/** A rough prompt size (≈ 4 characters a token), only for upstreams that report no usage. */
export function estimateTokens(text: string | number[]): number {
  return typeof text === 'string' ? Math.ceil(text.length / 4) : text.length;
}

export function estimateChatTokens(messages: ChatMessage[]): number {
  let tokens = 3;
  for (const m of messages) tokens += 4 + estimateTokens(m.content);
  return tokens;
}
