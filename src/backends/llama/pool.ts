// The process-wide set of loaded llama models, kept within a memory budget. Before a model
// loads (or reloads), the pool makes room: idle models (no request in flight) are unloaded, least
// recently used first. When the room can only come from models that are busy, the load waits
// until one of them goes idle. A model that cannot fit even alone is refused.

import { totalmem } from 'node:os';
import { ModelLoadError } from '../../core/errors.js';

export interface PoolMember {
  /** For messages: the model file. */
  readonly label: string;
  /** Estimated memory while loaded. */
  readonly bytes: number;
  /** Loaded and without a request in flight. */
  readonly evictable: boolean;
  /** When it last served a request (ms timestamp). */
  readonly lastUsed: number;
  /**
   * Unloads the model (an intended stop); resolves once its memory is free, with false if it
   * was not evictable any more (a request arrived in the meantime).
   */
  evict(): Promise<boolean>;
}

const MiB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

/** Default budget: three quarters of the machine's memory, leaving room for the server and the OS. */
export function defaultMemoryBudget(): number {
  return Math.floor(totalmem() * 0.75);
}

export class LlamaModelPool {
  private readonly resident = new Set<PoolMember>();
  private waiters: (() => void)[] = [];
  /** Admissions run one at a time, so two loads never count the same free memory. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private budget: number = defaultMemoryBudget()) {}

  get budgetBytes(): number {
    return this.budget;
  }

  set budgetBytes(bytes: number) {
    this.budget = bytes;
    this.changed();
  }

  get usedBytes(): number {
    let used = 0;
    for (const member of this.resident) used += member.bytes;
    return used;
  }

  has(member: PoolMember): boolean {
    return this.resident.has(member);
  }

  /**
   * Counts `member` as loaded once there is room for it, unloading idle members as needed.
   * Rejects with ModelLoadError if it exceeds the whole budget, or with signal's reason.
   */
  admit(member: PoolMember, signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.makeRoom(member, signal));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /** The member's memory is free (unloaded, closed or crashed). */
  leave(member: PoolMember): void {
    if (this.resident.delete(member)) this.changed();
  }

  /** A member may have become evictable (its last request ended). */
  changed(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private async makeRoom(member: PoolMember, signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      if (member.bytes > this.budget) {
        throw new ModelLoadError(
          `model ${member.label} needs about ${mib(member.bytes)} but the memory budget for llama models is ${mib(this.budget)}`,
        );
      }
      const free = this.budget - this.usedBytes;
      if (member.bytes <= free) {
        this.resident.add(member);
        return;
      }
      const idle = [...this.resident].filter((m) => m.evictable).sort((a, b) => a.lastUsed - b.lastUsed);
      const reclaimable = idle.reduce((sum, m) => sum + m.bytes, 0);
      if (free + reclaimable >= member.bytes) {
        // Least recently used first, and no more than needed.
        let room = free;
        for (const victim of idle) {
          if (room >= member.bytes) break;
          if (!(await victim.evict())) break; // busy again: count anew
          this.resident.delete(victim);
          room += victim.bytes;
        }
        continue;
      }
      await this.nextChange(signal);
    }
  }

  private nextChange(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }
}

/** The pool all llama backends of this process share. */
export const sharedPool = new LlamaModelPool();
