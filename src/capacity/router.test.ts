import { describe, expect, it } from 'vitest';
import type { ToolDefinition } from '../core/index.js';
import { parseModelPrices, priceTable } from './prices.js';
import { WEIGHTS, blendedPrice, chooseDeployment, complexity, signals, type ComplexityInput } from './router.js';

const user = (content: string): ComplexityInput => ({ messages: [{ role: 'user', content }] });

const EASY = ['What is the capital of France?', 'Say hello in Spanish.', 'Translate "good morning" into German.', 'hi'];

const LONG_CONTEXT = Array.from({ length: 40 }, (_, i) => `Service ${i} handles orders for region ${i % 7} and writes to shard ${i % 5}; it retries twice on failure.`).join('\n');
const CODE = ['```python', 'def merge(intervals):', '    intervals.sort()', '    out = []', '    for s, e in intervals:', '        if out and s <= out[-1][1]:', '            out[-1][1] = max(out[-1][1], e)', '        else:', '            out.append([s, e])', '    return out', '```'].join('\n');
const TOOL: ToolDefinition = { name: 'run_query', description: 'Runs SQL', parameters: { type: 'object' } };
const HARD: ComplexityInput = {
  messages: [
    { role: 'system', content: 'You are a senior engineer.' },
    { role: 'user', content: `${LONG_CONTEXT}\n\n${CODE}\n\nAnalyze this algorithm step by step, prove it is correct, derive its time complexity and compare the trade-offs of optimizing it for memory.` },
  ],
  tools: [TOOL],
};

describe('complexity', () => {
  it('weights sum to 1', () => {
    expect(Object.values(WEIGHTS).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
  });

  it.each(EASY)('reads %j as easy (below 0.15)', (prompt) => {
    expect(complexity(user(prompt))).toBeLessThan(0.15);
  });

  it('reads a long prompt with code, tools and reasoning cues as hard (above 0.8)', () => {
    const s = signals(HARD);
    expect(s).toMatchObject({ tools: 1, code: 1, reasoning: 1, turns: 0 });
    expect(s.length).toBeGreaterThan(0.5);
    expect(complexity(HARD)).toBeGreaterThan(0.8);
  });

  it('grows with each signal on its own', () => {
    const base = complexity(user('Summarize the meeting notes.'));
    expect(complexity({ ...user('Summarize the meeting notes.'), tools: [TOOL] })).toBeCloseTo(base + WEIGHTS.tools, 5);
    expect(complexity(user(`Summarize the meeting notes.\n${CODE}`))).toBeGreaterThan(base + WEIGHTS.code * 0.9);
    expect(complexity(user('Prove the claim step by step and explain why it holds.'))).toBeCloseTo(WEIGHTS.reasoning, 5);
    expect(signals(user('Let x^2 + 3x ≤ 10; find x.')).reasoning).toBeGreaterThan(0);
  });

  it('counts code-like lines without fences', () => {
    const s = signals(user('Why does this fail?\nconst total = items.reduce((a, b) => a + b);\nif (total > limit) {\n  throw new Error("too big");\n}'));
    expect(s.code).toBe(1);
    expect(signals(user('The meeting is at noon. Bring the slides.')).code).toBe(0);
  });

  it('reads tool calls in the history as tool use, and depth from user turns', () => {
    const s = signals({
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'weather', arguments: '{}' }] },
        { role: 'tool', content: '{"t": 21}' },
        { role: 'user', content: 'and tomorrow?' },
      ],
    });
    expect(s.tools).toBe(1);
    expect(s.turns).toBeCloseTo(1 / 6, 5);
  });

  it('reads reasoning cues in instructions only, not in the assistant’s own answers', () => {
    const s = signals({ messages: [{ role: 'user', content: 'hello' }, { role: 'assistant', content: 'Why, let me analyze and compare step by step!' }, { role: 'user', content: 'thanks' }] });
    expect(s.reasoning).toBe(0);
  });

  it('stays within [0, 1]', () => {
    const huge: ComplexityInput = { messages: Array.from({ length: 30 }, () => HARD.messages[1]!), tools: [TOOL] };
    expect(complexity(huge)).toBeLessThanOrEqual(1);
    expect(complexity({ messages: [] })).toBe(0);
  });
});

