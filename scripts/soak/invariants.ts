import { parseDecimal, QTY_DECIMALS } from '../../src/node/fixedPoint.ts';
import type { LedgerSnapshot } from '../../src/venues/emulator/venueLedger.ts';
import { krakenClientOrderId } from '../../src/venues/kraken/krakenClientId.ts';

// The soak's invariants, checked from evidence alone (no I/O here): the venues' ledgers
// (what each emulator received and did), the node's journal as `sequence journal dump
// --json` prints it, and each node process's JSON-line events. Each check returns the
// violations it finds, with the wall time (ms) they happened at and what exactly is wrong.
//
// Two clocks are compared only where both are the same machine's wall clock read by
// Date.now (the emulators' ledgers and the node's event lines); order between two records
// of the journal, or two entries of one ledger, is taken from their sequence numbers, never
// from their timestamps.

export interface Violation {
  invariant: string;
  atMs: number;
  detail: string;
}

/** One line of `sequence journal dump --json`: the record's seq, term and time, then the trading message's report form. */
export interface JournalRecordJson {
  seq: number;
  term: number;
  /** ISO time of the message. */
  ts: string;
  type: string;
  [field: string]: unknown;
}

export interface SoakEvidence {
  ledgers: { kraken: LedgerSnapshot; coinbase: LedgerSnapshot };
  journal: JournalRecordJson[];
  /** The JSON-line stdout of each node process, in the order it printed them. */
  nodeEvents: { pid: number; events: Record<string, unknown>[] }[];
}

export interface CheckOptions {
  /**
   * The run is over and every node has stopped: positions must match and every venue fill
   * up to the last Leader's stop must be in the journal. By default: true when the newest
   * Leader has reported its shutdown and no other process said anything after it took over
   * without having shut down too (so not while a Follower is about to take over).
   */
  final?: boolean;
  /** While running: a venue fill older than this (before the ledger's snapshot) must be journaled. Default 30 s. */
  settleMs?: number;
}

export const INVARIANTS = {
  uniqueIds: '1 no client order id placed twice',
  fillsOnce: '2 every venue fill applied exactly once',
  positions: '3 node positions equal the venue positions',
  validBooks: '4 no algorithm sees an invalid book',
  haltedQuiet: '5 no order reaches a venue while halted',
  writeAhead: '5 no order reaches a venue without being journaled',
  oneLeader: '6 at most one Leader sends at a time',
} as const;

/**
 * The node-side witness for invariant 4: the engine refuses a book its venue called valid
 * but that is crossed, and says so. The venue's own checks (checksum, sequence) should
 * have caught such a book, so its appearance is a violation even though no algorithm saw it.
 */
export const INVALID_BOOK_EVENT = 'crossed_book_refused';

const DEFAULT_SETTLE_MS = 30_000;
/**
 * The journal is read after the ledgers: a fill the node applied after a ledger snapshot
 * is not in it yet. Journal fills this close to the snapshot or after it are left out of
 * the comparisons that look for fills the venue never made (the venues' fill times are
 * printed to the millisecond or finer).
 */
const SNAPSHOT_SLACK_MS = 1_000;
const VENUES = ['kraken', 'coinbase'] as const;
type VenueKey = (typeof VENUES)[number];

interface JournalOrder {
  nodeId: string;
  seq: number;
  term: number;
  tsMs: number;
  venue: string;
  symbol: string;
  side: 1 | -1;
  qty1e8: number;
  filled1e8: number;
  fillIds: Set<string>;
  /** A halt was in force (by the journal) when it was recorded. */
  haltedBy: string | null;
}

/** The journal replayed the way the node's OMS applies it. */
interface JournalView {
  orders: Map<string, JournalOrder>;
  /** Applied fills: venue, order id and fill id, as the OMS accepted them. */
  applied: Map<string, { order: JournalOrder; fillId: string; qty1e8: number; seq: number; tsMs: number }>;
  /** The terms of the cancel requests journaled for an order, in journal order. */
  cancelTerms: Map<string, number[]>;
  violations: Violation[];
}

export function checkInvariants(e: SoakEvidence, options: CheckOptions = {}): Violation[] {
  const journal = readJournal(e.journal);
  const final = options.final ?? newestLeaderStopped(e.nodeEvents);
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  const wireToNode = wireIdMaps(journal);
  const violations = [...journal.violations];
  violations.push(...checkUniqueIds(e, wireToNode));
  violations.push(...checkFills(e, journal, wireToNode, final, settleMs));
  if (final) violations.push(...checkPositions(e, journal, wireToNode));
  violations.push(...checkValidBooks(e));
  violations.push(...checkHalted(e, journal, wireToNode));
  violations.push(...checkOneLeader(e, journal, wireToNode));
  return violations.sort((a, b) => a.atMs - b.atMs);
}

