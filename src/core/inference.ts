// The backend contract: small, streaming and cancellable. Every backend (embedded llama,
// brokers to other engines, the simulator) implements InferenceBackend; the data plane only
// speaks this canonical form and converts to and from Azure's wire shapes at its edge.

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface ChatMessage {
  role: ChatRole;
  /** Text content; multi-part text is joined by the converter before it gets here. */
  content: string;
  name?: string;
}

export interface GenerationParams {
  /** Upper bound of generated tokens; undefined = until the context is full or a stop. */
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
}

export interface ChatGenerationRequest {
  messages: ChatMessage[];
  params: GenerationParams;
  /** Aborted when the client goes away; a backend stops generating at once. */
  signal: AbortSignal;
}

export type FinishReason = 'stop' | 'length';

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export type GenerationEvent =
  | { type: 'text'; text: string }
  | { type: 'done'; finishReason: FinishReason; usage: Usage };

export interface InferenceBackend {
  /** Human-readable model id, reported as `model` in responses. */
  readonly modelId: string;
  chat(request: ChatGenerationRequest): AsyncIterable<GenerationEvent>;
  /** Releases the model (stops its process). Idempotent. */
  close(): Promise<void>;
}

export interface BackendLoadOptions {
  /** Called once if the backend dies after it loaded (e.g. its process crashed). */
  onFailure(reason: string): void;
}
