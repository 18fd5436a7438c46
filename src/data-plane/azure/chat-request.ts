// Wire → canonical for POST …/chat/completions. Field names follow the 2024-10-21 spec
// (shared/specs/azure-openai-inference-2024-10-21-stable.json, createChatCompletionRequest)
// and OpenAI's newer additions that Azure accepts on later api-versions.

import type { ChatGenerationRequest, GenerationParams, ResponseFormat, ToolChoice, ToolDefinition } from '../../core/index.js';
import { dataPlaneErrors as errors } from '../../errors/index.js';
import { readMessages } from './chat-messages.js';
import {
  badValue, isObject, optBoolean, optInteger, optString, readSamplingParams, rejectUnknown, rejectUnsupported, withoutUnset,
  wrongType, type JsonObject,
} from './read.js';

const KNOWN = new Set([
  'messages', 'model', 'frequency_penalty', 'presence_penalty', 'logit_bias', 'logprobs', 'top_logprobs',
  'max_tokens', 'max_completion_tokens', 'n', 'response_format', 'seed', 'service_tier', 'stop', 'stream',
  'stream_options', 'temperature', 'top_p', 'tools', 'tool_choice', 'parallel_tool_calls', 'user',
  'function_call', 'functions', 'data_sources', 'user_security_context', 'store', 'metadata',
  'reasoning_effort', 'modalities', 'audio', 'prediction', 'web_search_options', 'prompt_cache_key',
  'safety_identifier', 'verbosity',
]);
// Parameters of the API that Lapis does not implement: named in a 400, never ignored.
const NOT_SUPPORTED = ['functions', 'function_call', 'data_sources', 'prediction', 'audio', 'web_search_options', 'reasoning_effort', 'verbosity'];

export type ChatCompletionRequest = Omit<ChatGenerationRequest, 'signal'> & {
  stream: boolean;
  includeUsage: boolean;
};

function readTools(value: unknown): ToolDefinition[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw wrongType('tools', 'an array', value);
  if (value.length > 128) throw badValue('tools', `expected at most 128 tools, but got ${value.length}.`);
  const names = new Set<string>();
  return value.map((tool, i) => {
    const at = `tools[${i}]`;
    if (!isObject(tool)) throw wrongType(at, 'an object', tool);
    rejectUnknown(tool, new Set(['type', 'function']), `${at}.`);
    if (tool.type !== 'function') throw badValue(`${at}.type`, `'${String(tool.type)}' is not supported; use 'function'.`);
    const fn = tool.function;
    if (!isObject(fn)) throw wrongType(`${at}.function`, 'an object', fn);
    rejectUnknown(fn, new Set(['name', 'description', 'parameters', 'strict']), `${at}.function.`);
    const name = optString(fn, 'name', `${at}.function.name`);
    if (!name || !/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
      throw badValue(`${at}.function.name`, 'a function name is 1 to 64 letters, digits, underscores or dashes.');
    }
    if (names.has(name)) throw badValue(`${at}.function.name`, `the function name '${name}' is used twice.`);
    names.add(name);
    if (fn.parameters !== undefined && fn.parameters !== null && !isObject(fn.parameters)) {
      throw wrongType(`${at}.function.parameters`, 'a JSON Schema object', fn.parameters);
    }
    const def: ToolDefinition = { name };
    const description = optString(fn, 'description', `${at}.function.description`);
    if (description !== undefined) def.description = description;
    if (isObject(fn.parameters)) def.parameters = fn.parameters;
    const strict = optBoolean(fn, 'strict', `${at}.function.strict`);
    if (strict !== undefined) def.strict = strict;
    return def;
  });
}

function readToolChoice(value: unknown, tools: ToolDefinition[] | undefined): ToolChoice | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'none' || value === 'auto' || value === 'required') {
    if (value !== 'none' && !tools) throw badValue('tool_choice', `'${value}' needs 'tools'.`);
    return value;
  }
  if (typeof value === 'string') throw badValue('tool_choice', `'${value}' is not one of none, auto, required.`);
  if (!isObject(value)) throw wrongType('tool_choice', 'a string or an object', value);
  rejectUnknown(value, new Set(['type', 'function']), 'tool_choice.');
  const fn = value.function;
  if (value.type !== 'function' || !isObject(fn) || typeof fn.name !== 'string') {
    throw badValue('tool_choice', "expected {\"type\":\"function\",\"function\":{\"name\":…}}.");
  }
  if (!tools?.some((t) => t.name === fn.name)) throw badValue('tool_choice', `the function '${fn.name}' is not in 'tools'.`);
  return { name: fn.name };
}

