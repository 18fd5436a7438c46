import { describe, expect, it } from 'vitest';
import { SseReader } from './sse.js';

function readAll(pieces: Buffer[]): string[] {
  const reader = new SseReader();
  const out: string[] = [];
  for (const p of pieces) out.push(...reader.push(p));
  out.push(...reader.end());
  return out;
}

describe('SseReader', () => {
  const stream = Buffer.from('data: {"a":"héllo 👋"}\n\n: keep-alive\n\nevent: x\ndata: {"b":1}\n\ndata: [DONE]\n\n', 'utf8');

  it('reads events cut at every byte boundary, multi-byte characters included', () => {
    const whole = readAll([stream]);
    expect(whole).toEqual(['{"a":"héllo 👋"}', '{"b":1}', '[DONE]']);
    for (let cut = 1; cut < stream.length; cut++) {
      expect(readAll([stream.subarray(0, cut), stream.subarray(cut)])).toEqual(whole);
    }
    expect(readAll([...stream].map((b) => Buffer.from([b])))).toEqual(whole);
  });

  it('accepts CRLF lines, data without a space, multi-line data, and a last event without its blank line', () => {
    expect(readAll([Buffer.from('data:{"a":1}\r\n\r\ndata: line1\ndata: line2\n\ndata: tail')])).toEqual(['{"a":1}', 'line1\nline2', 'tail']);
  });
});
