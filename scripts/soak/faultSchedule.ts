import { Prng, seedFor } from '../../src/venues/sim/prng.ts';

// The soak's fault plan: which fault, when, with what parameters, drawn from one seed so a
// failing run can be replayed with the same schedule. Pure: the runner executes it.
//
// Spacing is what lets the node show it recovers rather than drown: every fault starts at
// least MIN_GAP_MS after the previous one ended, and a disruptive fault (one that costs the
// node its Leader, its journal, a venue or its clock) starts at least DISRUPTIVE_GAP_MS
// after the previous disruptive one ended, long enough for the Follower to take over,
// reconcile, and a fresh Follower to bootstrap beside it on a loaded machine.

export type SoakVenue = 'kraken' | 'coinbase';

export type ScheduledFault =
  /** Every WebSocket of the venue is closed; the node reconnects and resyncs. */
  | { atMs: number; fault: 'wsDrop'; params: { venue: SoakVenue } }
  /** Kraken's next book frame carries a wrong CRC32; the node resubscribes. */
  | { atMs: number; fault: 'corruptChecksum'; params: { venue: 'kraken' } }
  /** Coinbase skips one sequence_num; the node rebuilds its books. */
  | { atMs: number; fault: 'sequenceGap'; params: { venue: 'coinbase' } }
  /** Order acks come ackDelayMs late, for holdMs. */
  | { atMs: number; fault: 'delayedAcks'; params: { venue: SoakVenue; ackDelayMs: number; holdMs: number } }
  /** The next order is placed but its answer never comes. */
  | { atMs: number; fault: 'lostAck'; params: { venue: SoakVenue } }
  /** The next n order calls are refused with the venue's rate-limit answer. */
  | { atMs: number; fault: 'rateLimit'; params: { venue: SoakVenue; n: number } }
  /** The venue is unreachable for outageMs, then back with its orders (a restart of the venue's gateway). */
  | { atMs: number; fault: 'emulatorRestart'; params: { venue: SoakVenue; outageMs: number } }
  /** kill -9 of the Leader: the Follower takes over, a new Follower is started. */
  | { atMs: number; fault: 'leaderKill'; params: Record<string, never> }
  /** SIGSTOP of the Leader for at least pausedMs and until the Follower took over, then SIGCONT: it must step down, fenced. */
  | { atMs: number; fault: 'leaderPause'; params: { pausedMs: number } }
  /** The mesh coordinator restarts (down for downMs). */
  | { atMs: number; fault: 'coordinatorRestart'; params: { downMs: number } }
  /** Journal appends fail for holdMs, as on a full disk; then the Leader is restarted on the freed disk. */
  | { atMs: number; fault: 'journalFull'; params: { holdMs: number } }
  /** The nodes' wall clock jumps by offsetMs for holdMs, then steps back. */
  | { atMs: number; fault: 'clockJump'; params: { offsetMs: number; holdMs: number } };

export type FaultKind = ScheduledFault['fault'];

export const FAULT_KINDS: readonly FaultKind[] = [
  'wsDrop',
  'corruptChecksum',
  'sequenceGap',
  'delayedAcks',
  'lostAck',
  'rateLimit',
  'emulatorRestart',
  'leaderKill',
  'leaderPause',
  'coordinatorRestart',
  'journalFull',
  'clockJump',
];

const DISRUPTIVE: ReadonlySet<FaultKind> = new Set(['emulatorRestart', 'leaderKill', 'leaderPause', 'coordinatorRestart', 'journalFull', 'clockJump']);

/** Draw weights: the cheap link faults come more often than the ones that cost a Leader. */
const WEIGHTS: Readonly<Record<FaultKind, number>> = {
  wsDrop: 3,
  corruptChecksum: 2,
  sequenceGap: 2,
  delayedAcks: 2,
  lostAck: 2,
  rateLimit: 2,
  emulatorRestart: 1,
  leaderKill: 1,
  leaderPause: 1,
  coordinatorRestart: 1,
  journalFull: 1,
  clockJump: 1,
};

export const SPACING = {
  /** From the previous fault's end to the next fault's start. */
  minGapMs: 2_000,
  /** From the previous disruptive fault's end to the next disruptive fault's start. */
  disruptiveGapMs: 20_000,
  /** Mean of the exponential wait added to minGapMs. */
  meanExtraGapMs: 4_000,
  /** Nothing before this: the Leader and the Follower settle first. */
  warmupMs: 5_000,
} as const;

/** At most this many faults in one schedule, whatever the duration (a bound on the loop and the plan). */
export const MAX_FAULTS = 100_000;

export function isDisruptive(kind: FaultKind): boolean {
  return DISRUPTIVE.has(kind);
}

