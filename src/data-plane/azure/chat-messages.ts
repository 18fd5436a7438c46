// Chat messages, wire → canonical: roles, content as text or parts, assistant tool calls and
// tool results. Every member a role does not have is refused by name.

import type { ChatMessage, ChatRole, ContentPart, ToolCall } from '../../core/index.js';
import { dataPlaneErrors as errors } from '../../errors/index.js';
import { badValue, isObject, optString, rejectUnknown, wrongType } from './read.js';

const ROLE_MEMBERS: Record<string, ReadonlySet<string>> = {
  system: new Set(['role', 'content', 'name']),
  developer: new Set(['role', 'content', 'name']),
  user: new Set(['role', 'content', 'name']),
  assistant: new Set(['role', 'content', 'name', 'refusal', 'tool_calls', 'function_call', 'audio']),
  tool: new Set(['role', 'content', 'tool_call_id']),
};

function missing(param: string): Error {
  return errors.invalidRequest('missing_required_parameter', `Missing required parameter: '${param}'.`, param);
}

interface Content {
  text: string;
  parts?: ContentPart[];
}

function readImage(part: Record<string, unknown>, at: string): ContentPart {
  rejectUnknown(part, new Set(['type', 'image_url']), `${at}.`);
  const image = part.image_url;
  if (!isObject(image)) throw wrongType(`${at}.image_url`, 'an object', image);
  rejectUnknown(image, new Set(['url', 'detail']), `${at}.image_url.`);
  const url = optString(image, 'url', `${at}.image_url.url`);
  if (!url) throw missing(`${at}.image_url.url`);
  const detail = image.detail ?? 'auto';
  if (detail !== 'auto' && detail !== 'low' && detail !== 'high') throw badValue(`${at}.image_url.detail`, `'${String(detail)}' is not one of auto, low, high.`);
  return { type: 'image', url, detail };
}

function readContent(value: unknown, param: string, role: string): Content {
  if (typeof value === 'string') return { text: value };
  if (value === null || value === undefined) {
    if (role === 'assistant') return { text: '' };
    throw missing(param);
  }
  if (!Array.isArray(value)) throw wrongType(param, 'a string or an array of content parts', value);
  const parts: ContentPart[] = [];
  value.forEach((part, i) => {
    const at = `${param}[${i}]`;
    if (!isObject(part)) throw wrongType(at, 'an object', part);
    if (part.type === 'text') {
      rejectUnknown(part, new Set(['type', 'text']), `${at}.`);
      if (typeof part.text !== 'string') throw wrongType(`${at}.text`, 'a string', part.text);
      parts.push({ type: 'text', text: part.text });
    } else if (part.type === 'refusal' && role === 'assistant') {
      if (typeof part.refusal !== 'string') throw wrongType(`${at}.refusal`, 'a string', part.refusal);
    } else if (part.type === 'image_url' && role === 'user') {
      parts.push(readImage(part, at));
    } else if (part.type === 'input_audio' || part.type === 'file') {
      throw errors.invalidRequest('invalid_value', `Invalid content type. ${part.type} is not supported by Lapis.`, `${at}.type`);
    } else {
      throw badValue(`${at}.type`, `'${String(part.type)}' is not a content part type of a ${role} message.`);
    }
  });
  const text = parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('\n');
  return parts.some((p) => p.type !== 'text') ? { text, parts } : { text };
}

function readToolCalls(value: unknown, at: string): ToolCall[] {
  if (!Array.isArray(value)) throw wrongType(`${at}.tool_calls`, 'an array', value);
  return value.map((call, j) => {
    const p = `${at}.tool_calls[${j}]`;
    if (!isObject(call)) throw wrongType(p, 'an object', call);
    rejectUnknown(call, new Set(['id', 'type', 'function']), `${p}.`);
    const fn = call.function;
    if (call.type !== 'function' || !isObject(fn)) throw badValue(p, "expected {\"id\",\"type\":\"function\",\"function\":{\"name\",\"arguments\"}}.");
    rejectUnknown(fn, new Set(['name', 'arguments']), `${p}.function.`);
    const id = optString(call, 'id', `${p}.id`);
    const name = optString(fn, 'name', `${p}.function.name`);
    const args = optString(fn, 'arguments', `${p}.function.arguments`);
    if (!id) throw missing(`${p}.id`);
    if (!name) throw missing(`${p}.function.name`);
    return { id, name, arguments: args ?? '{}' };
  });
}

export function readMessages(value: unknown): ChatMessage[] {
  if (value === undefined || value === null) throw missing('messages');
  if (!Array.isArray(value)) throw wrongType('messages', 'an array', value);
  if (value.length === 0) throw badValue('messages', 'expected an array with at least 1 message, but got an empty array instead.');
  const callIds = new Set<string>();
  return value.map((m, i): ChatMessage => {
    const at = `messages[${i}]`;
    if (!isObject(m)) throw wrongType(at, 'an object', m);
    const role = m.role;
    if (typeof role !== 'string') throw missing(`${at}.role`);
    const members = ROLE_MEMBERS[role];
    if (!members) throw badValue(`${at}.role`, `'${role}' is not one of system, developer, user, assistant, tool.`);
    rejectUnknown(m, members, `${at}.`);
    if (m.function_call != null || m.audio != null) {
      throw errors.invalidRequest('unsupported_parameter', `Unsupported parameter: '${at}.${m.function_call != null ? 'function_call' : 'audio'}' is not supported by Lapis; use tool_calls.`, at);
    }
    const content = readContent(m.content, `${at}.content`, role);
    const message: ChatMessage = { role: role as ChatRole, content: content.text };
    if (content.parts) message.parts = content.parts;
    const name = optString(m, 'name', `${at}.name`);
    if (name !== undefined) message.name = name;
    if (role === 'assistant' && m.tool_calls != null) {
      message.toolCalls = readToolCalls(m.tool_calls, at);
      for (const call of message.toolCalls) callIds.add(call.id);
    }
    if (role === 'tool') {
      const id = optString(m, 'tool_call_id', `${at}.tool_call_id`);
      if (!id) throw missing(`${at}.tool_call_id`);
      if (!callIds.has(id)) {
        throw badValue(`${at}.tool_call_id`, `'${id}' does not answer a tool call of an earlier assistant message.`);
      }
      message.toolCallId = id;
    }
    return message;
  });
}
