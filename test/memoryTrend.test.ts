import { describe, expect, it } from 'vitest';
import { isFlat, memoryTrend } from '../scripts/load/memoryTrend.ts';

const minutes = (n: number, mbAt: (i: number) => number) => Array.from({ length: n * 12 }, (_, i) => ({ atMs: i * 5000, mb: mbAt(i) }));

describe('memory trend of a long run', () => {
  it('finds the slope of a steady leak through a garbage-collected sawtooth', () => {
    // 2 MB a minute of growth under a 30 MB sawtooth that drops every 12th sample.
    const trend = memoryTrend(minutes(10, (i) => 100 + (i * 2) / 12 + (i % 12) * 2.5));
    expect(trend.mbPerMin).toBeCloseTo(2, 0);
    expect(trend.growthMb).toBeGreaterThan(10);
    expect(isFlat(trend, 10)).toBe(false);
  });

  it('calls a sawtooth around a constant level flat', () => {
    const trend = memoryTrend(minutes(10, (i) => 100 + (i % 12) * 2.5));
    expect(Math.abs(trend.growthMb)).toBeLessThan(5);
    expect(isFlat(trend, 10)).toBe(true);
    expect(trend.minMb).toBe(100);
    expect(trend.maxMb).toBe(127.5);
  });

  it('leaves the warm-up out of the fit', () => {
    // Fast growth for the first minute (JIT, buffers), flat after.
    const trend = memoryTrend(minutes(10, (i) => (i < 12 ? 50 + i * 4 : 98)));
    expect(trend.samples).toBe(96);
    expect(trend.growthMb).toBeCloseTo(0, 5);
  });

  it('refuses too few samples with a clear error', () => {
    expect(() => memoryTrend([{ atMs: 0, mb: 1 }])).toThrow(/needs samples over time; got 1/);
    expect(() => memoryTrend([{ atMs: 0, mb: 1 }, { atMs: 1, mb: 1 }, { atMs: 100, mb: 1 }])).toThrow(/at least 3 samples after the warm-up; got 1/);
  });
});
