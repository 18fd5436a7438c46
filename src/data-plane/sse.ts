// Server-sent events on a raw Node response, with back-pressure: a slow reader pauses the
// producer instead of letting chunks pile up in memory. Events written in the same tick go out
// in one socket write (cork until the next tick), headers included: an upstream read that
// carried several chunks costs one syscall here, not one per chunk.

import type { ServerResponse } from 'node:http';
import { once } from 'node:events';

export class SseWriter {
  private corked = false;

  constructor(private readonly res: ServerResponse) {}

  start(headers: Record<string, string>): void {
    this.res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
  }

  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.res.cork();
    process.nextTick(() => {
      this.corked = false;
      this.res.uncork();
    });
  }

  /** Writes one `data:` event; waits while the socket's buffer is full. */
  async data(payload: unknown): Promise<void> {
    if (this.closed) return;
    this.cork();
    const line = `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;
    if (!this.res.write(line)) await Promise.race([once(this.res, 'drain'), once(this.res, 'close')]);
  }

  async done(): Promise<void> {
    await this.data('[DONE]');
    if (!this.closed) this.res.end();
  }

  /** An error after the stream started: the SDKs throw on an event whose JSON has `error`. */
  async fail(error: unknown): Promise<void> {
    await this.data(error);
    if (!this.closed) this.res.end();
  }
}
