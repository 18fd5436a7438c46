// Error catalog of the Azure AI Content Safety API under /contentsafety. Its body is Azure.Core's
// ErrorResponse: {"error":{"code","message","details":[],"innererror":{"code","message"}}}.
// Outer codes are the documented ones (learn.microsoft.com …/content-safety/concepts/
// response-codes: InvalidRequestBody, InvalidResourceName, ResourceNotFound, InternalError);
// the innererror codes are Lapis's own, a finer reason for logs and tests (UNCONFIRMED against
// the live service). Authentication and api-version failures happen before the route and use
// the Cognitive Services gateway's "401" / "404" bodies of the data-plane catalog, as on Azure.

import { ApiError } from './api-error.js';

function contentSafety(status: number, code: string, message: string, inner: string): ApiError {
  return new ApiError(status, { error: { code, message, details: [], innererror: { code: inner, message } } });
}

/** A body field that is missing, of the wrong type, or out of range; `inner` says which way. */
export function invalidRequestBody(message: string, inner = 'InvalidRequestBody'): ApiError {
  return contentSafety(400, 'InvalidRequestBody', message, inner);
}

/** A blocklist name (or item id) against the naming rule. */
export function invalidResourceName(message: string): ApiError {
  return contentSafety(400, 'InvalidResourceName', message, 'InvalidResourceName');
}

/** An unknown blocklist or blocklist item, named in the URL or in the analyze body. */
export function resourceNotFound(message: string): ApiError {
  return contentSafety(404, 'ResourceNotFound', message, 'ResourceNotFound');
}

/** The blocklist is still named by a content-filter policy (no documented code: UNCONFIRMED). */
export function conflict(message: string): ApiError {
  return contentSafety(409, 'Conflict', message, 'BlocklistInUse');
}
