// An InferenceBackend over any upstream that speaks OpenAI's wire. The upstream kinds differ only
// in URLs, headers and whether `model` goes in the body, so both openai-compatible and
// azure-openai build on this one (azure-openai imports it from here; nothing imports back).

import { UnsupportedRequestError, UpstreamHttpError } from '../../core/errors.js';
import type {
  BackendCapabilities,
  ChatGenerationRequest,
  CompletionRequest,
  EmbeddingRequest,
  EmbeddingResult,
  GenerationEvent,
  InferenceBackend,
} from '../../core/inference.js';
import { OpenAIWireClient, type OpenAIWireTarget, type WireClientOptions, type WireOperation } from './client.js';
import { transportError } from './errors.js';
import { streamGeneration } from './stream.js';
import { wholeGeneration } from './whole.js';
import { chatBody, completionBody, embeddingBody, estimateChatTokens, estimateTokens, type WireBody } from './wire.js';

/** Longest wait for a health check's answer. */
const HEALTH_TIMEOUT_MS = 5_000;

export interface WireBackendConfig {
  target: OpenAIWireTarget;
  /** `model` sent in request bodies; undefined = none (Azure picks the model by deployment). */
  bodyModel?: string;
  /** modelId until the upstream names its model. */
  modelId: string;
  /** Adopt the `model` the upstream reports in its first answer (Azure: the deployed model's name). */
  learnModelId?: boolean;
  embeddingDimensions?: number;
  client?: WireClientOptions;
}

interface WireEmbeddings {
  model?: string;
  data?: { index?: number; embedding?: number[] }[];
  usage?: { prompt_tokens?: number };
}

export class OpenAIWireBackend implements InferenceBackend {
  readonly capabilities: BackendCapabilities;
  private model: string;
  private learnedModel = false;
  private readonly client: OpenAIWireClient;
  /**
   * Set once an upstream refused `stream_options` (older vLLM/Azure api-versions answer 400
   * naming it). From then on streams go without it and usage is estimated (see stream.ts):
   * a second request per call would cost more than an estimate is worth.
   */
  private noStreamOptions = false;
  /** GET of the target's health URL (a pool's active check); present when the target has one. */
  readonly health?: (path?: string) => Promise<boolean>;

  constructor(private readonly config: WireBackendConfig) {
    this.model = config.modelId;
    this.client = new OpenAIWireClient(config.target, config.client);
    // We cannot know what the upstream serves: it answers for itself (with an error if need be).
    this.capabilities = { chat: true, completions: true, embeddings: true, tools: true, jsonSchema: true, logprobs: true, vision: true };
    if (config.embeddingDimensions !== undefined) this.capabilities.embeddingDimensions = config.embeddingDimensions;
    const { healthUrl, timeoutMs } = config.target;
    // Short: a check that waits as long as a generation may would say nothing in time.
    const probeMs = Math.min(HEALTH_TIMEOUT_MS, timeoutMs ?? HEALTH_TIMEOUT_MS);
    if (healthUrl !== undefined) this.health = (path) => this.client.probe(healthUrl(path), probeMs);
  }

  get modelId(): string {
    return this.model;
  }

  chat(request: ChatGenerationRequest): AsyncIterable<GenerationEvent> {
    return this.generate('chat/completions', 'chat', request, estimateChatTokens(request.messages), (usage) =>
      chatBody(request, this.config.bodyModel, usage),
    );
  }

  complete(request: CompletionRequest): AsyncIterable<GenerationEvent> {
    return this.generate('completions', 'completion', request, estimateTokens(request.prompt), (usage) =>
      completionBody(request, this.config.bodyModel, usage),
    );
  }

  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    const max = this.config.embeddingDimensions;
    if (request.dimensions !== undefined && max !== undefined && request.dimensions > max) {
      throw new UnsupportedRequestError('dimensions', `dimensions may be at most ${max} for this model, got ${request.dimensions}`);
    }
    const { signal } = request;
    const response = await this.client.post('embeddings', embeddingBody(request, this.config.bodyModel), signal);
    if (response === undefined) throw signal.reason ?? new Error('aborted');
    let wire: WireEmbeddings;
    try {
      wire = (await response.body.json()) as WireEmbeddings;
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (err instanceof SyntaxError) throw new UpstreamHttpError(502, 'the upstream sent embeddings that are not JSON', { code: 'invalid_upstream_response' });
      throw transportError(err, 'embeddings');
    }
    if (typeof wire.model === 'string') this.learn(wire.model);
    const data = [...(wire.data ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    if (data.length !== request.input.length || data.some((d) => !Array.isArray(d.embedding))) {
      throw new UpstreamHttpError(502, `the upstream returned ${data.length} embeddings for ${request.input.length} inputs`, {
        code: 'invalid_upstream_response',
      });
    }
    return { embeddings: data.map((d) => d.embedding as number[]), promptTokens: wire.usage?.prompt_tokens ?? 0 };
  }

  close(): Promise<void> {
    return this.client.close();
  }

  private async *generate(
    operation: WireOperation,
    kind: 'chat' | 'completion',
    request: { signal: AbortSignal; stream?: boolean },
    estimatedPromptTokens: number,
    body: (includeUsage: boolean) => WireBody,
  ): AsyncGenerator<GenerationEvent> {
    const { signal } = request;
    const call = { client: this.client, operation, signal, kind, estimatedPromptTokens, onModel: (m: string) => this.learn(m) };
    if (request.stream === false) {
      // Not streamed to the client: one plain JSON answer from the upstream is cheaper.
      const whole = body(false);
      whole.stream = false;
      yield* wholeGeneration({ ...call, body: whole });
      return;
    }
    const withOptions = !this.noStreamOptions;
    let yielded = false;
    try {
      for await (const event of streamGeneration({ ...call, body: body(withOptions) })) {
        yielded = true;
        yield event;
      }
    } catch (err) {
      // The refusal is a 400 with the response headers, before any event; never repeat output.
      if (yielded || !withOptions || !refusesStreamOptions(err)) throw err;
      this.noStreamOptions = true;
      yield* streamGeneration({ ...call, body: body(false) });
    }
  }

  private learn(model: string): void {
    if (!this.config.learnModelId || this.learnedModel || model.length === 0) return;
    this.learnedModel = true;
    this.model = model;
  }
}

function refusesStreamOptions(err: unknown): boolean {
  return err instanceof UpstreamHttpError && (err.status === 400 || err.status === 422) && /stream_options/i.test(err.message);
}
