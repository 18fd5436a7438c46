// What a llama model can serve, checked in the server before a request reaches the model
// process, and the request in the worker's terms. Refusals are UnsupportedRequestError naming the
// wire parameter. Token ids are checked against the vocabulary: llama.cpp asserts (and aborts
// the process) on an id it does not have.

import { UnsupportedRequestError } from '../../core/errors.js';
import type {
  ChatGenerationRequest,
  CompletionRequest,
  EmbeddingRequest,
  GenerationParams,
  JsonSchema,
  ToolDefinition,
} from '../../core/inference.js';
import { SchemaNotSupportedError, toGrammarSchema } from './json-schema.js';
import type { WorkerChatRequest, WorkerCompletionRequest, WorkerFunction } from './protocol.js';

export interface ModelFacts {
  vocabSize: number;
  embeddingSize: number;
}

/** OpenAI's limits. */
const MAX_N = 128;
const MAX_TOP_LOGPROBS = 20;

function refuse(param: string, message: string): never {
  throw new UnsupportedRequestError(param, message);
}

function isCount(value: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): boolean {
  return value === undefined || (Number.isInteger(value) && value >= min && value <= max);
}

function checkTokens(tokens: readonly number[], facts: ModelFacts, param: string): void {
  if (tokens.length === 0) refuse(param, `${param} must not be an empty list of tokens`);
  const bad = tokens.find((t) => !Number.isInteger(t) || t < 0 || t >= facts.vocabSize);
  if (bad !== undefined) refuse(param, `${param} holds token ${bad}, which is not in this model's vocabulary of ${facts.vocabSize} tokens`);
}

function checkParams(params: GenerationParams, n: number | undefined, facts: ModelFacts, logprobsParam: string): GenerationParams {
  if (!isCount(n, 1, MAX_N)) refuse('n', `n must be an integer from 1 to ${MAX_N}`);
  if (!isCount(params.maxTokens, 0)) refuse('max_tokens', 'max_tokens must be a non-negative integer');
  if (!isCount(params.logprobs, 0, MAX_TOP_LOGPROBS)) {
    refuse(logprobsParam, `${logprobsParam} must be an integer from 0 to ${MAX_TOP_LOGPROBS}`);
  }
  for (const [id, bias] of Object.entries(params.logitBias ?? {})) {
    const token = Number(id);
    if (!Number.isInteger(token) || token < 0 || token >= facts.vocabSize) {
      refuse('logit_bias', `logit_bias names token ${JSON.stringify(id)}, which is not in this model's vocabulary of ${facts.vocabSize} tokens`);
    }
    if (!Number.isFinite(bias) || bias < -100 || bias > 100) refuse('logit_bias', `logit_bias values must be from -100 to 100, got ${bias}`);
  }
  // `user` is for the audit log only and never reaches a model.
  const { user: _user, ...rest } = params;
  return { ...rest, stop: params.stop?.filter((s) => s.length > 0) };
}

function grammarSchema(schema: JsonSchema, param: string, where: string): Record<string, unknown> {
  try {
    return toGrammarSchema(schema);
  } catch (err) {
    if (err instanceof SchemaNotSupportedError) {
      refuse(param, `${where} uses what constrained decoding on a llama model cannot enforce: ${err.message}`);
    }
    throw err;
  }
}

function toolFunctions(tools: readonly ToolDefinition[]): Record<string, WorkerFunction> {
  const functions: Record<string, WorkerFunction> = {};
  tools.forEach((tool, i) => {
    functions[tool.name] = {
      ...(tool.description === undefined ? {} : { description: tool.description }),
      ...(tool.parameters === undefined ? {} : { params: grammarSchema(tool.parameters, 'tools', `tools[${i}].function.parameters`) }),
    };
  });
  return functions;
}

export function toWorkerChat(request: ChatGenerationRequest, facts: ModelFacts): WorkerChatRequest {
  const params = checkParams(request.params, request.n, facts, 'top_logprobs');
  if (request.messages.some((m) => m.parts?.some((part) => part.type !== 'text'))) {
    refuse('messages', 'this llama model reads text only; image parts are not supported');
  }
  // Only the text reaches the model process.
  const messages = request.messages.map(({ parts: _parts, ...message }) => message);
  const out: WorkerChatRequest = { messages, params, n: request.n ?? 1 };
  const format = request.responseFormat;
  if (format?.type === 'json_object') out.format = { kind: 'json' };
  else if (format?.type === 'json_schema') {
    out.format = { kind: 'schema', schema: grammarSchema(format.schema, 'response_format', 'response_format.json_schema.schema') };
  }

  const tools = request.tools ?? [];
  const choice = request.toolChoice ?? 'auto';
  if (tools.length === 0) {
    if (choice !== 'auto' && choice !== 'none') refuse('tool_choice', 'tool_choice requires tools');
    return out;
  }
  if (choice === 'none') return out;
  const maxCalls = request.parallelToolCalls === false ? 1 : undefined;
  if (typeof choice === 'object') {
    const named = tools.find((t) => t.name === choice.name);
    if (named === undefined) refuse('tool_choice', `tool_choice names ${JSON.stringify(choice.name)}, which is not among the tools`);
    // Only the named function is offered, and a call is forced: the model can only call it.
    out.tools = { mode: 'required', functions: toolFunctions([named]), maxCalls };
    return out;
  }
  out.tools = { mode: choice, functions: toolFunctions(tools), maxCalls };
  if (choice === 'auto') {
    // node-llama-cpp's function calling decodes text answers without a grammar and without
    // token probabilities; with a forced call there is no text to constrain or score.
    if (out.format !== undefined) {
      refuse('response_format', 'response_format cannot be combined with tools under tool_choice "auto" on a llama model');
    }
    if (params.logprobs !== undefined) refuse('logprobs', 'logprobs cannot be combined with tools under tool_choice "auto" on a llama model');
  }
  return out;
}

export function toWorkerCompletion(request: CompletionRequest, facts: ModelFacts): WorkerCompletionRequest {
  const params = checkParams(request.params, request.n, facts, 'logprobs');
  if (typeof request.prompt !== 'string') checkTokens(request.prompt, facts, 'prompt');
  return { prompt: request.prompt, params, n: request.n ?? 1, echo: request.echo ?? false };
}

export function checkEmbedding(request: EmbeddingRequest, facts: ModelFacts): void {
  if (request.input.length === 0) refuse('input', 'input must not be empty');
  for (const item of request.input) {
    if (typeof item === 'string') {
      if (item.length === 0) refuse('input', 'input must not contain empty strings');
    } else checkTokens(item, facts, 'input');
  }
  if (request.dimensions !== undefined && request.dimensions !== facts.embeddingSize) {
    // GGUF models are not trained for shortened (Matryoshka) embeddings: a cut vector would be
    // a different, worse embedding, so only the native size is served.
    refuse('dimensions', `this model's embeddings have ${facts.embeddingSize} dimensions; dimensions must be ${facts.embeddingSize} or left out`);
  }
}
