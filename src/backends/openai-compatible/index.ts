export { createOpenAICompatibleBackend, type OpenAICompatibleOptions } from './backend.js';
// For azure-openai (the one other backend allowed to build on this folder) and tests.
export { OpenAIWireBackend, type WireBackendConfig } from './wire-backend.js';
export type { OpenAIWireTarget, WireClientOptions, WireOperation } from './client.js';