function readResponseFormat(value: unknown): ResponseFormat | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw wrongType('response_format', 'an object', value);
  if (value.type === 'text' || value.type === 'json_object') {
    rejectUnknown(value, new Set(['type']), 'response_format.');
    return { type: value.type };
  }
  if (value.type !== 'json_schema') throw badValue('response_format.type', `'${String(value.type)}' is not one of text, json_object, json_schema.`);
  rejectUnknown(value, new Set(['type', 'json_schema']), 'response_format.');
  const js = value.json_schema;
  if (!isObject(js)) {
    throw errors.invalidRequest('missing_required_parameter', "Missing required parameter: 'response_format.json_schema'.", 'response_format.json_schema');
  }
  rejectUnknown(js, new Set(['name', 'schema', 'strict', 'description']), 'response_format.json_schema.');
  const name = optString(js, 'name', 'response_format.json_schema.name');
  if (!name || !/^[a-zA-Z0-9_-]{1,64}$/.test(name)) {
    throw badValue('response_format.json_schema.name', 'a schema name is 1 to 64 letters, digits, underscores or dashes.');
  }
  if (js.schema !== undefined && !isObject(js.schema)) throw wrongType('response_format.json_schema.schema', 'a JSON Schema object', js.schema);
  const format: ResponseFormat = {
    type: 'json_schema',
    name,
    schema: (js.schema as JsonObject | undefined) ?? {},
    strict: optBoolean(js, 'strict', 'response_format.json_schema.strict') ?? false,
  };
  const description = optString(js, 'description', 'response_format.json_schema.description');
  if (description !== undefined) format.description = description;
  return format;
}

function readParams(body: JsonObject): GenerationParams {
  const maxTokens = optInteger(body, 'max_tokens', 1);
  const maxCompletionTokens = optInteger(body, 'max_completion_tokens', 1);
  if (maxTokens !== undefined && maxCompletionTokens !== undefined) {
    throw errors.invalidRequest('invalid_value', "Setting 'max_tokens' and 'max_completion_tokens' at the same time is not supported.", 'max_tokens');
  }
  const logprobs = optBoolean(body, 'logprobs') ?? false;
  const top = optInteger(body, 'top_logprobs', 0, 20);
  if (top !== undefined && !logprobs) throw badValue('top_logprobs', "'top_logprobs' needs 'logprobs' set to true.");
  return withoutUnset({
    ...readSamplingParams(body),
    maxTokens: maxCompletionTokens ?? maxTokens,
    logprobs: logprobs ? (top ?? 0) : undefined,
  });
}

export function readChatCompletionRequest(body: unknown): ChatCompletionRequest {
  if (!isObject(body)) throw errors.invalidRequest('invalid_type', 'The request body must be a JSON object.');
  rejectUnknown(body, KNOWN);
  rejectUnsupported(body, NOT_SUPPORTED, 'is not supported by Lapis.');
  if (body.store === true) rejectUnsupported(body, ['store'], '(stored completions) is not supported by Lapis.');
  if (Array.isArray(body.modalities) && body.modalities.some((m) => m !== 'text')) {
    throw errors.invalidRequest('unsupported_parameter', "Unsupported parameter: 'modalities' other than text are not supported by Lapis.", 'modalities');
  }
  const tools = readTools(body.tools);
  const request: ChatCompletionRequest = {
    messages: readMessages(body.messages),
    params: readParams(body),
    stream: optBoolean(body, 'stream') ?? false,
    includeUsage: false,
  };
  const n = optInteger(body, 'n', 1, 128);
  if (n !== undefined && n > 1) request.n = n;
  if (tools && tools.length > 0) request.tools = tools;
  const toolChoice = readToolChoice(body.tool_choice, tools);
  if (toolChoice !== undefined) request.toolChoice = toolChoice;
  const parallel = optBoolean(body, 'parallel_tool_calls');
  if (parallel !== undefined) request.parallelToolCalls = parallel;
  const format = readResponseFormat(body.response_format);
  if (format && format.type !== 'text') request.responseFormat = format;
  if (body.stream_options !== undefined && body.stream_options !== null) {
    if (!request.stream) throw badValue('stream_options', "'stream_options' is only allowed when 'stream' is true.");
    const so = body.stream_options;
    if (!isObject(so)) throw wrongType('stream_options', 'an object', so);
    rejectUnknown(so, new Set(['include_usage', 'include_obfuscation']), 'stream_options.');
    request.includeUsage = optBoolean(so, 'include_usage', 'stream_options.include_usage') ?? false;
  }
  return request;
}
