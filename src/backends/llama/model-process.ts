// The supervised model process: forks worker.js, keeps the tail of its output (llama.cpp
// writes its assertion failures straight to stderr) and turns its end into a readable reason.

import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelLoadError } from '../../core/errors.js';
import { WORKER_NOTE_PREFIX, type WorkerCommand, type WorkerEvent } from './protocol.js';

export interface ProcessEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * The compiled worker. From dist/ it sits beside this module. Under vitest this module runs
 * from src/…/*.ts, but a forked Node 20 process cannot run TypeScript without a loader, so the
 * build output is used instead (`npm test` runs `npm run build` first): src/X → dist/X.
 */
export function workerScriptPath(moduleUrl: string = import.meta.url): string {
  const here = fileURLToPath(moduleUrl);
  if (!here.endsWith('.ts')) return join(dirname(here), 'worker.js');
  const projectRoot = resolve(dirname(here), '..', '..', '..');
  return join(projectRoot, 'dist', 'backends', 'llama', 'worker.js');
}

const TAIL_LINES = 30;
const STOP_GRACE_MS = 3_000;

export class ModelProcess {
  /** Resolves once the process has ended and its output is fully read ('close', not 'exit'). */
  readonly ended: Promise<ProcessEnd>;
  /** Receives every message of the worker. */
  onEvent: (event: WorkerEvent) => void = () => {};
  private readonly tail: string[] = [];
  private partial = '';
  private hasEnded = false;

  private constructor(private readonly child: ChildProcess) {
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => this.record(chunk));
    }
    child.on('message', (message: WorkerEvent) => this.onEvent(message));
    this.ended = new Promise((resolveEnd) => {
      child.once('close', (code, signal) => {
        this.hasEnded = true;
        resolveEnd({ code, signal });
      });
      // Spawn failures emit 'error' and, when the process never started, no 'close'. A
      // listener must stay attached: an unhandled 'error' event would throw in the server.
      child.on('error', (err) => {
        this.record(`${err.message}\n`);
        if (child.pid === undefined) {
          this.hasEnded = true;
          resolveEnd({ code: null, signal: null });
        }
      });
    });
  }

  static start(): ModelProcess {
    const script = workerScriptPath();
    if (!existsSync(script)) {
      throw new ModelLoadError(`model worker not found at ${script} (run \`npm run build\`)`);
    }
    const child = fork(script, [], {
      // Not the parent's flags: a test runner's or debugger's options do not belong here.
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return new ModelProcess(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(command: WorkerCommand): void {
    // A dead channel is reported through `ended`; the send error itself adds nothing.
    if (this.child.connected) this.child.send(command, () => {});
  }

  /** Asks the worker to shut down and kills it if it has not ended within the grace period. */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    if (this.hasEnded) return;
    this.send({ type: 'shutdown' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      await this.ended;
    } finally {
      clearTimeout(timer);
    }
  }

  /** E.g. "model process aborted (SIGABRT): llama-model-loader.cpp:1328: GGML_ASSERT(…) failed". */
  describeEnd({ code, signal }: ProcessEnd): string {
    const how =
      signal === 'SIGABRT' || code === 134
        ? 'model process aborted (SIGABRT)'
        : signal !== null
          ? `model process was killed (${signal})`
          : `model process exited with code ${code ?? 'unknown'}`;
    const details = this.summary();
    return details.length > 0 ? `${how}: ${details}` : how;
  }

  private record(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      const trimmed = line.trim();
      if (trimmed.length === 0) continue;
      this.tail.push(trimmed);
      if (this.tail.length > TAIL_LINES) this.tail.shift();
    }
  }

  /** The telling lines of the tail: the worker's notes and llama.cpp's errors, else the last ones. */
  private summary(): string {
    const lines = this.partial.trim().length > 0 ? [...this.tail, this.partial.trim()] : [...this.tail];
    const telling = lines.filter((l) => l.startsWith(WORKER_NOTE_PREFIX) || /GGML_ASSERT|error|fail|terminate|abort/i.test(l));
    const picked = (telling.length > 0 ? telling : lines).slice(-4);
    return picked
      .map((l) => l.replace(WORKER_NOTE_PREFIX, '').trim())
      // Build-machine paths of llama.cpp sources say nothing to an operator; the file name does.
      .map((l) => l.replace(/(?:\/[^\s/:]+)+\/([^\s/:]+\.(?:c|cc|cpp|h)):/g, '$1:'))
      .join('; ')
      .slice(0, 1_000);
  }
}
