// The IPC messages between the backend (parent) and its model process (worker.ts). Plain JSON
// objects: the channel uses Node's default 'json' serialization.

import type { ChatMessage, FinishReason, GenerationParams, Usage } from '../../core/inference.js';

/** Parent → worker. */
export type WorkerCommand =
  | { type: 'load'; modelPath: string; threads: number; contextSize?: number }
  | { type: 'chat'; id: number; messages: ChatMessage[]; params: GenerationParams }
  /** Stops the request at once: decoding ends if it runs, it never starts if it is queued. */
  | { type: 'abort'; id: number }
  | { type: 'shutdown' };

/** Worker → parent. Every chat ends with exactly one of done, aborted, context-exceeded, failed. */
export type WorkerEvent =
  | { type: 'loaded'; name?: string; contextSize: number; chatWrapper: string }
  | { type: 'load-failed'; message: string }
  | { type: 'text'; id: number; text: string }
  | { type: 'done'; id: number; finishReason: FinishReason; usage: Usage }
  /** completionTokens: what was decoded before the stop (0 when it was still queued). */
  | { type: 'aborted'; id: number; completionTokens: number }
  | { type: 'context-exceeded'; id: number; promptTokens: number; contextSize: number }
  | { type: 'failed'; id: number; message: string };

/** Prefix of the worker's own stderr notes, so the parent can tell them from llama.cpp's. */
export const WORKER_NOTE_PREFIX = 'lapis-llama-worker:';
