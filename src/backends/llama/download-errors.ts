// Download failures: the one error callers see, and how network errors are told apart (give up
// at once, or try again and resume).

/** A download that cannot succeed as asked (network, HTTP status, checksum). */
export class ModelDownloadError extends Error {
  override readonly name = 'ModelDownloadError';
  /** The HTTP status that ended the download, when there was one. */
  readonly statusCode: number | undefined;
  constructor(
    message: string,
    readonly url: string,
    options?: { cause?: unknown; statusCode?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.statusCode = options?.statusCode;
  }
}

/** A failure worth another attempt (cut connection, 5xx); carries the reason for the final message. */
export class RetryableError extends Error {}

export const HINT = 'check the network or pass a local file';
// Failures of the network itself (before any response): retrying a refused connection only delays
// the message for an offline machine.
export const CANNOT_CONNECT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'host name lookup failed (DNS)',
  ENETUNREACH: 'network unreachable',
  EHOSTUNREACH: 'host unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  CERT_HAS_EXPIRED: 'TLS certificate has expired',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate cannot be verified',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate is self-signed',
};

export function errorCode(err: unknown): string | undefined {
  // Node reports a refused connection to every address of a host as an AggregateError.
  const e = err as { code?: unknown; errors?: unknown[]; cause?: unknown } | undefined;
  if (typeof e?.code === 'string') return e.code;
  if (e?.errors?.length) return errorCode(e.errors[0]);
  return e?.cause ? errorCode(e.cause) : undefined;
}

export function describe(err: unknown): string {
  const code = errorCode(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'the server stopped sending data';
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE') return 'the connection was cut';
  return err instanceof Error ? err.message : String(err);
}
