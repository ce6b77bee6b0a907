import { describe, expect, it } from 'vitest';
import { checkInvariants, INVALID_BOOK_EVENT, INVARIANTS, type JournalRecordJson, type SoakEvidence } from '../scripts/soak/invariants.ts';
import type { LedgerCancel, LedgerFill, LedgerOrder, LedgerSnapshot } from '../src/venues/emulator/venueLedger.ts';
import { krakenClientOrderId } from '../src/venues/kraken/krakenClientId.ts';

// The soak's invariants over constructed evidence: a clean history passes, and each
// violation is caught and named.

const T0 = Date.parse('2026-11-21T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

type Venue = 'kraken' | 'coinbase';
const wire = (venue: Venue, nodeId: string) => (venue === 'kraken' ? krakenClientOrderId(nodeId) : nodeId);

/** Evidence built up step by step; every call advances its clock 10 ms. */
class History {
  nowMs = T0;
  private seq = 0;
  private ledgerSeq = { kraken: 0, coinbase: 0 };
  readonly journal: JournalRecordJson[] = [];
  readonly ledgers: { kraken: LedgerSnapshot; coinbase: LedgerSnapshot } = { kraken: emptyLedger('kraken'), coinbase: emptyLedger('coinbase') };
  readonly nodes: { pid: number; events: Record<string, unknown>[] }[] = [];
  private term = 0;

  tick(): number {
    this.nowMs += 10;
    return this.nowMs;
  }

  record(type: string, fields: Record<string, unknown>, term = this.term): void {
    this.journal.push({ seq: ++this.seq, term, ts: iso(this.tick()), type, ...fields });
  }

  event(pid: number, type: string, fields: Record<string, unknown> = {}): void {
    let node = this.nodes.find((n) => n.pid === pid);
    if (node === undefined) {
      node = { pid, events: [] };
      this.nodes.push(node);
    }
    node.events.push({ ts: iso(this.tick()), type, ...fields });
  }

  lead(pid: number, term: number, halted = false): void {
    this.term = term;
    this.event(pid, 'node_role', { role: 'leader', term, halted });
    this.record('role', { node: `node-${pid}`, role: 'leader', term }, term);
  }

  /** The node decides, journals and sends an order; the venue places it. */
  order(pid: number, venue: Venue, id: string, side: 'buy' | 'sell' = 'buy', qty = '0.01', options: { journal?: boolean; term?: number } = {}): void {
    const fields = { label: 'maker', venue, symbol: 'BTC/USD', id, side, px: '60000', qty, order_type: 'limit' };
    this.event(pid, 'order', fields);
    if (options.journal !== false) this.record('order', fields, options.term ?? this.term);
    this.venueOrder(venue, wire(venue, id), 'placed');
  }

  venueOrder(venue: Venue, clientOrderId: string, outcome: LedgerOrder['outcome']): void {
    const at = this.tick();
    const o: LedgerOrder = { kind: 'order', seq: ++this.ledgerSeq[venue], clientOrderId, receivedMs: at, symbol: 'BTC/USD', side: 'buy', px: '60000', qty: '0.01', outcome, reason: '', venueOrderId: `${venue}-${this.ledgerSeq[venue]}`, decidedMs: at };
    this.ledgers[venue].orders.push(o);
  }

  /** The venue fills; the node applies it (unless told not to). */
  fill(pid: number, venue: Venue, id: string, fillId: string, qty1e8: number, side: 'buy' | 'sell' = 'buy', apply = true): void {
    const f: LedgerFill = { kind: 'fill', seq: ++this.ledgerSeq[venue], fillId, clientOrderId: wire(venue, id), venueOrderId: 'v', symbol: 'BTC/USD', side, px1e9: 60_000_000_000_000, qty1e8, fee1e9: 0, liquidity: 'maker', tsMs: this.tick() };
    this.ledgers[venue].fills.push(f);
    if (apply) this.applyFill(pid, id, fillId, qty1e8);
  }

  applyFill(pid: number, id: string, fillId: string, qty1e8: number): void {
    const fields = { id, fill_id: fillId, px: '60000', qty: (qty1e8 / 1e8).toFixed(8), fee: '0', liquidity: 'maker' };
    this.event(pid, 'fill', fields);
    this.record('fill', fields);
  }

  cancel(pid: number, venue: Venue, id: string): void {
    this.event(pid, 'cancel', { id });
    this.record('cancel', { id });
    const c: LedgerCancel = { kind: 'cancel', seq: ++this.ledgerSeq[venue], clientOrderId: wire(venue, id), venueOrderId: 'v', receivedMs: this.tick(), outcome: 'canceled', reason: '' };
    this.ledgers[venue].cancels.push(c);
  }

  halt(pid: number, by = 'operator:test'): void {
    this.event(pid, 'halt', { by, reason: 'test', cancel_all: false });
    this.record('halt', { by, reason: 'test', cancel_all: false });
  }

  resume(pid: number): void {
    this.event(pid, 'resume', { by: 'operator:test', reason: 'test' });
    this.record('resume', { by: 'operator:test', reason: 'test' });
  }

  /** The node's last status (its positions per instance) and its shutdown. */
  stop(pid: number, positions: { venue: Venue; position: string }[]): void {
    this.event(pid, 'status', { instances: positions.map((p, i) => ({ label: `i${i}`, venue: p.venue, symbols: [{ symbol: 'BTC/USD', position: p.position }] })) });
    this.event(pid, 'shutdown', { reason: 'SIGTERM' });
  }

  evidence(): SoakEvidence {
    for (const venue of ['kraken', 'coinbase'] as const) {
      this.ledgers[venue].atMs = this.tick();
      this.ledgers[venue].lastSeq = this.ledgerSeq[venue];
    }
    return { ledgers: this.ledgers, journal: this.journal, nodeEvents: this.nodes };
  }
}

function emptyLedger(venue: Venue): LedgerSnapshot {
  return { venue, atMs: 0, lastSeq: 0, orders: [], fills: [], cancels: [], resends: 0, dropped: 0 };
}

/** A clean run: two Leaders one after the other, orders and fills on both venues, a halt and resume, a resend. */
function cleanHistory(): History {
  const h = new History();
  h.lead(101, 1);
  h.order(101, 'kraken', 'maker.1.1');
  h.fill(101, 'kraken', 'maker.1.1', 'T-1', 400_000);
  h.order(101, 'coinbase', 'hedger.1.2', 'sell');
  h.venueOrder('coinbase', 'hedger.1.2', 'resend');
  h.fill(101, 'coinbase', 'hedger.1.2', 'cb-1', 400_000, 'sell');
  h.halt(101);
  h.cancel(101, 'kraken', 'maker.1.1');
  h.resume(101);
  h.event(101, 'step_down', { reason: 'lease lost' });
  h.lead(202, 2);
  h.order(202, 'kraken', 'maker.2.3');
  h.fill(202, 'kraken', 'maker.2.3', 'T-2', 1_000_000);
  h.stop(202, [
    { venue: 'kraken', position: '0.014' },
    { venue: 'coinbase', position: '-0.004' },
  ]);
  return h;
}

const names = (e: SoakEvidence, options = {}) => checkInvariants(e, options).map((v) => v.invariant);

describe('soak invariants', () => {
  it('a clean history with a takeover, a halt and resume, and a Coinbase resend violates nothing', () => {
    expect(checkInvariants(cleanHistory().evidence())).toEqual([]);
  });

  it('1: a client order id placed twice at a venue is caught, with both venue order ids', () => {
    const h = new History();
    h.lead(101, 1);
    h.order(101, 'kraken', 'maker.1.1');
    h.venueOrder('kraken', krakenClientOrderId('maker.1.1'), 'placed');
    const violations = checkInvariants(h.evidence());
    expect(violations).toEqual([expect.objectContaining({ invariant: INVARIANTS.uniqueIds, detail: `client order id maker.1.1 (kraken id ${krakenClientOrderId('maker.1.1')}) placed twice at kraken: venue orders kraken-1 and kraken-2` })]);
  });

  it('1: a client order id journaled twice is caught', () => {
    const h = cleanHistory();
    h.record('order', { label: 'maker', venue: 'kraken', symbol: 'BTC/USD', id: 'maker.1.1', side: 'buy', px: '60000', qty: '0.01', order_type: 'limit' });
    expect(names(h.evidence())).toEqual([INVARIANTS.uniqueIds]);
  });

  it('2: a venue fill the node never applied is caught once the run is over', () => {
    const h = cleanHistory();
    h.fill(202, 'kraken', 'maker.2.3', 'T-missed', 100_000, 'buy', false);
    h.event(202, 'shutdown', { reason: 'again' });
    const violations = checkInvariants(h.evidence());
    expect(violations.map((v) => v.invariant)).toContain(INVARIANTS.fillsOnce);
    expect(violations.find((v) => v.invariant === INVARIANTS.fillsOnce)?.detail).toMatch(/^kraken fill T-missed of maker\.2\.3 .* was never applied by the node$/);
  });

  it('2: while the run goes on, a fill younger than the settle window is not yet missing, an older one is', () => {
    const h = new History();
    h.lead(101, 1);
    h.order(101, 'coinbase', 'hedger.1.1');
    h.fill(101, 'coinbase', 'hedger.1.1', 'cb-late', 100_000, 'buy', false);
    expect(names(h.evidence(), { settleMs: 60_000 })).toEqual([]);
    h.nowMs += 120_000;
    expect(names(h.evidence(), { settleMs: 60_000 })).toEqual([INVARIANTS.fillsOnce]);
  });

  it('2: while a Follower still runs after the Leader stopped (a takeover under way), the check is not final', () => {
    const h = new History();
    h.lead(101, 1);
    h.event(202, 'node_role', { role: 'follower' });
    h.order(101, 'kraken', 'maker.1.1');
    h.fill(101, 'kraken', 'maker.1.1', 'T-while-down', 100_000, 'buy', false);
    h.event(101, 'shutdown', { reason: 'journal full' });
    h.event(202, 'status', { instances: [] });
    expect(checkInvariants(h.evidence())).toEqual([]);
    expect(names(h.evidence(), { final: true })).toEqual([INVARIANTS.fillsOnce, INVARIANTS.positions]);
  });

  it('2: one venue fill applied twice under two ids is caught as more applied than filled', () => {
    const h = cleanHistory();
    h.applyFill(202, 'maker.1.1', 'T-1-again', 400_000);
    h.nowMs += 5_000;
    const details = checkInvariants(h.evidence(), { final: false })
      .filter((v) => v.invariant === INVARIANTS.fillsOnce)
      .map((v) => v.detail);
    expect(details).toEqual([
      expect.stringMatching(/^the node applied fill T-1-again of maker\.1\.1 \(400000 qty_1e8, journal seq \d+\) that kraken never reported$/),
      'the node applied 800000 qty_1e8 of fills to maker.1.1; kraken filled 400000',
    ]);
  });

  it('2: a fill the node applied just before the journal was read, after the ledger snapshot, is not taken for one the venue never made', () => {
    const h = new History();
    h.lead(101, 1);
    h.order(101, 'kraken', 'maker.1.1');
    const e = h.evidence();
    h.fill(101, 'kraken', 'maker.1.1', 'T-after-snapshot', 100_000, 'buy', false);
    e.ledgers.kraken.fills.pop();
    h.applyFill(101, 'maker.1.1', 'T-after-snapshot', 100_000);
    expect(checkInvariants(e)).toEqual([]);
  });

  it('2: the same fill id journaled twice is applied once, as the OMS does, and is no violation', () => {
    const h = cleanHistory();
    h.applyFill(202, 'maker.2.3', 'T-2', 1_000_000);
    expect(checkInvariants(h.evidence())).toEqual([]);
  });

  it('3: a final position that differs from the venue\'s fills is caught', () => {
    const h = cleanHistory();
    const e = h.evidence();
    const status = e.nodeEvents[1].events.find((ev) => ev.type === 'status') as { instances: { symbols: { position: string }[] }[] };
    status.instances[0].symbols[0].position = '0.02';
    expect(checkInvariants(e)).toEqual([expect.objectContaining({ invariant: INVARIANTS.positions, detail: "kraken BTC/USD: the venue's fills make 1400000 qty_1e8, the node's last status said 2000000" })]);
  });

  it('4: a broken book that got past its venue\'s checks (the engine refused it as crossed) is caught', () => {
    const h = cleanHistory();
    h.event(202, INVALID_BOOK_EVENT, { venue: 'kraken', symbol: 'BTC/USD', bid: '60001', ask: '60000' });
    expect(checkInvariants(h.evidence())).toEqual([expect.objectContaining({ invariant: INVARIANTS.validBooks, detail: 'pid 202: kraken BTC/USD crossed: bid 60001 >= ask 60000' })]);
  });

  it('5: an order decided while halted that reached the venue is caught; a cancel while halted is not', () => {
    const h = cleanHistory();
    h.halt(202, 'auto:stale-data');
    h.cancel(202, 'kraken', 'maker.2.3');
    expect(checkInvariants(h.evidence())).toEqual([]);
    h.order(202, 'coinbase', 'hedger.2.9');
    expect(checkInvariants(h.evidence())).toEqual([expect.objectContaining({ invariant: INVARIANTS.haltedQuiet, detail: 'order hedger.2.9 reached coinbase (placed): pid 202 decided it while halted by auto:stale-data' })]);
  });

  it('5: a node that takes over already halted must not send until resumed', () => {
    const h = new History();
    h.lead(101, 1);
    h.halt(101);
    h.event(101, 'shutdown', { reason: 'SIGTERM' });
    h.lead(202, 2, true);
    h.order(202, 'kraken', 'maker.2.1');
    expect(names(h.evidence())).toEqual([INVARIANTS.haltedQuiet]);
  });

  it('5: an order that reached a venue without being journaled (a full journal) is caught', () => {
    const h = cleanHistory();
    h.order(202, 'kraken', 'maker.2.7', 'buy', '0.01', { journal: false });
    expect(checkInvariants(h.evidence())).toEqual([expect.objectContaining({ invariant: INVARIANTS.writeAhead, detail: expect.stringMatching(/^order "[0-9a-f-]{36}" reached kraken \(placed\) with no order in the journal$/) })]);
  });

  it('6: an order of an older term reaching a venue after the new Leader\'s is caught', () => {
    const h = cleanHistory();
    h.order(101, 'coinbase', 'hedger.1.8', 'buy', '0.01', { term: 1 });
    // Journaled in term 1 after term 2 began would itself be two writers: keep the journal's order clean.
    const record = h.journal.pop() as JournalRecordJson;
    h.journal.splice(h.journal.findIndex((r) => r.type === 'role' && r.term === 2), 0, record);
    h.journal.forEach((r, i) => (r.seq = i + 1));
    expect(checkInvariants(h.evidence())).toEqual([
      expect.objectContaining({ invariant: INVARIANTS.oneLeader, detail: 'order hedger.1.8 of term 1 reached coinbase after order maker.2.3 of term 2 had reached kraken: two Leaders were sending' }),
    ]);
  });

  it('6: a journal record of an older term after a newer one is caught', () => {
    const h = cleanHistory();
    h.record('cancel', { id: 'maker.2.3' }, 1);
    expect(names(h.evidence())).toEqual([INVARIANTS.oneLeader]);
  });
});
