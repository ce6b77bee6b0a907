import { describe, expect, it } from 'vitest';
import { countByKind, endMs, FAULT_KINDS, faultSchedule, isDisruptive, SPACING } from '../scripts/soak/faultSchedule.ts';

const TWO_MINUTES_MS = 120_000;
const TWO_HOURS_MS = 7_200_000;

describe('the soak fault schedule', () => {
  it('replays the same schedule for the same seed', () => {
    expect(faultSchedule(7, TWO_MINUTES_MS)).toEqual(faultSchedule(7, TWO_MINUTES_MS));
  });

  it('draws a different schedule for a different seed', () => {
    expect(faultSchedule(1, TWO_MINUTES_MS)).not.toEqual(faultSchedule(2, TWO_MINUTES_MS));
  });

  it('a short run replays the start of a longer run with the same seed', () => {
    const long = faultSchedule(3, TWO_HOURS_MS);
    const short = faultSchedule(3, TWO_MINUTES_MS);
    expect(short.length).toBeGreaterThan(0);
    expect(long.slice(0, short.length)).toEqual(short);
  });

  it('starts after the warm-up, keeps every fault inside the duration, and leaves the minimum gap after each one', () => {
    for (const seed of [1, 2, 3, 42, 1_000_003]) {
      const schedule = faultSchedule(seed, TWO_HOURS_MS);
      expect(schedule[0]?.atMs).toBeGreaterThanOrEqual(SPACING.warmupMs);
      for (let i = 1; i < schedule.length; i++) {
        expect(schedule[i]!.atMs - endMs(schedule[i - 1]!), `seed ${seed}, fault ${i}`).toBeGreaterThanOrEqual(SPACING.minGapMs);
      }
      expect(endMs(schedule.at(-1)!)).toBeLessThanOrEqual(TWO_HOURS_MS);
    }
  });

  it('leaves the recovery gap between two disruptive faults, so a takeover completes before the next one', () => {
    for (const seed of [1, 2, 3, 42, 1_000_003]) {
      const disruptive = faultSchedule(seed, TWO_HOURS_MS).filter((f) => isDisruptive(f.fault));
      expect(disruptive.length).toBeGreaterThan(10);
      for (let i = 1; i < disruptive.length; i++) {
        expect(disruptive[i]!.atMs - endMs(disruptive[i - 1]!), `seed ${seed}, disruptive fault ${i}`).toBeGreaterThanOrEqual(SPACING.disruptiveGapMs);
      }
    }
  });

  it('injects every kind of fault over a long enough schedule', () => {
    const counts = countByKind(faultSchedule(1, TWO_HOURS_MS));
    for (const kind of FAULT_KINDS) expect(counts[kind], kind).toBeGreaterThan(0);
  });

  it('the short soak\'s seed (178) draws, in two minutes, a kill -9 and a pause of the Leader, a full journal and a venue restart', () => {
    const kinds = new Set(faultSchedule(178, TWO_MINUTES_MS).map((f) => f.fault));
    for (const kind of ['leaderKill', 'leaderPause', 'journalFull', 'emulatorRestart'] as const) expect(kinds.has(kind), kind).toBe(true);
    expect(kinds.size).toBeGreaterThanOrEqual(8);
  });

  it('draws parameters inside their stated ranges (a pause outlasts the 1 s lease, an outage ends)', () => {
    for (const f of faultSchedule(5, TWO_HOURS_MS)) {
      if (f.fault === 'leaderPause') expect(f.params.pausedMs).toBeGreaterThanOrEqual(3_000);
      if (f.fault === 'emulatorRestart') expect(f.params.outageMs).toBeGreaterThanOrEqual(1_000);
      if (f.fault === 'rateLimit') expect(f.params.n).toBeGreaterThanOrEqual(1);
      if (f.fault === 'clockJump') expect(Math.abs(f.params.offsetMs)).toBeGreaterThanOrEqual(1_000);
    }
  });

  it('refuses a seed that is not a safe integer and a duration that is not positive, naming the value', () => {
    expect(() => faultSchedule(1.5, TWO_MINUTES_MS)).toThrow(/seed must be a safe integer, got 1.5/);
    expect(() => faultSchedule(1, 0)).toThrow(/duration must be a positive number of ms, got 0/);
    expect(() => faultSchedule(1, Number.NaN)).toThrow(/got NaN/);
  });
});
