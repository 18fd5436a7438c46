// The text of one choice on its way out: stop strings are found across token boundaries and
// never emitted, so any tail that could still become a stop string is held back until the next
// token decides. Text leaves in whole tokens, each with its log-probabilities, so a `text` event
// carries exactly the logprobs of the tokens whose text it holds.

import type { TokenLogprob } from '../../core/inference.js';

interface Piece {
  text: string;
  logprobs: TokenLogprob[];
}

export type Emit = (text: string, logprobs: TokenLogprob[] | undefined) => void;

export class TextOutput {
  private held: Piece[] = [];
  private readonly stops: string[];

  /**
   * @param trimTrailingWhitespace hold back trailing whitespace and drop it at the end (a JSON
   *   grammar lets the model pad its output with newlines before it may stop).
   */
  constructor(
    stops: readonly string[],
    private readonly emit: Emit,
    private readonly withLogprobs: boolean,
    private readonly trimTrailingWhitespace = false,
  ) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  /** Adds the text of one or more tokens. Returns true when a stop string ended the output. */
  push(text: string, logprobs: TokenLogprob[]): boolean {
    this.held.push({ text, logprobs });
    const joined = this.held.map((p) => p.text).join('');
    let stopAt = -1;
    for (const stop of this.stops) {
      const at = joined.indexOf(stop);
      if (at >= 0 && (stopAt < 0 || at < stopAt)) stopAt = at;
    }
    if (stopAt >= 0) {
      this.release(stopAt, true);
      return true;
    }
    this.release(joined.length - this.heldTail(joined), false);
    return false;
  }

  /** The output ended without a stop string (length, end token): what is held goes out. */
  finish(): void {
    const joined = this.held.map((p) => p.text).join('');
    const end = this.trimTrailingWhitespace ? joined.trimEnd().length : joined.length;
    this.release(end, true);
  }

  /** Length of the tail that must wait: a prefix of some stop string, or whitespace to trim. */
  private heldTail(joined: string): number {
    let tail = 0;
    for (const stop of this.stops) {
      for (let n = Math.min(stop.length - 1, joined.length); n > tail; n--) {
        if (joined.endsWith(stop.slice(0, n))) {
          tail = n;
          break;
        }
      }
    }
    if (this.trimTrailingWhitespace) tail = Math.max(tail, joined.length - joined.trimEnd().length);
    return tail;
  }

  /**
   * Emits the held text up to `end`. Pieces that end by `end` go whole; with `final`, the piece
   * that straddles `end` goes cut (its logprobs with it) and the rest is dropped.
   */
  private release(end: number, final: boolean): void {
    let offset = 0;
    let text = '';
    const logprobs: TokenLogprob[] = [];
    let taken = 0;
    for (const piece of this.held) {
      const pieceEnd = offset + piece.text.length;
      if (pieceEnd <= end) {
        text += piece.text;
        logprobs.push(...piece.logprobs);
        taken++;
      } else {
        if (final && offset < end) {
          text += piece.text.slice(0, end - offset);
          logprobs.push(...piece.logprobs);
        }
        break;
      }
      offset = pieceEnd;
    }
    this.held = final ? [] : this.held.slice(taken);
    if (text.length > 0 || logprobs.length > 0) this.emit(text, this.withLogprobs ? logprobs : undefined);
  }
}
