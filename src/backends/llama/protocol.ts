// The IPC messages between the backend (parent) and its model process (worker.ts). Plain JSON
// objects: the channel uses Node's default 'json' serialization. The parent has already checked
// and normalised every request (request-checks.ts); the worker only maps it onto node-llama-cpp.

import type { ChatMessage, FinishReason, GenerationParams, TokenLogprob, Usage } from '../../core/inference.js';

/** A function the model may call, in node-llama-cpp's shape (params: a grammar-ready schema). */
export interface WorkerFunction {
  description?: string;
  params?: Record<string, unknown>;
}

export interface WorkerChatRequest {
  messages: ChatMessage[];
  params: GenerationParams;
  n: number;
  /** Constrains text answers: any JSON object, or JSON valid against a (normalised) schema. */
  format?: { kind: 'json' } | { kind: 'schema'; schema: Record<string, unknown> };
  /**
   * Function calling. Absent: the model writes text. 'auto': it may call; 'required': it must
   * call one of `functions` (a named tool_choice arrives as 'required' with that one function).
   */
  tools?: { mode: 'auto' | 'required'; functions: Record<string, WorkerFunction>; maxCalls?: number };
}

export interface WorkerCompletionRequest {
  prompt: string | number[];
  params: GenerationParams;
  n: number;
  echo: boolean;
}

export interface LoadSettings {
  modelPath: string;
  threads: number;
  /** Tokens per sequence; undefined = the trained context up to a cap. */
  contextSize?: number;
  /** Context sequences decoded together in one batch. */
  parallel: number;
}

/** Parent → worker. */
export type WorkerCommand =
  /** Reads the file's metadata and estimates the memory a load with these settings takes. */
  | ({ type: 'estimate' } & LoadSettings)
  | ({ type: 'load' } & LoadSettings)
  | { type: 'chat'; id: number; request: WorkerChatRequest }
  | { type: 'complete'; id: number; request: WorkerCompletionRequest }
  | { type: 'embed'; id: number; input: (string | number[])[] }
  /** Tokens of each text in the model's tokenizer (no BOS, special-token text as plain text), summed. */
  | { type: 'count'; id: number; texts: string[] }
  /** Stops the request at once: decoding ends if it runs, it never starts if it is queued. */
  | { type: 'abort'; id: number }
  | { type: 'shutdown' };

export interface MemoryEstimate {
  /** Weights as loaded (node-llama-cpp's estimate for the CPU). */
  modelBytes: number;
  /** KV cache and compute buffers of the generation context (all sequences) and the embedding context. */
  contextBytes: number;
  /** The context size the estimate is for. */
  contextSize: number;
}

/**
 * Worker → parent. Every request ends with exactly one of end (generations), embedded,
 * counted, aborted, context-exceeded, unsupported, failed.
 */
export type WorkerEvent =
  | ({ type: 'estimated' } & MemoryEstimate)
  | { type: 'loaded'; name?: string; contextSize: number; chatWrapper: string; embeddingSize: number; vocabSize: number }
  | { type: 'load-failed'; message: string }
  | { type: 'text'; id: number; choice: number; text: string; logprobs?: TokenLogprob[] }
  | { type: 'tool_call'; id: number; choice: number; index: number; callId: string; name: string; arguments: string }
  | { type: 'done'; id: number; choice: number; finishReason: FinishReason }
  | { type: 'end'; id: number; usage: Usage }
  | { type: 'embedded'; id: number; embeddings: number[][]; promptTokens: number }
  | { type: 'counted'; id: number; tokens: number }
  /** completionTokens: what was decoded before the stop (0 when it was still queued). */
  | { type: 'aborted'; id: number; completionTokens: number }
  | { type: 'context-exceeded'; id: number; promptTokens: number; contextSize: number }
  | { type: 'unsupported'; id: number; param: string | null; message: string }
  | { type: 'failed'; id: number; message: string };

/** Prefix of the worker's own stderr notes, so the parent can tell them from llama.cpp's. */
export const WORKER_NOTE_PREFIX = 'lapis-llama-worker:';