/** How long a fault lasts from its start (0 for one that is a single event). */
export function activeMs(f: ScheduledFault): number {
  switch (f.fault) {
    case 'delayedAcks':
    case 'journalFull':
    case 'clockJump':
      return f.params.holdMs;
    case 'emulatorRestart':
      return f.params.outageMs;
    case 'leaderPause':
      return f.params.pausedMs;
    case 'coordinatorRestart':
      return f.params.downMs;
    default:
      return 0;
  }
}

export function endMs(f: ScheduledFault): number {
  return f.atMs + activeMs(f);
}

/** A uniform integer in [lo, hi]. */
function between(prng: Prng, lo: number, hi: number): number {
  return lo + prng.intBelow(hi - lo + 1);
}

function venue(prng: Prng): SoakVenue {
  return prng.intBelow(2) === 0 ? 'kraken' : 'coinbase';
}

function pickKind(prng: Prng, allowed: readonly FaultKind[]): FaultKind {
  const total = allowed.reduce((sum, k) => sum + WEIGHTS[k], 0);
  let draw = prng.intBelow(total);
  for (const k of allowed) {
    draw -= WEIGHTS[k];
    if (draw < 0) return k;
  }
  return allowed[allowed.length - 1] as FaultKind;
}

function draw(prng: Prng, kind: FaultKind, atMs: number): ScheduledFault {
  switch (kind) {
    case 'wsDrop':
      return { atMs, fault: kind, params: { venue: venue(prng) } };
    case 'corruptChecksum':
      return { atMs, fault: kind, params: { venue: 'kraken' } };
    case 'sequenceGap':
      return { atMs, fault: kind, params: { venue: 'coinbase' } };
    case 'delayedAcks':
      return { atMs, fault: kind, params: { venue: venue(prng), ackDelayMs: between(prng, 200, 2_500), holdMs: between(prng, 2_000, 8_000) } };
    case 'lostAck':
      return { atMs, fault: kind, params: { venue: venue(prng) } };
    case 'rateLimit':
      return { atMs, fault: kind, params: { venue: venue(prng), n: between(prng, 1, 5) } };
    case 'emulatorRestart':
      return { atMs, fault: kind, params: { venue: venue(prng), outageMs: between(prng, 1_000, 5_000) } };
    case 'leaderKill':
      return { atMs, fault: kind, params: {} };
    case 'leaderPause':
      return { atMs, fault: kind, params: { pausedMs: between(prng, 3_000, 6_000) } };
    case 'coordinatorRestart':
      return { atMs, fault: kind, params: { downMs: between(prng, 1_000, 5_000) } };
    case 'journalFull':
      return { atMs, fault: kind, params: { holdMs: between(prng, 1_000, 4_000) } };
    case 'clockJump': {
      const sign = prng.intBelow(2) === 0 ? -1 : 1;
      return { atMs, fault: kind, params: { offsetMs: sign * between(prng, 1_000, 60_000), holdMs: between(prng, 2_000, 10_000) } };
    }
  }
}

/**
 * The faults for a soak of durationMs, in start order, each ending by durationMs. The same
 * seed and duration give the same schedule; a longer duration extends a shorter one's
 * schedule (the draws are sequential), so a short run replays the start of a long one.
 */
export function faultSchedule(seed: number, durationMs: number): ScheduledFault[] {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`the soak seed must be a safe integer, got ${seed}`);
  if (!(Number.isFinite(durationMs) && durationMs > 0)) throw new RangeError(`the soak duration must be a positive number of ms, got ${durationMs}`);
  const prng = new Prng(seedFor(seed, 'soak-fault-schedule'));
  const light = FAULT_KINDS.filter((k) => !isDisruptive(k));
  const schedule: ScheduledFault[] = [];
  let nextMs = SPACING.warmupMs;
  let disruptiveFreeMs = SPACING.warmupMs;
  while (schedule.length < MAX_FAULTS) {
    const atMs = Math.round(nextMs + prng.exponential(1 / SPACING.meanExtraGapMs));
    // A disruptive fault not yet allowed is replaced by a light one, so the pace holds.
    let kind = pickKind(prng, FAULT_KINDS);
    if (isDisruptive(kind) && atMs < disruptiveFreeMs) kind = pickKind(prng, light);
    const fault = draw(prng, kind, atMs);
    if (endMs(fault) > durationMs) break;
    schedule.push(fault);
    nextMs = endMs(fault) + SPACING.minGapMs;
    if (isDisruptive(kind)) disruptiveFreeMs = endMs(fault) + SPACING.disruptiveGapMs;
  }
  return schedule;
}

/** How many of each kind a schedule holds (every kind named, zero included). */
export function countByKind(schedule: readonly ScheduledFault[]): Record<FaultKind, number> {
  const counts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  for (const f of schedule) counts[f.fault]++;
  return counts;
}
