import { describe, expect, it } from 'vitest';
import { FailedAttempts } from './failed-attempts.js';

describe('failed authentication attempts', () => {
  it('lets the first few through at once, then slows each further failure, up to a cap', () => {
    const attempts = new FailedAttempts();
    const delays = Array.from({ length: 25 }, () => attempts.fail('10.0.0.1', 1000));
    expect(delays.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(delays[5]).toBe(200);
    expect(delays[6]).toBe(400);
    expect(Math.max(...delays)).toBe(3000);
    expect(attempts.count('10.0.0.1', 1000)).toBe(25);
  });

  it('counts per address and forgets after the window', () => {
    const attempts = new FailedAttempts();
    for (let i = 0; i < 10; i++) attempts.fail('10.0.0.1', 0);
    expect(attempts.fail('10.0.0.2', 0)).toBe(0);
    expect(attempts.fail('10.0.0.1', 61_000)).toBe(0);
  });
});
