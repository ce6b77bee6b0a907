import { describe, expect, it } from 'vitest';
import { MAX_PENDING_TASKS, ReplayClock } from '../src/replay/replayClock.ts';

describe('the replay clock', () => {
  it('runs due tasks in time order, ties in the order scheduled, each at its own time', () => {
    const clock = new ReplayClock(1_000);
    const ran: string[] = [];
    clock.at(3_000, () => ran.push(`c@${clock.nowNs}`));
    clock.at(2_000, () => ran.push(`a@${clock.nowNs}`));
    clock.at(2_000, () => ran.push(`b@${clock.nowNs}`));
    clock.at(9_000, () => ran.push('late'));
    while (clock.runNext(5_000));
    clock.advanceTo(5_000);
    expect(ran).toEqual(['a@2000', 'b@2000', 'c@3000']);
    expect(clock.nowNs).toBe(5_000);
    expect(clock.nextDueNs()).toBe(9_000);
  });

  it('fires a periodic task once per period of recording time until it is stopped', () => {
    const clock = new ReplayClock(0);
    const at: number[] = [];
    const stop = clock.every(1, () => at.push(clock.nowNs));
    while (clock.runNext(3_500_000));
    expect(at).toEqual([1_000_000, 2_000_000, 3_000_000]);
    stop();
    expect(clock.runNext(10_000_000)).toBe(false);
  });

  it('never goes back in time, and reads milliseconds from its nanoseconds', () => {
    const clock = new ReplayClock(5_000_000);
    clock.advanceTo(1_000_000);
    expect(clock.nowNs).toBe(5_000_000);
    expect(clock.nowMs()).toBe(5);
  });

  it('refuses a task past its bound and a period that is not positive', () => {
    const clock = new ReplayClock(0);
    for (let i = 0; i < MAX_PENDING_TASKS; i++) expect(clock.at(i, () => {})).toBe(true);
    expect(clock.at(0, () => {})).toBe(false);
    expect(() => clock.every(0, () => {})).toThrow(/period must be positive/);
  });
});
