// Incremental Server-Sent Events reader for OpenAI-style streams
// (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
// Bytes arrive in whatever pieces TCP gives us: an event, a line or a UTF-8 character may be cut
// anywhere, so the decoder keeps partial characters and `pending` keeps the partial line.
// OpenAI streams only use `data:` fields; comments (`: ping`), `event:`, `id:` and `retry:` are
// skipped. Each completed event yields its data text, ready for JSON.parse.

import { StringDecoder } from 'node:string_decoder';

const CR = 13;
const SPACE = 32;

export class SseReader {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  /** Data lines of the event being read (usually one). */
  private data: string[] = [];

  /** Feeds bytes; returns the data of every event they complete, in order. */
  push(chunk: Buffer): string[] {
    const text = this.pending.length === 0 ? this.decoder.write(chunk) : this.pending + this.decoder.write(chunk);
    const events: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
      this.line(text.slice(start, end), events);
      start = nl + 1;
    }
    this.pending = start === 0 ? text : text.slice(start);
    return events;
  }

  /** The stream ended: a last event without its blank line still counts. */
  end(): string[] {
    const events: string[] = [];
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    if (rest.length > 0) this.line(rest.charCodeAt(rest.length - 1) === CR ? rest.slice(0, -1) : rest, events);
    this.line('', events);
    return events;
  }

  private line(line: string, events: string[]): void {
    if (line.length === 0) {
      if (this.data.length === 1) events.push(this.data[0] as string);
      else if (this.data.length > 1) events.push(this.data.join('\n'));
      if (this.data.length > 0) this.data = [];
      return;
    }
    if (line.startsWith('data:')) this.data.push(line.slice(line.charCodeAt(5) === SPACE ? 6 : 5));
  }
}
