// Domain failures raised below the HTTP edge. They carry no wire shape: the edge maps each one
// to an entry of the error catalog (src/errors).

/** The database cannot be reached (connection refused, reset, server shutting down). */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A model could not be loaded: bad file, unsupported architecture, process crash. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A backend that loaded earlier is not able to serve now (its process died, it is closing). */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The prompt does not fit in the model's context window. */
export class ContextLengthExceededError extends Error {
  override readonly name = 'ContextLengthExceededError';
  constructor(
    readonly promptTokens: number,
    readonly contextSize: number,
  ) {
    super(
      `This model's maximum context length is ${contextSize} tokens. However, your messages resulted in ${promptTokens} tokens. Please reduce the length of the messages.`,
    );
  }
}

/** An upstream engine answered with an error status. */
export class UpstreamHttpError extends Error {
  override readonly name = 'UpstreamHttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly options: { code?: string; param?: string | null; retryAfterMs?: number } = {},
  ) {
    super(message);
  }
}

/** The upstream did not answer, or stopped answering, within its timeout. */
export class UpstreamTimeoutError extends Error {
  override readonly name = 'UpstreamTimeoutError';
}

/** A valid request that this backend cannot serve (e.g. more dimensions than the model has). */
export class UnsupportedRequestError extends Error {
  override readonly name = 'UnsupportedRequestError';
  constructor(
    readonly param: string | null,
    message: string,
  ) {
    super(message);
  }
}