// ---- the journal ------------------------------------------------------------------------

function readJournal(records: readonly JournalRecordJson[]): JournalView {
  const view: JournalView = { orders: new Map(), applied: new Map(), cancelTerms: new Map(), violations: [] };
  const sorted = [...records].sort((a, b) => a.seq - b.seq);
  let halt: string | null = null;
  let maxTerm = 0;
  for (const r of sorted) {
    const tsMs = Date.parse(r.ts);
    if (r.term < maxTerm) {
      view.violations.push({ invariant: INVARIANTS.oneLeader, atMs: tsMs, detail: `journal record ${r.seq} (${r.type}) was written in term ${r.term} after term ${maxTerm}: two Leaders wrote the journal` });
    }
    maxTerm = Math.max(maxTerm, r.term);
    switch (r.type) {
      case 'order': {
        const nodeId = String(r.id);
        const existing = view.orders.get(nodeId);
        if (existing !== undefined) {
          view.violations.push({ invariant: INVARIANTS.uniqueIds, atMs: tsMs, detail: `client order id ${nodeId} journaled twice (seq ${existing.seq} term ${existing.term}, seq ${r.seq} term ${r.term})` });
          break;
        }
        view.orders.set(nodeId, {
          nodeId,
          seq: r.seq,
          term: r.term,
          tsMs,
          venue: String(r.venue),
          symbol: String(r.symbol),
          side: r.side === 'sell' ? -1 : 1,
          qty1e8: parseDecimal(String(r.qty), QTY_DECIMALS),
          filled1e8: 0,
          fillIds: new Set(),
          haltedBy: halt,
        });
        break;
      }
      case 'fill': {
        // As the OMS applies a fill: to a known order, once per fill id, never past its size.
        const order = view.orders.get(String(r.id));
        const fillId = String(r.fill_id);
        const qty1e8 = parseDecimal(String(r.qty), QTY_DECIMALS);
        if (order === undefined || order.fillIds.has(fillId) || qty1e8 <= 0 || qty1e8 > order.qty1e8 - order.filled1e8) break;
        order.fillIds.add(fillId);
        order.filled1e8 += qty1e8;
        view.applied.set(fillKey(order.venue, order.nodeId, fillId), { order, fillId, qty1e8, seq: r.seq, tsMs });
        break;
      }
      case 'cancel':
        view.cancelTerms.set(String(r.id), [...(view.cancelTerms.get(String(r.id)) ?? []), r.term]);
        break;
      case 'halt':
        halt ??= String(r.by);
        break;
      case 'resume':
        halt = null;
        break;
    }
  }
  return view;
}

function fillKey(venue: string, nodeId: string, fillId: string): string {
  return `${venue}\u0000${nodeId}\u0000${fillId}`;
}

/**
 * Wire client order id -> node id, per venue. Coinbase carries the node's id itself;
 * Kraken's cl_ord_id is a UUID hashed from it, mapped back through the ids the journal holds.
 */
function wireIdMaps(journal: JournalView): Record<VenueKey, (wireId: string) => string | undefined> {
  const kraken = new Map<string, string>();
  for (const nodeId of journal.orders.keys()) kraken.set(krakenClientOrderId(nodeId), nodeId);
  return {
    kraken: (wireId) => kraken.get(wireId.toLowerCase()),
    coinbase: (wireId) => (journal.orders.has(wireId) ? wireId : undefined),
  };
}

function label(venue: VenueKey, wireId: string, nodeId: string | undefined): string {
  if (nodeId === undefined) return `"${wireId}"`;
  return wireId === nodeId ? nodeId : `${nodeId} (${venue} id ${wireId})`;
}

// ---- 1: no client order id placed twice -------------------------------------------------

function checkUniqueIds(e: SoakEvidence, wireToNode: Record<VenueKey, (wireId: string) => string | undefined>): Violation[] {
  const violations: Violation[] = [];
  for (const venue of VENUES) {
    const placed = new Map<string, string>();
    for (const o of e.ledgers[venue].orders) {
      if (o.outcome !== 'placed' || o.clientOrderId === '') continue;
      const first = placed.get(o.clientOrderId);
      if (first === undefined) {
        placed.set(o.clientOrderId, o.venueOrderId);
        continue;
      }
      violations.push({
        invariant: INVARIANTS.uniqueIds,
        atMs: o.receivedMs,
        detail: `client order id ${label(venue, o.clientOrderId, wireToNode[venue](o.clientOrderId))} placed twice at ${venue}: venue orders ${first} and ${o.venueOrderId}`,
      });
    }
  }
  return violations;
}

