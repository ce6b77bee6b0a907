import { describe, expect, it } from 'vitest';
import { FramePacer, nextFrameAtMs } from '../src/tui/framePacer.ts';

/** A pacer on a hand-driven clock: time, the thread's busy time and the timers are the test's. */
function pacedRig(budget = 0.15, minIntervalMs = 33) {
  const rig = { nowMs: 0, activeMs: 0, frames: 0, timers: [] as { fn: () => void; ms: number; cancelled: boolean }[] };
  const pacer = new FramePacer({
    budget,
    minIntervalMs,
    draw: () => rig.frames++,
    nowMs: () => rig.nowMs,
    activeMs: () => rig.activeMs,
    after: (fn, ms) => {
      const timer = { fn, ms, cancelled: false };
      rig.timers.push(timer);
      return () => (timer.cancelled = true);
    },
  });
  /** Moves the clock to the newest timer's end and fires it. */
  const fire = () => {
    const timer = rig.timers.pop()!;
    rig.nowMs += timer.ms;
    if (!timer.cancelled) timer.fn();
  };
  return { rig, pacer, fire };
}

describe('frame pacing of the UI thread', () => {
  it('waits the fastest interval after a cheap frame and busy/budget after a costly one', () => {
    expect(nextFrameAtMs(1000, 1, 0.15, 33)).toBe(1033);
    expect(nextFrameAtMs(1000, 15, 0.15, 33)).toBeCloseTo(1100);
  });

  it('draws the first snapshot at once', () => {
    const { rig, pacer } = pacedRig();
    pacer.offer();
    expect(rig.frames).toBe(1);
  });

  it('coalesces the snapshots that arrive while it waits into one frame, drawn when the budget allows', () => {
    const { rig, pacer, fire } = pacedRig();
    pacer.offer();
    rig.activeMs += 15; // the first frame's render: 15 ms of this thread
    rig.nowMs += 33;
    pacer.offer();
    pacer.offer();
    pacer.offer();
    expect(rig.frames).toBe(1);
    expect(rig.timers).toHaveLength(1);
    expect(rig.timers[0].ms).toBe(67); // 15 ms / 0.15 = 100 ms after the first frame
    fire();
    expect(rig.frames).toBe(2);
  });

  it('checks the budget again when its wait ends, since a render can go on after its frame was drawn', () => {
    const { rig, pacer, fire } = pacedRig();
    pacer.offer();
    rig.nowMs += 10;
    pacer.offer(); // the render has cost nothing yet: the fastest interval applies
    expect(rig.timers[0].ms).toBe(23);
    rig.activeMs += 30; // then the render finishes: 30 ms of work
    fire();
    expect(rig.frames).toBe(1);
    expect(rig.timers).toHaveLength(1);
    expect(rig.nowMs + rig.timers[0].ms).toBe(200);
    fire();
    expect(rig.frames).toBe(2);
  });

  it('draws nothing after stop', () => {
    const { rig, pacer, fire } = pacedRig();
    pacer.offer();
    rig.nowMs += 1;
    pacer.offer();
    pacer.stop();
    fire();
    pacer.offer();
    expect(rig.frames).toBe(1);
  });

  it('refuses a budget outside (0, 1] with a clear error', () => {
    expect(() => new FramePacer({ budget: 0, minIntervalMs: 33, draw: () => {} })).toThrow(/CPU budget must be in \(0, 1\], got 0/);
    expect(() => new FramePacer({ budget: 1.5, minIntervalMs: 33, draw: () => {} })).toThrow(/got 1.5/);
  });
});
