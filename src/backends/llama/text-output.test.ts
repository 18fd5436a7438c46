import { describe, expect, it } from 'vitest';
import type { TokenLogprob } from '../../core/inference.js';
import { TextOutput } from './text-output.js';

const lp = (token: string): TokenLogprob => ({ token, logprob: -1, bytes: null, topLogprobs: [] });

function run(stops: string[], tokens: string[], trim = false): { events: [string, string[]][]; stopped: boolean } {
  const events: [string, string[]][] = [];
  const output = new TextOutput(stops, (text, logprobs) => events.push([text, (logprobs ?? []).map((l) => l.token)]), true, trim);
  for (const token of tokens) {
    if (output.push(token, [lp(token)])) return { events, stopped: true };
  }
  output.finish();
  return { events, stopped: false };
}

describe('TextOutput', () => {
  it('passes whole tokens through with their logprobs', () => {
    expect(run([], ['a', 'b'])).toEqual({ events: [['a', ['a']], ['b', ['b']]], stopped: false });
  });

  it('holds back what may start a stop string, and never emits the stop', () => {
    const { events, stopped } = run(['END'], ['x', 'E', 'N', 'y', 'E', 'ND', 'z']);
    expect(stopped).toBe(true);
    expect(events.map(([t]) => t).join('')).toBe('xENy');
    expect(events.at(-1)).toEqual(['ENy', ['E', 'N', 'y']]);
  });

  it('cuts a token that holds the start of a stop string, keeping its logprob', () => {
    const { events } = run(['\n\n'], ['ab', 'c\n', '\nd']);
    expect(events).toEqual([['ab', ['ab']], ['c', ['c\n']]]);
  });

  it('drops trailing whitespace at the end when asked', () => {
    expect(run([], ['{', '} ', '\n', ' '], true).events).toEqual([['{', ['{']], ['}', ['} ']]]);
    expect(run([], ['{}', '\n', ' '], true).events).toEqual([['{}', ['{}']]]);
  });
});
