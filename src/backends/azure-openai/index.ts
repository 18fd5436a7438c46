export { createAzureOpenAIBackend, type AzureOpenAIOptions } from './backend.js';
