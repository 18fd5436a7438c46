// OpenAI wire bodies → canonical requests, for the simulator's HTTP server. Lenient where an
// upstream would be (unknown fields are ignored), strict where the simulator could not answer
// (a missing prompt, a wrong type): those are 400s with the field named, as OpenAI does.

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

export class WireRequestError extends Error {
  constructor(
    readonly param: string | null,
    message: string,
  ) {
    super(message);
  }
}

type Body = Record<string, unknown>;

export interface WireChat {
  request: ChatGenerationRequest;
  stream: boolean;
  includeUsage: boolean;
}

export interface WireCompletion {
  request: CompletionRequest;
  stream: boolean;
  includeUsage: boolean;
}

export function chatFromWire(body: Body, signal: AbortSignal): WireChat {
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw new WireRequestError('messages', "'messages' must be a non-empty array");
  const params = paramsFromWire(body);
  if (body.logprobs === true) params.logprobs = optionalNumber(body, 'top_logprobs') ?? 0;
  const request: ChatGenerationRequest = { messages: body.messages.map(messageFromWire), params, signal };
  const n = optionalNumber(body, 'n');
  if (n !== undefined) request.n = n;
  if (Array.isArray(body.tools)) request.tools = body.tools.map(toolFromWire);
  if (body.tool_choice !== undefined) request.toolChoice = toolChoiceFromWire(body.tool_choice);
  if (typeof body.parallel_tool_calls === 'boolean') request.parallelToolCalls = body.parallel_tool_calls;
  if (isBody(body.response_format)) request.responseFormat = formatFromWire(body.response_format);
  return { request, stream: body.stream === true, includeUsage: includeUsage(body) };
}

export function completionFromWire(body: Body, signal: AbortSignal): WireCompletion {
  let prompt = body.prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && (typeof prompt[0] === 'string' || Array.isArray(prompt[0]))) prompt = prompt[0];
  if (!(typeof prompt === 'string' || (Array.isArray(prompt) && prompt.every((t) => typeof t === 'number')))) {
    throw new WireRequestError('prompt', "'prompt' must be a string or an array of token ids (one prompt per request)");
  }
  const params = paramsFromWire(body);
  // OpenAI's legacy default: 16 tokens when max_tokens is not given.
  params.maxTokens ??= 16;
  const logprobs = optionalNumber(body, 'logprobs');
  if (logprobs !== undefined) params.logprobs = logprobs;
  const request: CompletionRequest = { prompt: prompt as string | number[], params, signal };
  const n = optionalNumber(body, 'n');
  if (n !== undefined) request.n = n;
  if (body.echo === true) request.echo = true;
  return { request, stream: body.stream === true, includeUsage: includeUsage(body) };
}

export function embeddingFromWire(body: Body, signal: AbortSignal): { request: EmbeddingRequest; base64: boolean } {
  const input = body.input;
  let inputs: (string | number[])[];
  if (typeof input === 'string') inputs = [input];
  else if (Array.isArray(input) && input.length > 0 && input.every((i) => typeof i === 'number')) inputs = [input as number[]];
  else if (Array.isArray(input) && input.length > 0 && input.every((i) => typeof i === 'string' || Array.isArray(i))) inputs = input as (string | number[])[];
  else throw new WireRequestError('input', "'input' must be a string, an array of strings or token arrays");
  const request: EmbeddingRequest = { input: inputs, signal };
  const dimensions = optionalNumber(body, 'dimensions');
  if (dimensions !== undefined) request.dimensions = dimensions;
  return { request, base64: body.encoding_format === 'base64' };
}

function paramsFromWire(body: Body): GenerationParams {
  const params: GenerationParams = {};
  const maxTokens = optionalNumber(body, 'max_tokens') ?? optionalNumber(body, 'max_completion_tokens');
  if (maxTokens !== undefined) params.maxTokens = maxTokens;
  const temperature = optionalNumber(body, 'temperature');
  if (temperature !== undefined) params.temperature = temperature;
  const topP = optionalNumber(body, 'top_p');
  if (topP !== undefined) params.topP = topP;
  const seed = optionalNumber(body, 'seed');
  if (seed !== undefined) params.seed = seed;
  if (typeof body.stop === 'string') params.stop = [body.stop];
  else if (Array.isArray(body.stop)) params.stop = body.stop.filter((s): s is string => typeof s === 'string');
  return params;
}

function messageFromWire(wire: unknown, i: number): ChatMessage {
  if (!isBody(wire) || typeof wire.role !== 'string') throw new WireRequestError(`messages[${i}]`, `messages[${i}] must be an object with a role`);
  const message: ChatMessage = { role: wire.role as ChatMessage['role'], content: '' };
  if (typeof wire.content === 'string') message.content = wire.content;
  else if (Array.isArray(wire.content)) {
    const parts: ContentPart[] = [];
    for (const part of wire.content) {
      if (!isBody(part)) continue;
      if (part.type === 'text' && typeof part.text === 'string') parts.push({ type: 'text', text: part.text });
      if (part.type === 'image_url' && isBody(part.image_url) && typeof part.image_url.url === 'string') {
        const detail = part.image_url.detail === 'low' || part.image_url.detail === 'high' ? part.image_url.detail : 'auto';
        parts.push({ type: 'image', url: part.image_url.url, detail });
      }
    }
    message.content = parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
    if (parts.some((p) => p.type === 'image')) message.parts = parts;
  }
  if (typeof wire.name === 'string') message.name = wire.name;
  if (typeof wire.tool_call_id === 'string') message.toolCallId = wire.tool_call_id;
  if (Array.isArray(wire.tool_calls)) {
    message.toolCalls = wire.tool_calls.filter(isBody).map((c) => {
      const fn = isBody(c.function) ? c.function : {};
      return { id: String(c.id ?? ''), name: String(fn.name ?? ''), arguments: String(fn.arguments ?? '') };
    });
  }
  return message;
}

function toolFromWire(wire: unknown, i: number): ToolDefinition {
  const fn = isBody(wire) && isBody(wire.function) ? wire.function : undefined;
  if (fn === undefined || typeof fn.name !== 'string') throw new WireRequestError(`tools[${i}]`, `tools[${i}] must be a function with a name`);
  const tool: ToolDefinition = { name: fn.name };
  if (typeof fn.description === 'string') tool.description = fn.description;
  if (isBody(fn.parameters)) tool.parameters = fn.parameters;
  if (typeof fn.strict === 'boolean') tool.strict = fn.strict;
  return tool;
}

function toolChoiceFromWire(wire: unknown): ToolChoice {
  if (wire === 'auto' || wire === 'none' || wire === 'required') return wire;
  if (isBody(wire) && isBody(wire.function) && typeof wire.function.name === 'string') return { name: wire.function.name };
  throw new WireRequestError('tool_choice', "'tool_choice' must be auto, none, required or a named function");
}

function formatFromWire(wire: Body): ResponseFormat {
  if (wire.type === 'json_object' || wire.type === 'text') return { type: wire.type };
  if (wire.type === 'json_schema' && isBody(wire.json_schema)) {
    const js = wire.json_schema;
    return { type: 'json_schema', name: String(js.name ?? 'response'), schema: isBody(js.schema) ? js.schema : {}, strict: js.strict === true };
  }
  throw new WireRequestError('response_format', "'response_format' must be text, json_object or json_schema");
}

function includeUsage(body: Body): boolean {
  return isBody(body.stream_options) && body.stream_options.include_usage === true;
}

function optionalNumber(body: Body, name: string): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new WireRequestError(name, `'${name}' must be a number`);
  return value;
}

function isBody(value: unknown): value is Body {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
