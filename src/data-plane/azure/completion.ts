// Legacy completions (POST …/completions), wire ⇄ canonical: createCompletionRequest of the
// 2024-10-21 spec, `text_completion` bodies and chunks.

import type { CompletionRequest, FinishReason, GenerationEvent, GenerationParams, TokenLogprob, Usage } from '../../core/index.js';
import { dataPlaneErrors as errors } from '../../errors/index.js';
import { legacyLogprobs } from './logprobs.js';
import type { FilteredEvent } from '../safety.js';
import { promptFilterResults } from './filter-annotations.js';
import { usageToWire } from './chat-response.js';
import { badValue, isObject, optBoolean, optInteger, optString, readSamplingParams, rejectUnknown, withoutUnset, wrongType } from './read.js';

const KNOWN = new Set([
  'prompt', 'model', 'best_of', 'echo', 'frequency_penalty', 'logit_bias', 'logprobs', 'max_tokens', 'n',
  'presence_penalty', 'seed', 'stop', 'stream', 'stream_options', 'suffix', 'temperature', 'top_p', 'user',
]);

export interface LegacyCompletionRequest {
  /** One canonical request per prompt; choice index = prompt index × n + i. */
  prompts: (string | number[])[];
  request: Omit<CompletionRequest, 'prompt' | 'signal'>;
  stream: boolean;
  includeUsage: boolean;
}

function readPrompts(value: unknown): (string | number[])[] {
  if (value === undefined || value === null) return ['<|endoftext|>'];
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value) || value.length === 0) throw wrongType('prompt', 'a string, an array of strings, or token ids', value);
  if (value.every((v) => typeof v === 'string')) return value as string[];
  if (value.every((v) => Number.isInteger(v))) return [value as number[]];
  if (value.every((v) => Array.isArray(v) && v.length > 0 && v.every((t) => Number.isInteger(t)))) return value as number[][];
  throw wrongType('prompt', 'a string, an array of strings, an array of token ids, or an array of those', value);
}

export function readCompletionRequest(body: unknown): LegacyCompletionRequest {
  if (!isObject(body)) throw errors.invalidRequest('invalid_type', 'The request body must be a JSON object.');
  rejectUnknown(body, KNOWN);
  const suffix = optString(body, 'suffix');
  if (suffix) throw errors.invalidRequest('unsupported_parameter', "Unsupported parameter: 'suffix' (insertion) is not supported by Lapis.", 'suffix');
  const n = optInteger(body, 'n', 1, 128) ?? 1;
  const bestOf = optInteger(body, 'best_of', 1, 20);
  if (bestOf !== undefined && bestOf < n) throw badValue('best_of', "'best_of' must be greater than or equal to 'n'.");
  if (bestOf !== undefined && bestOf !== n) {
    throw errors.invalidRequest('unsupported_parameter', "Unsupported parameter: 'best_of' greater than 'n' is not supported by Lapis.", 'best_of');
  }
  const logprobs = optInteger(body, 'logprobs', 0, 5);
  // The legacy API's own max_tokens default: 16 tokens.
  const params: GenerationParams = withoutUnset({ ...readSamplingParams(body), maxTokens: optInteger(body, 'max_tokens', 0) ?? 16, logprobs });
  const stream = optBoolean(body, 'stream') ?? false;
  let includeUsage = false;
  if (body.stream_options !== undefined && body.stream_options !== null) {
    if (!stream) throw badValue('stream_options', "'stream_options' is only allowed when 'stream' is true.");
    if (!isObject(body.stream_options)) throw wrongType('stream_options', 'an object', body.stream_options);
    rejectUnknown(body.stream_options, new Set(['include_usage', 'include_obfuscation']), 'stream_options.');
    includeUsage = optBoolean(body.stream_options, 'include_usage', 'stream_options.include_usage') ?? false;
  }
  const request: LegacyCompletionRequest['request'] = { params, echo: optBoolean(body, 'echo') ?? false };
  if (n > 1) request.n = n;
  return { prompts: readPrompts(body.prompt), request, stream, includeUsage };
}

interface Choice {
  text: string;
  logprobs: TokenLogprob[];
  finishReason: FinishReason | null;
}

