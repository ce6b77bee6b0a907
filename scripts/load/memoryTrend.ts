// Whether a long run's memory is flat: the least-squares line through (time, MB) samples
// after a warm-up (JIT, first GCs, buffers reaching their working size), and the growth it
// implies over the measured span. A garbage-collected heap saws up and down; the fitted
// line is what says whether it trends.

export interface MemorySample {
  atMs: number;
  mb: number;
}

export interface MemoryTrend {
  /** Samples the fit used (those after the warm-up). */
  samples: number;
  /** Fitted growth per minute. */
  mbPerMin: number;
  /** Fitted growth over the measured span (slope x span). */
  growthMb: number;
  /** The range the samples covered, for context. */
  minMb: number;
  maxMb: number;
}

/** Fits samples taken after `warmupFraction` of the run's span; needs at least 3 of them. */
export function memoryTrend(samples: readonly MemorySample[], warmupFraction = 0.2): MemoryTrend {
  if (samples.length < 2) throw new RangeError(`a memory trend needs samples over time; got ${samples.length}`);
  const t0 = samples[0].atMs;
  const cut = t0 + (samples[samples.length - 1].atMs - t0) * warmupFraction;
  const used = samples.filter((s) => s.atMs >= cut);
  if (used.length < 3) throw new RangeError(`a memory trend needs at least 3 samples after the warm-up; got ${used.length}`);
  const n = used.length;
  let sx = 0;
  let sy = 0;
  for (const s of used) {
    sx += s.atMs;
    sy += s.mb;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  for (const s of used) {
    sxy += (s.atMs - mx) * (s.mb - my);
    sxx += (s.atMs - mx) ** 2;
  }
  const slopePerMs = sxx === 0 ? 0 : sxy / sxx;
  const spanMs = used[n - 1].atMs - used[0].atMs;
  return {
    samples: n,
    mbPerMin: slopePerMs * 60_000,
    growthMb: slopePerMs * spanMs,
    minMb: Math.min(...used.map((s) => s.mb)),
    maxMb: Math.max(...used.map((s) => s.mb)),
  };
}

/** Flat: the fitted growth over the span is within `toleranceMb` (the heap's own noise). */
export function isFlat(trend: MemoryTrend, toleranceMb: number): boolean {
  return trend.growthMb <= toleranceMb;
}
