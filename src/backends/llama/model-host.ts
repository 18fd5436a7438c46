// What one model process holds: the Llama runtime, the model, one generation context with
// `parallel` sequences (node-llama-cpp decodes the active sequences of a context together, in
// one batch), a lazily created embedding context and a cache of grammars. Runs in worker.ts.

import {
  getLlama,
  GgufInsights,
  LlamaLogLevel,
  readGgufFileInfo,
  resolveChatWrapper,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaEmbeddingContext,
  type LlamaGrammar,
  type LlamaModel,
} from 'node-llama-cpp';
import { schemaGrammar } from './grammars.js';
import type { LoadSettings, MemoryEstimate, WorkerChatRequest } from './protocol.js';
import { SequencePool } from './sequence-pool.js';
import { TokenTexts } from './token-texts.js';

/** Without a configured size: the trained context up to this (long-context models would otherwise reserve gigabytes). */
const DEFAULT_MAX_CONTEXT = 8192;
const GRAMMAR_CACHE_SIZE = 16;

export interface ModelHost {
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  readonly sequences: SequencePool;
  readonly chatWrapper: ChatWrapper;
  /** Tokens each sequence can hold. */
  readonly contextSize: number;
  readonly texts: TokenTexts;
  embeddingContext(): Promise<LlamaEmbeddingContext>;
  grammarFor(format: NonNullable<WorkerChatRequest['format']>): Promise<LlamaGrammar>;
  dispose(): Promise<void>;
}

export type LlamaLogger = (level: LlamaLogLevel, message: string) => void;

let runtime: Promise<Llama> | undefined;

/** One Llama runtime per process, CPU only, with the thread count set explicitly. */
function getRuntime(threads: number, logger: LlamaLogger): Promise<Llama> {
  runtime ??= getLlama({
    gpu: false,
    build: 'never',
    skipDownload: true,
    progressLogs: false,
    logLevel: LlamaLogLevel.error,
    logger,
    // node-llama-cpp defaults to max(4, cores) threads, which oversubscribes small machines
    // and makes decoding hundreds of times slower.
    maxThreads: threads,
  });
  return runtime;
}

function resolveContextSize(settings: LoadSettings, trainContextSize: number | undefined): number {
  return settings.contextSize ?? Math.min(trainContextSize ?? DEFAULT_MAX_CONTEXT, DEFAULT_MAX_CONTEXT);
}

/** node-llama-cpp's own estimate of what a load with these settings needs in RAM. */
export async function estimateMemory(settings: LoadSettings, logger: LlamaLogger): Promise<MemoryEstimate> {
  const llama = await getRuntime(settings.threads, logger);
  const info = await readGgufFileInfo(settings.modelPath, { logWarnings: false });
  const insights = await GgufInsights.from(info, llama);
  const contextSize = resolveContextSize(settings, insights.trainContextSize);
  const model = await insights.estimateModelResourceRequirementsV2({ gpuLayers: 0 });
  const generation = await insights.estimateContextResourceRequirementsV2({
    contextSize,
    modelGpuLayers: 0,
    sequences: settings.parallel,
  });
  // Counted up front although it is created on the first embeddings request: an estimate that
  // grows later would let the pool overcommit.
  const embedding = await insights.estimateContextResourceRequirementsV2({
    contextSize,
    modelGpuLayers: 0,
    sequences: 1,
    isEmbeddingContext: true,
  });
  return { modelBytes: model.cpuRam, contextBytes: generation.cpuRam + embedding.cpuRam, contextSize };
}

export async function loadModelHost(settings: LoadSettings, logger: LlamaLogger): Promise<ModelHost> {
  const llama = await getRuntime(settings.threads, logger);
  const model = await llama.loadModel({ modelPath: settings.modelPath });
  const contextSize = settings.contextSize ?? { max: Math.min(model.trainContextSize, DEFAULT_MAX_CONTEXT) };
  // A configured size is taken as given (node-llama-cpp fails if it cannot fit); the default
  // shrinks to what fits in RAM.
  const context = await model.createContext({ contextSize, threads: settings.threads, sequences: settings.parallel });
  const sequences = new SequencePool(Array.from({ length: settings.parallel }, () => context.getSequence()));
  // The model's own template (tokenizer.chat_template); node-llama-cpp maps known ones onto its
  // specialised wrappers (ChatML, Llama 3, …) and falls back to a Llama 2 format without one.
  const chatWrapper = resolveChatWrapper(model);
  let embedding: Promise<LlamaEmbeddingContext> | undefined;
  const grammars = new Map<string, Promise<LlamaGrammar>>();
  return {
    llama,
    model,
    context,
    sequences,
    chatWrapper,
    contextSize: context.contextSize,
    texts: new TokenTexts(model),
    embeddingContext() {
      if (embedding === undefined) {
        embedding = model.createEmbeddingContext({ contextSize: context.contextSize, threads: settings.threads });
        // A failed creation (e.g. memory) is retried by the next request rather than remembered.
        embedding.catch(() => (embedding = undefined));
      }
      return embedding;
    },
    grammarFor(format) {
      const key = format.kind === 'json' ? 'json' : JSON.stringify(format.schema);
      let grammar = grammars.get(key);
      if (grammar === undefined) {
        grammar = format.kind === 'json' ? llama.getGrammarFor('json') : schemaGrammar(llama, format.schema);
        // Requests with a schema often repeat it (one per application call site): keep a few.
        if (grammars.size >= GRAMMAR_CACHE_SIZE) grammars.delete(grammars.keys().next().value!);
        grammars.set(key, grammar);
        grammar.catch(() => grammars.delete(key));
      }
      return grammar;
    },
    async dispose() {
      await llama.dispose();
    },
  };
}
