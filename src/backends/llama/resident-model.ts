// One loaded model's life in the memory pool: loaded, unloaded by the pool when idle and memory
// is wanted elsewhere, loaded again by its next request, or ended for good (crash, failed
// reload, close). Requests hold a lease while they run, so a model serving one is never unloaded.

import { BackendUnavailableError } from '../../core/errors.js';
import { ModelClient, type LoadedInfo } from './model-client.js';
import type { LlamaModelPool, PoolMember } from './pool.js';
import type { LoadSettings } from './protocol.js';

type State = 'loading' | 'resident' | 'evicting' | 'evicted' | 'failed' | 'closed';

export class ResidentModel implements PoolMember {
  lastUsed = Date.now();
  /** What the model process reported at its (latest) load. */
  info: LoadedInfo | undefined;
  private state: State = 'loading';
  private client: ModelClient | undefined;
  private inFlight = 0;
  /** The load or unload under way; requests wait for it. */
  private transition: Promise<void> | undefined;
  /** Why the model can no longer serve (crash, failed reload, close). */
  private reason: string | undefined;

  constructor(
    private readonly settings: LoadSettings,
    readonly bytes: number,
    private readonly pool: LlamaModelPool,
    private readonly onFailure: (reason: string) => void,
    private readonly name: () => string,
  ) {}

  get label(): string {
    return this.settings.modelPath;
  }

  get unavailable(): string | undefined {
    return this.reason;
  }

  get resident(): boolean {
    return this.state === 'resident';
  }

  get evictable(): boolean {
    return this.state === 'resident' && this.inFlight === 0;
  }

  get pid(): number | undefined {
    return this.state === 'resident' ? this.client?.pid : undefined;
  }

  /** The first load: the caller started the process and had the pool admit this model. */
  attach(client: ModelClient, info: LoadedInfo): void {
    this.client = client;
    this.info = info;
    this.state = 'resident';
    client.onUnexpectedEnd = (reason) => this.fail(reason);
  }

  /** The loaded model for one request, reloaded first if the pool unloaded it; release() when done. */
  async lease(signal: AbortSignal): Promise<ModelClient> {
    this.inFlight++;
    this.lastUsed = Date.now();
    try {
      for (;;) {
        this.assertAvailable();
        signal.throwIfAborted();
        if (this.state === 'resident' && this.client !== undefined) return this.client;
        if (this.state === 'evicted') this.transition = this.reload();
        await abortable(this.transition ?? Promise.resolve(), signal);
      }
    } catch (err) {
      this.release();
      throw err;
    }
  }

  release(): void {
    this.inFlight--;
    this.lastUsed = Date.now();
    if (this.inFlight === 0) this.pool.changed();
  }

  assertAvailable(): void {
    if (this.reason !== undefined) throw new BackendUnavailableError(`model ${this.name()} is unavailable: ${this.reason}`);
  }

  async evict(): Promise<boolean> {
    if (!this.evictable || this.client === undefined) return false;
    const client = this.client;
    this.state = 'evicting';
    this.client = undefined;
    this.transition = client.stop().then(() => {
      if (this.state === 'evicting') this.state = 'evicted';
      this.transition = undefined;
    });
    await this.transition;
    return true;
  }

  async close(): Promise<void> {
    this.reason ??= 'the model was unloaded';
    this.state = 'closed';
    const client = this.client;
    this.client = undefined;
    client?.failAll(new BackendUnavailableError(`model ${this.name()} was unloaded`));
    await this.transition?.catch(() => undefined);
    await client?.stop();
    this.pool.leave(this);
  }

  private async reload(): Promise<void> {
    this.state = 'loading';
    let client: ModelClient | undefined;
    try {
      await this.pool.admit(this);
      if (this.state !== 'loading') {
        this.pool.leave(this); // closed meanwhile
        return;
      }
      client = ModelClient.start(this.settings.modelPath);
      const info = await client.load(this.settings);
      if (this.state !== 'loading') {
        await client.stop();
        this.pool.leave(this);
        return;
      }
      this.attach(client, info);
    } catch (err) {
      await client?.stop();
      this.fail(`reloading the model failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.transition = undefined;
    }
  }

  /** The model died or could not be loaded again: requests fail from now on; reported once. */
  private fail(reason: string): void {
    if (this.state === 'failed' || this.state === 'closed') return;
    this.state = 'failed';
    this.reason = reason;
    this.client?.failAll(new BackendUnavailableError(`model ${this.name()} is unavailable: ${reason}`));
    this.pool.leave(this);
    this.onFailure(reason);
  }
}

function abortable(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
