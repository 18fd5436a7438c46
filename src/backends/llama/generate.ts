// One chat request on a loaded model: the canonical request mapped onto node-llama-cpp's
// LlamaChat, with the prompt measured first so that an over-long prompt fails cleanly instead
// of triggering node-llama-cpp's context shift (which would silently drop messages).
// Runs inside the model process (worker.ts).

import { randomInt } from 'node:crypto';
import type {
  ChatHistoryItem,
  ChatWrapper,
  LLamaContextualRepeatPenalty,
  LlamaChat,
  LlamaContextSequence,
  LlamaModel,
} from 'node-llama-cpp';
import type { ChatMessage, FinishReason, GenerationParams, Usage } from '../../core/inference.js';

export interface LoadedModel {
  model: LlamaModel;
  sequence: LlamaContextSequence;
  chat: LlamaChat;
  chatWrapper: ChatWrapper;
  contextSize: number;
}

export type GenerationOutcome =
  | { kind: 'done'; finishReason: FinishReason; usage: Usage }
  | { kind: 'aborted'; completionTokens: number }
  | { kind: 'context-exceeded'; promptTokens: number; contextSize: number };

/**
 * The canonical roles onto node-llama-cpp's history. `developer` is a system message (as
 * OpenAI defines it); `tool` results become user turns, since the chat wrappers only render
 * system/user/model text. An empty model turn at the end asks for the assistant's reply.
 */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m): ChatHistoryItem => {
    switch (m.role) {
      case 'system':
      case 'developer':
        return { type: 'system', text: m.content };
      case 'assistant':
        return { type: 'model', response: [m.content] };
      case 'user':
      case 'tool':
        return { type: 'user', text: m.content };
    }
  });
  history.push({ type: 'model', response: [] });
  return history;
}

/** Prompt size in the model's own tokens, rendered exactly as LlamaChat will render it. */
export function countPromptTokens(loaded: LoadedModel, history: readonly ChatHistoryItem[]): number {
  const { contextText } = loaded.chatWrapper.generateContextState({ chatHistory: history });
  return contextText.tokenize(loaded.model.tokenizer).length;
}

/**
 * OpenAI's presence/frequency penalties have llama.cpp's semantics already (logit -= present +
 * count·frequency, negative values allowed), so they pass through; the multiplicative repeat
 * penalty stays off (1). The window covers the whole completion, as OpenAI counts "so far".
 */
function repeatPenalty(params: GenerationParams, maxTokens: number): LLamaContextualRepeatPenalty | false {
  const presencePenalty = params.presencePenalty ?? 0;
  const frequencyPenalty = params.frequencyPenalty ?? 0;
  if (presencePenalty === 0 && frequencyPenalty === 0) return false;
  return { penalty: 1, presencePenalty, frequencyPenalty, penalizeNewLine: true, lastTokens: Math.max(1, maxTokens) };
}

export async function generate(
  loaded: LoadedModel,
  messages: readonly ChatMessage[],
  params: GenerationParams,
  signal: AbortSignal,
  onText: (text: string) => void,
): Promise<GenerationOutcome> {
  const history = toChatHistory(messages);
  const promptTokens = countPromptTokens(loaded, history);
  const { contextSize } = loaded;
  // LlamaChat keeps one cell free and context-shifts once the sequence reaches contextSize - 1:
  // the prompt needs contextSize - 2 tokens at most, and leaves room for contextSize - 1 - prompt
  // sampled tokens (the last sampled token is never fed back).
  const room = contextSize - 1 - promptTokens;
  if (room < 1) return { kind: 'context-exceeded', promptTokens, contextSize };
  const maxTokens = Math.min(params.maxTokens ?? room, room);
  if (signal.aborted) return { kind: 'aborted', completionTokens: 0 };
  if (maxTokens <= 0) {
    return { kind: 'done', finishReason: 'length', usage: { promptTokens, completionTokens: 0 } };
  }

  // The meter counts one output per sampled token (each decode that asks for logits), so
  // completion tokens include the end token or the tokens of a stop string that was withheld.
  const meter = loaded.sequence.tokenMeter;
  const outputBefore = meter.usedOutputTokens;
  const completionTokens = (): number => meter.usedOutputTokens - outputBefore;
  let stopReason: string;
  try {
    const response = await loaded.chat.generateResponse(history, {
      signal,
      stopOnAbortSignal: true,
      maxTokens,
      // OpenAI's defaults (temperature 1, top_p 1, no top-k) rather than node-llama-cpp's (greedy).
      temperature: params.temperature ?? 1,
      topP: params.topP ?? 1,
      topK: 0,
      // Without a seed node-llama-cpp seeds from the clock in seconds: requests in the same
      // second would then draw the same text.
      seed: params.seed ?? randomInt(2 ** 31),
      customStopTriggers: params.stop !== undefined && params.stop.length > 0 ? params.stop : undefined,
      repeatPenalty: repeatPenalty(params, maxTokens),
      onTextChunk: (text) => {
        if (text.length > 0) onText(text);
      },
    });
    stopReason = response.metadata.stopReason;
  } catch (err) {
    // LlamaChat throws the signal's reason when aborted before its first token.
    if (signal.aborted) return { kind: 'aborted', completionTokens: completionTokens() };
    throw err;
  }
  if (signal.aborted || stopReason === 'abort') return { kind: 'aborted', completionTokens: completionTokens() };
  return {
    kind: 'done',
    finishReason: stopReason === 'maxTokens' ? 'length' : 'stop',
    usage: { promptTokens, completionTokens: completionTokens() },
  };
}
