import { describe, expect, it } from 'vitest';
import { Breaker } from './breaker.js';

function breaker(failures = 3, cooldownMs = 1000) {
  const clock = { t: 0 };
  const changes: string[] = [];
  const b = new Breaker({ failures, cooldownMs, now: () => clock.t, onChange: (state) => changes.push(state) });
  return { b, clock, changes };
}

describe('circuit breaker', () => {
  it('opens after N consecutive failures, for the cooldown; a success in between starts the count again', () => {
    const { b, clock, changes } = breaker(3, 1000);
    b.failed(false);
    b.failed(false);
    b.succeeded(false);
    b.failed(false);
    b.failed(false);
    expect(b.state()).toBe('closed');
    b.failed(false);
    expect(b.state()).toBe('open');
    expect(b.available()).toBe(false);
    expect(b.reopensInMs()).toBe(1000);
    clock.t = 999;
    expect(b.state()).toBe('open');
    clock.t = 1000;
    expect(b.state()).toBe('half-open');
    expect(changes).toEqual(['open']);
  });

  it('opens for as long as the upstream asked when the failure carried Retry-After', () => {
    const { b, clock } = breaker(1, 1000);
    b.failed(false, 5000);
    expect(b.throttled()).toBe(true);
    clock.t = 4999;
    expect(b.state()).toBe('open');
    clock.t = 5000;
    expect(b.state()).toBe('half-open');
    expect(b.throttled()).toBe(false);
  });

  it('half-open lets one trial through at a time; its outcome closes or reopens', () => {
    const { b, clock, changes } = breaker(1, 1000);
    b.failed(false);
    clock.t = 1000;
    expect(b.available()).toBe(true);
    const trial = b.begin();
    expect(trial).toBe(true);
    expect(b.available()).toBe(false);
    b.failed(trial);
    expect(b.state()).toBe('open');
    expect(b.reopensInMs()).toBe(1000);
    clock.t = 2000;
    const second = b.begin();
    b.released(second);
    expect(b.available()).toBe(true);
    b.succeeded(b.begin());
    expect(b.state()).toBe('closed');
    expect(changes).toEqual(['open', 'closed']);
  });

  it('health checks open and close it, but never close it inside a Retry-After window', () => {
    const { b, clock } = breaker(3, 1000);
    b.healthFailed();
    expect(b.state()).toBe('open');
    b.healthPassed();
    expect(b.state()).toBe('closed');
    b.failed(false, 60_000);
    b.failed(false, 60_000);
    b.failed(false, 60_000);
    b.healthPassed();
    expect(b.state()).toBe('open');
    // A failing check does not shorten the upstream's wait either.
    b.healthFailed();
    expect(b.reopensInMs()).toBe(60_000);
    clock.t = 60_000;
    b.healthPassed();
    expect(b.state()).toBe('closed');
    // A Retry-After shorter than the cooldown, then a failing check: the check's cooldown is
    // added, but the upstream's window still holds against a passing check.
    b.failed(false, 500);
    b.failed(false, 500);
    b.failed(false, 500);
    b.healthFailed();
    expect(b.reopensInMs()).toBe(1000);
    clock.t = 60_400;
    b.healthPassed();
    expect(b.state()).toBe('open');
    clock.t = 60_500;
    b.healthPassed();
    expect(b.state()).toBe('closed');
  });
});
