// The backend contract: small, streaming and cancellable. Every backend (embedded llama,
// brokers to other engines, the simulator) implements InferenceBackend; the data plane only
// speaks this canonical form and converts to and from Azure's wire shapes at its edge.
// The canonical form follows OpenAI's chat semantics (roles, tools, formats), which every
// engine Lapis fronts speaks natively, in camelCase and without wire-only details.

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface ToolCall {
  id: string;
  name: string;
  /** The arguments as the model wrote them: a JSON text. */
  arguments: string;
}

/** A non-text part of a user message, passed to backends that accept it (capabilities.vision). */
export type ContentPart = { type: 'text'; text: string } | { type: 'image'; url: string; detail: 'auto' | 'low' | 'high' };

export interface ChatMessage {
  role: ChatRole;
  /** Text content; multi-part text is joined by the converter before it gets here. */
  content: string;
  /** The message's parts in order, only when it has parts other than text (images). */
  parts?: ContentPart[];
  name?: string;
  /** assistant: the tool calls it made. */
  toolCalls?: ToolCall[];
  /** tool: the call this message answers. */
  toolCallId?: string;
}

/** A JSON Schema, as the caller gave it. */
export type JsonSchema = Record<string, unknown>;

export interface ToolDefinition {
  name: string;
  description?: string;
  parameters?: JsonSchema;
  strict?: boolean;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: JsonSchema; strict: boolean; description?: string };

export interface GenerationParams {
  /** Upper bound of generated tokens per choice; undefined = until the context is full or a stop. */
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  /** Token id → bias in [-100, 100], added to the logit before sampling. */
  logitBias?: Record<string, number>;
  /** Report log-probabilities: undefined = no; 0 = of the chosen token; n = with the n most likely alternatives. */
  logprobs?: number;
  /** End-user id, for the audit log; never sent to a model. */
  user?: string;
}

/** Which backend answered a request (the data plane names it in `x-lapis-backend`). */
export interface ServedBy {
  by?: string;
}

export interface ChatGenerationRequest {
  messages: ChatMessage[];
  params: GenerationParams;
  /** How many independent choices to generate (OpenAI `n`). Default 1. */
  n?: number;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  /**
   * false: the caller folds the events into one answer, so a backend may produce them all at
   * once (e.g. one non-streaming upstream call, cheaper than parsing a stream). Default true.
   */
  stream?: boolean;
  /** Aborted when the client goes away; a backend stops generating at once. */
  signal: AbortSignal;
  /** Out: the backend that answered writes its name here before the first event (a pool: the member's). */
  served?: ServedBy;
}

export interface CompletionRequest {
  /** The prompt: text, or token ids of the model's tokenizer. */
  prompt: string | number[];
  params: GenerationParams;
  n?: number;
  /** Prepend the prompt to the completion (legacy `echo`). */
  echo?: boolean;
  /** As ChatGenerationRequest.stream. */
  stream?: boolean;
  signal: AbortSignal;
  served?: ServedBy;
}

export interface EmbeddingRequest {
  /** Each input: text, or token ids of the model's tokenizer. */
  input: (string | number[])[];
  /** Shorten the vectors to this many dimensions, where the model allows it. */
  dimensions?: number;
  signal: AbortSignal;
  /** As ChatGenerationRequest.served: written before the result is returned. */
  served?: ServedBy;
}

export interface EmbeddingResult {
  embeddings: number[][];
  promptTokens: number;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export interface TopLogprob {
  token: string;
  logprob: number;
  /** UTF-8 bytes of the token, or null when it is not valid text on its own. */
  bytes: number[] | null;
}

export interface TokenLogprob extends TopLogprob {
  topLogprobs: TopLogprob[];
}

/**
 * What a generation streams. Events of different choices may interleave; each choice ends with
 * its own `done`, and one `usage` (all choices together) ends the stream.
 */
export type GenerationEvent =
  | { type: 'text'; choice: number; text: string; logprobs?: TokenLogprob[] }
  /**
   * A piece of a tool call. The first piece of call `index` carries its id and name; later pieces
   * (from streaming upstreams) add to `arguments`. Backends that know a call whole send one piece.
   */
  | { type: 'tool_call'; choice: number; index: number; id?: string; name?: string; arguments: string }
  | { type: 'done'; choice: number; finishReason: FinishReason }
  | { type: 'usage'; usage: Usage };

/** What a backend can do; the data plane refuses the rest with Azure's OperationNotSupported. */
export interface BackendCapabilities {
  chat: boolean;
  completions: boolean;
  embeddings: boolean;
  tools: boolean;
  /** Output constrained to a JSON schema (response_format json_schema, strict tools). */
  jsonSchema: boolean;
  logprobs: boolean;
  /** Accepts image parts in user messages. */
  vision: boolean;
  /** Embedding size, when the backend knows it; `dimensions` may not exceed it. */
  embeddingDimensions?: number;
  /** Context window in tokens, when the backend knows it. */
  contextSize?: number;
}

export interface InferenceBackend {
  /** Human-readable model id, reported as `model` in responses. */
  readonly modelId: string;
  readonly capabilities: BackendCapabilities;
  chat(request: ChatGenerationRequest): AsyncIterable<GenerationEvent>;
  complete(request: CompletionRequest): AsyncIterable<GenerationEvent>;
  embed(request: EmbeddingRequest): Promise<EmbeddingResult>;
  /**
   * Tokens of these texts in the model's own tokenizer, summed (capacity admission estimates
   * with it). Absent: the backend cannot tell, and admission estimates another way.
   */
  countTokens?(texts: string[]): Promise<number>;
  /** Whether the engine answers now (a pool's active health check); `path` as PoolBackendSpec.healthCheck.path. Absent: it cannot tell. */
  health?(path?: string): Promise<boolean>;
  /** Releases the model or connections. Idempotent. */
  close(): Promise<void>;
}

export interface BackendLoadOptions {
  /** Called once if the backend dies after it loaded (e.g. its process crashed). */
  onFailure(reason: string): void;
}
