// Canonical → wire for chat completions: the JSON body (built by folding the event stream)
// and the SSE chunks, in Azure's order (shared/reference/azure-api.md §3.2, §3.3).

import { randomBytes } from 'node:crypto';
import type { FinishReason, GenerationEvent, TokenLogprob, Usage } from '../../core/index.js';
import type { FilteredEvent } from '../safety.js';
import { promptFilterResults } from './filter-annotations.js';
import { chatLogprobs } from './logprobs.js';

// Ids only need to be unique, not secret: a random prefix per process and a counter, instead of
// random bytes per request (which cost ~9% of a proxied request's CPU).
const ID_PREFIX = randomBytes(9).toString('base64url');
let idCounter = 0;

export function newCompletionId(prefix = 'chatcmpl'): string {
  return `${prefix}-${ID_PREFIX}${(idCounter++).toString(36)}`;
}

export function usageToWire(u: Usage) {
  return { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, total_tokens: u.promptTokens + u.completionTokens };
}

export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
  /** Whether logprobs were asked for: then every choice carries a logprobs object. */
  logprobs: boolean;
  /** What the content filters found in the prompt. */
  promptFilter: object;
  /** Checks a choice's finished text (the completion filters); absent = no filter ran. */
  completionFilter?: (text: string) => Promise<{ results: object; filtered: boolean }>;
}

interface ChoiceState {
  text: string;
  logprobs: TokenLogprob[];
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: FinishReason | null;
}

/** Folds a generation's events into the non-streaming body. */
export class ChatCompletionBuilder {
  private readonly choices = new Map<number, ChoiceState>();
  private usage: Usage = { promptTokens: 0, completionTokens: 0 };

  constructor(private readonly meta: CompletionMeta) {}

  private choice(index: number): ChoiceState {
    let c = this.choices.get(index);
    if (!c) this.choices.set(index, (c = { text: '', logprobs: [], toolCalls: [], finishReason: null }));
    return c;
  }

  add(ev: GenerationEvent): void {
    if (ev.type === 'usage') {
      this.usage = ev.usage;
      return;
    }
    const c = this.choice(ev.choice);
    if (ev.type === 'text') {
      c.text += ev.text;
      if (ev.logprobs) c.logprobs.push(...ev.logprobs);
    } else if (ev.type === 'tool_call') {
      const call = (c.toolCalls[ev.index] ??= { id: '', name: '', arguments: '' });
      if (ev.id) call.id = ev.id;
      if (ev.name) call.name = ev.name;
      call.arguments += ev.arguments;
    } else {
      c.finishReason = ev.finishReason;
    }
  }

  async body() {
    const indexes = [...this.choices.keys()].sort((a, b) => a - b);
    const checks = new Map<number, { results: object; filtered: boolean } | undefined>();
    for (const index of indexes) checks.set(index, await this.meta.completionFilter?.(this.choices.get(index)!.text));
    return {
      id: this.meta.id,
      object: 'chat.completion',
      created: this.meta.created,
      model: this.meta.model,
      prompt_filter_results: promptFilterResults([this.meta.promptFilter]),
      choices: indexes.map((index) => {
        const c = this.choices.get(index)!;
        const calls = c.toolCalls.filter(Boolean);
        const check = checks.get(index);
        // A filtered completion is withheld: finish_reason content_filter, no content (as Azure).
        const withheld = check?.filtered === true;
        return {
          index,
          finish_reason: withheld ? 'content_filter' : (c.finishReason ?? 'stop'),
          logprobs: this.meta.logprobs && !withheld ? chatLogprobs(c.logprobs) : null,
          message: {
            role: 'assistant',
            content: withheld || (calls.length > 0 && c.text === '') ? null : c.text,
            refusal: null,
            ...(calls.length > 0 && !withheld ? { tool_calls: calls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } })) } : {}),
          },
          content_filter_results: check?.results ?? {},
        };
      }),
      usage: usageToWire(this.usage),
    };
  }
}

/** Builds the SSE chunks of a streamed chat completion from the same events. */
export class ChatChunker {
  private readonly started = new Set<number>();

  constructor(private readonly meta: CompletionMeta) {}

  private chunk(choices: unknown[], extra: Record<string, unknown> = {}) {
    return { id: this.meta.id, object: 'chat.completion.chunk', created: this.meta.created, model: this.meta.model, choices, ...extra };
  }

  /** Azure's first event: prompt annotations only, with blank identity fields. */
  promptAnnotations() {
    return { id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: promptFilterResults([this.meta.promptFilter]) };
  }

  /** Asynchronous_filter mode: an annotation of text already sent, after it (blank identity fields). */
  private annotation(ev: Extract<FilteredEvent, { type: 'annotation' }>) {
    return {
      id: '', object: '', created: 0, model: '',
      choices: [{
        index: ev.choice,
        finish_reason: ev.finishReason ?? null,
        content_filter_results: ev.filter,
        content_filter_offsets: { check_offset: ev.offsets.check, start_offset: ev.offsets.start, end_offset: ev.offsets.end },
      }],
      usage: null,
    };
  }

  /** The chunks for one event (a choice's first event is preceded by its role chunk). */
  chunks(ev: FilteredEvent, includeUsage: boolean): unknown[] {
    if (ev.type === 'usage') return includeUsage ? [this.chunk([], { usage: usageToWire(ev.usage) })] : [];
    if (ev.type === 'annotation') return [this.annotation(ev)];
    const filter = 'filter' in ev && ev.filter ? { content_filter_results: ev.filter } : {};
    const out: unknown[] = [];
    if (!this.started.has(ev.choice)) {
      this.started.add(ev.choice);
      out.push(this.chunk([{ index: ev.choice, delta: { role: 'assistant', content: '', refusal: null }, finish_reason: null, logprobs: null }]));
    }
    if (ev.type === 'text') {
      const logprobs = this.meta.logprobs && ev.logprobs ? chatLogprobs(ev.logprobs) : null;
      out.push(this.chunk([{ index: ev.choice, delta: { content: ev.text }, finish_reason: null, logprobs, ...filter }]));
    } else if (ev.type === 'tool_call') {
      const call: Record<string, unknown> = { index: ev.index, function: { arguments: ev.arguments, ...(ev.name ? { name: ev.name } : {}) } };
      if (ev.id) Object.assign(call, { id: ev.id, type: 'function' });
      out.push(this.chunk([{ index: ev.choice, delta: { tool_calls: [call] }, finish_reason: null, logprobs: null }]));
    } else {
      out.push(this.chunk([{ index: ev.choice, delta: {}, finish_reason: ev.finishReason, logprobs: null, ...filter }]));
    }
    return out;
  }
}
