// A single-consumer async queue: IPC messages of one request are pushed as they arrive and
// the request's iterator pulls them. end() and fail() take effect at once, even while the
// consumer is waiting, so an abort or a crashed process never leaves an iteration hanging.

export class Channel<T> implements AsyncIterable<T> {
  private readonly buffered: T[] = [];
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (err: unknown) => void } | undefined;
  private closed = false;
  private error: { err: unknown } | undefined;

  push(value: T): void {
    if (this.closed) return;
    if (this.waiter !== undefined) {
      const { resolve } = this.waiter;
      this.waiter = undefined;
      resolve({ value, done: false });
    } else {
      this.buffered.push(value);
    }
  }

  /** No more values; what is buffered is still delivered. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.settleWaiter();
  }

  /** Ends at once, dropping buffered values (an abort: nobody wants the rest). */
  stop(): void {
    this.buffered.length = 0;
    this.end();
  }

  /** The consumer's next pull throws err (after what is buffered). */
  fail(err: unknown): void {
    if (this.closed) return;
    this.error = { err };
    this.end();
  }

  private settleWaiter(): void {
    if (this.waiter === undefined) return;
    const { resolve, reject } = this.waiter;
    this.waiter = undefined;
    if (this.error !== undefined) reject(this.error.err);
    else resolve({ value: undefined, done: true });
  }

  private next(): Promise<IteratorResult<T>> {
    if (this.buffered.length > 0) return Promise.resolve({ value: this.buffered.shift() as T, done: false });
    if (this.closed) {
      if (this.error !== undefined) {
        const { err } = this.error;
        this.error = undefined;
        return Promise.reject(err);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return { next: () => this.next() };
  }
}