export interface TextCompletionMeta {
  id: string;
  created: number;
  model: string;
  logprobs: boolean;
  /** What the content filters found in each prompt. */
  promptFilters: object[];
  /** Checks a choice's finished text (the completion filters). */
  completionFilter?: (text: string) => Promise<{ results: object; filtered: boolean }>;
}

/** Folds the events of every prompt's generation into one `text_completion` body. */
export class TextCompletionBuilder {
  private readonly choices = new Map<number, Choice>();
  private readonly usage: Usage = { promptTokens: 0, completionTokens: 0 };

  constructor(private readonly meta: TextCompletionMeta, private readonly prompts: number) {}

  /** `offset`: the first choice index of this prompt's generation. */
  add(ev: GenerationEvent, offset: number): void {
    if (ev.type === 'usage') {
      this.usage.promptTokens += ev.usage.promptTokens;
      this.usage.completionTokens += ev.usage.completionTokens;
      return;
    }
    if (ev.type === 'tool_call') return;
    const index = offset + ev.choice;
    let c = this.choices.get(index);
    if (!c) this.choices.set(index, (c = { text: '', logprobs: [], finishReason: null }));
    if (ev.type === 'text') {
      c.text += ev.text;
      if (ev.logprobs) c.logprobs.push(...ev.logprobs);
    } else c.finishReason = ev.finishReason;
  }

  async body() {
    // Choices are checked one after another: a guard model serves them no faster concurrently.
    const checks = new Map<number, { results: object; filtered: boolean } | undefined>();
    for (const [index, c] of this.choices) checks.set(index, await this.meta.completionFilter?.(c.text));
    return {
      id: this.meta.id,
      object: 'text_completion',
      created: this.meta.created,
      model: this.meta.model,
      prompt_filter_results: promptFilterResults(this.meta.promptFilters),
      choices: [...this.choices.keys()].sort((a, b) => a - b).map((index) => {
        const c = this.choices.get(index)!;
        const check = checks.get(index);
        // A filtered completion is withheld, as on chat.
        if (check?.filtered) return { text: '', index, finish_reason: 'content_filter', logprobs: null, content_filter_results: check.results };
        return { text: c.text, index, finish_reason: c.finishReason ?? 'stop', logprobs: this.meta.logprobs ? legacyLogprobs(c.logprobs) : null, content_filter_results: check?.results ?? {} };
      }),
      usage: usageToWire(this.usage),
    };
  }
}

/** SSE chunks of a streamed legacy completion. */
export class TextCompletionChunker {
  private readonly offsets = new Map<number, number>();

  constructor(private readonly meta: TextCompletionMeta) {}

  private chunk(choices: unknown[], extra: Record<string, unknown> = {}) {
    return { id: this.meta.id, object: 'text_completion', created: this.meta.created, model: this.meta.model, choices, ...extra };
  }

  chunks(ev: FilteredEvent, offset: number, includeUsage: boolean, usage?: Usage): unknown[] {
    if (ev.type === 'usage') return includeUsage && usage ? [this.chunk([], { usage: usageToWire(usage) })] : [];
    if (ev.type === 'tool_call') return [];
    const index = offset + ev.choice;
    if (ev.type === 'annotation') {
      const o = ev.offsets;
      return [{ id: '', object: '', created: 0, model: '', choices: [{ index, finish_reason: ev.finishReason ?? null, content_filter_results: ev.filter, content_filter_offsets: { check_offset: o.check, start_offset: o.start, end_offset: o.end } }] }];
    }
    const filter = ev.filter ? { content_filter_results: ev.filter } : {};
    if (ev.type === 'done') return [this.chunk([{ text: '', index, logprobs: null, finish_reason: ev.finishReason, ...filter }])];
    const at = this.offsets.get(index) ?? 0;
    this.offsets.set(index, at + ev.text.length);
    const logprobs = this.meta.logprobs && ev.logprobs ? legacyLogprobs(ev.logprobs, at) : null;
    return [this.chunk([{ text: ev.text, index, logprobs, finish_reason: null, ...filter }])];
  }
}
