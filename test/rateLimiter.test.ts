import { describe, expect, it } from 'vitest';
import { Backoff } from '../src/venues/backoff.ts';
import { RateLimiter } from '../src/venues/rateLimiter.ts';

describe('order rate limiter', () => {
  it('lets a burst of its capacity through, then refuses until tokens refill', () => {
    let now = 0;
    const limiter = new RateLimiter(3, 2, () => now);
    expect([limiter.tryTake(), limiter.tryTake(), limiter.tryTake(), limiter.tryTake()]).toEqual([true, true, true, false]);
    expect(limiter.headroom()).toBe(0);
    now += 499;
    expect(limiter.tryTake()).toBe(false);
    now += 1;
    expect(limiter.tryTake()).toBe(true);
    now += 60_000;
    expect(limiter.headroom()).toBe(3);
  });

  it('refuses nonsense settings', () => {
    expect(() => new RateLimiter(0, 1)).toThrow('rate limiter capacity must be >= 1, got 0');
    expect(() => new RateLimiter(5, 0)).toThrow('rate limiter refill must be positive, got 0');
  });
});

describe('reconnect backoff', () => {
  it('doubles its ceiling per failure up to the bound, jittered within the upper half', () => {
    const low = new Backoff(100, 1000, () => 0);
    expect([low.nextDelayMs(), low.nextDelayMs(), low.nextDelayMs(), low.nextDelayMs(), low.nextDelayMs()]).toEqual([50, 100, 200, 400, 500]);
    const high = new Backoff(100, 1000, () => 1);
    expect([high.nextDelayMs(), high.nextDelayMs(), high.nextDelayMs(), high.nextDelayMs(), high.nextDelayMs()]).toEqual([100, 200, 400, 800, 1000]);
    expect(high.attempts).toBe(5);
  });

  it('starts over after reset', () => {
    const b = new Backoff(100, 1000, () => 1);
    b.nextDelayMs();
    b.nextDelayMs();
    b.reset();
    expect(b.nextDelayMs()).toBe(100);
  });
});
