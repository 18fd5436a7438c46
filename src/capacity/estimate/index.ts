// Admission estimates: the tokens a request will use, counted before it runs (request.ts), with
// the deployment's tokenizer (tokenizer.ts) and Azure's image rule (images.ts).

export { DEFAULT_OUTPUT_ALLOWANCE, estimateChat, estimateCompletion, estimateEmbeddings } from './request.js';
export { encodingTokenizer, openAIEncoding, tokenizerFor, type EncodingName, type PromptTokenizer } from './tokenizer.js';
export { highDetailTokens, imageTokens, LOW_DETAIL_TOKENS, UNKNOWN_IMAGE_TOKENS } from './images.js';
