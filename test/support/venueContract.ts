import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OrderType, RejectCode } from '../../src/wasm/abi.ts';
import type { L2Book } from '../../src/venues/book.ts';
import type { ConnectionState, OrderRequest, Side, Venue, VenueListener, VenueOrderEvent, VenueStatus } from '../../src/venues/venue.ts';

// One suite of venue behaviour, run against the sim venue and against each real adapter
// pointed at its emulator (test/venueContract.*.test.ts): whatever passes here, the node
// can rely on from every venue.

/** What a venue's test file provides to the suite. */
export interface ContractRig {
  /** Not started: the suite starts it with its own listener. */
  venue: Venue;
  symbol: string;
  /** A valid order quantity, a few lots. */
  qty1e8: number;
  /** A quantity the venue refuses (under its minimum). */
  invalidQty1e8: number;
  /** Link faults, for venues that have a link. */
  faults?: ContractFaults;
  close(): Promise<void>;
}

export interface ContractFaults {
  /** Cuts every connection between the adapter and the venue; the adapter reconnects by itself. */
  dropConnections(): void;
  /** The venue takes the next order but its answer to the adapter is lost. */
  loseNextOrderAck(): void;
  /** The venue answers the next n order requests with its rate-limit error. */
  rateLimitNext(n: number): void;
  /** Keeps the adapter disconnected while the venue fills the order completely, then lets it reconnect. */
  fillWhileDisconnected(clientOrderId: string): Promise<void>;
}

/** Records what a venue reports, and waits for it. */
export class VenueRecorder implements VenueListener {
  readonly events: VenueOrderEvent[] = [];
  readonly statuses: VenueStatus[] = [];
  readonly connections: ConnectionState[] = [];
  books = 0;
  latest: L2Book | null = null;
  /** Set while the suite is inside place() or cancel(), to catch synchronous outcomes. */
  insideCall = false;
  synchronousOutcomes = 0;

  constructor(private readonly symbol: string) {}

  onBook(book: L2Book): void {
    this.books++;
    if (book.symbol === this.symbol && book.bidCount > 0 && book.askCount > 0) this.latest = book;
  }

  onOrderEvent(event: VenueOrderEvent): void {
    if (this.insideCall) this.synchronousOutcomes++;
    this.events.push(event);
  }

  onStatus(status: VenueStatus): void {
    this.statuses.push(status);
  }

  onConnection(state: ConnectionState): void {
    this.connections.push(state);
  }

  readonly notices: string[] = [];

  onNotice(message: string): void {
    this.notices.push(message);
  }

  of(clientOrderId: string): VenueOrderEvent[] {
    return this.events.filter((e) => e.clientOrderId === clientOrderId);
  }

