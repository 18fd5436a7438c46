// Wire → canonical for POST …/chat/completions. Field names follow the 2024-10-21 spec
// (shared/specs/azure-openai-inference-2024-10-21-stable.json, createChatCompletionRequest)
// and OpenAI's newer additions that Azure accepts on later api-versions.

import type { ChatMessage, ChatRole, GenerationParams } from '../../core/index.js';
import { dataPlaneErrors as errors } from '../../errors/index.js';
import {
  badValue, isObject, optBoolean, optInteger, optNumber, optStop, rejectUnknown, rejectUnsupported, wrongType,
  type JsonObject,
} from './read.js';

const KNOWN = new Set([
  'messages', 'model', 'frequency_penalty', 'presence_penalty', 'logit_bias', 'logprobs', 'top_logprobs',
  'max_tokens', 'max_completion_tokens', 'n', 'response_format', 'seed', 'service_tier', 'stop', 'stream',
  'stream_options', 'temperature', 'top_p', 'tools', 'tool_choice', 'parallel_tool_calls', 'user',
  'function_call', 'functions', 'data_sources', 'user_security_context', 'store', 'metadata',
  'reasoning_effort', 'modalities', 'audio', 'prediction', 'web_search_options', 'prompt_cache_key',
  'safety_identifier', 'verbosity',
]);
// Parameters of the API that this version of Lapis does not implement yet: named in a 400.
const NOT_YET = [
  'logit_bias', 'top_logprobs', 'response_format', 'tools', 'tool_choice', 'parallel_tool_calls', 'function_call',
  'functions', 'data_sources', 'prediction', 'audio', 'modalities', 'web_search_options', 'reasoning_effort',
];

export interface ChatCompletionRequest {
  messages: ChatMessage[];
  params: GenerationParams;
  stream: boolean;
  includeUsage: boolean;
}

const ROLE_MEMBERS: Record<string, ReadonlySet<string>> = {
  system: new Set(['role', 'content', 'name']),
  developer: new Set(['role', 'content', 'name']),
  user: new Set(['role', 'content', 'name']),
  assistant: new Set(['role', 'content', 'name', 'refusal', 'tool_calls', 'function_call', 'audio']),
  tool: new Set(['role', 'content', 'tool_call_id']),
};

function readContent(value: unknown, param: string, role: string): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) {
    if (role === 'assistant') return '';
    throw errors.invalidRequest('missing_required_parameter', `Missing required parameter: '${param}'.`, param);
  }
  if (!Array.isArray(value)) throw wrongType(param, 'a string or an array of content parts', value);
  const texts: string[] = [];
  value.forEach((part, i) => {
    const at = `${param}[${i}]`;
    if (!isObject(part)) throw wrongType(at, 'an object', part);
    if (part.type === 'text') {
      if (typeof part.text !== 'string') throw wrongType(`${at}.text`, 'a string', part.text);
      texts.push(part.text);
    } else if (part.type === 'refusal' && role === 'assistant') {
      if (typeof part.refusal !== 'string') throw wrongType(`${at}.refusal`, 'a string', part.refusal);
    } else if (part.type === 'image_url' || part.type === 'input_audio' || part.type === 'file') {
      throw errors.invalidRequest(
        'invalid_value',
        `Invalid content type. ${part.type} is only supported by models that accept it; this deployment serves a text-only model.`,
        `${at}.type`,
      );
    } else {
      throw badValue(`${at}.type`, `'${String(part.type)}' is not a content part type.`);
    }
  });
  return texts.join('\n');
}

function readMessages(value: unknown): ChatMessage[] {
  if (value === undefined || value === null) {
    throw errors.invalidRequest('missing_required_parameter', "Missing required parameter: 'messages'.", 'messages');
  }
  if (!Array.isArray(value)) throw wrongType('messages', 'an array', value);
  if (value.length === 0) throw badValue('messages', 'expected an array with at least 1 message, but got an empty array instead.');
  return value.map((m, i): ChatMessage => {
    const at = `messages[${i}]`;
    if (!isObject(m)) throw wrongType(at, 'an object', m);
    const role = m.role;
    if (typeof role !== 'string') throw errors.invalidRequest('missing_required_parameter', `Missing required parameter: '${at}.role'.`, `${at}.role`);
    const members = ROLE_MEMBERS[role];
    if (!members) throw badValue(`${at}.role`, `'${role}' is not one of system, developer, user, assistant, tool.`);
    rejectUnknown(m, members, `${at}.`);
    if (m.tool_calls != null || m.function_call != null || role === 'tool') {
      throw errors.invalidRequest('unsupported_parameter', `Unsupported parameter: tool calls in '${at}' are not supported by this deployment yet.`, at);
    }
    const message: ChatMessage = { role: role as ChatRole, content: readContent(m.content, `${at}.content`, role) };
    if (typeof m.name === 'string') message.name = m.name;
    else if (m.name !== undefined && m.name !== null) throw wrongType(`${at}.name`, 'a string', m.name);
    return message;
  });
}

export function readChatCompletionRequest(body: unknown): ChatCompletionRequest {
  if (!isObject(body)) throw errors.invalidRequest('invalid_type', 'The request body must be a JSON object.');
  rejectUnknown(body, KNOWN);
  rejectUnsupported(body, NOT_YET, 'is not supported by this deployment yet.');
  if (body.logprobs === true) rejectUnsupported(body, ['logprobs'], 'is not supported by this deployment yet.');
  optBoolean(body, 'logprobs');
  const n = optInteger(body, 'n', 1, 128);
  if (n !== undefined && n > 1) rejectUnsupported(body, ['n'], 'greater than 1 is not supported by this deployment yet.');

  const maxTokens = optInteger(body, 'max_tokens', 1);
  const maxCompletionTokens = optInteger(body, 'max_completion_tokens', 1);
  if (maxTokens !== undefined && maxCompletionTokens !== undefined) {
    throw errors.invalidRequest('invalid_value', "Setting 'max_tokens' and 'max_completion_tokens' at the same time is not supported.", 'max_tokens');
  }
  const params: GenerationParams = {
    maxTokens: maxCompletionTokens ?? maxTokens,
    temperature: optNumber(body, 'temperature', 0, 2),
    topP: optNumber(body, 'top_p', 0, 1),
    presencePenalty: optNumber(body, 'presence_penalty', -2, 2),
    frequencyPenalty: optNumber(body, 'frequency_penalty', -2, 2),
    seed: optInteger(body, 'seed', Number.MIN_SAFE_INTEGER),
    stop: optStop(body),
  };
  const stream = optBoolean(body, 'stream') ?? false;
  let includeUsage = false;
  if (body.stream_options !== undefined && body.stream_options !== null) {
    if (!stream) throw badValue('stream_options', "'stream_options' is only allowed when 'stream' is true.");
    const so = body.stream_options as JsonObject;
    if (!isObject(so)) throw wrongType('stream_options', 'an object', so);
    rejectUnknown(so, new Set(['include_usage', 'include_obfuscation']), 'stream_options.');
    includeUsage = optBoolean(so, 'include_usage') ?? false;
  }
  return { messages: readMessages(body.messages), params, stream, includeUsage };
}