describe('chooseDeployment', () => {
  const prices = priceTable();
  const candidate = (name: string, model: string) => ({ name, model, price: prices(model) });
  // Given out of price order: the choice ranks them itself.
  const three = [candidate('big', 'gpt-4.1'), candidate('small', 'gpt-4.1-nano'), candidate('mid', 'gpt-4.1-mini')];
  const pick = (c: number, mode?: 'balanced' | 'quality' | 'cost') => chooseDeployment(three, c, mode).name;

  it('balanced: the cheapest candidate whose rank reaches complexity × (n − 1), rounded', () => {
    expect(pick(0)).toBe('small');
    expect(pick(0.24)).toBe('small');
    expect(pick(0.25)).toBe('mid'); // 0.5 rounds up
    expect(pick(0.74)).toBe('mid');
    expect(pick(0.75)).toBe('big');
    expect(pick(1)).toBe('big');
  });

  it('quality moves complexity up by 0.25, cost down by 0.25, clamped', () => {
    expect(pick(0, 'quality')).toBe('mid');
    expect(pick(0.5, 'quality')).toBe('big');
    expect(pick(1, 'quality')).toBe('big');
    expect(pick(1, 'cost')).toBe('big');
    expect(pick(0.9, 'cost')).toBe('mid');
    expect(pick(0.5, 'cost')).toBe('mid');
    expect(pick(0.2, 'cost')).toBe('small');
    expect(pick(0, 'cost')).toBe('small');
  });

  it('on easy and hard prompts, per mode', () => {
    const easy = complexity(user(EASY[0]!));
    const hard = complexity(HARD);
    expect([pick(easy, 'cost'), pick(easy), pick(easy, 'quality')]).toEqual(['small', 'small', 'mid']);
    expect([pick(hard, 'cost'), pick(hard), pick(hard, 'quality')]).toEqual(['mid', 'big', 'big']);
  });

  it('ranks equal prices (unknown local models cost 0) in the order given', () => {
    const local = [candidate('phi', 'phi-3-mini'), candidate('llama', 'llama-3-8b'), candidate('qwen', 'qwen-72b')];
    expect(local.map((c) => chooseDeployment(local, [0, 0.5, 1][local.indexOf(c)]!).name)).toEqual(['phi', 'llama', 'qwen']);
    // A priced model ranks above the free ones.
    const mixed = [candidate('cloud', 'gpt-4o-mini'), candidate('local', 'my-gguf')];
    expect(chooseDeployment(mixed, 0).name).toBe('local');
    expect(chooseDeployment(mixed, 1).name).toBe('cloud');
  });

  it('ranks by the 3:1 blend of input and output prices', () => {
    expect(blendedPrice({ input: 2, output: 8 })).toBe(3.5);
    const pair = [candidate('gpt-4o', 'gpt-4o'), candidate('o4-mini', 'o4-mini')];
    expect(chooseDeployment(pair, 0).name).toBe('o4-mini');
  });

  it('refuses an empty list', () => {
    expect(() => chooseDeployment([], 0.5)).toThrow();
  });
});

describe('prices', () => {
  it('has the published list prices and 0 for unknown models, without case', () => {
    const table = priceTable();
    expect(table('gpt-4o')).toEqual({ input: 2.5, output: 10 });
    expect(table('GPT-4.1-Nano')).toEqual({ input: 0.1, output: 0.4 });
    expect(table('stories260K')).toEqual({ input: 0, output: 0 });
  });

  it('merges LAPIS_MODEL_PRICES over the table', () => {
    const table = priceTable(parseModelPrices('{"gpt-4o": {"input": 5, "output": 15}, "my-model": {"input": 0.5, "output": 2}}'));
    expect(table('gpt-4o')).toEqual({ input: 5, output: 15 });
    expect(table('my-model')).toEqual({ input: 0.5, output: 2 });
    expect(table('gpt-4.1')).toEqual({ input: 2, output: 8 });
  });

  it('refuses malformed settings, naming the entry', () => {
    expect(() => parseModelPrices('nope')).toThrow(/not JSON/);
    expect(() => parseModelPrices('[]')).toThrow(/JSON object/);
    expect(() => parseModelPrices('{"m": {"input": -1, "output": 2}}')).toThrow("modelPrices['m'].input");
    expect(() => parseModelPrices('{"m": {"input": 1}}')).toThrow("modelPrices['m'].output");
    expect(() => parseModelPrices('{"m": {"input": 1, "output": 2, "cached": 0.5}}')).toThrow("unknown member 'cached'");
  });
});
