// The context sequences of one model, lent out one per generating choice. Up to `parallel`
// choices decode at once (node-llama-cpp batches the sequences of a context together); the rest
// wait here in arrival order. The wait is unbounded: a waiting request costs only its prompt, and
// admission control (quotas, PTU, rate limits) happens before a request reaches a backend. A
// waiter whose signal aborts leaves the queue and never touches the model.

import type { LlamaContextSequence } from 'node-llama-cpp';

interface Waiter {
  resolve(sequence: LlamaContextSequence): void;
  reject(reason: unknown): void;
  signal: AbortSignal;
  onAbort(): void;
}

export class SequencePool {
  private readonly free: LlamaContextSequence[];
  private readonly waiters: Waiter[] = [];

  constructor(sequences: LlamaContextSequence[]) {
    this.free = [...sequences];
  }

  /** Waiting choices (beyond the sequences in use). */
  get queued(): number {
    return this.waiters.length;
  }

  /** Resolves with a sequence for the caller's sole use until release(); rejects if `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<LlamaContextSequence> {
    if (signal.aborted) return Promise.reject(signal.reason);
    const sequence = this.free.pop();
    if (sequence !== undefined) return Promise.resolve(sequence);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(sequence: LlamaContextSequence): void {
    const next = this.waiters.shift();
    if (next === undefined) {
      this.free.push(sequence);
      return;
    }
    next.signal.removeEventListener('abort', next.onAbort);
    next.resolve(sequence);
  }

  /** Acquires a sequence, runs `work` with it and gives it back, whatever happens. */
  async with<T>(signal: AbortSignal, work: (sequence: LlamaContextSequence) => Promise<T>): Promise<T> {
    const sequence = await this.acquire(signal);
    try {
      return await work(sequence);
    } finally {
      this.release(sequence);
    }
  }
}
