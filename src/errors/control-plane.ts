// Error catalog of the ARM-shaped control plane. ARM's ErrorResponse is
// {"error":{"code","message","target"?,"details"?}}; codes and wording follow what
// Azure Resource Manager and Microsoft.CognitiveServices answer.

import { ApiError } from './api-error.js';

function arm(status: number, code: string, message: string, target?: string): ApiError {
  return new ApiError(status, { error: target ? { code, message, target } : { code, message } });
}

export function authenticationFailed(message = "Authentication failed. The 'Authorization' header is missing."): ApiError {
  return arm(401, 'AuthenticationFailed', message);
}

export function invalidAuthenticationToken(): ApiError {
  return arm(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
}

export function missingApiVersion(): ApiError {
  return arm(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
}

export function invalidApiVersion(given: string, supported: readonly string[]): ApiError {
  return arm(
    400,
    'InvalidApiVersionParameter',
    `The api-version '${given}' is invalid. The supported versions are '${supported.join(',')}'.`,
  );
}

export function resourceNotFound(type: string, name: string, resourceGroup: string): ApiError {
  return arm(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

/** An unknown path under the control plane. */
export function noRoute(method: string, path: string): ApiError {
  return arm(404, 'NotFound', `No route matches ${method} ${path}.`);
}

export function invalidResourceName(name: string, rule: string): ApiError {
  return arm(400, 'InvalidResourceName', `Resource name '${name}' is invalid. ${rule}`);
}

/** The body cannot be parsed or names a member the resource type does not have. */
export function invalidRequestContent(detail: string): ApiError {
  return arm(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: '${detail}'.`);
}

/** The body parses but a property has a value the resource cannot take. */
export function invalidResourceProperties(message: string, target?: string): ApiError {
  return arm(400, 'InvalidResourceProperties', message, target);
}

export function customDomainInUse(subdomain: string): ApiError {
  return arm(409, 'CustomDomainInUse', `Custom domain name '${subdomain}' is already in use by another account.`);
}

export function requestConflict(message: string): ApiError {
  return arm(409, 'RequestConflict', message);
}

export function payloadTooLarge(limitBytes: number): ApiError {
  return arm(413, 'RequestEntityTooLarge', `The request body is larger than the limit of ${limitBytes} bytes.`);
}

export function serviceUnavailable(message: string): ApiError {
  return new ApiError(503, { error: { code: 'ServiceUnavailable', message } }, { 'retry-after': '2' });
}

export function internalError(): ApiError {
  return arm(500, 'InternalServerError', 'The server encountered an internal error. Please retry the request.');
}

export function invalidSubscriptionId(id: string): ApiError {
  return arm(400, 'InvalidSubscriptionId', `The provided subscription identifier '${id}' is malformed or invalid.`);
}

export function invalidResourceLocation(name: string, existing: string, requested: string, resourceGroup: string): ApiError {
  return arm(
    409,
    'InvalidResourceLocation',
    `The resource '${name}' already exists in location '${existing}' in resource group '${resourceGroup}'. A resource with the same name cannot be created in location '${requested}'. Please select a new resource name.`,
  );
}

/** A bearer token that cannot be accepted; ARM's code for the reason. */
export function tokenRejected(reason: string): ApiError {
  if (/expired/i.test(reason)) return arm(401, 'ExpiredAuthenticationToken', `The access token has expired (${reason}).`);
  if (/audience/i.test(reason)) return arm(401, 'InvalidAuthenticationTokenAudience', `The access token has been obtained for wrong audience or resource (${reason}).`);
  return arm(401, 'InvalidAuthenticationToken', `The access token is invalid (${reason}).`);
}

/** A principal without a role that grants the action at this scope. */
export function authorizationFailed(principalId: string, action: string, scope: string): ApiError {
  return arm(
    403,
    'AuthorizationFailed',
    `The client '${principalId}' with object id '${principalId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
}

/** The admin token was presented but is turned off. */
export function adminTokenDisabled(): ApiError {
  return arm(401, 'InvalidAuthenticationToken', 'The admin token is disabled on this server (LAPIS_ADMIN_TOKEN_ENABLED=false); use a token from a trusted issuer.');
}

// Microsoft.Authorization (role assignments and definitions). Codes and messages as ARM's
// Authorization provider answers them (observed in public issues).

export function roleDefinitionDoesNotExist(roleDefinitionId: string, status: 400 | 404 = 400): ApiError {
  return arm(status, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${roleDefinitionId}' does not exist.`);
}

export function invalidRoleDefinitionId(roleDefinitionId: string): ApiError {
  return arm(400, 'InvalidRoleDefinitionId', `The role definition ID '${roleDefinitionId}' is not valid.`);
}

export function invalidRoleAssignmentId(name: string): ApiError {
  return arm(400, 'InvalidRoleAssignmentId', `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`);
}

/** The same principal already has this role at this scope, under another assignment name. */
export function roleAssignmentExists(): ApiError {
  return arm(409, 'RoleAssignmentExists', 'The role assignment already exists.');
}

/** A PUT on an existing assignment name that changes what it grants, to whom or where. */
export function roleAssignmentUpdateNotPermitted(): ApiError {
  return arm(400, 'RoleAssignmentUpdateNotPermitted', 'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.');
}

export function roleAssignmentNotFound(name: string): ApiError {
  return arm(404, 'RoleAssignmentNotFound', `The role assignment '${name}' is not found.`);
}

/** A $filter the list does not support; the message is ARM's, the code is UNCONFIRMED. */
export function unsupportedFilter(filter: string, supported: string): ApiError {
  return arm(400, 'BadRequest', `The filter '${filter}' is not supported. Supported filters are ${supported}.`);
}

/** A deployment's capacity does not fit in the subscription's quota for its type and model in the region. */
export function insufficientQuota(message: string): ApiError {
  return arm(400, 'InsufficientQuota', message);
}
