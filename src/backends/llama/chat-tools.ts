// Chat with tools, on node-llama-cpp's LlamaChat function calling: the model's chat wrapper
// documents the functions in the prompt in the format the model knows, detects a call when the
// model starts one, and from there constrains the function name and its parameters by grammar
// (a JSON-schema grammar per function), so arguments always parse and validate.
// tool_choice 'required' (and a named tool, which arrives as 'required' with one function)
// forces the call at the start of the answer: the wrapper's state asks LlamaChat to enter
// function-calling mode before the model writes anything (its `noPrefixTrigger`).

import {
  LlamaChat,
  LlamaJsonSchemaValidationError,
  LlamaText,
  type ChatHistoryItem,
  type ChatModelFunctions,
  type ChatWrapper,
  type LLamaContextualRepeatPenalty,
  type LlamaContextSequence,
} from 'node-llama-cpp';
import type { FinishReason } from '../../core/inference.js';
import { newCallId, runChoices, type ChoiceResult, type Emitter, type RequestOutcome } from './choices.js';
import type { ModelHost } from './model-host.js';
import type { WorkerChatRequest } from './protocol.js';
import { choiceSampling, type ChoiceSampling } from './sampling.js';

/** The same wrapper, but every answer starts as a function call. */
export function forcingFunctionCall(wrapper: ChatWrapper): ChatWrapper {
  const forced = Object.create(wrapper) as ChatWrapper;
  forced.generateContextState = (options) => {
    const state = wrapper.generateContextState(options);
    return {
      contextText: state.contextText,
      stopGenerationTriggers: state.stopGenerationTriggers,
      noPrefixTrigger: { type: 'functionCall', inject: LlamaText(wrapper.settings.functions.call.prefix) },
    };
  };
  return forced;
}

function repeatPenalty(sampling: ChoiceSampling, maxTokens: number): LLamaContextualRepeatPenalty | false {
  if (sampling.presencePenalty === 0 && sampling.frequencyPenalty === 0) return false;
  return {
    penalty: 1,
    presencePenalty: sampling.presencePenalty,
    frequencyPenalty: sampling.frequencyPenalty,
    penalizeNewLine: true,
    lastTokens: Math.max(1, maxTokens),
  };
}

export async function runToolChat(
  host: ModelHost,
  req: WorkerChatRequest,
  history: ChatHistoryItem[],
  signal: AbortSignal,
  emit: Emitter,
): Promise<RequestOutcome> {
  const tools = req.tools!;
  const functions = tools.functions as ChatModelFunctions;
  const wrapper = tools.mode === 'required' ? forcingFunctionCall(host.chatWrapper) : host.chatWrapper;
  const state = host.chatWrapper.generateContextState({ chatHistory: history, availableFunctions: functions, documentFunctionParams: true });
  const promptTokens = state.contextText.tokenize(host.model.tokenizer).length;
  // As in chat.ts: LlamaChat context-shifts once the sequence reaches contextSize - 1.
  const room = host.contextSize - 1 - promptTokens;
  if (room < 1) return { kind: 'context-exceeded', promptTokens, contextSize: host.contextSize };
  const maxTokens = Math.min(req.params.maxTokens ?? room, room);

  return runChoices(req.n, promptTokens, signal, async (choice, choiceSignal) => {
    if (maxTokens <= 0) {
      emit.done(choice, 'length');
      return { completionTokens: 0, aborted: false };
    }
    const job: ToolJob = { host, wrapper, history, functions, maxCalls: tools.maxCalls, req, maxTokens, choice, signal: choiceSignal, emit };
    return host.sequences.with(choiceSignal, (sequence) => generateOne(job, sequence));
  });
}

interface ToolJob {
  host: ModelHost;
  wrapper: ChatWrapper;
  history: ChatHistoryItem[];
  functions: ChatModelFunctions;
  maxCalls: number | undefined;
  req: WorkerChatRequest;
  maxTokens: number;
  choice: number;
  signal: AbortSignal;
  emit: Emitter;
}

/**
 * Attempts at a call whose arguments hold up. node-llama-cpp's grammar lets a number carry an
 * exponent (an "integer" 12e-1, a number 7e400 that parses as Infinity) and counts a string's
 * characters differently from its own check of the parsed call; such a call is drawn again with
 * another seed, as long as no text of the answer has gone out yet.
 */
const CALL_ATTEMPTS = 3;

class InvalidCallError extends Error {}

/** node-llama-cpp's refusals of a parsed call (LlamaFunctionCallValidationError is not exported: it carries `callText`). */
function invalidCall(err: unknown): boolean {
  return (
    err instanceof InvalidCallError ||
    err instanceof LlamaJsonSchemaValidationError ||
    (err instanceof Error && 'callText' in err && 'functions' in err)
  );
}

function finite(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(finite);
  if (typeof value === 'object' && value !== null) return Object.values(value).every(finite);
  return true;
}

async function generateOne(job: ToolJob, sequence: LlamaContextSequence): Promise<ChoiceResult> {
  const { host, req, choice, signal, emit, maxTokens } = job;
  const sampling = choiceSampling(host.model, req.params, choice);
  // The meter counts one output per sampled token (each decode that asks for logits): every
  // attempt's tokens count, as they were computed.
  const outputBefore = sequence.tokenMeter.usedOutputTokens;
  const completionTokens = (): number => sequence.tokenMeter.usedOutputTokens - outputBefore;
  let textSent = false;
  for (let attempt = 0; ; attempt++) {
    const chat = new LlamaChat({ contextSequence: sequence, chatWrapper: job.wrapper });
    try {
      const response = await chat.generateResponse(job.history, {
        functions: job.functions,
        documentFunctionParams: true,
        maxParallelFunctionCalls: job.maxCalls,
        signal,
        stopOnAbortSignal: true,
        maxTokens,
        temperature: sampling.temperature,
        topP: sampling.topP,
        topK: sampling.topK,
        seed: (sampling.seed + attempt * 7919) % 2 ** 32,
        tokenBias: sampling.tokenBias,
        repeatPenalty: repeatPenalty(sampling, maxTokens),
        customStopTriggers: req.params.stop !== undefined && req.params.stop.length > 0 ? req.params.stop : undefined,
        onTextChunk: (text) => {
          if (text.length === 0) return;
          textSent = true;
          emit.text(choice, text);
        },
      });
      const { stopReason } = response.metadata;
      if (signal.aborted || stopReason === 'abort') return { completionTokens: completionTokens(), aborted: true };
      const calls = response.functionCalls ?? [];
      if (!calls.every((call) => finite(call.params))) throw new InvalidCallError('a call argument is not a finite number');
      calls.forEach((call, index) => {
        // Parsed and validated against the schema by node-llama-cpp; re-serialised they are the
        // arguments' canonical JSON text.
        emit.toolCall(choice, index, newCallId(), call.functionName, JSON.stringify(call.params ?? {}));
      });
      const finishReason: FinishReason = calls.length > 0 ? 'tool_calls' : stopReason === 'maxTokens' ? 'length' : 'stop';
      emit.done(choice, finishReason);
      return { completionTokens: completionTokens(), aborted: false };
    } catch (err) {
      // LlamaChat throws the signal's reason when aborted before its first token.
      if (signal.aborted) return { completionTokens: completionTokens(), aborted: true };
      if (!invalidCall(err) || textSent || attempt + 1 >= CALL_ATTEMPTS) throw err;
    } finally {
      chat.dispose();
    }
  }
}
