// The model process. llama-backend.ts forks this file (compiled, from dist/) for each loaded
// model, because a malformed GGUF makes llama.cpp abort (GGML_ASSERT → SIGABRT) and that would
// take the whole server with it; here it only takes this process, and the parent reports why.
// Protocol: protocol.ts. Requests run one at a time on one context sequence, in arrival order.

import {
  getLlama,
  LlamaChat,
  LlamaLogLevel,
  readGgufFileInfo,
  resolveChatWrapper,
} from 'node-llama-cpp';
import type { WorkerCommand, WorkerEvent } from './protocol.js';
import { WORKER_NOTE_PREFIX } from './protocol.js';
import { generate, type LoadedModel } from './generate.js';

if (process.send === undefined) {
  process.stderr.write(`${WORKER_NOTE_PREFIX} must be started with an IPC channel (child_process.fork)\n`);
  process.exit(1);
}
const send = (event: WorkerEvent): void => {
  if (process.connected) process.send?.(event);
};
// The parent went away (crash or kill): nobody is left to serve.
process.on('disconnect', () => process.exit(0));

/** llama.cpp's recent error logs, appended to a load failure (its own message is generic). */
const recentErrors: string[] = [];
function onLlamaLog(level: LlamaLogLevel, message: string): void {
  const line = message.trimEnd();
  if (line.length === 0) return;
  recentErrors.push(line);
  if (recentErrors.length > 5) recentErrors.shift();
  // Also on stderr: the parent keeps its tail for the failure reason if this process dies.
  process.stderr.write(`${level}: ${line}\n`);
}

// llama.cpp reads several hyperparameters as optional and asserts on the resulting zero-sized
// tensors, which prints nothing about the cause. Say on stderr which expected key is missing
// before the native load, so the parent can name it if the process then aborts. A note only:
// some architectures legitimately lack a key, so nothing is rejected here.
const EXPECTED_ARCH_KEYS = ['context_length', 'embedding_length', 'block_count', 'feed_forward_length', 'attention.head_count'];

async function noteMissingKeys(modelPath: string): Promise<void> {
  try {
    const info = await readGgufFileInfo(modelPath, { readTensorInfo: false, logWarnings: false });
    const metadata = info.metadata as unknown as Record<string, Record<string, unknown> | undefined>;
    const arch = String(metadata.general?.architecture ?? '');
    const section = metadata[arch];
    for (const key of EXPECTED_ARCH_KEYS) {
      const value = key.split('.').reduce<unknown>((obj, part) => (obj as Record<string, unknown> | undefined)?.[part], section);
      if (value === undefined) process.stderr.write(`${WORKER_NOTE_PREFIX} the model's metadata lacks ${arch}.${key}\n`);
    }
  } catch {
    // The native loader reports unreadable files with its own words.
  }
}

const DEFAULT_MAX_CONTEXT = 8192;

async function load(modelPath: string, threads: number, contextSize: number | undefined): Promise<LoadedModel> {
  await noteMissingKeys(modelPath);
  const llama = await getLlama({
    gpu: false,
    build: 'never',
    skipDownload: true,
    progressLogs: false,
    logLevel: LlamaLogLevel.error,
    logger: onLlamaLog,
    // node-llama-cpp defaults to max(4, cores) threads, which oversubscribes small machines
    // and makes decoding hundreds of times slower.
    maxThreads: threads,
  });
  const model = await llama.loadModel({ modelPath });
  // Without a configured size: the trained context up to DEFAULT_MAX_CONTEXT (long-context
  // models would otherwise reserve gigabytes of KV cache), shrunk by node-llama-cpp to fit RAM.
  const context = await model.createContext({
    contextSize: contextSize ?? { max: DEFAULT_MAX_CONTEXT },
    threads,
    sequences: 1,
  });
  const sequence = context.getSequence();
  // The model's own template (tokenizer.chat_template); node-llama-cpp maps known ones onto its
  // specialised wrappers (ChatML, Llama 3, …) and falls back to a Llama 2 format without one.
  const chatWrapper = resolveChatWrapper(model);
  const chat = new LlamaChat({ contextSequence: sequence, chatWrapper });
  return { model, sequence, chat, chatWrapper, contextSize: context.contextSize };
}

type ChatCommand = Extract<WorkerCommand, { type: 'chat' }>;

let loaded: LoadedModel | undefined;
const queue: ChatCommand[] = [];
let running: { id: number; controller: AbortController } | undefined;

async function pump(): Promise<void> {
  if (running !== undefined || loaded === undefined) return;
  const model = loaded;
  for (let cmd = queue.shift(); cmd !== undefined; cmd = queue.shift()) {
    const { id } = cmd;
    const controller = new AbortController();
    running = { id, controller };
    try {
      const outcome = await generate(model, cmd.messages, cmd.params, controller.signal, (text) =>
        send({ type: 'text', id, text }),
      );
      if (outcome.kind === 'done') send({ type: 'done', id, finishReason: outcome.finishReason, usage: outcome.usage });
      else if (outcome.kind === 'aborted') send({ type: 'aborted', id, completionTokens: outcome.completionTokens });
      else send({ type: 'context-exceeded', id, promptTokens: outcome.promptTokens, contextSize: outcome.contextSize });
    } catch (err) {
      send({ type: 'failed', id, message: err instanceof Error ? err.message : String(err) });
    } finally {
      running = undefined;
    }
  }
}

function abort(id: number): void {
  if (running?.id === id) {
    running.controller.abort();
    return;
  }
  // Still queued: it never runs.
  const index = queue.findIndex((cmd) => cmd.id === id);
  if (index >= 0) {
    queue.splice(index, 1);
    send({ type: 'aborted', id, completionTokens: 0 });
  }
}

async function shutdown(): Promise<void> {
  queue.length = 0;
  running?.controller.abort();
  try {
    await loaded?.model.llama.dispose();
  } finally {
    process.exit(0);
  }
}

process.on('message', (message: WorkerCommand) => {
  switch (message.type) {
    case 'load':
      load(message.modelPath, message.threads, message.contextSize).then(
        (model) => {
          loaded = model;
          void pump();
          const name = model.model.fileInfo.metadata.general?.name;
          send({ type: 'loaded', name, contextSize: model.contextSize, chatWrapper: model.chatWrapper.wrapperName });
        },
        (err: unknown) => {
          const reason = err instanceof Error ? err.message : String(err);
          const details = recentErrors.length > 0 ? ` (${recentErrors.join('; ')})` : '';
          send({ type: 'load-failed', message: `${reason}${details}` });
        },
      );
      break;
    case 'chat':
      queue.push(message);
      void pump();
      break;
    case 'abort':
      abort(message.id);
      break;
    case 'shutdown':
      void shutdown();
      break;
  }
});
