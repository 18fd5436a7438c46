// Failures raised by backends (src/core/errors.ts) as entries of the data-plane catalog.

import {
  BackendUnavailableError, ContextLengthExceededError, UnsupportedRequestError, UpstreamHttpError, UpstreamTimeoutError,
} from '../core/index.js';
import { dataPlaneErrors as errors } from '../errors/index.js';

export function mapBackendError(err: unknown, deployment: string): unknown {
  if (err instanceof ContextLengthExceededError) return errors.contextLengthExceeded(err.message);
  if (err instanceof UnsupportedRequestError) return errors.unsupportedValue(err.param, err.message);
  if (err instanceof UpstreamTimeoutError) return errors.timeout();
  if (err instanceof BackendUnavailableError) return errors.backendUnavailable(deployment, err.message);
  if (err instanceof UpstreamHttpError) {
    const { status, options } = err;
    if (status === 429) return errors.upstreamRateLimited(err.message, options.retryAfterMs);
    if (status === 400 || status === 404 || status === 413 || status === 422) {
      return errors.upstreamInvalidRequest(err.message, options.code ?? null, options.param ?? null);
    }
    if (status === 401 || status === 403) return errors.badGateway(`The upstream of deployment '${deployment}' refused Lapis's credentials (${status}).`);
    return errors.badGateway(`The upstream of deployment '${deployment}' failed (${status}): ${err.message}`);
  }
  return err;
}
