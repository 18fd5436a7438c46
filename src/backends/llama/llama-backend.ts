// The embedded llama.cpp backend: each loaded GGUF model lives in its own supervised child
// process (worker.ts), so a model that crashes llama.cpp fails its deployment, not the server.
// Models share a memory budget (pool.ts): an idle model may be unloaded to make room for
// another, and is loaded again, transparently, by its next request.

import { basename, extname } from 'node:path';
import {
  BackendUnavailableError,
  ContextLengthExceededError,
  ModelLoadError,
  UnsupportedRequestError,
} from '../../core/errors.js';
import type {
  BackendCapabilities,
  BackendLoadOptions,
  ChatGenerationRequest,
  CompletionRequest,
  EmbeddingRequest,
  EmbeddingResult,
  GenerationEvent,
  InferenceBackend,
} from '../../core/inference.js';
import type { LlamaBackendSpec } from '../../core/resources.js';
import { assertGgufFile } from './gguf-file.js';
import { ModelClient, type LoadedInfo, type RequestBody, type RequestEvent } from './model-client.js';
import { sharedPool } from './pool.js';
import type { LoadSettings } from './protocol.js';
import { checkEmbedding, toWorkerChat, toWorkerCompletion, type ModelFacts } from './request-checks.js';
import { ResidentModel } from './resident-model.js';

export interface LlamaLoadOptions extends BackendLoadOptions {
  /** CPU threads for decoding; set it explicitly (llama.cpp's default oversubscribes). */
  threads: number;
  /** Context window per sequence when the spec sets none; default: the trained context up to 8192, shrunk to fit in RAM. */
  contextSize?: number;
  /** Memory budget of all llama models of this process (default: 75% of RAM); the latest load sets it. */
  memoryBudgetBytes?: number;
}

export interface LlamaBackend extends InferenceBackend {
  /** The context window of each sequence, in tokens. */
  readonly contextSize: number;
  /** node-llama-cpp's chat wrapper picked from the model's template (e.g. "ChatML"). */
  readonly chatWrapper: string;
  /** The model process's id while loaded, for operators (and tests that crash it on purpose). */
  readonly pid: number | undefined;
  /** Whether the model is in memory now (false after the pool unloaded it to make room). */
  readonly resident: boolean;
  /** Estimated memory while loaded: weights, KV caches and the model process. */
  readonly memoryBytes: number;
}

/** Requests decoded together when the spec does not say. */
const DEFAULT_PARALLEL = 4;
/** Token counts are one quick native call: nothing cancels them. */
const NEVER_ABORTED = new AbortController().signal;
/** A model process's own footprint (Node and the llama.cpp runtime): ~110 MB RSS measured with a tiny model. */
const PROCESS_OVERHEAD_BYTES = 96 * 1024 * 1024;

/**
 * Loads a GGUF model into a new model process. Rejects with ModelLoadError when the file is
 * missing or not GGUF (checked before forking), when it cannot fit in the memory budget even
 * alone, or when llama.cpp fails or aborts on it.
 */
export async function loadLlamaBackend(spec: LlamaBackendSpec, options: LlamaLoadOptions): Promise<LlamaBackend> {
  if (!Number.isInteger(options.threads) || options.threads < 1) {
    throw new ModelLoadError(`threads must be a positive integer, got ${options.threads}`);
  }
  const parallel = spec.parallel ?? DEFAULT_PARALLEL;
  if (!Number.isInteger(parallel) || parallel < 1) throw new ModelLoadError(`parallel must be a positive integer, got ${parallel}`);
  await assertGgufFile(spec.modelPath);
  if (options.memoryBudgetBytes !== undefined) sharedPool.budgetBytes = options.memoryBudgetBytes;
  const settings: LoadSettings = {
    modelPath: spec.modelPath,
    threads: options.threads,
    contextSize: spec.contextSize ?? options.contextSize,
    parallel,
  };
  const client = ModelClient.start(spec.modelPath);
  let backend: PooledLlamaBackend | undefined;
  try {
    const estimate = await client.estimate(settings);
    backend = new PooledLlamaBackend(settings, estimate.modelBytes + estimate.contextBytes + PROCESS_OVERHEAD_BYTES, options.onFailure);
    await sharedPool.admit(backend.model);
    backend.model.attach(client, await client.load(settings));
    return backend;
  } catch (err) {
    if (backend !== undefined) sharedPool.leave(backend.model);
    await client.stop();
    throw err;
  }
}

class PooledLlamaBackend implements LlamaBackend {
  readonly model: ResidentModel;

  constructor(settings: LoadSettings, memoryBytes: number, onFailure: (reason: string) => void) {
    this.model = new ResidentModel(settings, memoryBytes, sharedPool, onFailure, () => this.modelId);
  }

