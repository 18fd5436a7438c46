// The model process. llama-backend.ts forks this file (compiled, from dist/) for each loaded
// model, because a malformed GGUF makes llama.cpp abort (GGML_ASSERT → SIGABRT) and that would
// take the whole server with it; here it only takes this process, and the parent reports why.
// Protocol: protocol.ts. Requests run concurrently, one context sequence per choice
// (sequence-pool.ts queues the rest); each ends with exactly one final message.

import { LlamaLogLevel, readGgufFileInfo } from 'node-llama-cpp';
import { UnsupportedRequestError } from '../../core/errors.js';
import { runChat } from './chat.js';
import type { Emitter, RequestOutcome } from './choices.js';
import { runCompletion } from './completion.js';
import { runEmbedding } from './embedding.js';
import { estimateMemory, loadModelHost, type ModelHost } from './model-host.js';
import type { LoadSettings, WorkerCommand, WorkerEvent } from './protocol.js';
import { WORKER_NOTE_PREFIX } from './protocol.js';

if (process.send === undefined) {
  process.stderr.write(`${WORKER_NOTE_PREFIX} must be started with an IPC channel (child_process.fork)\n`);
  process.exit(1);
}
const post = (event: WorkerEvent): void => {
  if (process.connected) process.send?.(event);
};

// Text is sent in batches: one IPC message per token costs ~15% of this process's main thread
// at ~1,000 tokens/s. Consecutive text of one choice is merged and flushed after FLUSH_MS, or at
// once before any other event so that the order of events never changes.
const FLUSH_MS = 4;
let pending: Extract<WorkerEvent, { type: 'text' }> | undefined;
let flushTimer: NodeJS.Timeout | undefined;
function flush(): void {
  if (flushTimer) clearTimeout(flushTimer);
  flushTimer = undefined;
  if (pending) post(pending);
  pending = undefined;
}
const send = (event: WorkerEvent): void => {
  if (event.type !== 'text') {
    flush();
    post(event);
    return;
  }
  if (pending && (pending.id !== event.id || pending.choice !== event.choice)) flush();
  if (!pending) {
    pending = { ...event, ...(event.logprobs ? { logprobs: [...event.logprobs] } : {}) };
    flushTimer = setTimeout(flush, FLUSH_MS);
    return;
  }
  pending.text += event.text;
  if (event.logprobs) (pending.logprobs ??= []).push(...event.logprobs);
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

let notedKeys = false;
async function noteMissingKeys(modelPath: string): Promise<void> {
  if (notedKeys) return;
  notedKeys = true;
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

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const withLogs = (err: unknown): string => `${message(err)}${recentErrors.length > 0 ? ` (${recentErrors.join('; ')})` : ''}`;

let host: ModelHost | undefined;
/** Requests in progress, by id: aborting one stops its decoding or takes it out of the queue. */
const running = new Map<number, AbortController>();

async function load(settings: LoadSettings): Promise<void> {
  try {
    await noteMissingKeys(settings.modelPath);
    host = await loadModelHost(settings, onLlamaLog);
    const name = host.model.fileInfo.metadata.general?.name;
    send({
      type: 'loaded',
      name,
      contextSize: host.contextSize,
      chatWrapper: host.chatWrapper.wrapperName,
      embeddingSize: host.model.embeddingVectorSize,
      vocabSize: host.texts.vocabularySize,
    });
  } catch (err) {
    send({ type: 'load-failed', message: withLogs(err) });
  }
}

function emitterFor(id: number): Emitter {
  return {
    text: (choice, text, logprobs) => send({ type: 'text', id, choice, text, ...(logprobs === undefined ? {} : { logprobs }) }),
    toolCall: (choice, index, callId, name, args) => send({ type: 'tool_call', id, choice, index, callId, name, arguments: args }),
    done: (choice, finishReason) => send({ type: 'done', id, choice, finishReason }),
  };
}

function finalEvent(id: number, outcome: RequestOutcome): WorkerEvent {
  switch (outcome.kind) {
    case 'end':
      return { type: 'end', id, usage: outcome.usage };
    case 'aborted':
      return { type: 'aborted', id, completionTokens: outcome.completionTokens };
    case 'context-exceeded':
      return { type: 'context-exceeded', id, promptTokens: outcome.promptTokens, contextSize: outcome.contextSize };
  }
}

/** Runs one request to its single final message; `run` gets the request's abort signal. */
function serve(id: number, run: (host: ModelHost, signal: AbortSignal) => Promise<WorkerEvent>): void {
  const controller = new AbortController();
  running.set(id, controller);
  const loaded = host;
  const work = loaded === undefined ? Promise.reject(new Error('no model loaded')) : run(loaded, controller.signal);
  work
    .catch((err: unknown): WorkerEvent => {
      if (controller.signal.aborted) return { type: 'aborted', id, completionTokens: 0 };
      if (err instanceof UnsupportedRequestError) return { type: 'unsupported', id, param: err.param, message: err.message };
      return { type: 'failed', id, message: message(err) };
    })
    .then((event) => {
      running.delete(id);
      send(event);
    });
}

async function shutdown(): Promise<void> {
  for (const controller of running.values()) controller.abort();
  try {
    await host?.dispose();
  } finally {
    process.exit(0);
  }
}

process.on('message', (command: WorkerCommand) => {
  switch (command.type) {
    case 'estimate': {
      const { type: _type, ...settings } = command;
      // The estimate reads the model with llama.cpp too, and may be what aborts on it.
      noteMissingKeys(settings.modelPath)
        .then(() => estimateMemory(settings, onLlamaLog))
        .then(
        (estimate) => send({ type: 'estimated', ...estimate }),
        (err: unknown) => send({ type: 'load-failed', message: withLogs(err) }),
      );
      break;
    }
    case 'load': {
      const { type: _type, ...settings } = command;
      void load(settings);
      break;
    }
    case 'chat':
      serve(command.id, async (h, signal) => finalEvent(command.id, await runChat(h, command.request, signal, emitterFor(command.id))));
      break;
    case 'complete':
      serve(command.id, async (h, signal) => finalEvent(command.id, await runCompletion(h, command.request, signal, emitterFor(command.id))));
      break;
    case 'embed':
      serve(command.id, async (h, signal) => {
        const outcome = await runEmbedding(h, command.input, signal);
        if (outcome.kind === 'embedded') return { type: 'embedded', id: command.id, embeddings: outcome.embeddings, promptTokens: outcome.promptTokens };
        if (outcome.kind === 'aborted') return { type: 'aborted', id: command.id, completionTokens: 0 };
        return { type: 'context-exceeded', id: command.id, promptTokens: outcome.promptTokens, contextSize: outcome.contextSize };
      });
      break;
    case 'count':
      // Without BOS: texts are pieces of one prompt (a chat's messages), which gets one BOS at most.
      serve(command.id, async (h) => ({
        type: 'counted',
        id: command.id,
        tokens: command.texts.reduce((sum, text) => sum + h.model.tokenize(text, false).length, 0),
      }));
      break;
    case 'abort':
      running.get(command.id)?.abort();
      break;
    case 'shutdown':
      void shutdown();
      break;
  }
});
