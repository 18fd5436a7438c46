// The simulator as an in-process InferenceBackend: a plan (plan.ts) paced out as events, with
// the injected faults a real upstream shows — 429, 500, a hang, a stream cut halfway.

import { BackendUnavailableError, UpstreamTimeoutError } from '../../core/errors.js';
import type {
  BackendCapabilities,
  ChatGenerationRequest,
  CompletionRequest,
  EmbeddingRequest,
  EmbeddingResult,
  GenerationEvent,
  InferenceBackend,
  TokenLogprob,
} from '../../core/inference.js';
import type { SimulatorBackendSpec } from '../../core/resources.js';
import { SimulatorEngine, type Outcome } from './engine.js';
import { HANG_MS, rateLimitError, serverError, type Fault } from './faults.js';
import { sleep } from './pace.js';
import type { Plan, TextPiece } from './plan.js';
import { countTokens } from './text.js';

export function createSimulatorBackend(spec: SimulatorBackendSpec): InferenceBackend {
  return new SimulatorBackend(new SimulatorEngine(spec));
}

class SimulatorBackend implements InferenceBackend {
  readonly modelId: string;
  readonly capabilities: BackendCapabilities;
  private closed = false;

  constructor(private readonly engine: SimulatorEngine) {
    this.modelId = engine.model;
    this.capabilities = {
      chat: true,
      completions: true,
      embeddings: true,
      tools: true,
      jsonSchema: true,
      logprobs: true,
      vision: true,
      embeddingDimensions: engine.dimensions,
      contextSize: engine.contextSize,
    };
  }

  chat(request: ChatGenerationRequest): AsyncIterable<GenerationEvent> {
    return this.run(() => this.engine.chat(request), request.signal);
  }

  complete(request: CompletionRequest): AsyncIterable<GenerationEvent> {
    return this.run(() => this.engine.complete(request), request.signal);
  }

  async embed(request: EmbeddingRequest): Promise<EmbeddingResult> {
    this.assertOpen();
    const fault = this.engine.embeddingFault();
    if (fault === 'timeout') {
      await hang(request.signal);
      throw request.signal.reason;
    }
    if (fault !== undefined) throw this.failure(fault);
    return this.engine.embed(request);
  }

  /** By the simulator's own token rule (text.ts), so admission estimates what its usage reports. */
  async countTokens(texts: string[]): Promise<number> {
    let tokens = 0;
    for (const text of texts) tokens += countTokens(text);
    return tokens;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async *run(decide: () => Outcome, signal: AbortSignal): AsyncGenerator<GenerationEvent> {
    this.assertOpen();
    if (signal.aborted) return;
    const { fault, plan } = decide();
    if (fault === 'timeout') {
      await hang(signal);
      return; // aborted: the caller gave up, quietly
    }
    if (fault !== undefined && fault !== 'dropStream') throw this.failure(fault);
    if (plan !== undefined) yield* emit(plan, this.engine, signal, fault === 'dropStream');
  }

  private failure(fault: Fault): Error {
    if (fault === 'rateLimit') return rateLimitError(this.engine.faults);
    if (fault === 'serverError') return serverError();
    return new BackendUnavailableError('stream dropped');
  }

  private assertOpen(): void {
    if (this.closed) throw new BackendUnavailableError(`simulator ${this.modelId} is closed`);
  }
}

/** Waits until the caller aborts; if nobody does for HANG_MS, that is a timeout. */
async function hang(signal: AbortSignal): Promise<void> {
  if (await sleep(HANG_MS, signal)) throw new UpstreamTimeoutError('the simulated upstream did not answer');
}

/** Paces a plan out as events: step k gives each choice its k-th piece. */
async function* emit(plan: Plan, engine: SimulatorEngine, signal: AbortSignal, drop: boolean): AsyncGenerator<GenerationEvent> {
  const pace = engine.pace();
  let steps = 1;
  for (const c of plan.choices) steps = Math.max(steps, c.pieces.length);
  const dropAt = drop ? Math.floor(steps / 2) : -1;
  for (let step = 0; step < steps; step++) {
    if (step === dropAt) throw new BackendUnavailableError('stream dropped');
    const wait = pace.instant ? 0 : pace.wait(step);
    if (wait > 0 && !(await sleep(wait, signal))) return;
    if (signal.aborted) return;
    for (let choice = 0; choice < plan.choices.length; choice++) {
      const c = plan.choices[choice]!;
      if (step === 0 && c.echo !== undefined) yield { type: 'text', choice, text: c.echo.text, ...logprobsOf(c.echo) };
      const piece = c.pieces[step];
      if (piece?.kind === 'text') yield { type: 'text', choice, text: piece.text, ...logprobsOf(piece) };
      else if (piece?.kind === 'tool') {
        const event: Extract<GenerationEvent, { type: 'tool_call' }> = { type: 'tool_call', choice, index: piece.index, arguments: piece.arguments };
        if (piece.id !== undefined) event.id = piece.id;
        if (piece.name !== undefined) event.name = piece.name;
        yield event;
      }
      if (step === Math.max(0, c.pieces.length - 1)) yield { type: 'done', choice, finishReason: c.finishReason };
    }
  }
  yield { type: 'usage', usage: { promptTokens: plan.promptTokens, completionTokens: plan.completionTokens } };
}

function logprobsOf(piece: TextPiece): { logprobs?: TokenLogprob[] } {
  return piece.logprobs === undefined ? {} : { logprobs: piece.logprobs };
}
