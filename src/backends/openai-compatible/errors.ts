// Upstream failures → the domain errors of src/core/errors.ts. OpenAI-style engines put
// `{error: {message, code, param, type}}` in the body (older vLLM: the same fields at top level;
// llama.cpp server: `{error: {code: 400, type: "exceed_context_size_error", n_prompt_tokens, n_ctx}}`).
// A context overflow becomes ContextLengthExceededError when the numbers can be read, so the data
// plane answers exactly as it does for local models.

import type { IncomingHttpHeaders } from 'node:http';
import {
  BackendUnavailableError,
  ContextLengthExceededError,
  UpstreamHttpError,
  UpstreamTimeoutError,
} from '../../core/errors.js';

interface WireError {
  message?: unknown;
  code?: unknown;
  param?: unknown;
  type?: unknown;
  status?: unknown;
  n_prompt_tokens?: unknown;
  n_ctx?: unknown;
}

/** The error an upstream described, as a status and a parsed (or unparsable) body. */
export function errorFromBody(status: number, body: unknown, retryAfterMs?: number): Error {
  const wire = wireError(body);
  const message = typeof wire?.message === 'string' && wire.message.length > 0 ? wire.message : `upstream answered ${status}`;
  const code = wire?.code === undefined || wire.code === null ? undefined : String(wire.code);
  const param = typeof wire?.param === 'string' ? wire.param : null;
  const overflow = contextOverflow(wire, message, code);
  if (overflow === 'unknown') {
    return new UpstreamHttpError(400, message, { code: 'context_length_exceeded', param: param ?? 'messages' });
  }
  if (overflow !== undefined) return new ContextLengthExceededError(overflow.promptTokens, overflow.contextSize);
  const options: { code?: string; param?: string | null; retryAfterMs?: number } = { param };
  if (code !== undefined) options.code = code;
  if (retryAfterMs !== undefined) options.retryAfterMs = retryAfterMs;
  return new UpstreamHttpError(status, message, options);
}

function wireError(body: unknown): WireError | undefined {
  if (typeof body !== 'object' || body === null) return typeof body === 'string' && body.length > 0 ? { message: body.slice(0, 1000) } : undefined;
  const inner = (body as { error?: unknown }).error;
  if (typeof inner === 'object' && inner !== null) return inner as WireError;
  if (typeof inner === 'string') return { message: inner };
  return body as WireError;
}

// OpenAI/vLLM: "This model's maximum context length is 4096 tokens. However, you requested 5000
// tokens (4000 in the messages, 1000 in the completion)." or "… your messages resulted in 5000 tokens".
const MAX_CONTEXT = /maximum context length is (\d+) tokens/i;
const PROMPT_IN_MESSAGES = /\((\d+) in the messages/i;
const REQUESTED = /(?:resulted in|requested|you have) (\d+) tokens/i;

function contextOverflow(
  wire: WireError | undefined,
  message: string,
  code: string | undefined,
): { promptTokens: number; contextSize: number } | 'unknown' | undefined {
  const llamaCpp = wire?.type === 'exceed_context_size_error';
  if (llamaCpp && typeof wire.n_prompt_tokens === 'number' && typeof wire.n_ctx === 'number') {
    return { promptTokens: wire.n_prompt_tokens, contextSize: wire.n_ctx };
  }
  const max = MAX_CONTEXT.exec(message);
  if (max) {
    const prompt = PROMPT_IN_MESSAGES.exec(message) ?? REQUESTED.exec(message);
    if (prompt) return { promptTokens: Number(prompt[1]), contextSize: Number(max[1]) };
  }
  if (llamaCpp || code === 'context_length_exceeded' || max) return 'unknown';
  return undefined;
}

/** retry-after-ms (Azure, milliseconds) wins over retry-after (seconds or an HTTP date). */
export function retryAfterMs(headers: IncomingHttpHeaders): number | undefined {
  const ms = Number(headers['retry-after-ms']);
  if (headers['retry-after-ms'] !== undefined && Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const value = headers['retry-after'];
  if (typeof value !== 'string' || value.length === 0) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Refused or reset before any answer: safe to try again (nothing was generated for us). */
export function isConnectFailure(err: unknown): boolean {
  const code = codeOf(err);
  return code !== undefined && CONNECT_FAILURES.has(code);
}

/** A transport failure from undici or the socket → a domain error naming the upstream. */
export function transportError(err: unknown, where: string): Error {
  if (err instanceof UpstreamHttpError || err instanceof ContextLengthExceededError) return err;
  if (err instanceof UpstreamTimeoutError || err instanceof BackendUnavailableError) return err;
  const code = codeOf(err);
  const detail = err instanceof Error ? err.message : String(err);
  if (code !== undefined && TIMEOUTS.has(code)) return new UpstreamTimeoutError(`${where}: ${detail}`);
  return new BackendUnavailableError(`${where}: ${detail}`, { cause: err });
}
