// The deployment runtime: which backend serves each deployment, and its state. Loading is
// asynchronous (a model can take seconds); the outcome is written back to the store as the
// deployment's provisioningState and, when an ARM operation tracks it, the operation's status.

import type { BackendSpec, Deployment, InferenceBackend, Store } from '../core/index.js';
import type { RouterBackendSpec } from '../core/index.js';
import { createAzureOpenAIBackend } from './azure-openai/index.js';
import { loadLlamaBackend } from './llama/llama-backend.js';
import { createOpenAICompatibleBackend } from './openai-compatible/index.js';
import type { WireClientOptions } from './openai-compatible/index.js';
import { loadPoolBackend } from './pool/index.js';
import { createSimulatorBackend } from './simulator/index.js';

export interface RuntimeOptions {
  llamaThreads: number;
  /** 0 = the model's own context length (capped by the backend). */
  llamaContextSize: number;
  /** Bytes all embedded models may use together; 0 = the llama backend's default. */
  modelMemoryBudget: number;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

const POOL_MEMBER_WIRE: WireClientOptions = { maxRetries: 0 };

export type Served =
  | { state: 'loading' }
  | { state: 'ready'; backend: InferenceBackend }
  /** A router deployment: no model and no backend; the data plane picks a deployment per request. */
  | { state: 'routing' }
  | { state: 'failed'; reason: string };

interface Entry {
  deployment: Deployment;
  spec: string;
  served: Served;
  /** Settles when this load attempt has finished, either way. */
  settled: Promise<void>;
}

export class DeploymentRuntime {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: Store,
    private readonly options: RuntimeOptions,
  ) {}

  /** What serves this deployment now; undefined if it was never provisioned in this process. */
  get(deploymentId: string): Served | undefined {
    return this.entries.get(deploymentId)?.served;
  }

  /** Resolves when the current load attempt of the deployment has finished. */
  async whenSettled(deploymentId: string): Promise<Served | undefined> {
    await this.entries.get(deploymentId)?.settled;
    return this.get(deploymentId);
  }

  /**
   * Starts serving `deployment` (or reloads it when its backend changed) and records the
   * outcome in the store. Returns at once; the load runs in the background.
   */
  provision(deployment: Deployment, operationId?: string): void {
    const spec = JSON.stringify(deployment.backend);
    const previous = this.entries.get(deployment.id);
    if (previous && previous.spec === spec && previous.served.state !== 'failed') {
      // Same backend, loaded or loading: keep it; report its outcome to this operation too.
      previous.deployment = deployment;
      if (operationId) void previous.settled.then(() => this.record(deployment, previous.served, operationId));
      return;
    }
    if (previous) void this.release(previous);
    const entry: Entry = { deployment, spec, served: { state: 'loading' }, settled: Promise.resolve() };
    this.entries.set(deployment.id, entry);
    entry.settled = this.load(deployment.backend, deployment.id, entry).then((served) => {
      if (this.entries.get(deployment.id) !== entry) {
        // Replaced or removed while loading: this attempt's model is not wanted any more.
        if (served.state === 'ready') void served.backend.close();
        return;
      }
      entry.served = served;
      return this.record(deployment, served, operationId);
    });
  }

  /** Stops serving a deployment (deleted, or its account deleted). */
  async remove(deploymentId: string): Promise<void> {
    const entry = this.entries.get(deploymentId);
    if (!entry) return;
    this.entries.delete(deploymentId);
    await this.release(entry);
  }

  /** Provisions every stored deployment: what a restart does. */
  async restoreAll(): Promise<void> {
    for (const deployment of await this.store.deployments.listAll()) {
      if (!this.entries.has(deployment.id)) this.provision(deployment);
    }
  }

  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => this.release(e)));
  }

  private async load(spec: BackendSpec, deploymentId: string, entry: Entry): Promise<Served> {
    // A router loads nothing: it serves (routes) as soon as it is stored.
    if (spec.kind === 'router') return { state: 'routing' };
    try {
      const backend = await this.open(spec, (reason) => this.onCrash(deploymentId, entry, reason));
      return { state: 'ready', backend };
    } catch (err) {
      return { state: 'failed', reason: err instanceof Error ? err.message : String(err) };
    }
  }

  private async open(spec: Exclude<BackendSpec, RouterBackendSpec>, onFailure: (reason: string) => void, wire: WireClientOptions = {}): Promise<InferenceBackend> {
    switch (spec.kind) {
      case 'llama':
        return loadLlamaBackend(spec, {
          threads: this.options.llamaThreads,
          contextSize: spec.contextSize ?? (this.options.llamaContextSize || undefined),
          ...(this.options.modelMemoryBudget > 0 ? { memoryBudgetBytes: this.options.modelMemoryBudget } : {}),
          onFailure,
        });
      case 'openai-compatible':
        return createOpenAICompatibleBackend(spec, wire);
      case 'azure-openai':
        return createAzureOpenAIBackend(spec, wire);
      case 'simulator':
        return createSimulatorBackend(spec);
      case 'pool':
        // A member does not retry on its own: the pool's failover to the next member is the retry.
        return loadPoolBackend(spec, { open: (member, memberFailed) => this.open(member, memberFailed, POOL_MEMBER_WIRE), onFailure, log: this.options.log });
    }
  }

  /** A backend that was serving died: the deployment becomes Failed with the reason. */
  private onCrash(deploymentId: string, entry: Entry, reason: string): void {
    if (this.entries.get(deploymentId) !== entry) return;
    entry.served = { state: 'failed', reason };
    this.options.log.warn({ deployment: entry.deployment.name, reason }, 'deployment backend failed');
    void this.record(entry.deployment, entry.served);
  }

  private async record(deployment: Deployment, served: Served, operationId?: string): Promise<void> {
    const failed = served.state === 'failed';
    try {
      const current = await this.store.deployments.get(deployment.accountId, deployment.name);
      if (current && current.id === deployment.id) {
        await this.store.deployments.upsert({
          ...current,
          provisioningState: failed ? 'Failed' : 'Succeeded',
          provisioningError: failed ? { code: 'ModelLoadFailed', message: served.reason } : undefined,
          updatedAt: new Date(),
        });
      }
      if (operationId) {
        const op = await this.store.operations.get(operationId);
        if (op) {
          await this.store.operations.upsert({
            ...op,
            status: failed ? 'Failed' : 'Succeeded',
            error: failed ? { code: 'ModelLoadFailed', message: served.reason } : undefined,
            endTime: new Date(),
          });
        }
      }
      this.options.log.info({ deployment: deployment.name, state: served.state }, 'deployment provisioned');
    } catch (err) {
      this.options.log.warn({ err, deployment: deployment.name }, 'could not record provisioning outcome');
    }
  }

  private async release(entry: Entry): Promise<void> {
    await entry.settled.catch(() => undefined);
    if (entry.served.state === 'ready') await entry.served.backend.close();
  }
}
