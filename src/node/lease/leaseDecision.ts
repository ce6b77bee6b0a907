/**
 * The lease election as pure decisions: what a node should do given what it just read from
 * the lease file, what it remembers, and the time. No I/O here; `leaseFile.ts` reads, locks
 * and writes around these.
 */

export interface LeaseRecord {
  leader: string;
  term: number;
  expiresAtMs: number;
  pid: number;
}

export type LeaseObservation = { state: 'missing' } | { state: 'corrupt'; detail: string } | ({ state: 'ok' } & LeaseRecord);

/**
 * A process, not just a node id: two processes started with the same id by mistake must
 * not both read the lease as their own.
 */
export interface Claimant {
  nodeId: string;
  pid: number;
}

/** What a node carries from one read of the lease file to the next. */
export interface ElectionMemory {
  highestTermSeen: number;
  /** Monotonic ms at which this node first found the file unreadable, in the current run of such reads. */
  unreadableSinceMonoMs: number | null;
}

export interface DecisionClock {
  wallMs: number;
  monoMs: number;
}

export type AcquireDecision =
  | { kind: 'acquire'; term: number }
  | { kind: 'wait'; holder: string; term: number; expiresAtMs: number }
  /** The file cannot be read as a lease; it counts as held until `takeOverAtMs` (wall, projected). */
  | { kind: 'wait-unreadable'; detail: string; term: number; takeOverAtMs: number };

export type RenewDecision =
  | { kind: 'extend' }
  | { kind: 'lost'; reason: string }
  /** Neither ours to extend nor provably someone else's: the holder's validity keeps running down. */
  | { kind: 'unconfirmed'; detail: string };

export const initialMemory = (lastKnownTerm = 0): ElectionMemory => ({ highestTermSeen: lastKnownTerm, unreadableSinceMonoMs: null });

/**
 * A missing file is a fresh data directory only for a node that has never seen a lease (nor
 * a term in its journal). Once a term is known, a vanished file may be hiding a live Leader,
 * so it gets the same grace as a corrupt one.
 */
function unreadableDetail(observed: LeaseObservation, memory: ElectionMemory): string | null {
  if (observed.state === 'corrupt') return observed.detail;
  if (observed.state === 'missing' && memory.highestTermSeen > 0) return 'lease file disappeared after a lease was seen';
  return null;
}

/** Folds one read into the memory: terms only ever rise, and a clean read ends an unreadable run. */
export function remember(memory: ElectionMemory, observed: LeaseObservation, monoMs: number): ElectionMemory {
  if (observed.state === 'ok') return { highestTermSeen: Math.max(memory.highestTermSeen, observed.term), unreadableSinceMonoMs: null };
  if (unreadableDetail(observed, memory) === null) return memory;
  return { highestTermSeen: memory.highestTermSeen, unreadableSinceMonoMs: memory.unreadableSinceMonoMs ?? monoMs };
}

function isHeldBy(record: LeaseRecord, self: Claimant): boolean {
  return record.leader === self.nodeId && record.pid === self.pid;
}

/**
 * Whether a node that does not currently lead may take the lease. `memory` must already
 * include `observed` (see `remember`).
 *
 * An unreadable file is treated as held until `corruptGraceMs` has passed on this node's
 * monotonic clock since it first saw it so. Why that cannot give two Leaders: the file was
 * last written whole by the holder's last successful renew, so whatever unreadable content
 * this node sees appeared after that renew began; the holder's validity ends
 * `ttl - safetyMargin` after that same moment, and a holder never extends a lease it cannot
 * read. With `corruptGraceMs >= ttl - safetyMargin` (enforced by LeaseFile) the holder has
 * stopped trading before anyone takes over. The new term is above every term this node has
 * seen, so the journal's fencing refuses the old holder even if it wakes up later.
 */
export function decideAcquire(observed: LeaseObservation, self: Claimant, memory: ElectionMemory, clock: DecisionClock, corruptGraceMs: number): AcquireDecision {
  const nextTerm = memory.highestTermSeen + 1;
  if (observed.state === 'ok') {
    const expired = clock.wallMs >= observed.expiresAtMs;
    // Our own process is named only after our validity ran out (a pause); nobody else can
    // hold it, so taking it back is safe, under a new term so the journal sees the break.
    if (expired || isHeldBy(observed, self)) return { kind: 'acquire', term: nextTerm };
    return { kind: 'wait', holder: observed.leader, term: observed.term, expiresAtMs: observed.expiresAtMs };
  }
  const detail = unreadableDetail(observed, memory);
  if (detail === null) return { kind: 'acquire', term: nextTerm };
  const sinceMs = memory.unreadableSinceMonoMs ?? clock.monoMs;
  const remainingMs = corruptGraceMs - (clock.monoMs - sinceMs);
  if (remainingMs <= 0) return { kind: 'acquire', term: nextTerm };
  return { kind: 'wait-unreadable', detail, term: memory.highestTermSeen, takeOverAtMs: clock.wallMs + remainingMs };
}

/**
 * Whether the current holder of `heldTerm` may extend its lease. Expiry by the wall clock
 * does not matter here: while the file still names us under our term, nobody has taken over.
 */
export function decideRenew(observed: LeaseObservation, self: Claimant, heldTerm: number): RenewDecision {
  if (observed.state === 'missing') return { kind: 'unconfirmed', detail: 'lease file disappeared while held' };
  if (observed.state === 'corrupt') return { kind: 'unconfirmed', detail: observed.detail };
  if (observed.term > heldTerm) return { kind: 'lost', reason: `term ${observed.term} taken by ${observed.leader}` };
  if (!isHeldBy(observed, self)) return { kind: 'lost', reason: `lease now names ${observed.leader} (pid ${observed.pid}) at term ${observed.term}` };
  if (observed.term < heldTerm) return { kind: 'lost', reason: `lease went back to term ${observed.term}` };
  return { kind: 'extend' };
}
