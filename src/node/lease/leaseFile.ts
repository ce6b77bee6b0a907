import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { systemNowMs } from '../faultHooks.ts';
import { decideAcquire, decideRenew, initialMemory, remember, type Claimant, type DecisionClock, type ElectionMemory, type LeaseObservation, type LeaseRecord } from './leaseDecision.ts';
import { errorCode, LockFile } from './lockFile.ts';

export interface LeaseFileOptions {
  ttlMs?: number;
  renewEveryMs?: number;
  safetyMarginMs?: number;
  /** How long an unreadable lease file counts as held; at least ttl − safetyMargin (see decideAcquire). */
  corruptGraceMs?: number;
  /** Wall ms: what expiries in the file are written and compared in. */
  now?: () => number;
  /** Monotonic ms: what this process's own validity is judged by. */
  monotonic?: () => number;
  /** The highest term this node already knows of (its journal's), so a vanished file is not mistaken for a fresh directory. */
  lastKnownTerm?: number;
}

export type AcquireResult =
  | { acquired: true; term: number }
  | {
      acquired: false;
      /** held: another process's unexpired lease; unreadable: a corrupt or vanished file in its grace; busy: the lock stayed taken. */
      reason: 'held' | 'unreadable' | 'busy';
      /** Null when the file does not say. */
      holder: string | null;
      term: number;
      /** When this node may take over at the earliest (wall ms), as far as it can tell now. */
      expiresAtMs: number;
      detail?: string;
    };

export type RenewOutcome =
  | { kind: 'renewed'; term: number }
  | { kind: 'lost'; reason: string }
  /** Not extended, not lost: validity keeps running down and the caller tries again next period. */
  | { kind: 'unconfirmed'; reason: 'unreadable' | 'busy'; detail: string };

const LOCK_ATTEMPTS = 20;
const LOCK_RETRY_DELAY_MS = 5;

/**
 * The lease in `<dataDir>/lease.json`: `{"leader", "term", "expires_at_ms", "pid"}`. Every
 * read-modify-write happens under `lease.json.lock`, and every write replaces the file whole
 * (temp file, fsync, rename), so a reader sees the old lease or the new one, never half.
 */
export class LeaseFile {
  readonly path: string;
  readonly ttlMs: number;
  readonly renewEveryMs: number;
  readonly safetyMarginMs: number;
  readonly corruptGraceMs: number;
  /** How long after the start of a successful write this process may act as Leader. */
  readonly validityMs: number;
  readonly #self: Claimant;
  readonly #now: () => number;
  readonly #monotonic: () => number;
  readonly #lock: LockFile;
  #memory: ElectionMemory;
  #heldTerm: number | null = null;
  #validFromMonoMs = 0;

  constructor(
    readonly dataDir: string,
    readonly nodeId: string,
    options: LeaseFileOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 5000;
    this.renewEveryMs = options.renewEveryMs ?? 1000;
    this.safetyMarginMs = options.safetyMarginMs ?? 1500;
    this.corruptGraceMs = options.corruptGraceMs ?? this.ttlMs;
    this.validityMs = this.ttlMs - this.safetyMarginMs;
    if (nodeId === '') throw new RangeError('lease node id must not be empty');
    if (!(this.ttlMs > 0)) throw new RangeError(`lease ttlMs must be positive, got ${this.ttlMs}`);
    if (!(this.safetyMarginMs >= 0 && this.safetyMarginMs < this.ttlMs)) throw new RangeError(`lease safetyMarginMs must be in [0, ttlMs), got ${this.safetyMarginMs}`);
    if (!(this.renewEveryMs > 0 && this.renewEveryMs < this.validityMs)) {
      throw new RangeError(`lease renewEveryMs must be in (0, ttlMs - safetyMarginMs = ${this.validityMs}), got ${this.renewEveryMs}`);
    }
    if (!(this.corruptGraceMs >= this.validityMs)) throw new RangeError(`lease corruptGraceMs must be at least ttlMs - safetyMarginMs = ${this.validityMs}, got ${this.corruptGraceMs}`);
    this.path = join(dataDir, 'lease.json');
    this.#self = { nodeId, pid: process.pid };
    this.#now = options.now ?? systemNowMs;
    this.#monotonic = options.monotonic ?? (() => performance.now());
    this.#memory = initialMemory(options.lastKnownTerm ?? 0);
    this.#lock = new LockFile(`${this.path}.lock`, { staleAfterMs: this.ttlMs, attempts: LOCK_ATTEMPTS, retryDelayMs: LOCK_RETRY_DELAY_MS, now: this.#now });
  }

  /** The term this process believes it holds, valid or not; null when it does not hold one. */
  get term(): number | null {
    return this.#heldTerm;
  }

  /** The trading path's check: no I/O, only this process's monotonic clock. */
  get isValid(): boolean {
    return this.validForMs > 0;
  }

