import { countChatCompletionTokens, countTokens as gpt4oCount, encodeChat } from 'gpt-tokenizer/model/gpt-4o';
import { describe, expect, it, vi } from 'vitest';
import type { ChatGenerationRequest, ChatMessage, CompletionRequest, InferenceBackend } from '../../core/inference.js';
import { DEFAULT_OUTPUT_ALLOWANCE, estimateChat, estimateCompletion, estimateEmbeddings } from './request.js';
import { encodingTokenizer, tokenizerFor, type PromptTokenizer } from './tokenizer.js';
import { pngUrl } from './testing.js';

const o200k = encodingTokenizer('o200k_base');
const signal = new AbortController().signal;
const chat = (messages: ChatMessage[], extra: Partial<ChatGenerationRequest> = {}): ChatGenerationRequest => ({
  messages,
  params: { maxTokens: 0 }, // prompt tokens alone, unless a test says otherwise
  signal,
  ...extra,
});
const completion = (extra: Partial<CompletionRequest> = {}): CompletionRequest => ({ prompt: '', params: {}, signal, ...extra });

/** A tokenizer that counts one token per character, and records its calls. */
function charTokenizer(): PromptTokenizer & { calls: string[][] } {
  const calls: string[][] = [];
  return { calls, count: async (texts) => (calls.push(texts), texts.join('').length) };
}

const conversation: ChatMessage[] = [
  { role: 'system', content: 'You are a helpful assistant that answers in one short sentence.' },
  { role: 'user', content: 'What is the capital of France, and why is it famous?' },
  { role: 'assistant', content: 'Paris, famous for the Eiffel Tower, art, and food.' },
];

describe('estimateChat', () => {
  it("counts a gpt-4o conversation as gpt-tokenizer's chat encoding does", async () => {
    const expected = encodeChat(conversation.map(({ role, content }) => ({ role, content })), 'gpt-4o').length;
    expect(gpt4oCount(conversation.map(({ role, content }) => ({ role, content })))).toBe(expected);
    expect(await estimateChat(chat(conversation), o200k)).toBe(expected);
  });

  it("counts a name as OpenAI's cookbook does (its tokens + 1)", async () => {
    const named: ChatMessage[] = [...conversation, { role: 'user', name: 'ann', content: 'And of Italy?' }];
    const messages = named.map(({ role, content, name }) => ({ role, content, ...(name ? { name } : {}) }));
    // Defined for models with function calling, which gpt-4o is.
    expect(await estimateChat(chat(named), o200k)).toBe(countChatCompletionTokens!({ messages }));
  });

  it('adds the output allowance of every choice: max_tokens, else 16', async () => {
    const prompt = await estimateChat(chat(conversation), o200k);
    expect(await estimateChat(chat(conversation, { params: { maxTokens: 100 } }), o200k)).toBe(prompt + 100);
    expect(await estimateChat(chat(conversation, { params: { maxTokens: 100 }, n: 3 }), o200k)).toBe(prompt + 300);
    expect(await estimateChat(chat(conversation, { params: {} }), o200k)).toBe(prompt + DEFAULT_OUTPUT_ALLOWANCE);
    expect(await estimateChat(chat(conversation, { params: {}, n: 2 }), o200k)).toBe(prompt + 2 * 16);
  });

  it('counts tool calls, tool results and the tool definitions', async () => {
    const tools = [{ name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
    const messages: ChatMessage[] = [
      { role: 'user', content: 'Weather in Oslo?' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }] },
      { role: 'tool', content: '{"temp":3}', toolCallId: 'call_1' },
    ];
    const tokenizer = charTokenizer();
    const total = await estimateChat(chat(messages, { tools }), tokenizer);
    const texts = ['user', 'Weather in Oslo?', 'assistant', 'get_weather', '{"city":"Oslo"}', 'tool', '{"temp":3}', JSON.stringify(tools)];
    expect(tokenizer.calls).toEqual([texts]); // one call for the whole request; empty texts left out
    expect(total).toBe(texts.join('').length + 3 * 3 + 3);
    // With real tokens: the definitions add what their JSON counts.
    const without = await estimateChat(chat(messages), o200k);
    expect(await estimateChat(chat(messages, { tools }), o200k)).toBe(without + gpt4oCount(JSON.stringify(tools)));
  });

  it('adds image tokens by the image rule', async () => {
    const text = await estimateChat(chat([{ role: 'user', content: 'What is in these?' }]), o200k);
    const withImages = chat([
      {
        role: 'user',
        content: 'What is in these?',
        parts: [
          { type: 'text', text: 'What is in these?' },
          { type: 'image', url: pngUrl(2048, 4096), detail: 'high' },
          { type: 'image', url: pngUrl(1024, 1024), detail: 'auto' },
          { type: 'image', url: 'https://example.com/a.png', detail: 'low' },
        ],
      },
    ]);
    expect(await estimateChat(withImages, o200k)).toBe(text + 1105 + 765 + 85);
  });

  it("asks a GGUF model's backend once per request", async () => {
    const countTokens = vi.fn(async (texts: string[]) => texts.length);
    const backend = { modelId: 'tiny', countTokens } as unknown as InferenceBackend;
    await estimateChat(chat(conversation), tokenizerFor('tiny', backend));
    expect(countTokens).toHaveBeenCalledTimes(1);
  });
});

describe('estimateCompletion', () => {
  it('counts text prompts, token-id prompts by their length, and max(n, best_of) × max_tokens per prompt', async () => {
    const text = 'Once upon a time';
    const tokens = gpt4oCount(text);
    expect(await estimateCompletion(completion({ prompt: text }), [text], undefined, o200k)).toBe(tokens + 16);
    expect(await estimateCompletion(completion({ params: { maxTokens: 50 }, n: 2 }), [text], undefined, o200k)).toBe(tokens + 100);
    expect(await estimateCompletion(completion({ params: { maxTokens: 50 }, n: 2 }), [text], 5, o200k)).toBe(tokens + 250);
    expect(await estimateCompletion(completion({ params: { maxTokens: 50 }, n: 3 }), [text], 1, o200k)).toBe(tokens + 150);
    // Two prompts: each is generated for.
    expect(await estimateCompletion(completion({ params: { maxTokens: 10 } }), [text, [1, 2, 3, 4]], undefined, o200k)).toBe(tokens + 4 + 20);
    expect(await estimateCompletion(completion({ params: { maxTokens: 10 } }), [[7, 8, 9]], undefined, o200k)).toBe(3 + 10);
  });

  it('counts all text prompts in one call and none for token ids only', async () => {
    const tokenizer = charTokenizer();
    expect(await estimateCompletion(completion({ params: { maxTokens: 0 } }), ['ab', [1], 'cde'], undefined, tokenizer)).toBe(2 + 1 + 3);
    expect(tokenizer.calls).toEqual([['ab', 'cde']]);
    await estimateCompletion(completion(), [[1, 2]], undefined, tokenizer);
    expect(tokenizer.calls).toHaveLength(1);
  });
});

describe('estimateEmbeddings', () => {
  it('counts the inputs only', async () => {
    const inputs = ['The food was delicious', 'and the waiter…', [101, 102, 103]];
    expect(await estimateEmbeddings(inputs, encodingTokenizer('cl100k_base'))).toBe(
      (await encodingTokenizer('cl100k_base').count(['The food was delicious', 'and the waiter…'])) + 3,
    );
    const tokenizer = charTokenizer();
    expect(await estimateEmbeddings(['abc', '', [1, 2]], tokenizer)).toBe(5);
    expect(tokenizer.calls).toEqual([['abc']]);
  });
});
