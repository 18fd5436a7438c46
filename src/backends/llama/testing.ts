// Helpers for this folder's tests: collect a generation's events per choice, build requests,
// write generated models into a temporary directory.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  ChatGenerationRequest,
  FinishReason,
  GenerationEvent,
  GenerationParams,
  TokenLogprob,
  Usage,
} from '../../core/inference.js';

/** Real trained weights (1.2 MB), shared by the workplace; never in the repository. */
export const STORIES_260K = new URL('../../../../shared/models/stories260K.gguf', import.meta.url).pathname;

export interface CollectedChoice {
  text: string;
  chunks: number;
  logprobs: TokenLogprob[];
  toolCalls: { index: number; id?: string; name?: string; arguments: string }[];
  finishReason?: FinishReason;
}

export interface Collected {
  choices: CollectedChoice[];
  usage?: Usage;
  /** Every event, in arrival order. */
  events: GenerationEvent[];
}

export async function collect(events: AsyncIterable<GenerationEvent>): Promise<Collected> {
  const out: Collected = { choices: [], events: [] };
  const choice = (i: number): CollectedChoice => (out.choices[i] ??= { text: '', chunks: 0, logprobs: [], toolCalls: [] });
  for await (const event of events) {
    out.events.push(event);
    switch (event.type) {
      case 'text':
        choice(event.choice).text += event.text;
        choice(event.choice).chunks++;
        choice(event.choice).logprobs.push(...(event.logprobs ?? []));
        break;
      case 'tool_call':
        choice(event.choice).toolCalls.push({ index: event.index, id: event.id, name: event.name, arguments: event.arguments });
        break;
      case 'done':
        choice(event.choice).finishReason = event.finishReason;
        break;
      case 'usage':
        out.usage = event.usage;
        break;
    }
  }
  return out;
}

export function userTurn(
  content: string,
  params: GenerationParams = {},
  extra: Partial<Omit<ChatGenerationRequest, 'messages' | 'params'>> = {},
): ChatGenerationRequest {
  return { messages: [{ role: 'user', content }], params, signal: new AbortController().signal, ...extra };
}

/** A temporary directory for generated models; remove() deletes it. */
export async function tempDir(prefix: string): Promise<{ path: (name: string) => string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { path: (name) => join(dir, name), remove: () => rm(dir, { recursive: true, force: true }) };
}