// ---- 2: every venue fill applied exactly once -------------------------------------------

function checkFills(e: SoakEvidence, journal: JournalView, wireToNode: Record<VenueKey, (wireId: string) => string | undefined>, final: boolean, settleMs: number): Violation[] {
  const violations: Violation[] = [];
  const cutoffFinalMs = lastLeaderEventMs(e.nodeEvents);
  for (const venue of VENUES) {
    const ledger = e.ledgers[venue];
    const cutoffMs = final ? cutoffFinalMs : ledger.atMs - settleMs;
    const seen = new Map<string, { qty1e8: number; tsMs: number }>();
    const venueFilled = new Map<string, number>();
    for (const f of ledger.fills) {
      const nodeId = wireToNode[venue](f.clientOrderId);
      const who = label(venue, f.clientOrderId, nodeId);
      if (nodeId === undefined) {
        violations.push({ invariant: INVARIANTS.fillsOnce, atMs: f.tsMs, detail: `${venue} filled ${f.qty1e8} (qty_1e8) of order ${who}, fill ${f.fillId}, which the journal has no order for` });
        continue;
      }
      const key = fillKey(venue, nodeId, f.fillId);
      if (seen.has(key)) {
        violations.push({ invariant: INVARIANTS.fillsOnce, atMs: f.tsMs, detail: `${venue} reported fill ${f.fillId} of ${who} twice` });
        continue;
      }
      seen.set(key, { qty1e8: f.qty1e8, tsMs: f.tsMs });
      venueFilled.set(nodeId, (venueFilled.get(nodeId) ?? 0) + f.qty1e8);
      const applied = journal.applied.get(key);
      if (applied === undefined && f.tsMs <= cutoffMs) {
        violations.push({ invariant: INVARIANTS.fillsOnce, atMs: f.tsMs, detail: `${venue} fill ${f.fillId} of ${who} (${f.qty1e8} qty_1e8 at ${f.px1e9} px_1e9) was never applied by the node` });
      } else if (applied !== undefined && applied.qty1e8 !== f.qty1e8) {
        violations.push({ invariant: INVARIANTS.fillsOnce, atMs: f.tsMs, detail: `fill ${f.fillId} of ${who}: the venue filled ${f.qty1e8} qty_1e8, the node applied ${applied.qty1e8}` });
      }
    }
    // What the node applied that the venue never reported (a double under another id, or made up).
    const complete = ledger.dropped === 0;
    const appliedPerOrder = new Map<string, { qty1e8: number; tsMs: number }>();
    for (const [key, a] of journal.applied) {
      if (a.order.venue !== venue || a.tsMs > ledger.atMs - SNAPSHOT_SLACK_MS) continue;
      const total = appliedPerOrder.get(a.order.nodeId) ?? { qty1e8: 0, tsMs: 0 };
      total.qty1e8 += a.qty1e8;
      total.tsMs = Math.max(total.tsMs, a.tsMs);
      appliedPerOrder.set(a.order.nodeId, total);
      if (complete && !seen.has(key)) {
        violations.push({ invariant: INVARIANTS.fillsOnce, atMs: a.tsMs, detail: `the node applied fill ${a.fillId} of ${a.order.nodeId} (${a.qty1e8} qty_1e8, journal seq ${a.seq}) that ${venue} never reported` });
      }
    }
    if (!complete) continue;
    for (const [nodeId, applied] of appliedPerOrder) {
      const filled = venueFilled.get(nodeId) ?? 0;
      if (applied.qty1e8 > filled) {
        violations.push({ invariant: INVARIANTS.fillsOnce, atMs: applied.tsMs, detail: `the node applied ${applied.qty1e8} qty_1e8 of fills to ${nodeId}; ${venue} filled ${filled}` });
      }
    }
  }
  return violations;
}

// ---- 3: positions -----------------------------------------------------------------------