  get validForMs(): number {
    if (this.#heldTerm === null) return 0;
    return Math.max(0, this.validityMs - (this.#monotonic() - this.#validFromMonoMs));
  }

  read(): LeaseObservation {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return { state: 'missing' };
      throw error;
    }
    return parseLease(text);
  }

  tryAcquire(): AcquireResult {
    const clock = this.#clock();
    const locked = this.#lock.withLock(() => {
      const decision = decideAcquire(this.#observe(clock), this.#self, this.#memory, clock, this.corruptGraceMs);
      if (decision.kind === 'acquire') this.#take(decision.term, clock);
      return decision;
    });
    if (!locked.locked) {
      return { acquired: false, reason: 'busy', holder: null, term: this.#memory.highestTermSeen, expiresAtMs: clock.wallMs, detail: `lease lock held by ${locked.holder}` };
    }
    const decision = locked.value;
    switch (decision.kind) {
      case 'acquire':
        return { acquired: true, term: decision.term };
      case 'wait':
        return { acquired: false, reason: 'held', holder: decision.holder, term: decision.term, expiresAtMs: decision.expiresAtMs };
      case 'wait-unreadable':
        return { acquired: false, reason: 'unreadable', holder: null, term: decision.term, expiresAtMs: decision.takeOverAtMs, detail: decision.detail };
    }
  }

  /** True while the lease is still ours (see renewOutcome for whether it was extended). */
  renew(): boolean {
    return this.renewOutcome().kind !== 'lost';
  }

  /**
   * Extends our lease. A holder whose validity has run out does not renew even if the file
   * still names it: it has already had to stop trading, and takes the lease back through
   * tryAcquire under a new term.
   */
  renewOutcome(): RenewOutcome {
    const held = this.#heldTerm;
    if (held === null) return { kind: 'lost', reason: 'no lease held' };
    const clock = this.#clock();
    if (this.validityMs - (clock.monoMs - this.#validFromMonoMs) <= 0) return this.#drop('lease validity ran out before it was renewed');
    const locked = this.#lock.withLock(() => {
      const decision = decideRenew(this.#observe(clock), this.#self, held);
      if (decision.kind === 'extend') this.#take(held, clock);
      return decision;
    });
    if (!locked.locked) return { kind: 'unconfirmed', reason: 'busy', detail: `lease lock held by ${locked.holder}` };
    const decision = locked.value;
    if (decision.kind === 'lost') return this.#drop(decision.reason);
    if (decision.kind === 'unconfirmed') return { kind: 'unconfirmed', reason: 'unreadable', detail: decision.detail };
    // A pause between sampling the clock and writing can have used up the new validity too.
    if (!this.isValid) return this.#drop('lease validity ran out while it was being renewed');
    return { kind: 'renewed', term: held };
  }

  /** Expires our lease now so a Follower takes over at once; does nothing if it is not ours. */
  release(): void {
    const held = this.#heldTerm;
    if (held === null) return;
    this.#heldTerm = null;
    const clock = this.#clock();
    // A busy lock leaves the lease to expire on its own, which is merely slower.
    this.#lock.withLock(() => {
      if (decideRenew(this.#observe(clock), this.#self, held).kind === 'extend') this.#write({ leader: this.nodeId, term: held, expiresAtMs: clock.wallMs, pid: process.pid });
    });
  }

  #clock(): DecisionClock {
    return { monoMs: this.#monotonic(), wallMs: this.#now() };
  }

  #observe(clock: DecisionClock): LeaseObservation {
    const observed = this.read();
    this.#memory = remember(this.#memory, observed, clock.monoMs);
    return observed;
  }

  /**
   * Validity counts from the clock sampled before the lock was taken, and the expiry is
   * written from the wall time sampled at that same moment, so whatever the lock and the
   * disk cost comes out of our validity and never out of the margin.
   */
  #take(term: number, clock: DecisionClock): void {
    const record: LeaseRecord = { leader: this.nodeId, term, expiresAtMs: clock.wallMs + this.ttlMs, pid: process.pid };
    this.#write(record);
    this.#memory = remember(this.#memory, { state: 'ok', ...record }, clock.monoMs);
    this.#heldTerm = term;
    this.#validFromMonoMs = clock.monoMs;
  }

  #drop(reason: string): RenewOutcome {
    this.#heldTerm = null;
    return { kind: 'lost', reason };
  }

  #write(record: LeaseRecord): void {
    const temp = `${this.path}.tmp-${process.pid}`;
    const fd = openSync(temp, 'w');
    try {
      writeSync(fd, formatLease(record));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.path);
    // The rename itself must reach the disk, or a crash could bring back an older term.
    const dir = openSync(this.dataDir, 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}

/** The file's text as a lease, or why it is not one. */
export function parseLease(text: string): LeaseObservation {
  if (text.trim() === '') return { state: 'corrupt', detail: 'lease file is empty' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { state: 'corrupt', detail: `lease file is not JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { state: 'corrupt', detail: 'lease file is not a JSON object' };
  const { leader, term, expires_at_ms: expiresAtMs, pid } = value as Record<string, unknown>;
  if (typeof leader !== 'string' || leader === '') return { state: 'corrupt', detail: 'lease "leader" is not a non-empty string' };
  if (!isPositiveInteger(term)) return { state: 'corrupt', detail: 'lease "term" is not a positive integer' };
  if (typeof expiresAtMs !== 'number' || !Number.isFinite(expiresAtMs)) return { state: 'corrupt', detail: 'lease "expires_at_ms" is not a finite number' };
  if (!isPositiveInteger(pid)) return { state: 'corrupt', detail: 'lease "pid" is not a positive integer' };
  return { state: 'ok', leader, term, expiresAtMs, pid };
}

export function formatLease(record: LeaseRecord): string {
  return `${JSON.stringify({ leader: record.leader, term: record.term, expires_at_ms: record.expiresAtMs, pid: record.pid })}\n`;
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
