// OpenAI-style messages onto node-llama-cpp's chat history, which the model's chat wrapper
// renders with its own template. Tool calls and their results become the wrapper's function call
// items (call + result inside the model's turn), so a tool round trip renders in the syntax the
// wrapper also uses to detect and constrain new calls.

import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelResponse } from 'node-llama-cpp';
import type { ChatMessage } from '../../core/inference.js';

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * `developer` is a system message (as OpenAI defines it). An assistant message's tool calls and
 * the `tool` messages answering them (matched by id) join the model's turn; a tool message that
 * answers no known call becomes user text. The history ends with the model turn to generate:
 * a new, empty one, or the current one when it ends with tool results (the model goes on after
 * the results, as the wrappers expect).
 */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  const calls = new Map<string, ChatModelFunctionCall>();
  let openTurn: ChatModelResponse | undefined;
  for (const m of messages) {
    switch (m.role) {
      case 'system':
      case 'developer':
        history.push({ type: 'system', text: m.content });
        openTurn = undefined;
        break;
      case 'user':
        history.push({ type: 'user', text: m.content });
        openTurn = undefined;
        break;
      case 'assistant': {
        const response: ChatModelResponse['response'] = m.content.length > 0 ? [m.content] : [];
        (m.toolCalls ?? []).forEach((call, i) => {
          const item: ChatModelFunctionCall = {
            type: 'functionCall',
            name: call.name,
            params: parseJson(call.arguments),
            result: null,
            startsNewChunk: i === 0,
          };
          calls.set(call.id, item);
          response.push(item);
        });
        // After tool results the assistant's next message continues the same turn.
        if (openTurn !== undefined) openTurn.response.push(...response);
        else {
          openTurn = { type: 'model', response };
          history.push(openTurn);
        }
        if ((m.toolCalls ?? []).length === 0) openTurn = undefined;
        break;
      }
      case 'tool': {
        const call = m.toolCallId === undefined ? undefined : calls.get(m.toolCallId);
        if (call !== undefined) {
          call.result = parseJson(m.content);
        } else {
          history.push({ type: 'user', text: m.content });
          openTurn = undefined;
        }
        break;
      }
    }
  }
  const last = history.at(-1);
  const continuesTurn = last?.type === 'model' && last === openTurn && lastIsCall(last);
  if (!continuesTurn) history.push({ type: 'model', response: [] });
  return history;
}

function lastIsCall(turn: ChatModelResponse): boolean {
  const item = turn.response.at(-1);
  return typeof item === 'object' && item.type === 'functionCall';
}