function checkPositions(e: SoakEvidence, journal: JournalView, wireToNode: Record<VenueKey, (wireId: string) => string | undefined>): Violation[] {
  const violations: Violation[] = [];
  const cutoffMs = lastLeaderEventMs(e.nodeEvents);
  const reported = lastReportedPositions(e.nodeEvents);
  for (const venue of VENUES) {
    const ledger = e.ledgers[venue];
    if (ledger.dropped > 0) continue;
    const atVenue = new Map<string, number>();
    for (const f of ledger.fills) {
      if (f.tsMs > cutoffMs || wireToNode[venue](f.clientOrderId) === undefined) continue;
      atVenue.set(f.symbol, (atVenue.get(f.symbol) ?? 0) + (f.side === 'sell' ? -f.qty1e8 : f.qty1e8));
    }
    const atNode = new Map<string, number>();
    for (const a of journal.applied.values()) {
      if (a.order.venue !== venue) continue;
      atNode.set(a.order.symbol, (atNode.get(a.order.symbol) ?? 0) + a.order.side * a.qty1e8);
    }
    for (const symbol of new Set([...atVenue.keys(), ...atNode.keys()])) {
      const v = atVenue.get(symbol) ?? 0;
      const n = atNode.get(symbol) ?? 0;
      if (v !== n) violations.push({ invariant: INVARIANTS.positions, atMs: ledger.atMs, detail: `${venue} ${symbol}: the venue's fills make ${v} qty_1e8, the journal's ${n}` });
      const said = reported?.positions.get(`${venue}\u0000${symbol}`);
      if (said !== undefined && said !== v) {
        violations.push({ invariant: INVARIANTS.positions, atMs: reported!.atMs, detail: `${venue} ${symbol}: the venue's fills make ${v} qty_1e8, the node's last status said ${said}` });
      }
    }
  }
  return violations;
}

/** Positions per venue and symbol from the newest Leader's last status event (instances summed). */
function lastReportedPositions(nodes: SoakEvidence['nodeEvents']): { atMs: number; positions: Map<string, number> } | null {
  const leader = newestLeader(nodes);
  if (leader === null) return null;
  const status = [...leader.events].reverse().find((ev) => ev.type === 'status');
  if (status === undefined || !Array.isArray(status.instances)) return null;
  const positions = new Map<string, number>();
  for (const instance of status.instances as { venue?: unknown; symbols?: { symbol?: unknown; position?: unknown }[] }[]) {
    for (const s of instance.symbols ?? []) {
      const key = `${String(instance.venue)}\u0000${String(s.symbol)}`;
      positions.set(key, (positions.get(key) ?? 0) + parseDecimal(String(s.position), QTY_DECIMALS));
    }
  }
  return { atMs: eventMs(status), positions };
}

// ---- 4: no algorithm sees an invalid book -----------------------------------------------

function checkValidBooks(e: SoakEvidence): Violation[] {
  const violations: Violation[] = [];
  for (const node of e.nodeEvents) {
    for (const ev of node.events) {
      if (ev.type !== INVALID_BOOK_EVENT) continue;
      violations.push({ invariant: INVARIANTS.validBooks, atMs: eventMs(ev), detail: `pid ${node.pid}: ${String(ev.venue)} ${String(ev.symbol)} crossed: bid ${String(ev.bid)} >= ask ${String(ev.ask)}` });
    }
  }
  return violations;
}

// ---- 5: no order reaches a venue while halted, nor before it is journaled ---------------

function checkHalted(e: SoakEvidence, journal: JournalView, wireToNode: Record<VenueKey, (wireId: string) => string | undefined>): Violation[] {
  const violations: Violation[] = [];
  // What each process decided while it knew itself halted, in the order it printed it.
  const decidedHalted = new Map<string, string>();
  for (const node of e.nodeEvents) {
    let halt: string | null = null;
    for (const ev of node.events) {
      if (ev.type === 'node_role' && ev.role === 'leader') halt = ev.halted === true ? 'the journal (halted at takeover)' : null;
      else if (ev.type === 'halt') halt ??= String(ev.by);
      else if (ev.type === 'resume') halt = null;
      else if (ev.type === 'order' && halt !== null) decidedHalted.set(String(ev.id), `pid ${node.pid} decided it while halted by ${halt}`);
    }
  }
  for (const order of journal.orders.values()) {
    if (order.haltedBy !== null && !decidedHalted.has(order.nodeId)) decidedHalted.set(order.nodeId, `journaled (seq ${order.seq}) while halted by ${order.haltedBy}`);
  }
  for (const venue of VENUES) {
    const reported = new Set<string>();
    for (const o of e.ledgers[venue].orders) {
      const nodeId = wireToNode[venue](o.clientOrderId);
      if (nodeId === undefined) {
        violations.push({ invariant: INVARIANTS.writeAhead, atMs: o.receivedMs, detail: `order ${label(venue, o.clientOrderId, undefined)} reached ${venue} (${o.outcome}) with no order in the journal` });
        continue;
      }
      const why = decidedHalted.get(nodeId);
      if (why === undefined || reported.has(nodeId)) continue;
      reported.add(nodeId);
      violations.push({ invariant: INVARIANTS.haltedQuiet, atMs: o.receivedMs, detail: `order ${label(venue, o.clientOrderId, nodeId)} reached ${venue} (${o.outcome}): ${why}` });
    }
  }
  return violations;
}

