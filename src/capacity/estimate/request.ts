// The tokens a request is estimated to use, counted before it runs: Azure's admission estimate
// ("estimated max processed-token count": prompt tokens plus the output it may generate,
// shared/reference/azure-api.md §5.1). Settlement replaces it with the real usage afterwards,
// so it has to be close and cheap, not exact. All texts of a request are counted in one
// tokenizer.count() call: for a GGUF model that is one IPC round trip to its process.

import type { ChatGenerationRequest, CompletionRequest } from '../../core/inference.js';
import { imageTokens } from './images.js';
import type { PromptTokenizer } from './tokenizer.js';

/**
 * The output allowance per choice when the request sets no max_tokens. Azure does not publish
 * its own; this is the rule of Microsoft's Azure OpenAI API simulator (azure-api.md §5.1 [SIM]),
 * which charges `max_tokens` if set, else 16. Settlement corrects it with the real usage.
 */
export const DEFAULT_OUTPUT_ALLOWANCE = 16;

// OpenAI's way to count a chat prompt (openai-cookbook, "How to count tokens with tiktoken",
// for gpt-3.5-turbo-0613 and later): each message is wrapped in 3 tokens
// (<|im_start|>, the separator after the role, <|im_end|>), a name costs 1 more, and the
// reply is primed with 3 (<|im_start|>assistant<|im_sep|>).
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING = 3;

function outputAllowance(maxTokens: number | undefined): number {
  return maxTokens ?? DEFAULT_OUTPUT_ALLOWANCE;
}

/** Prompt tokens (messages, tool calls, tool definitions, images) plus the output allowance of every choice. */
export async function estimateChat(request: Pick<ChatGenerationRequest, 'messages' | 'params' | 'n' | 'tools'>, tokenizer: PromptTokenizer): Promise<number> {
  const texts: string[] = [];
  let fixed = REPLY_PRIMING;
  for (const message of request.messages) {
    fixed += TOKENS_PER_MESSAGE;
    texts.push(message.role, message.content);
    if (message.name !== undefined) {
      texts.push(message.name);
      fixed += TOKENS_PER_NAME;
    }
    // The calls an assistant made are part of its turn. Call ids are not: OpenAI's rendering
    // of a conversation does not show them to the model.
    for (const call of message.toolCalls ?? []) texts.push(call.name, call.arguments);
    for (const part of message.parts ?? []) if (part.type === 'image') fixed += imageTokens(part);
  }
  // The model sees the tool definitions in a rendering of its own (a TypeScript-like namespace
  // for OpenAI models); their JSON is a close, slightly larger stand-in any tokenizer can count.
  if (request.tools !== undefined && request.tools.length > 0) texts.push(JSON.stringify(request.tools));
  const prompt = await tokenizer.count(texts.filter((text) => text.length > 0));
  return prompt + fixed + outputAllowance(request.params.maxTokens) * (request.n ?? 1);
}

/** Text prompts' tokens in one count; token-id prompts are their own length. */
async function countInputs(inputs: (string | number[])[], tokenizer: PromptTokenizer): Promise<number> {
  const texts: string[] = [];
  let ids = 0;
  for (const input of inputs) {
    if (typeof input === 'string') {
      if (input.length > 0) texts.push(input);
    } else {
      ids += input.length;
    }
  }
  return ids + (texts.length > 0 ? await tokenizer.count(texts) : 0);
}

/**
 * A legacy completion: `prompts` are the request's prompts as the caller sent them (one
 * generation per prompt, each with max(n, best_of) candidates of up to max_tokens: best_of
 * candidates are all generated, and billed, before the best n are returned).
 */
export async function estimateCompletion(
  request: Pick<CompletionRequest, 'params' | 'n'>,
  prompts: (string | number[])[],
  bestOf: number | undefined,
  tokenizer: PromptTokenizer,
): Promise<number> {
  const candidates = Math.max(request.n ?? 1, bestOf ?? 1);
  const generations = Math.max(1, prompts.length);
  return (await countInputs(prompts, tokenizer)) + outputAllowance(request.params.maxTokens) * candidates * generations;
}

/** Embeddings generate nothing: the inputs' tokens are the whole cost. */
export function estimateEmbeddings(inputs: (string | number[])[], tokenizer: PromptTokenizer): Promise<number> {
  return countInputs(inputs, tokenizer);
}
