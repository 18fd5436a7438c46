// The embedded llama.cpp backend: each loaded GGUF model lives in its own supervised child
// process (worker.ts), so a model that crashes llama.cpp fails its deployment, not the server.
// This side forks and supervises that process and speaks InferenceBackend to the rest of Lapis.

import { basename, extname } from 'node:path';
import {
  BackendUnavailableError,
  ContextLengthExceededError,
  ModelLoadError,
} from '../../core/errors.js';
import type {
  BackendLoadOptions,
  ChatGenerationRequest,
  GenerationEvent,
  InferenceBackend,
} from '../../core/inference.js';
import type { LlamaBackendSpec } from '../../core/resources.js';
import { Channel } from './channel.js';
import { assertGgufFile } from './gguf-file.js';
import { ModelProcess, type ProcessEnd } from './model-process.js';
import type { WorkerEvent } from './protocol.js';

export interface LlamaLoadOptions extends BackendLoadOptions {
  /** CPU threads for decoding; set it explicitly (llama.cpp's default oversubscribes). */
  threads: number;
  /** Context window in tokens; default: the trained context up to 8192, shrunk to fit in RAM. */
  contextSize?: number;
}

export interface LlamaBackend extends InferenceBackend {
  /** The context window actually allocated, in tokens. */
  readonly contextSize: number;
  /** node-llama-cpp's chat wrapper picked from the model's template (e.g. "ChatML"). */
  readonly chatWrapper: string;
  /** The model process's id, for operators (and tests that crash it on purpose). */
  readonly pid: number | undefined;
}

type LoadedEvent = Extract<WorkerEvent, { type: 'loaded' }>;

/**
 * Loads a GGUF model into a new model process. Rejects with ModelLoadError when the file is
 * missing or not GGUF (checked before forking), or when llama.cpp fails or aborts on it.
 */
export async function loadLlamaBackend(spec: LlamaBackendSpec, options: LlamaLoadOptions): Promise<LlamaBackend> {
  if (!Number.isInteger(options.threads) || options.threads < 1) {
    throw new ModelLoadError(`threads must be a positive integer, got ${options.threads}`);
  }
  await assertGgufFile(spec.modelPath);
  const proc = ModelProcess.start();
  let loaded: LoadedEvent;
  try {
    loaded = await new Promise<LoadedEvent>((resolve, reject) => {
      proc.onEvent = (event) => {
        if (event.type === 'loaded') resolve(event);
        else if (event.type === 'load-failed') reject(new ModelLoadError(`cannot load ${spec.modelPath}: ${event.message}`));
      };
      void proc.ended.then((end) => reject(new ModelLoadError(`cannot load ${spec.modelPath}: ${proc.describeEnd(end)}`)));
      proc.send({ type: 'load', modelPath: spec.modelPath, threads: options.threads, contextSize: options.contextSize });
    });
  } catch (err) {
    await proc.stop();
    throw err;
  }
  const name = loaded.name?.trim();
  const modelId = name !== undefined && name.length > 0 ? name : basename(spec.modelPath, extname(spec.modelPath));
  return new ChildProcessLlamaBackend(proc, modelId, loaded, options.onFailure);
}

class ChildProcessLlamaBackend implements LlamaBackend {
  readonly contextSize: number;
  readonly chatWrapper: string;
  private nextId = 0;
  /** Requests the worker has not finished yet, by id. */
  private readonly requests = new Map<number, Channel<GenerationEvent>>();
  /** Why this backend can no longer serve (crash or close); undefined while healthy. */
  private unavailable: string | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly proc: ModelProcess,
    readonly modelId: string,
    loaded: LoadedEvent,
    private readonly onFailure: (reason: string) => void,
  ) {
    this.contextSize = loaded.contextSize;
    this.chatWrapper = loaded.chatWrapper;
    proc.onEvent = (event) => this.dispatch(event);
    void proc.ended.then((end) => this.onProcessEnd(end));
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /**
   * Streams the reply. When request.signal aborts, the worker is told to stop decoding and the
   * iteration ends at once, quietly (no error, no 'done' event): the caller asked for it.
   */
  async *chat(request: ChatGenerationRequest): AsyncGenerator<GenerationEvent> {
    if (this.unavailable !== undefined) {
      throw new BackendUnavailableError(`model ${this.modelId} is unavailable: ${this.unavailable}`);
    }
    const { signal } = request;
    if (signal.aborted) return;
    const id = ++this.nextId;
    const channel = new Channel<GenerationEvent>();
    this.requests.set(id, channel);
    // Sent from the listener, not only when the consumer pulls again: a consumer busy elsewhere
    // must not keep the model decoding.
    const cancel = (): void => {
      channel.stop();
      if (this.requests.delete(id)) this.proc.send({ type: 'abort', id });
    };
    signal.addEventListener('abort', cancel, { once: true });
    try {
      this.proc.send({ type: 'chat', id, messages: request.messages, params: request.params });
      yield* channel;
    } finally {
      signal.removeEventListener('abort', cancel);
      // Still registered means unfinished: the consumer stopped early (break/return) or aborted.
      cancel();
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.unavailable ??= 'the model was unloaded';
    this.failAll(new BackendUnavailableError(`model ${this.modelId} was unloaded`));
    await this.proc.stop();
  }

  private dispatch(event: WorkerEvent): void {
    if (!('id' in event)) return;
    const channel = this.requests.get(event.id);
    if (channel === undefined) return; // aborted here already; late messages are dropped
    switch (event.type) {
      case 'text':
        channel.push({ type: 'text', text: event.text });
        return;
      case 'done':
        this.requests.delete(event.id);
        channel.push({ type: 'done', finishReason: event.finishReason, usage: event.usage });
        channel.end();
        return;
      case 'aborted':
        this.requests.delete(event.id);
        channel.end();
        return;
      case 'context-exceeded':
        this.requests.delete(event.id);
        channel.fail(new ContextLengthExceededError(event.promptTokens, event.contextSize));
        return;
      case 'failed':
        this.requests.delete(event.id);
        channel.fail(new Error(`generation failed in model ${this.modelId}: ${event.message}`));
        return;
    }
  }

  private onProcessEnd(end: ProcessEnd): void {
    if (this.closing !== undefined) return; // an intended stop, not a failure
    const reason = this.proc.describeEnd(end);
    this.unavailable = reason;
    this.failAll(new BackendUnavailableError(`model ${this.modelId} is unavailable: ${reason}`));
    this.onFailure(reason);
  }

  private failAll(err: Error): void {
    for (const channel of this.requests.values()) channel.fail(err);
    this.requests.clear();
  }
}
