import { describe, expect, it } from 'vitest';
import { timeAfterIdle } from '../scripts/benchIdleGap.ts';

/** Busy-waits `ms` milliseconds: a delay of known size. */
function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('timing a call after an idle gap', () => {
  it('back to back: one sample per call, no gap between calls', async () => {
    const calledAt: number[] = [];
    const samples = await timeAfterIdle(5, 'none', 50, () => calledAt.push(performance.now()));
    expect(samples).toHaveLength(5);
    expect(calledAt[4] - calledAt[0]).toBeLessThan(50);
  });

  it('asleep: each call comes at least the gap after the last one, and the event loop runs in the gap', async () => {
    const calledAt: number[] = [];
    let ranInGap = 0;
    const tick = setInterval(() => ranInGap++, 1);
    try {
      await timeAfterIdle(3, 'asleep', 20, () => calledAt.push(performance.now()));
    } finally {
      clearInterval(tick);
    }
    for (let k = 1; k < calledAt.length; k++) expect(calledAt[k] - calledAt[k - 1]).toBeGreaterThanOrEqual(19);
    expect(ranInGap).toBeGreaterThan(0);
  });

  it('spinning: each call comes at least the gap after the last one, and nothing else runs on the thread meanwhile', async () => {
    const calledAt: number[] = [];
    let ranInGap = 0;
    setImmediate(() => ranInGap++);
    const samples = timeAfterIdle(3, 'spinning', 20, () => calledAt.push(performance.now()));
    // The spinning and the calls run synchronously inside the call above.
    expect(calledAt).toHaveLength(3);
    expect(ranInGap).toBe(0);
    await samples;
    for (let k = 1; k < calledAt.length; k++) expect(calledAt[k] - calledAt[k - 1]).toBeGreaterThanOrEqual(20);
  });

  it('a delay injected into the call shows in every sample, and the gap does not', async () => {
    for (const idle of ['none', 'asleep', 'spinning'] as const) {
      const samples = await timeAfterIdle(3, idle, 30, () => busyWait(3));
      for (const ns of samples) {
        expect(ns).toBeGreaterThanOrEqual(3e6);
        expect(ns).toBeLessThan(30e6);
      }
    }
  });
});