  private get info(): LoadedInfo {
    return this.model.info!;
  }

  get modelId(): string {
    const name = this.info.name?.trim();
    return name !== undefined && name.length > 0 ? name : basename(this.model.label, extname(this.model.label));
  }

  get chatWrapper(): string {
    return this.info.chatWrapper;
  }

  get contextSize(): number {
    return this.info.contextSize;
  }

  get memoryBytes(): number {
    return this.model.bytes;
  }

  get pid(): number | undefined {
    return this.model.pid;
  }

  get resident(): boolean {
    return this.model.resident;
  }

  get capabilities(): BackendCapabilities {
    return {
      chat: true,
      completions: true,
      embeddings: true,
      tools: true,
      jsonSchema: true,
      logprobs: true,
      // Text-only models; multimodal GGUFs (a separate projector file) are not loaded.
      vision: false,
      contextSize: this.info.contextSize,
      embeddingDimensions: this.info.embeddingSize,
    };
  }

  private get facts(): ModelFacts {
    return { vocabSize: this.info.vocabSize, embeddingSize: this.info.embeddingSize };
  }

  chat(request: ChatGenerationRequest): AsyncIterable<GenerationEvent> {
    return this.generate(() => ({ type: 'chat', request: toWorkerChat(request, this.facts) }), request.signal);
  }

  complete(request: CompletionRequest): AsyncIterable<GenerationEvent> {
    return this.generate(() => ({ type: 'complete', request: toWorkerCompletion(request, this.facts) }), request.signal);
  }

  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    this.model.assertAvailable();
    checkEmbedding(request, this.facts);
    const event = await this.ask({ type: 'embed', input: request.input }, 'embedded', request.signal);
    return { embeddings: event.embeddings, promptTokens: event.promptTokens };
  }

  /**
   * Counted by the model process with the model's own tokenizer, so admission estimates what
   * usage will report. Like any request it reloads a model the pool unloaded: the request it
   * estimates is about to need the model anyway.
   */
  async countTokens(texts: string[]): Promise<number> {
    this.model.assertAvailable();
    return (await this.ask({ type: 'count', texts }, 'counted', NEVER_ABORTED)).tokens;
  }

  close(): Promise<void> {
    return this.model.close();
  }

  /**
   * Streams a generation. When the signal aborts, the worker stops decoding and the iteration
   * ends at once, quietly (no error, no further events): the caller asked for it.
   */
  private async *generate(command: () => Extract<RequestBody, { type: 'chat' | 'complete' }>, signal: AbortSignal): AsyncGenerator<GenerationEvent> {
    this.model.assertAvailable();
    const request = command(); // refuses what the model cannot serve before anything is queued
    if (signal.aborted) return;
    const client = await this.model.lease(signal).catch((err: unknown) => {
      if (signal.aborted) return undefined;
      throw err;
    });
    if (client === undefined) return;
    try {
      for await (const event of client.request(request, signal)) {
        switch (event.type) {
          case 'text':
            yield { type: 'text', choice: event.choice, text: event.text, ...(event.logprobs === undefined ? {} : { logprobs: event.logprobs }) };
            break;
          case 'tool_call':
            yield { type: 'tool_call', choice: event.choice, index: event.index, id: event.callId, name: event.name, arguments: event.arguments };
            break;
          case 'done':
            yield { type: 'done', choice: event.choice, finishReason: event.finishReason };
            break;
          case 'end':
            yield { type: 'usage', usage: event.usage };
            return;
          case 'aborted':
            return;
          default:
            this.raise(event);
        }
      }
    } finally {
      this.model.release();
    }
  }

  /** One request answered by a single event of type `answer`; anything else is raised. */
  private async ask<T extends 'embedded' | 'counted'>(
    command: Extract<RequestBody, { type: 'embed' | 'count' }>,
    answer: T,
    signal: AbortSignal,
  ): Promise<Extract<RequestEvent, { type: T }>> {
    const client = await this.model.lease(signal);
    try {
      for await (const event of client.request(command, signal)) {
        if (event.type === answer) return event as Extract<RequestEvent, { type: T }>;
        this.raise(event);
      }
      signal.throwIfAborted();
      throw new BackendUnavailableError(`model ${this.modelId} ended the request without an answer`);
    } finally {
      this.model.release();
    }
  }

  private raise(event: RequestEvent): never {
    switch (event.type) {
      case 'context-exceeded':
        throw new ContextLengthExceededError(event.promptTokens, event.contextSize);
      case 'unsupported':
        throw new UnsupportedRequestError(event.param, event.message);
      case 'failed':
        throw new Error(`generation failed in model ${this.modelId}: ${event.message}`);
      default:
        throw new Error(`unexpected message ${event.type} from model ${this.modelId}`);
    }
  }
}
