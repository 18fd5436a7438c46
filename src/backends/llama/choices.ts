// The n choices of one request: each its own generation on its own context sequence, all
// started at once (the sequence pool queues what exceeds `parallel`). Their events interleave;
// usage counts the prompt once and sums the completions, as OpenAI reports `n`.

import { randomBytes } from 'node:crypto';
import type { FinishReason, TokenLogprob, Usage } from '../../core/inference.js';

export interface Emitter {
  text(choice: number, text: string, logprobs?: TokenLogprob[]): void;
  toolCall(choice: number, index: number, callId: string, name: string, args: string): void;
  done(choice: number, finishReason: FinishReason): void;
}

export interface ChoiceResult {
  completionTokens: number;
  aborted: boolean;
}

export type RequestOutcome =
  | { kind: 'end'; usage: Usage }
  | { kind: 'aborted'; completionTokens: number }
  | { kind: 'context-exceeded'; promptTokens: number; contextSize: number };

/**
 * Runs choices 0..n-1 concurrently. When one fails the others are stopped and the error
 * propagates; a choice ended by the request's abort (while decoding or still queued) reports
 * `aborted`, and so does the request.
 */
export async function runChoices(
  n: number,
  promptTokens: number,
  signal: AbortSignal,
  run: (choice: number, signal: AbortSignal) => Promise<ChoiceResult>,
): Promise<RequestOutcome> {
  const controller = new AbortController();
  const forward = (): void => controller.abort(signal.reason);
  if (signal.aborted) forward();
  else signal.addEventListener('abort', forward, { once: true });
  try {
    const results = await Promise.all(
      Array.from({ length: n }, (_, choice) =>
        run(choice, controller.signal).catch((err: unknown) => {
          if (controller.signal.aborted && signal.aborted) return { completionTokens: 0, aborted: true };
          controller.abort(err);
          throw err;
        }),
      ),
    );
    const completionTokens = results.reduce((sum, r) => sum + r.completionTokens, 0);
    if (signal.aborted || results.some((r) => r.aborted)) return { kind: 'aborted', completionTokens };
    return { kind: 'end', usage: { promptTokens, completionTokens } };
  } finally {
    signal.removeEventListener('abort', forward);
  }
}

/** OpenAI-style tool call ids: `call_` and 24 random alphanumerics. */
export function newCallId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(24);
  return `call_${Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('')}`;
}
