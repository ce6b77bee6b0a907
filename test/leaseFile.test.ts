import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decideAcquire, decideRenew, initialMemory, remember } from '../src/node/lease/leaseDecision.ts';
import { LeaseFile, parseLease, type LeaseFileOptions } from '../src/node/lease/leaseFile.ts';

const dirs: string[] = [];
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sequence-lease-'));
  dirs.push(dir);
  return dir;
}

/** Clocks the test steps by hand, shared by every LeaseFile it is given to. */
function steppedClock(wallMs = 1_700_000_000_000) {
  const clock = { wallMs, monoMs: 0, options: {} as Pick<LeaseFileOptions, 'now' | 'monotonic'> };
  clock.options = { now: () => clock.wallMs, monotonic: () => clock.monoMs };
  return clock;
}

const SHORT = { ttlMs: 300, renewEveryMs: 50, safetyMarginMs: 100 } as const;

/** Bounded wait for a condition that real time must bring about. */
async function eventually(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid;
  if (pid === undefined) throw new Error('could not spawn a short-lived process');
  return pid;
}

describe('acquiring, renewing and releasing the lease', () => {
  it('the first node to ask gets term 1 and a second node sees it held, with holder and expiry', () => {
    const dir = dataDir();
    const clock = steppedClock();
    const a = new LeaseFile(dir, 'a', { ...SHORT, ...clock.options });
    const b = new LeaseFile(dir, 'b', { ...SHORT, ...clock.options });

    expect(a.tryAcquire()).toEqual({ acquired: true, term: 1 });
    expect(a.isValid).toBe(true);
    expect(b.tryAcquire()).toEqual({ acquired: false, reason: 'held', holder: 'a', term: 1, expiresAtMs: clock.wallMs + 300 });
    expect(b.isValid).toBe(false);
    expect(b.read()).toEqual({ state: 'ok', leader: 'a', term: 1, expiresAtMs: clock.wallMs + 300, pid: process.pid });
  });

  it('after the lease expires the other node takes term 2 and the old holder can no longer renew', async () => {
    const dir = dataDir();
    const a = new LeaseFile(dir, 'a', SHORT);
    const b = new LeaseFile(dir, 'b', SHORT);
    expect(a.tryAcquire()).toEqual({ acquired: true, term: 1 });
    const first = a.read();
    if (first.state !== 'ok') throw new Error('lease not written');

    let taken: ReturnType<LeaseFile['tryAcquire']> = b.tryAcquire();
    await eventually(() => (taken = b.tryAcquire()).acquired, 'b to take the expired lease');

    expect(taken).toEqual({ acquired: true, term: 2 });
    expect(b.read()).toMatchObject({ state: 'ok', leader: 'b', term: 2 });
    expect(a.renew()).toBe(false);
    expect(a.isValid).toBe(false);
    expect(a.term).toBeNull();
  });

  it('a holder whose file names another leader loses on renew even while its own validity lasts', () => {
    const dir = dataDir();
    const clock = steppedClock();
    const a = new LeaseFile(dir, 'a', { ...SHORT, ...clock.options });
    a.tryAcquire();
    // As if the wall clock had jumped past the expiry while a's monotonic clock barely moved.
    const b = new LeaseFile(dir, 'b', { ...SHORT, now: () => clock.wallMs + 10_000, monotonic: () => clock.monoMs });
    expect(b.tryAcquire()).toEqual({ acquired: true, term: 2 });

    expect(a.renewOutcome()).toEqual({ kind: 'lost', reason: expect.stringContaining('term 2 taken by b') });
    expect(a.isValid).toBe(false);
  });

  it('renewing inside the validity extends both the file expiry and the monotonic validity', () => {
    const dir = dataDir();
    const clock = steppedClock();
    const a = new LeaseFile(dir, 'a', { ...SHORT, ...clock.options });
    a.tryAcquire();
    clock.monoMs = 150;
    clock.wallMs += 150;

    expect(a.renewOutcome()).toEqual({ kind: 'renewed', term: 1 });
    expect(a.read()).toMatchObject({ term: 1, expiresAtMs: clock.wallMs + 300 });
    clock.monoMs = 349;
    expect(a.isValid).toBe(true);
    clock.monoMs = 350;
    expect(a.isValid).toBe(false);
  });

  it('release expires the lease at once so another node takes over without waiting', () => {
    const dir = dataDir();
    const clock = steppedClock();
    const a = new LeaseFile(dir, 'a', { ...SHORT, ...clock.options });
    const b = new LeaseFile(dir, 'b', { ...SHORT, ...clock.options });
    a.tryAcquire();
    expect(b.tryAcquire()).toMatchObject({ acquired: false, reason: 'held' });

    a.release();

    expect(a.isValid).toBe(false);
    expect(b.tryAcquire()).toEqual({ acquired: true, term: 2 });
  });

  it('release by a node that does not hold the lease leaves the file alone', () => {
    const dir = dataDir();
    const clock = steppedClock();
    const a = new LeaseFile(dir, 'a', { ...SHORT, ...clock.options });
    const b = new LeaseFile(dir, 'b', { ...SHORT, ...clock.options });
    a.tryAcquire();
    const before = readFileSync(a.path, 'utf8');

    b.release();

    expect(readFileSync(a.path, 'utf8')).toBe(before);
    expect(a.isValid).toBe(true);
  });

  it('writes replace the file whole, leaving one JSON line and no temp or lock file behind', () => {
    const dir = dataDir();
    const a = new LeaseFile(dir, 'a', SHORT);
    a.tryAcquire();
    a.renew();

    expect(readdirSync(dir)).toEqual(['lease.json']);
    const text = readFileSync(a.path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(Object.keys(JSON.parse(text))).toEqual(['leader', 'term', 'expires_at_ms', 'pid']);
  });

  it('timings that would let validity outlast a renew period or the corrupt grace are refused', () => {
    const dir = dataDir();
    expect(() => new LeaseFile(dir, 'a', { ttlMs: 300, safetyMarginMs: 100, renewEveryMs: 200 })).toThrow(RangeError);
    expect(() => new LeaseFile(dir, 'a', { ttlMs: 300, safetyMarginMs: 300, renewEveryMs: 50 })).toThrow(RangeError);
    expect(() => new LeaseFile(dir, 'a', { ...SHORT, corruptGraceMs: 199 })).toThrow(RangeError);
    expect(() => new LeaseFile(dir, 'a', { ...SHORT, corruptGraceMs: 200 })).not.toThrow();
  });
});

describe('validity is judged by the monotonic clock', () => {
  it('isValid turns false while the wall clock stands still, before the lease in the file expires', async () => {
    const dir = dataDir();
    const frozenWallMs = Date.now();
    const a = new LeaseFile(dir, 'a', { ...SHORT, now: () => frozenWallMs });
    const b = new LeaseFile(dir, 'b', { ...SHORT, now: () => frozenWallMs });
    a.tryAcquire();

    await eventually(() => !a.isValid, 'validity to run out by the monotonic clock');

    expect(b.tryAcquire()).toMatchObject({ acquired: false, reason: 'held', holder: 'a' });
    expect(a.renew()).toBe(false);
  });

  it('isValid turns false while the wall clock runs backwards', async () => {
    const dir = dataDir();
    let wallMs = Date.now();
    const a = new LeaseFile(dir, 'a', { ...SHORT, now: () => (wallMs -= 1000) });
    a.tryAcquire();

    await eventually(() => !a.isValid, 'validity to run out by the monotonic clock');

    expect(a.renew()).toBe(false);
  });

  it('validity ends exactly ttl − safety margin after the acquire began, and a lapsed holder does not renew', () => {
    const dir = dataDir();
    const clock = steppedClock();
    const a = new LeaseFile(dir, 'a', { ...SHORT, ...clock.options });
    a.tryAcquire();
    const written = readFileSync(a.path, 'utf8');

    clock.monoMs = 199.5;
    expect(a.isValid).toBe(true);
    expect(a.validForMs).toBeCloseTo(0.5);
    clock.monoMs = 200;
    expect(a.isValid).toBe(false);

    expect(a.renewOutcome()).toEqual({ kind: 'lost', reason: 'lease validity ran out before it was renewed' });
    expect(readFileSync(a.path, 'utf8')).toBe(written);
  });

  it('a lapsed holder that nobody replaced takes the lease back under a new term', () => {
    const dir = dataDir();
    const clock = steppedClock();
    const a = new LeaseFile(dir, 'a', { ...SHORT, ...clock.options });
    a.tryAcquire();
    clock.monoMs = 250;
    expect(a.renew()).toBe(false);

    expect(a.tryAcquire()).toEqual({ acquired: true, term: 2 });
    expect(a.isValid).toBe(true);
  });
});

describe('a corrupt lease file', () => {
  const variants = [
    ['garbage', 'not a lease \u0000\u0001', /not JSON/],
    ['empty', '', /empty/],
    ['half-written JSON', '{"leader":"a","term":3,"expi', /not JSON/],
    ['a term of the wrong type', '{"leader":"a","term":"3","expires_at_ms":1,"pid":1}', /"term"/],
    ['an expiry of the wrong type', '{"leader":"a","term":3,"expires_at_ms":null,"pid":1}', /"expires_at_ms"/],
    ['an empty leader', '{"leader":"","term":3,"expires_at_ms":1,"pid":1}', /"leader"/],
    ['an array', '[1,2]', /not a JSON object/],
  ] as const;

  it.each(variants)('%s is reported with detail, not thrown, and taken over only after the grace', (_name, content, detail) => {
    const dir = dataDir();
    const clock = steppedClock();
    const b = new LeaseFile(dir, 'b', { ...SHORT, ...clock.options });
    writeFileSync(join(dir, 'lease.json'), content);

    expect(b.read()).toEqual({ state: 'corrupt', detail: expect.stringMatching(detail) });
    expect(b.tryAcquire()).toEqual({ acquired: false, reason: 'unreadable', holder: null, term: 0, expiresAtMs: clock.wallMs + 300, detail: expect.stringMatching(detail) });
    clock.monoMs = 299;
    expect(b.tryAcquire()).toMatchObject({ acquired: false, reason: 'unreadable' });
    clock.monoMs = 300;
    expect(b.tryAcquire()).toEqual({ acquired: true, term: 1 });
    expect(b.read()).toMatchObject({ state: 'ok', leader: 'b', term: 1 });
  });

  it('never yields two valid Leaders, and the taker goes above every term it saw', () => {
    const dir = dataDir();
    const clock = steppedClock();
    const a = new LeaseFile(dir, 'a', { ...SHORT, ...clock.options });
    const b = new LeaseFile(dir, 'b', { ...SHORT, ...clock.options });
    a.tryAcquire();
    for (const term of [2, 3]) {
      a.release();
      expect(a.tryAcquire()).toEqual({ acquired: true, term });
    }
    expect(b.tryAcquire()).toMatchObject({ reason: 'held', term: 3 });
    writeFileSync(a.path, '{"leader":"a","te');

    let taken = false;
    for (let step = 0; step < 100 && !taken; step++) {
      clock.monoMs += 10;
      clock.wallMs += 10;
      expect(a.renewOutcome().kind).not.toBe('renewed');
      taken = b.tryAcquire().acquired;
      expect(a.isValid && b.isValid).toBe(false);
    }

    expect(taken).toBe(true);
    expect(b.term).toBe(4);
    expect(a.renew()).toBe(false);
  });

  it('a holder that finds its file corrupt keeps its remaining validity but does not extend it', () => {
    const dir = dataDir();
    const clock = steppedClock();
    const a = new LeaseFile(dir, 'a', { ...SHORT, ...clock.options });
    a.tryAcquire();
    writeFileSync(a.path, 'garbage');
    clock.monoMs = 100;

    expect(a.renewOutcome()).toEqual({ kind: 'unconfirmed', reason: 'unreadable', detail: expect.stringMatching(/not JSON/) });
    expect(readFileSync(a.path, 'utf8')).toBe('garbage');
    expect(a.renew()).toBe(true);
    clock.monoMs = 200;
    expect(a.isValid).toBe(false);
  });

  it('a clean read in between restarts the grace', () => {
    const dir = dataDir();
    const clock = steppedClock();
    const b = new LeaseFile(dir, 'b', { ...SHORT, ...clock.options });
    writeFileSync(b.path, 'garbage');
    b.tryAcquire();
    clock.monoMs = 250;
    writeFileSync(b.path, JSON.stringify({ leader: 'a', term: 7, expires_at_ms: clock.wallMs + 1000, pid: 1 }));
    expect(b.tryAcquire()).toMatchObject({ reason: 'held', term: 7 });
    writeFileSync(b.path, 'garbage again');
    expect(b.tryAcquire()).toMatchObject({ reason: 'unreadable' });

    clock.monoMs = 549;
    expect(b.tryAcquire()).toMatchObject({ reason: 'unreadable', term: 7 });
    clock.monoMs = 550;
    expect(b.tryAcquire()).toEqual({ acquired: true, term: 8 });
  });

  it('a file that vanishes after a lease was seen gets the same grace as a corrupt one', () => {
    const dir = dataDir();
    const clock = steppedClock();
    const a = new LeaseFile(dir, 'a', { ...SHORT, ...clock.options });
    const b = new LeaseFile(dir, 'b', { ...SHORT, ...clock.options });
    a.tryAcquire();
    b.tryAcquire();
    unlinkSync(a.path);

    expect(b.tryAcquire()).toMatchObject({ acquired: false, reason: 'unreadable', detail: expect.stringMatching(/disappeared/) });
    expect(a.renewOutcome()).toMatchObject({ kind: 'unconfirmed', reason: 'unreadable' });
    clock.monoMs = 300;
    expect(a.isValid).toBe(false);
    expect(b.tryAcquire()).toEqual({ acquired: true, term: 2 });
  });

  it('a missing file is a fresh directory only for a node that knows no term', () => {
    const clock = steppedClock();
    const fresh = new LeaseFile(dataDir(), 'fresh', { ...SHORT, ...clock.options });
    const journaled = new LeaseFile(dataDir(), 'journaled', { ...SHORT, ...clock.options, lastKnownTerm: 5 });

    expect(fresh.tryAcquire()).toEqual({ acquired: true, term: 1 });
    expect(journaled.tryAcquire()).toMatchObject({ acquired: false, reason: 'unreadable', term: 5 });
    clock.monoMs = 300;
    expect(journaled.tryAcquire()).toEqual({ acquired: true, term: 6 });
  });
});

describe('the lock around read-modify-write', () => {
  const lockPath = (dir: string) => join(dir, 'lease.json.lock');

  it('a lock left by a dead process is broken', () => {
    const dir = dataDir();
    writeFileSync(lockPath(dir), JSON.stringify({ pid: deadPid(), at_ms: Date.now(), token: 'x' }));
    const a = new LeaseFile(dir, 'a', SHORT);

    expect(a.tryAcquire()).toEqual({ acquired: true, term: 1 });
    expect(existsSync(lockPath(dir))).toBe(false);
  });

  it('a lock older than the ttl is broken even though its holder lives', () => {
    const dir = dataDir();
    const clock = steppedClock(Date.now());
    writeFileSync(lockPath(dir), JSON.stringify({ pid: process.pid, at_ms: clock.wallMs - 300, token: 'x' }));
    const a = new LeaseFile(dir, 'a', { ...SHORT, ...clock.options });

    expect(a.tryAcquire()).toEqual({ acquired: true, term: 1 });
  });

  it('an empty lock, from a holder that died before writing it, is broken once the file is old', () => {
    const dir = dataDir();
    writeFileSync(lockPath(dir), '');
    const a = new LeaseFile(dir, 'a', { ...SHORT, now: () => Date.now() + 300 });

    expect(a.tryAcquire()).toEqual({ acquired: true, term: 1 });
  });

  it('a fresh lock of a live process makes the other side retry a bounded number of times and give up', async () => {
    const dir = dataDir();
    const clock = steppedClock(Date.now());
    const a = new LeaseFile(dir, 'a', { ...SHORT, ...clock.options });
    a.tryAcquire();
    const written = readFileSync(a.path, 'utf8');
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    children.push(holder);
    await eventually(() => holder.pid !== undefined, 'the lock holder to start');
    writeFileSync(lockPath(dir), JSON.stringify({ pid: holder.pid, at_ms: clock.wallMs, token: 'x' }));
    const b = new LeaseFile(dir, 'b', { ...SHORT, ...clock.options });

    expect(b.tryAcquire()).toMatchObject({ acquired: false, reason: 'busy', detail: `lease lock held by pid ${holder.pid}` });
    expect(a.renewOutcome()).toEqual({ kind: 'unconfirmed', reason: 'busy', detail: `lease lock held by pid ${holder.pid}` });
    expect(a.isValid).toBe(true);
    expect(readFileSync(a.path, 'utf8')).toBe(written);
    expect(existsSync(lockPath(dir))).toBe(true);

    unlinkSync(lockPath(dir));
    expect(a.renewOutcome()).toEqual({ kind: 'renewed', term: 1 });
  });
});

describe('lease decisions', () => {
  const clock = { wallMs: 1000, monoMs: 0 };

  it('another process under the same node id is not the holder', () => {
    const observed = parseLease(JSON.stringify({ leader: 'a', term: 2, expires_at_ms: 5000, pid: 111 }));
    const self = { nodeId: 'a', pid: 222 };
    const memory = remember(initialMemory(), observed, 0);

    expect(decideAcquire(observed, self, memory, clock, 300)).toEqual({ kind: 'wait', holder: 'a', term: 2, expiresAtMs: 5000 });
    expect(decideRenew(observed, self, 2)).toMatchObject({ kind: 'lost' });
  });

  it('a lease expires at its expiry instant and is then taken with the next term', () => {
    const observed = parseLease(JSON.stringify({ leader: 'a', term: 2, expires_at_ms: 1000, pid: 111 }));
    const memory = remember(initialMemory(), observed, 0);

    expect(decideAcquire(observed, { nodeId: 'b', pid: 222 }, memory, clock, 300)).toEqual({ kind: 'acquire', term: 3 });
    expect(decideAcquire(observed, { nodeId: 'b', pid: 222 }, memory, { ...clock, wallMs: 999 }, 300)).toMatchObject({ kind: 'wait' });
  });

  it('a file that went back to an older term of ours is lost, not extended', () => {
    const observed = parseLease(JSON.stringify({ leader: 'a', term: 1, expires_at_ms: 5000, pid: 111 }));

    expect(decideRenew(observed, { nodeId: 'a', pid: 111 }, 2)).toMatchObject({ kind: 'lost' });
    expect(decideRenew(observed, { nodeId: 'a', pid: 111 }, 1)).toEqual({ kind: 'extend' });
  });
});
