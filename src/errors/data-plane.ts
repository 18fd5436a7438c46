// Error catalog of the Azure OpenAI data plane (/openai/...). Bodies follow what the service
// sends (shared/reference/azure-api.md §2, §4); OpenAI-style validation errors follow the
// `invalid_request_error` shape the SDKs parse (error.code / error.param / error.type).

import { ApiError } from './api-error.js';

/** Azure sends this for a missing or wrong key alike. */
export function accessDenied(): ApiError {
  return new ApiError(401, {
    error: {
      code: '401',
      message:
        'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
    },
  });
}

/** Unknown path or unsupported api-version. */
export function resourceNotFound(): ApiError {
  return new ApiError(404, { error: { code: '404', message: 'Resource not found' } });
}

export function deploymentNotFound(): ApiError {
  return new ApiError(404, {
    error: {
      code: 'DeploymentNotFound',
      message:
        'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
    },
  });
}

/** The deployment exists but its model failed to load or its process died. */
export function deploymentFailed(deployment: string, reason: string): ApiError {
  return new ApiError(503, {
    error: {
      code: 'DeploymentFailed',
      message: `The deployment '${deployment}' is not serving: ${reason}`,
    },
  });
}

/** The deployment's model is still loading (a transient state; clients retry on 503). */
export function deploymentNotReady(deployment: string): ApiError {
  return new ApiError(
    503,
    {
      error: {
        code: 'DeploymentNotReady',
        message: `The deployment '${deployment}' is still being provisioned. Please retry shortly.`,
      },
    },
    { 'retry-after': '1' },
  );
}

export type InvalidRequestCode =
  | 'invalid_json'
  | 'unknown_parameter'
  | 'invalid_type'
  | 'invalid_value'
  | 'missing_required_parameter'
  | 'unsupported_parameter'
  | 'unsupported_content_type';

export function invalidRequest(code: InvalidRequestCode, message: string, param: string | null = null): ApiError {
  return new ApiError(400, {
    error: { message, type: 'invalid_request_error', param, code },
  });
}

export function contextLengthExceeded(message: string): ApiError {
  return new ApiError(400, {
    error: { message, type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' },
  });
}

export function payloadTooLarge(limitBytes: number): ApiError {
  return new ApiError(413, {
    error: {
      code: 'RequestEntityTooLarge',
      message: `The request body is larger than the limit of ${limitBytes} bytes.`,
      type: 'invalid_request_error',
      param: null,
    },
  });
}

export function serviceUnavailable(message: string): ApiError {
  return new ApiError(
    503,
    { error: { code: 'ServiceUnavailable', message } },
    { 'retry-after': '2' },
  );
}

export function internalError(): ApiError {
  return new ApiError(500, {
    error: {
      code: 'InternalServerError',
      message: 'The server had an error while processing your request. Sorry about that!',
      type: 'server_error',
      param: null,
    },
  });
}

export function unsupportedMediaType(contentType: string | undefined): ApiError {
  return new ApiError(415, {
    error: {
      message: `Unsupported content type '${contentType ?? '(none)'}'. Send the body as application/json.`,
      type: 'invalid_request_error',
      param: null,
      code: 'unsupported_content_type',
    },
  });
}

/** The deployment's model cannot do this operation (e.g. embeddings on a chat-only upstream). */
export function operationNotSupported(operation: string, deployment: string): ApiError {
  return new ApiError(400, {
    error: {
      code: 'OperationNotSupported',
      message: `The ${operation} operation does not work with the specified model, ${deployment}. Please choose different model and try again. You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.`,
    },
  });
}

/** A valid parameter value the deployment's model cannot honour. */
export function unsupportedValue(param: string | null, message: string): ApiError {
  return new ApiError(400, { error: { message, type: 'invalid_request_error', param, code: 'unsupported_value' } });
}

/** Lapis's own limits refused the request (Azure's 429 body); the SDK retries after retry-after-ms. */
export function rateLimited(message: string, retryAfterMs: number): ApiError {
  return upstreamRateLimited(message, retryAfterMs);
}

/** The upstream engine throttled the request; its wait is passed on so SDK retries honour it. */
export function upstreamRateLimited(message: string, retryAfterMs: number | undefined): ApiError {
  const headers: Record<string, string> = {};
  if (retryAfterMs !== undefined) {
    headers['retry-after-ms'] = String(Math.ceil(retryAfterMs));
    headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  }
  return new ApiError(429, { error: { code: '429', message } }, headers);
}

/** The upstream refused the request as invalid: its message is passed on. */
export function upstreamInvalidRequest(message: string, code: string | null, param: string | null): ApiError {
  return new ApiError(400, { error: { message, type: 'invalid_request_error', param, code } });
}

/** The upstream failed or refused Lapis's own credentials: not the caller's fault. */
export function badGateway(message: string): ApiError {
  return new ApiError(502, { error: { code: 'BadGateway', message, type: 'server_error', param: null } });
}

/** The upstream did not answer in time (Azure's wording for a timed-out operation). */
export function timeout(): ApiError {
  return new ApiError(408, { error: { code: 'Timeout', message: 'The operation was timeout.' } });
}

/** The engine behind the deployment cannot be reached right now. */
export function backendUnavailable(deployment: string, reason: string): ApiError {
  return new ApiError(
    503,
    { error: { code: 'ServiceUnavailable', message: `The backend of deployment '${deployment}' is unavailable: ${reason}` } },
    { 'retry-after': '1' },
  );
}

/** A bearer token that cannot be accepted (Azure's wording, with the reason appended). */
export function invalidToken(reason: string): ApiError {
  return new ApiError(401, {
    error: {
      code: '401',
      message: `Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired. (${reason})`,
    },
  });
}

/** A principal without a role that grants the operation's data action. */
export function permissionDenied(principalId: string, action: string): ApiError {
  return new ApiError(401, {
    error: {
      code: 'PermissionDenied',
      message: `Principal does not have access to API/Operation. The principal '${principalId}' lacks the required data action '${action}'.`,
    },
  });
}

/** A key used on an account whose disableLocalAuth is true. */
export function keyAuthDisabled(): ApiError {
  return new ApiError(403, { error: { code: 'AuthenticationTypeDisabled', message: 'Key based authentication is disabled for this resource.' } });
}

/** The account's network rules refuse the caller's address or listener. */
export function networkDenied(): ApiError {
  return new ApiError(
    403,
    { error: { code: '403', message: 'Access denied due to Virtual Network/Firewall rules.' } },
    { 'policy-id': 'ThrowExceptionDueToTrafficDenied' },
  );
}

/** The prompt tripped a blocking content filter (the wire form users observe, reference §4). */
export function contentFiltered(results: object): ApiError {
  return new ApiError(400, {
    error: {
      message:
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
      type: null,
      param: 'prompt',
      code: 'content_filter',
      status: 400,
      innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_result: results },
    },
  });
}
