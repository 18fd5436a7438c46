// The parent's side of one model process: the load handshake (estimate, then load), requests
// multiplexed by id over IPC, and the process's end. Requests in flight when the process ends
// fail with BackendUnavailableError; an abort stops the worker's decoding and ends the request's
// iteration at once, quietly (the caller asked for it).

import { BackendUnavailableError, ModelLoadError } from '../../core/errors.js';
import { Channel } from './channel.js';
import { ModelProcess, type ProcessEnd } from './model-process.js';
import type { LoadSettings, MemoryEstimate, WorkerCommand, WorkerEvent } from './protocol.js';

export type LoadedInfo = Omit<Extract<WorkerEvent, { type: 'loaded' }>, 'type'>;

type RequestCommand = Extract<WorkerCommand, { type: 'chat' | 'complete' | 'embed' | 'count' }>;
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
/** A request as the backend hands it over; the client numbers it. */
export type RequestBody = WithoutId<RequestCommand>;
export type RequestEvent = Extract<WorkerEvent, { id: number }>;

const FINAL_EVENTS = new Set<WorkerEvent['type']>(['end', 'embedded', 'counted', 'aborted', 'context-exceeded', 'unsupported', 'failed']);

export class ModelClient {
  /** Called once if the process ends without stop() having been asked (a crash, a kill). */
  onUnexpectedEnd: (reason: string) => void = () => {};
  private nextId = 0;
  private readonly requests = new Map<number, Channel<RequestEvent>>();
  private handshake: ((event: WorkerEvent) => void) | undefined;
  private stopping = false;
  private endReason: string | undefined;

  private constructor(
    private readonly proc: ModelProcess,
    private readonly label: string,
  ) {
    proc.onEvent = (event) => this.dispatch(event);
    void proc.ended.then((end) => this.onEnd(end));
  }

  static start(label: string): ModelClient {
    return new ModelClient(ModelProcess.start(), label);
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  estimate(settings: LoadSettings): Promise<MemoryEstimate> {
    return this.shake({ type: 'estimate', ...settings }, (event) => (event.type === 'estimated' ? event : undefined));
  }

  load(settings: LoadSettings): Promise<LoadedInfo> {
    return this.shake({ type: 'load', ...settings }, (event) => (event.type === 'loaded' ? event : undefined));
  }

  /**
   * Sends one request and yields the worker's events for it, the final one included. Ends quietly
   * when `signal` aborts or the consumer stops early; the worker is then told to abort.
   */
  async *request(command: RequestBody, signal: AbortSignal): AsyncGenerator<RequestEvent> {
    if (this.endReason !== undefined) throw new BackendUnavailableError(`model ${this.label} is unavailable: ${this.endReason}`);
    if (signal.aborted) return;
    const id = ++this.nextId;
    const channel = new Channel<RequestEvent>();
    this.requests.set(id, channel);
    // Sent from the listener, not only when the consumer pulls again: a consumer busy elsewhere
    // must not keep the model decoding.
    const cancel = (): void => {
      channel.stop();
      if (this.requests.delete(id)) this.proc.send({ type: 'abort', id });
    };
    signal.addEventListener('abort', cancel, { once: true });
    try {
      this.proc.send({ ...command, id } as RequestCommand);
      yield* channel;
    } finally {
      signal.removeEventListener('abort', cancel);
      // Still registered means unfinished: the consumer stopped early (break/return) or aborted.
      cancel();
    }
  }

  /** Fails every request in flight (the backend is closing). */
  failAll(err: Error): void {
    for (const channel of this.requests.values()) channel.fail(err);
    this.requests.clear();
  }

  /** Shuts the process down (intended: not reported as a failure). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.proc.stop();
  }

  private shake<T>(command: WorkerCommand, pick: (event: WorkerEvent) => T | undefined): Promise<T> {
    if (this.endReason !== undefined) return Promise.reject(new ModelLoadError(`cannot load ${this.label}: ${this.endReason}`));
    return new Promise<T>((resolve, reject) => {
      this.handshake = (event) => {
        const picked = pick(event);
        if (picked !== undefined) resolve(picked);
        else if (event.type === 'load-failed') reject(new ModelLoadError(`cannot load ${this.label}: ${event.message}`));
        else return;
        this.handshake = undefined;
      };
      void this.proc.ended.then((end) => reject(new ModelLoadError(`cannot load ${this.label}: ${this.proc.describeEnd(end)}`)));
      this.proc.send(command);
    });
  }

  private dispatch(event: WorkerEvent): void {
    if (!('id' in event)) {
      this.handshake?.(event);
      return;
    }
    const channel = this.requests.get(event.id);
    if (channel === undefined) return; // aborted here already; late messages are dropped
    channel.push(event);
    if (FINAL_EVENTS.has(event.type)) {
      this.requests.delete(event.id);
      channel.end();
    }
  }

  private onEnd(end: ProcessEnd): void {
    this.endReason = this.stopping ? 'the model was unloaded' : this.proc.describeEnd(end);
    this.failAll(new BackendUnavailableError(`model ${this.label} is unavailable: ${this.endReason}`));
    if (!this.stopping) this.onUnexpectedEnd(this.endReason);
  }
}
