import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countByKind } from '../scripts/soak/faultSchedule.ts';
import { reliabilityMarkdown } from '../scripts/soak/reliabilityReport.ts';
import { runSoak, type SoakResult } from '../scripts/soak/soakRun.ts';
import { ROOT } from './support/cli.ts';

function result(overrides: Partial<SoakResult>): SoakResult {
  const none = countByKind([]);
  return {
    seed: 1,
    minutes: 2,
    wallMs: 142_000,
    startedAt: '2026-11-21T10:00:00.000Z',
    scheduled: { ...none, leaderKill: 1, coordinatorRestart: 1 },
    faultCounts: { ...none, leaderKill: 1 },
    notApplicable: { coordinatorRestart: { count: 1, reason: 'no coordinator in the demo' } },
    faultErrors: [],
    faults: [],
    takeovers: 1,
    nodeStarts: 3,
    highestTerm: 2,
    resumes: 4,
    journalFailures: 0,
    eventsLost: 0,
    orders: 1_893,
    fills: 21,
    journalRecords: 13_286,
    openOrdersAtShutdown: 0,
    checks: 27,
    checksSkipped: 1,
    journalVerify: 'journal OK: 13286 records',
    violations: [],
    firstViolation: null,
    keptDir: null,
    ...overrides,
  };
}

const ctx = { command: 'npm run soak -- --seed 1 --seed 2 --minutes 2 --write', commit: 'abc1234', machine: '2 x CPU', generatedAt: '2026-11-21T10:05:00.000Z' };

describe('RELIABILITY.md from soak results', () => {
  it('names the command, each seed with its duration, fault counts and figures, and says no invariant was violated', () => {
    const md = reliabilityMarkdown([result({}), result({ seed: 2, orders: 7 })], ctx);
    expect(md).toContain('`npm run soak -- --seed 1 --seed 2 --minutes 2 --write`');
    expect(md).toContain('**Result: no invariant violated** over 2 run(s)');
    expect(md).toContain('| 1 | 2 min | 142.0 s | 1 | 1 | 3 | 2 | 4 | 0 | 1893 | 21 | 27 (+1 skipped: evidence unreadable, e.g. a venue down) | 0 |');
    expect(md).toContain('| 2 | 2 min | 142.0 s | 1 | 1 | 3 | 2 | 4 | 0 | 7 | 21 |');
    expect(md).toContain('| leaderKill | 1 / 1 | 1 / 1 |');
    expect(md).toContain('| coordinatorRestart | 0 / 1 (not applicable) | 0 / 1 (not applicable) |');
    expect(md).toContain('- coordinatorRestart: no coordinator in the demo.');
    expect(md).toContain('- seed 1: none violated');
  });

  it('reports the first violation with its seed and time into the soak, and the faults that could not be injected', () => {
    const violation = { invariant: '1 no client order id placed twice', atMs: 1_000_000, detail: 'maker.1.2 placed | twice' };
    const md = reliabilityMarkdown(
      [
        result({
          violations: [violation],
          firstViolation: { ...violation, seed: 1, atSoakMs: 61_500 },
          faultErrors: [{ atMs: 5_000, ranAtMs: 5_000, fault: 'emulatorRestart', params: { venue: 'kraken', outageMs: 1_000 }, outcome: 'failed', detail: 'refused' }],
        }),
      ],
      ctx,
    );
    expect(md).toContain('**Result: VIOLATIONS FOUND**');
    expect(md).toContain('- seed 1: 1 violation(s); first at +61.5 s: **1 no client order id placed twice**: maker.1.2 placed \\| twice');
    expect(md).toContain('- seed 1, emulatorRestart at +5.0 s: failed: refused');
  });
});

describe('the soak command refuses bad arguments before starting anything', () => {
  const soak = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'soak.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

  it.each([
    [['--minutes', '2'], /name at least one --seed/],
    [['--seed', 'x', '--minutes', '2'], /--seed must be a whole number, got "x"/],
    [['--seed', '1.5', '--minutes', '2'], /--seed must be a whole number, got "1.5"/],
    [['--seed', '1'], /--minutes must be a positive number, got ""/],
    [['--seed', '1', '--minutes', '0'], /--minutes must be a positive number, got "0"/],
    [['--seed', '1', '--minutes', '2', '--sed', '3'], /Unknown option '--sed'/],
  ])('%j exits 2 and says why', (args, message) => {
    const r = soak(args);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('runSoak refuses a seed that is not whole and minutes that are not positive', async () => {
    await expect(runSoak({ seed: 1.5, minutes: 1 })).rejects.toThrow(/--seed must be a whole number, got 1.5/);
    await expect(runSoak({ seed: 1, minutes: -1 })).rejects.toThrow(/--minutes must be a positive number, got -1/);
  });
});