  async waitFor<T>(what: string, find: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
    const start = Date.now();
    for (;;) {
      const found = find();
      if (found !== undefined && found !== false) return found;
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(this.events.slice(-10))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** The order's first event of one of these kinds. */
  waitEvent(clientOrderId: string, kinds: VenueOrderEvent['kind'][], timeoutMs?: number): Promise<VenueOrderEvent> {
    return this.waitFor(`${kinds.join('/')} for ${clientOrderId}`, () => this.of(clientOrderId).find((e) => kinds.includes(e.kind)), timeoutMs);
  }
}

type Fill = Extract<VenueOrderEvent, { kind: 'fill' }>;

function fillsOf(events: VenueOrderEvent[]): Fill[] {
  return events.filter((e): e is Fill => e.kind === 'fill');
}

/** Distinct fills by fill id; a fill id reported twice must carry the same trade. */
function distinctFills(fills: Fill[]): Fill[] {
  const byId = new Map<string, Fill>();
  for (const f of fills) {
    const seen = byId.get(f.fillId);
    if (seen !== undefined) {
      expect({ px: f.px1e9, qty: f.qty1e8 }, `fill ${f.fillId} reported twice with different trades`).toEqual({ px: seen.px1e9, qty: seen.qty1e8 });
    }
    byId.set(f.fillId, f);
  }
  return [...byId.values()];
}

/** `linkFaults`: the rig provides `faults`, and the suite adds the tests of a venue with a link. */
export function runVenueContract(name: string, setup: () => Promise<ContractRig>, options: { linkFaults?: boolean } = {}): void {
  describe(`venue contract: ${name}`, () => {
    let rig: ContractRig;
    let venue: Venue;
    let rec: VenueRecorder;
    let tick1e9: number;
    let seq = 0;

    const newId = (): string => `contract.${process.pid}.${Date.now() % 1_000_000}.${++seq}`;

    function request(side: Side, px1e9: number, type: OrderType = OrderType.Limit, qty1e8 = rig.qty1e8): OrderRequest {
      return { clientOrderId: newId(), symbol: rig.symbol, side, px1e9, qty1e8, type };
    }

    function place(r: OrderRequest): string {
      rec.insideCall = true;
      try {
        venue.place(r);
      } finally {
        rec.insideCall = false;
      }
      return r.clientOrderId;
    }

    function cancel(clientOrderId: string): void {
      rec.insideCall = true;
      try {
        venue.cancel(clientOrderId, rig.symbol);
      } finally {
        rec.insideCall = false;
      }
    }

    /** A price this many ticks behind the touch on the order's own side: it rests. */
    function passivePx(side: Side, ticks = 50): number {
      const book = rec.latest as L2Book;
      return side === 1 ? book.bidPx[0] - ticks * tick1e9 : book.askPx[0] + ticks * tick1e9;
    }

    /** A price this many ticks through the opposite touch: it trades at once. */
    function aggressivePx(side: Side, ticks = 50): number {
      const book = rec.latest as L2Book;
      return side === 1 ? book.askPx[0] + ticks * tick1e9 : book.bidPx[0] - ticks * tick1e9;
    }

    async function restingOrder(side: Side = 1): Promise<string> {
      const id = place(request(side, passivePx(side)));
      const first = await rec.waitEvent(id, ['ack', 'reject']);
      expect(first, `a passive order is accepted: ${JSON.stringify(first)}`).toMatchObject({ kind: 'ack' });
      return id;
    }

    beforeEach(async () => {
      rig = await setup();
      venue = rig.venue;
      rec = new VenueRecorder(rig.symbol);
      await venue.start(rec);
      await rec.waitFor('a two-sided book', () => rec.latest !== null);
      tick1e9 = venue.symbolMeta(rig.symbol).tickSize1e9;
      expect(tick1e9).toBeGreaterThan(0);
    });

    afterEach(async () => {
      await venue.stop();
      await rig.close();
    });

    it('reports a connected link and tradable symbol metadata after start', () => {
      expect(venue.health().connection).toBe('connected');
      const meta = venue.symbolMeta(rig.symbol);
      expect(meta.lotSize1e8).toBeGreaterThan(0);
      expect(meta.pricePrecision).toBeGreaterThanOrEqual(0);
    });

    it('acknowledges a passive limit order, which then rests and is listed by snapshot', async () => {
      const id = await restingOrder(1);
      const ack = rec.of(id)[0] as Extract<VenueOrderEvent, { kind: 'ack' }>;
      expect(ack.venueOrderId).not.toBe('');
      const snapshot = await venue.snapshot([id]);
      expect(snapshot.openOrders.map((o) => o.clientOrderId)).toContain(id);
      expect(rec.synchronousOutcomes).toBe(0);
    });

    it('fills an aggressive IOC order at once, with distinct fill ids, and kills any remainder', async () => {
      const id = place(request(1, aggressivePx(1), OrderType.Ioc));
      await rec.waitFor('the IOC order to finish', () => {
        const events = rec.of(id);
        const filled = fillsOf(events).reduce((a, f) => a + f.qty1e8, 0);
        return events.some((e) => e.kind === 'canceled' || e.kind === 'reject') || filled === rig.qty1e8;
      });
      const events = rec.of(id);
      expect(events[0].kind).toBe('ack');
      const fills = fillsOf(events);
      expect(fills.length).toBeGreaterThan(0);
      expect(new Set(fills.map((f) => f.fillId)).size).toBe(fills.length);
      expect(fills.reduce((a, f) => a + f.qty1e8, 0)).toBeLessThanOrEqual(rig.qty1e8);
      for (const f of fills) expect(f.px1e9).toBeLessThanOrEqual(aggressivePx(1, 60));
      expect((await venue.snapshot([])).openOrders.map((o) => o.clientOrderId)).not.toContain(id);
    });

    it('partly fills a limit order larger than the opposite touch and rests the remainder', async () => {
      const book = rec.latest as L2Book;
      const lot = venue.symbolMeta(rig.symbol).lotSize1e8;
      const topAsk = book.askPx[0];
      const bigQty = Math.ceil((book.askSz[0] * 20 + rig.qty1e8) / lot) * lot;
      const id = place(request(1, topAsk, OrderType.Limit, bigQty));
      const fill = (await rec.waitEvent(id, ['fill', 'reject'])) as Fill;
      expect(fill.kind).toBe('fill');
      expect(fill.qty1e8).toBeLessThan(bigQty);
      const snapshot = await venue.snapshot([id]);
      expect(snapshot.openOrders.map((o) => o.clientOrderId)).toContain(id);
      cancel(id);
      await rec.waitEvent(id, ['canceled']);
    });

    it('rejects an order the venue refuses with a reason, and nothing rests', async () => {
      const id = place(request(1, passivePx(1), OrderType.Limit, rig.invalidQty1e8));
      const outcome = await rec.waitEvent(id, ['reject', 'ack']);
      expect(outcome.kind).toBe('reject');
      const reject = outcome as Extract<VenueOrderEvent, { kind: 'reject' }>;
      expect(reject.code).toBe(RejectCode.InvalidParams);
      expect(reject.reason).not.toBe('');
      expect((await venue.snapshot([])).openOrders.map((o) => o.clientOrderId)).not.toContain(id);
    });

    it('cancels a resting order, which leaves the venue', async () => {
      const id = await restingOrder(-1);
      cancel(id);
      await rec.waitEvent(id, ['canceled']);
      expect(rec.synchronousOutcomes).toBe(0);
      expect((await venue.snapshot([])).openOrders.map((o) => o.clientOrderId)).not.toContain(id);
    });

    it('replaces an order as cancel then new order: the old one ends, the new one rests', async () => {
      const oldId = await restingOrder(1);
      cancel(oldId);
      const newId_ = place(request(1, passivePx(1, 40)));
      await rec.waitEvent(oldId, ['canceled']);
      await rec.waitEvent(newId_, ['ack']);
      const open = (await venue.snapshot([newId_])).openOrders.map((o) => o.clientOrderId);
      expect(open).toContain(newId_);
      expect(open).not.toContain(oldId);
    });

    it('answers a cancel of an order it does not have with a cancel reject', async () => {
      const id = newId();
      cancel(id);
      const outcome = await rec.waitEvent(id, ['cancelReject', 'canceled']);
      expect(outcome.kind).toBe('cancelReject');
    });

    it('cancels every open order on request, one outcome each, and none is left at the venue', async () => {
      const ids = [await restingOrder(1), await restingOrder(-1), await restingOrder(1)];
      for (const id of ids) cancel(id);
      for (const id of ids) await rec.waitEvent(id, ['canceled']);
      for (const id of ids) expect(rec.of(id).filter((e) => e.kind === 'canceled')).toHaveLength(1);
      const open = (await venue.snapshot([])).openOrders.map((o) => o.clientOrderId);
      for (const id of ids) expect(open).not.toContain(id);
    });

    // Only a venue with a link has these; the sim venue has nothing to cut.
    if (options.linkFaults === true) describe('link faults', () => {
      const withFaults = (title: string, body: (faults: ContractFaults) => Promise<void>): void => {
        it(title, async () => {
          expect(rig.faults, 'a rig with linkFaults provides faults').toBeDefined();
          await body(rig.faults as ContractFaults);
        });
      };

      withFaults('turns the venue rate-limit answer into a RATE_LIMIT reject, without retrying', async (faults) => {
        faults.rateLimitNext(1);
        const id = place(request(1, passivePx(1)));
        const outcome = await rec.waitEvent(id, ['reject', 'ack']);
        expect(outcome).toMatchObject({ kind: 'reject', code: RejectCode.RateLimit });
        await new Promise((r) => setTimeout(r, 300));
        expect(rec.of(id)).toHaveLength(1);
        expect((await venue.snapshot([])).openOrders.map((o) => o.clientOrderId)).not.toContain(id);
        const next = await restingOrder(1);
        expect(rec.of(next)[0].kind).toBe('ack');
      });

      withFaults('still reports an order once when the venue took it but its answer was lost', async (faults) => {
        faults.loseNextOrderAck();
        const id = place(request(1, passivePx(1)));
        await rec.waitEvent(id, ['ack'], 30_000);
        await new Promise((r) => setTimeout(r, 300));
        expect(rec.of(id).filter((e) => e.kind === 'ack')).toHaveLength(1);
        const open = (await venue.snapshot([id])).openOrders.filter((o) => o.clientOrderId === id);
        expect(open).toHaveLength(1);
      });

      withFaults('keeps a resting order across a dropped connection and reconnects by itself', async (faults) => {
        const id = await restingOrder(1);
        const before = rec.connections.length;
        faults.dropConnections();
        await rec.waitFor('a disconnect', () => rec.connections.slice(before).includes('disconnected'));
        await rec.waitFor('the reconnect', () => rec.connections.slice(before).at(-1) === 'connected' && venue.health().connection === 'connected');
        expect(venue.health().reconnects).toBeGreaterThan(0);
        expect((await venue.snapshot([id])).openOrders.map((o) => o.clientOrderId)).toContain(id);
        cancel(id);
        await rec.waitEvent(id, ['canceled']);
      });

      withFaults('reports a fill made while disconnected, through the stream or the snapshot, as one trade', async (faults) => {
        const id = await restingOrder(1);
        await faults.fillWhileDisconnected(id);
        await rec.waitFor('the reconnect', () => venue.health().connection === 'connected');
        const snapshot = await venue.snapshot([id]);
        const all = distinctFills([...fillsOf(rec.of(id)), ...snapshot.recentFills.filter((f) => f.clientOrderId === id)]);
        expect(all.reduce((a, f) => a + f.qty1e8, 0)).toBe(rig.qty1e8);
        expect(snapshot.openOrders.map((o) => o.clientOrderId)).not.toContain(id);
      });
    });
  });
}
