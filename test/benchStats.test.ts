import { describe, expect, it } from 'vitest';
import { percentile, summarize } from '../scripts/stats.ts';

describe('benchmark statistics', () => {
  it('nearest-rank percentiles of 1..100', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(50);
    expect(percentile(sorted, 0.99)).toBe(99);
    expect(percentile(sorted, 1)).toBe(100);
  });

  it('summarize sorts its input and reports median, p99, min and max', () => {
    const samples = [5, 1, 4, 2, 3];
    expect(summarize(samples)).toEqual({ n: 5, median: 3, p99: 5, min: 1, max: 5 });
    expect(samples).toEqual([5, 1, 4, 2, 3]);
  });

  it('p99 of a hundred samples absorbs one outlier and shows a second; the median shows neither', () => {
    const samples = [...Array.from({ length: 99 }, () => 100), 10_000];
    const s = summarize(samples);
    expect(s.median).toBe(100);
    expect(s.p99).toBe(100);
    expect(summarize([...samples, 10_000]).p99).toBe(10_000);
  });

  it('an empty sample is an error, not NaN', () => {
    expect(() => percentile([], 0.5)).toThrow('percentile of an empty sample');
  });
});
