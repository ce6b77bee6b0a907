import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaseFile } from '../src/node/lease/leaseFile.ts';
import { LeaseKeeper } from '../src/node/lease/leaseKeeper.ts';

const ROOT = join(import.meta.dirname, '..');
const LEASE_NODE = join(import.meta.dirname, 'support', 'leaseNode.ts');

interface Timing {
  ttlMs: number;
  renewEveryMs: number;
  safetyMarginMs: number;
}

const SHORT: Timing = { ttlMs: 600, renewEveryMs: 100, safetyMarginMs: 200 };

const dirs: string[] = [];
const children: ChildProcess[] = [];
const keepers: LeaseKeeper[] = [];

afterEach(() => {
  for (const keeper of keepers.splice(0)) keeper.stop();
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sequence-election-'));
  dirs.push(dir);
  return dir;
}

async function eventually(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** One `test/support/leaseNode.ts` process and the lines it has printed so far. */
class LeaseNodeProcess {
  readonly lines: string[] = [];
  readonly child: ChildProcess;
  stderr = '';

  constructor(
    dir: string,
    readonly nodeId: string,
    readonly timing: Timing = SHORT,
  ) {
    const args = [dir, nodeId, timing.ttlMs, timing.renewEveryMs, timing.safetyMarginMs].map(String);
    this.child = spawn(process.execPath, ['--import', 'tsx', LEASE_NODE, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(this.child);
    let partial = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop()!;
      this.lines.push(...parts);
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
  }

  count(kind: string): number {
    return this.lines.filter((l) => l.startsWith(`${kind} `) || l === kind).length;
  }

  leaderTerms(): number[] {
    return this.lines.filter((l) => l.startsWith('leader ')).map((l) => Number(l.split(' ')[1]));
  }

  async started(): Promise<void> {
    await eventually(() => this.lines.includes('started'), `${this.nodeId} to start (stderr: ${this.stderr})`);
  }

  async renewals(more: number): Promise<void> {
    const target = this.count('renewed') + more;
    await eventually(() => this.count('renewed') >= target, `${this.nodeId} to renew ${more} more times`);
  }

  /** When each term's validity began and the latest point it was extended to, on the shared timeline. */
  validityWindows(): { nodeId: string; term: number; fromMs: number; untilMs: number }[] {
    const validityMs = this.timing.ttlMs - this.timing.safetyMarginMs;
    const windows: { nodeId: string; term: number; fromMs: number; untilMs: number }[] = [];
    for (const line of this.lines) {
      const [kind, term, ...times] = line.split(' ');
      if (kind === 'leader') {
        const untilMs = Number(times[1]);
        windows.push({ nodeId: this.nodeId, term: Number(term), fromMs: untilMs - validityMs, untilMs });
      } else if (kind === 'renewed') {
        const current = windows.at(-1);
        expect(current?.term, `${this.nodeId} renewed a term it did not lead: ${line}`).toBe(Number(term));
        current!.untilMs = Number(times[0]);
      }
    }
    return windows;
  }
}

/** Every term has one Leader, and no two Leaders' validity windows overlap. */
function expectOneValidLeaderAtATime(nodes: LeaseNodeProcess[]): void {
  const windows = nodes.flatMap((n) => n.validityWindows()).sort((x, y) => x.fromMs - y.fromMs);
  for (let i = 1; i < windows.length; i++) {
    const before = windows[i - 1]!;
    const after = windows[i]!;
    expect(after.term, `terms must rise: ${JSON.stringify(windows)}`).toBeGreaterThan(before.term);
    expect(after.fromMs, `validity windows overlap: ${JSON.stringify(windows)}`).toBeGreaterThanOrEqual(before.untilMs);
  }
}

describe('two sequence processes on one data directory', () => {
  it('exactly one becomes Leader, and when it is killed the other leads term 2 after the expiry', async () => {
    const dir = dataDir();
    const nodes = [new LeaseNodeProcess(dir, 'a'), new LeaseNodeProcess(dir, 'b')];
    await Promise.all(nodes.map((n) => n.started()));
    await eventually(() => nodes.some((n) => n.count('leader') > 0), 'a Leader');
    const leader = nodes.find((n) => n.count('leader') > 0)!;
    const follower = nodes.find((n) => n !== leader)!;
    // The follower polls every renew period; give it many chances to get it wrong.
    await leader.renewals(5);

    expect(leader.leaderTerms()).toEqual([1]);
    expect(follower.leaderTerms()).toEqual([]);

    leader.child.kill('SIGKILL');
    await eventually(() => follower.count('leader') > 0, 'the follower to take over');

    expect(follower.leaderTerms()).toEqual([2]);
    expectOneValidLeaderAtATime(nodes);
  });

  it('a Leader stopped past its ttl reports lost on waking, before renewing, while the other leads term 2', async () => {
    const dir = dataDir();
    const old = new LeaseNodeProcess(dir, 'old');
    await eventually(() => old.count('leader') > 0, 'the first Leader');
    const successor = new LeaseNodeProcess(dir, 'successor');
    await successor.started();
    await old.renewals(2);

    old.child.kill('SIGSTOP');
    await eventually(() => successor.count('leader') > 0, 'the successor to take over');
    const printedBeforeWaking = old.lines.length;
    old.child.kill('SIGCONT');
    await eventually(() => old.lines.length > printedBeforeWaking, 'the old Leader to speak after waking');
    await successor.renewals(5);

    expect(old.leaderTerms()[0]).toBe(1);
    expect(successor.leaderTerms()).toEqual([2]);
    expect(old.lines[printedBeforeWaking]).toMatch(/^lost \S+ lease validity ran out/);
    expect(old.lines.slice(printedBeforeWaking).filter((l) => l.startsWith('renewed 1 '))).toEqual([]);
    expectOneValidLeaderAtATime([old, successor]);
  });

  it('a Leader shut down with SIGTERM releases the lease, so the Follower leads before it would have expired', async () => {
    const dir = dataDir();
    const long: Timing = { ttlMs: 3000, renewEveryMs: 100, safetyMarginMs: 500 };
    const leaving = new LeaseNodeProcess(dir, 'leaving', long);
    await eventually(() => leaving.count('leader') > 0, 'the first Leader');
    const staying = new LeaseNodeProcess(dir, 'staying', long);
    await staying.started();
    await leaving.renewals(2);

    leaving.child.kill('SIGTERM');
    const [code] = await once(leaving.child, 'exit');
    const lastValidUntilMs = leaving.validityWindows().at(-1)!.untilMs;
    await eventually(() => staying.count('leader') > 0, 'the Follower to take over');

    expect(code).toBe(0);
    expect(leaving.lines.at(-1)).toBe('released');
    expect(staying.leaderTerms()).toEqual([2]);
    // Leaving gave up its validity before writing the released lease under the lock, and
    // staying could only read that afterwards; what release adds is the early takeover.
    expect(Number(staying.lines.find((l) => l.startsWith('leader '))!.split(' ')[2])).toBeLessThan(lastValidUntilMs);
  });
});

describe('the lease keeper', () => {
  function keeperOn(lease: LeaseFile) {
    const events: string[] = [];
    const keeper = new LeaseKeeper(lease, {
      onLeader: (term) => events.push(`leader ${term}`),
      onLost: (reason) => events.push(`lost ${reason}`),
      onCorrupt: (detail) => events.push(`corrupt ${detail}`),
      onError: (error) => events.push(`error ${(error as Error).message}`),
    });
    keepers.push(keeper);
    return { keeper, events };
  }

  it('checkValid demotes a Leader synchronously once its monotonic validity has run out', () => {
    let monoMs = 0;
    const lease = new LeaseFile(dataDir(), 'a', { ttlMs: 300, renewEveryMs: 50, safetyMarginMs: 100, monotonic: () => monoMs });
    const { keeper, events } = keeperOn(lease);
    keeper.start();

    expect(events).toEqual(['leader 1']);
    expect(keeper.checkValid()).toBe(true);
    expect(keeper.term).toBe(1);
    monoMs = 200;

    expect(keeper.checkValid()).toBe(false);
    expect(keeper.checkValid()).toBe(false);
    expect(events).toEqual(['leader 1', 'lost lease validity ran out before it was renewed']);
    expect(keeper.role).toBe('follower');
    expect(keeper.term).toBeNull();
  });

  it('a Leader whose file turns corrupt reports it once and is told it lost when its validity runs out', async () => {
    const lease = new LeaseFile(dataDir(), 'a', { ttlMs: 300, renewEveryMs: 50, safetyMarginMs: 100 });
    const { keeper, events } = keeperOn(lease);
    keeper.start();
    writeFileSync(lease.path, '{"leader":"a","ter');

    await eventually(() => events.some((e) => e.startsWith('lost ')), 'the loss to be reported');

    expect(events).toEqual(['leader 1', expect.stringMatching(/^corrupt lease file is not JSON/), 'lost lease validity ran out before it was renewed']);
    expect(keeper.role).toBe('follower');
  });

  it('a Follower facing a corrupt file reports it once and leads with a new term after the grace', async () => {
    const lease = new LeaseFile(dataDir(), 'b', { ttlMs: 300, renewEveryMs: 50, safetyMarginMs: 100, lastKnownTerm: 4 });
    writeFileSync(lease.path, 'garbage');
    const { keeper, events } = keeperOn(lease);
    keeper.start();

    await eventually(() => keeper.role === 'leader', 'the Follower to take over');

    expect(events).toEqual([expect.stringMatching(/^corrupt lease file is not JSON/), 'leader 5']);
  });

  it('releaseAndStop hands the lease to a Follower without waiting for it to expire', () => {
    let wallMs = 1_700_000_000_000;
    const dir = dataDir();
    const clocks = { ttlMs: 300, renewEveryMs: 50, safetyMarginMs: 100, now: () => wallMs };
    const { keeper, events } = keeperOn(new LeaseFile(dir, 'a', clocks));
    keeper.start();
    const other = new LeaseFile(dir, 'b', clocks);
    expect(other.tryAcquire()).toMatchObject({ acquired: false, reason: 'held' });

    keeper.releaseAndStop();

    expect(keeper.role).toBe('stopped');
    expect(keeper.checkValid()).toBe(false);
    expect(events).toEqual(['leader 1']);
    wallMs += 1;
    expect(other.tryAcquire()).toEqual({ acquired: true, term: 2 });
  });
});
