import { ChatMLChatWrapper, Llama2ChatWrapper } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import { toChatHistory } from './chat-history.js';

const roundTrip = [
  { role: 'system' as const, content: 'be brief' },
  { role: 'user' as const, content: 'weather in paris?' },
  {
    role: 'assistant' as const,
    content: '',
    toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"paris"}' }],
  },
  { role: 'tool' as const, content: '{"temp":21}', toolCallId: 'call_1' },
];

describe('toChatHistory', () => {
  it('puts tool calls and their results into the model turn, and continues that turn', () => {
    const history = toChatHistory(roundTrip);
    expect(history).toEqual([
      { type: 'system', text: 'be brief' },
      { type: 'user', text: 'weather in paris?' },
      {
        type: 'model',
        response: [{ type: 'functionCall', name: 'get_weather', params: { city: 'paris' }, result: { temp: 21 }, startsNewChunk: true }],
      },
    ]);
    // Rendered by the wrappers in their own function-call syntax.
    for (const wrapper of [new ChatMLChatWrapper(), new Llama2ChatWrapper()]) {
      const text = wrapper.generateContextState({ chatHistory: history }).contextText.toString();
      expect(text).toContain('||call: get_weather({"city": "paris"})');
      expect(text).toContain('||result: {"temp": 21}');
    }
  });

  it('opens a new model turn after a finished answer, and maps developer to system', () => {
    expect(
      toChatHistory([
        { role: 'developer', content: 'rules' },
        ...roundTrip.slice(1),
        { role: 'assistant', content: 'It is 21 degrees.' },
        { role: 'user', content: 'thanks' },
      ]).map((item) => item.type),
    ).toEqual(['system', 'user', 'model', 'user', 'model']);
    const afterAnswer = toChatHistory([...roundTrip, { role: 'assistant', content: 'It is 21 degrees.' }]);
    expect(afterAnswer.at(-2)).toMatchObject({ type: 'model', response: [{ type: 'functionCall' }, 'It is 21 degrees.'] });
    expect(afterAnswer.at(-1)).toEqual({ type: 'model', response: [] });
  });

  it('turns a tool message that answers no call into user text', () => {
    expect(toChatHistory([{ role: 'tool', content: 'orphan', toolCallId: 'nope' }])).toEqual([
      { type: 'user', text: 'orphan' },
      { type: 'model', response: [] },
    ]);
  });
});
