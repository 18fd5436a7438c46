// The simulator's settings with their defaults, and what both faces of it (the in-process
// backend and the HTTP server) share: request keys, plans, fault draws, embeddings.

import { UnsupportedRequestError } from '../../core/errors.js';
import type { ChatGenerationRequest, CompletionRequest, EmbeddingRequest, EmbeddingResult } from '../../core/inference.js';
import type { SimulatorBackendSpec, SimulatorFaults } from '../../core/resources.js';
import { drawFault, type Fault } from './faults.js';
import { Pace } from './pace.js';
import { chatKey, completionKey, planChat, planCompletion, type Plan } from './plan.js';
import { countTokens, hash32, rng } from './text.js';

export const DEFAULT_MODEL = 'lapis-simulator';
export const DEFAULT_DIMENSIONS = 1536;
export const DEFAULT_CONTEXT = 128_000;

/** A request's fate: a fault, or a plan to pace out. */
export type Outcome = { fault: Fault; plan?: Plan } | { fault?: undefined; plan: Plan };

export class SimulatorEngine {
  readonly model: string;
  readonly contextSize: number;
  readonly dimensions: number;
  readonly faults: SimulatorFaults | undefined;
  private readonly ttftMs: number;
  private readonly tokensPerSecond: number;

  constructor(spec: Partial<SimulatorBackendSpec> = {}) {
    this.model = spec.model ?? DEFAULT_MODEL;
    this.contextSize = spec.contextSize ?? DEFAULT_CONTEXT;
    this.dimensions = spec.embeddingDimensions ?? DEFAULT_DIMENSIONS;
    this.faults = spec.faults;
    this.ttftMs = Math.max(0, spec.timeToFirstTokenMs ?? 0);
    this.tokensPerSecond = Math.max(0, spec.tokensPerSecond ?? 0);
  }

  pace(): Pace {
    return new Pace(this.ttftMs, this.tokensPerSecond);
  }

  /**
   * Faults are drawn before the prompt is looked at (a rate limiter stands in front of a model);
   * dropStream still needs the plan, to know where halfway is.
   */
  chat(request: ChatGenerationRequest): Outcome {
    const key = chatKey(request);
    const fault = drawFault(this.faults, key, request.params.seed !== undefined);
    if (fault !== undefined && fault !== 'dropStream') return { fault };
    const plan = planChat(request, key, this.contextSize);
    return fault === undefined ? { plan } : { fault, plan };
  }

  complete(request: CompletionRequest): Outcome {
    const key = completionKey(request);
    const fault = drawFault(this.faults, key, request.params.seed !== undefined);
    if (fault !== undefined && fault !== 'dropStream') return { fault };
    const plan = planCompletion(request, key, this.contextSize);
    return fault === undefined ? { plan } : { fault, plan };
  }

  /** Embeddings take no seed: their fault draw is always random. */
  embeddingFault(): Fault | undefined {
    return drawFault(this.faults, 0, false);
  }

  /**
   * A unit vector per input, drawn from a hash of the input. `dimensions` keeps the first
   * components and renormalises (text-embedding-3 shortening), so short vectors are prefixes
   * of long ones up to scale.
   */
  embed(request: EmbeddingRequest): EmbeddingResult {
    const size = request.dimensions ?? this.dimensions;
    if (!Number.isInteger(size) || size < 1 || size > this.dimensions) {
      throw new UnsupportedRequestError('dimensions', `dimensions must be an integer from 1 to ${this.dimensions}, got ${size}`);
    }
    let promptTokens = 0;
    const embeddings = request.input.map((input) => {
      promptTokens += countTokens(input);
      const r = rng(hash32(typeof input === 'string' ? input : `ids:${input.join(',')}`));
      const vector = new Array<number>(size);
      let norm = 0;
      for (let i = 0; i < size; i++) {
        const x = r() * 2 - 1;
        vector[i] = x;
        norm += x * x;
      }
      norm = Math.sqrt(norm) || 1;
      for (let i = 0; i < size; i++) vector[i] = (vector[i] as number) / norm;
      return vector;
    });
    return { embeddings, promptTokens };
  }
}