// ---- 6: at most one Leader sends --------------------------------------------------------

/**
 * As the venues saw it: once a request of term T reached any venue, no request of an older
 * term may arrive after it (a Leader that lost its lease sends nothing, not even cancels).
 * Requests are ordered by arrival; each is attributed to the term that journaled it.
 */
function checkOneLeader(e: SoakEvidence, journal: JournalView, wireToNode: Record<VenueKey, (wireId: string) => string | undefined>): Violation[] {
  const arrivals: { venue: VenueKey; seq: number; atMs: number; term: number; what: string }[] = [];
  for (const venue of VENUES) {
    const ledger = e.ledgers[venue];
    for (const o of ledger.orders) {
      const nodeId = wireToNode[venue](o.clientOrderId);
      const order = nodeId === undefined ? undefined : journal.orders.get(nodeId);
      if (order !== undefined) arrivals.push({ venue, seq: o.seq, atMs: o.receivedMs, term: order.term, what: `order ${order.nodeId}` });
    }
    // The n-th cancel of an order to arrive is taken to be its n-th journaled cancel request.
    const cancelsSeen = new Map<string, number>();
    for (const c of ledger.cancels) {
      const nodeId = wireToNode[venue](c.clientOrderId);
      const terms = nodeId === undefined ? undefined : journal.cancelTerms.get(nodeId);
      if (nodeId === undefined || terms === undefined) continue;
      const n = cancelsSeen.get(nodeId) ?? 0;
      cancelsSeen.set(nodeId, n + 1);
      arrivals.push({ venue, seq: c.seq, atMs: c.receivedMs, term: terms[Math.min(n, terms.length - 1)] as number, what: `cancel of ${nodeId}` });
    }
  }
  // By arrival time across venues (one machine's clock), by ledger seq within one venue.
  arrivals.sort((a, b) => a.atMs - b.atMs || (a.venue === b.venue ? a.seq - b.seq : 0));
  const violations: Violation[] = [];
  let newest: (typeof arrivals)[number] | null = null;
  for (const a of arrivals) {
    if (newest !== null && a.term < newest.term && a.atMs > newest.atMs - (a.venue === newest.venue ? 1 : 0)) {
      violations.push({
        invariant: INVARIANTS.oneLeader,
        atMs: a.atMs,
        detail: `${a.what} of term ${a.term} reached ${a.venue} after ${newest.what} of term ${newest.term} had reached ${newest.venue}: two Leaders were sending`,
      });
    }
    if (newest === null || a.term > newest.term) newest = a;
  }
  return violations;
}

// ---- node events ------------------------------------------------------------------------

function eventMs(ev: Record<string, unknown>): number {
  const ms = typeof ev.ts === 'string' ? Date.parse(ev.ts) : NaN;
  return Number.isFinite(ms) ? ms : 0;
}

/** The process that became Leader under the highest term. */
function newestLeader(nodes: SoakEvidence['nodeEvents']): SoakEvidence['nodeEvents'][number] | null {
  let best: SoakEvidence['nodeEvents'][number] | null = null;
  let bestTerm = -1;
  for (const node of nodes) {
    for (const ev of node.events) {
      if (ev.type === 'node_role' && ev.role === 'leader' && typeof ev.term === 'number' && ev.term > bestTerm) {
        best = node;
        bestTerm = ev.term;
      }
    }
  }
  return best;
}

function newestLeaderStopped(nodes: SoakEvidence['nodeEvents']): boolean {
  const leader = newestLeader(nodes);
  if (leader === null || !leader.events.some((ev) => ev.type === 'shutdown')) return false;
  const tookOver = leader.events.find((ev) => ev.type === 'node_role' && ev.role === 'leader') as Record<string, unknown>;
  const sinceMs = eventMs(tookOver);
  return nodes.every((n) => n === leader || n.events.some((ev) => ev.type === 'shutdown') || n.events.every((ev) => eventMs(ev) <= sinceMs));
}

/** When the newest Leader last said anything: venue fills after it were never the node's to see. */
function lastLeaderEventMs(nodes: SoakEvidence['nodeEvents']): number {
  const leader = newestLeader(nodes);
  if (leader === null) return -Infinity;
  let last = 0;
  for (const ev of leader.events) last = Math.max(last, eventMs(ev));
  return last;
}
