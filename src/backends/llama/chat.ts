// A chat request in the model process. Text answers (free, JSON or JSON-schema constrained)
// decode in the token loop, which also gives log-probabilities and logit bias; requests that let
// the model call tools go through node-llama-cpp's LlamaChat function calling (chat-tools.ts).
// The prompt is measured first, so an over-long one fails cleanly instead of triggering
// node-llama-cpp's context shift (which would silently drop messages).

import type { Token } from 'node-llama-cpp';
import { UnsupportedRequestError } from '../../core/errors.js';
import { toChatHistory } from './chat-history.js';
import { runToolChat } from './chat-tools.js';
import { runChoices, type Emitter, type RequestOutcome } from './choices.js';
import type { ModelHost } from './model-host.js';
import type { WorkerChatRequest } from './protocol.js';
import { choiceSampling } from './sampling.js';
import { resolveStops } from './stops.js';
import { alignSequence, runTokenLoop } from './token-loop.js';

/**
 * Room for sampled tokens after a prompt of `promptTokens`: the last sampled token is never fed
 * back, and one cell stays free (as LlamaChat keeps it, so both paths end at the same place).
 */
export function roomAfter(host: ModelHost, promptTokens: number): number {
  return host.contextSize - 1 - promptTokens;
}

export async function runChat(host: ModelHost, req: WorkerChatRequest, signal: AbortSignal, emit: Emitter): Promise<RequestOutcome> {
  const history = toChatHistory(req.messages);
  if (req.tools !== undefined) return runToolChat(host, req, history, signal, emit);

  const state = host.chatWrapper.generateContextState({ chatHistory: history });
  const prompt: Token[] = state.contextText.tokenize(host.model.tokenizer);
  const room = roomAfter(host, prompt.length);
  if (room < 1) return { kind: 'context-exceeded', promptTokens: prompt.length, contextSize: host.contextSize };
  const maxTokens = Math.min(req.params.maxTokens ?? room, room);
  const grammar =
    req.format === undefined
      ? undefined
      : await host.grammarFor(req.format).catch((err: unknown) => {
          // The schema passed the checks in the server, but node-llama-cpp could still refuse it (e.g. nesting too deep).
          throw new UnsupportedRequestError('response_format', `the schema cannot be turned into a grammar: ${err instanceof Error ? err.message : String(err)}`);
        });
  const stops = resolveStops(host.model, req.params.stop, [
    ...state.stopGenerationTriggers,
    ...(grammar?.stopGenerationTriggers ?? []),
  ]);

  return runChoices(req.n, prompt.length, signal, async (choice, choiceSignal) => {
    if (maxTokens <= 0) {
      emit.done(choice, 'length');
      return { completionTokens: 0, aborted: false };
    }
    return host.sequences.with(choiceSignal, async (sequence) => {
      const result = await runTokenLoop(host, {
        sequence,
        input: await alignSequence(sequence, prompt),
        before: prompt,
        maxTokens,
        sampling: choiceSampling(host.model, req.params, choice),
        grammar,
        stops,
        logprobs: req.params.logprobs,
        trimTrailingWhitespace: grammar?.trimWhitespaceSuffix ?? false,
        signal: choiceSignal,
        emit: (text, logprobs) => emit.text(choice, text, logprobs),
      });
      if (!result.aborted) emit.done(choice, result.finishReason);
      return result;
    });
  });
}
