export { ApiError, isApiError, type ErrorBody } from './api-error.js';
export * as dataPlaneErrors from './data-plane.js';
export * as controlPlaneErrors from './control-plane.js';
export * as contentSafetyErrors from './content-safety.js';
