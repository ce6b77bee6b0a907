import { describe, expect, it } from 'vitest';
import { CoinbaseRecordedBooks } from '../src/replay/recordedBooks.ts';
import { ReplayClock } from '../src/replay/replayClock.ts';
import { ReplayVenue } from '../src/replay/replayVenue.ts';
import type { L2Book } from '../src/venues/book.ts';
import type { SymbolMeta, VenueOrderEvent } from '../src/venues/venue.ts';
import { OrderType, RejectCode, VenueId } from '../src/wasm/abi.ts';

const T0 = 1_700_000_000_000_000_000;
const MS = 1_000_000;
const PX = 1_000_000_000;
const META: SymbolMeta = { tickSize1e9: 10_000_000, lotSize1e8: 1, minQty1e8: 1, minNotional1e9: 0, pricePrecision: 2, qtyPrecision: 8 };

function l2(type: 'snapshot' | 'update', levels: [side: 'bid' | 'offer', px: string, qty: string][]): string {
  const updates = levels.map(([side, px, qty]) => `{"side":"${side}","event_time":"2023-02-09T20:32:50Z","price_level":"${px}","new_quantity":"${qty}"}`);
  return `{"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:50Z","sequence_num":0,"events":[{"type":"${type}","product_id":"BTC-USD","updates":[${updates.join(',')}]}]}`;
}

async function venueWithBook(latencyMs = 10) {
  const clock = new ReplayClock(T0);
  const venue = new ReplayVenue({
    name: 'cb',
    kind: 'coinbase',
    venueId: VenueId.Coinbase,
    symbols: ['BTC/USD'],
    meta: new Map([['BTC/USD', META]]),
    books: new CoinbaseRecordedBooks(['BTC/USD']),
    clock,
    latencyMs,
    makerFeeBps: 10,
    takerFeeBps: 20,
  });
  const events: VenueOrderEvent[] = [];
  const books: number[] = [];
  await venue.start({
    onBook: (book: L2Book) => books.push(book.bestBid()),
    onOrderEvent: (e) => events.push(e),
    onStatus: () => {},
    onConnection: () => {},
    onNotice: () => {},
  });
  venue.onFrame(
    l2('snapshot', [
      ['bid', '100.00', '2'],
      ['offer', '101.00', '1'],
      ['offer', '102.00', '5'],
    ]),
    T0,
  );
  /** Runs what is due up to `tNs` (the replay driver's job). */
  const runUntil = (tNs: number) => {
    while (clock.runNext(tNs));
    clock.advanceTo(tNs);
  };
  return { clock, venue, events, books, runUntil };
}

const order = (id: string, side: 1 | -1, px: number, qty: number, type: OrderType = OrderType.Limit) => ({ clientOrderId: id, symbol: 'BTC/USD', side, px1e9: px * PX, qty1e8: qty, type });

describe('the replay venue', () => {
  it('publishes each recorded book through the live decoder', async () => {
    const { books } = await venueWithBook();
    expect(books).toEqual([100 * PX]);
  });

  it('lets an order reach the book latency_ms of recording time after it is sent, never from inside place()', async () => {
    const { venue, events, runUntil } = await venueWithBook(10);
    venue.place(order('a', 1, 99, 100_000_000));
    expect(events).toEqual([]);
    // The clock is a double at epoch nanoseconds (256 ns steps): a microsecond early.
    runUntil(T0 + 10 * MS - 1000);
    expect(events).toEqual([]);
    runUntil(T0 + 10 * MS);
    expect(events.map((e) => [e.kind, e.tsNs])).toEqual([['ack', T0 + 10 * MS]]);
    expect(venue.openOrders).toBe(1);
  });

  it('fills a crossing limit order against the recorded levels at their prices with the taker fee', async () => {
    const { venue, events, runUntil } = await venueWithBook(0);
    venue.place(order('t', 1, 102, 300_000_000));
    runUntil(T0);
    const fills = events.filter((e) => e.kind === 'fill');
    expect(fills.map((f) => [f.px1e9, f.qty1e8, f.liquidity, f.fee1e9])).toEqual([
      // 1 at 101 and 2 at 102; 20 bps of notional.
      [101 * PX, 100_000_000, 'taker', 202_000_000],
      [102 * PX, 200_000_000, 'taker', 408_000_000],
    ]);
    expect(venue.openOrders).toBe(0);
  });

  it('cancels a post-only order that would cross, and rests one that would not with its queue position', async () => {
    const { venue, events, runUntil } = await venueWithBook(0);
    venue.place(order('p', 1, 101, 100_000_000, OrderType.PostOnly));
    venue.place(order('q', 1, 100, 100_000_000, OrderType.PostOnly));
    runUntil(T0);
    expect(events.map((e) => [e.kind, e.clientOrderId])).toEqual([
      ['ack', 'p'],
      ['canceled', 'p'],
      ['ack', 'q'],
    ]);
    // The 2 recorded ahead of it at 100 leave the level: that is its queue, not a fill.
    venue.onFrame(l2('update', [['bid', '100.00', '0'], ['bid', '99.00', '1']]), T0 + MS);
    expect(events.some((e) => e.kind === 'fill')).toBe(false);
    // Now it is the best bid: a recorded ask at its price trades with it, as a maker.
    venue.onFrame(l2('update', [['offer', '100.00', '0.4']]), T0 + 2 * MS);
    const fill = events.find((e) => e.kind === 'fill') as Extract<VenueOrderEvent, { kind: 'fill' }>;
    expect([fill.clientOrderId, fill.px1e9, fill.qty1e8, fill.liquidity]).toEqual(['q', 100 * PX, 40_000_000, 'maker']);
  });

  it('answers a cancel that arrives after its order is gone with a cancel reject', async () => {
    const { venue, events, runUntil } = await venueWithBook(5);
    venue.place(order('x', 1, 102, 100_000_000, OrderType.Ioc));
    runUntil(T0 + 1 * MS);
    venue.cancel('x', 'BTC/USD');
    venue.cancel('never-sent', 'BTC/USD');
    runUntil(T0 + 20 * MS);
    expect(events.filter((e) => e.kind === 'cancelReject').map((e) => [e.clientOrderId, (e as { reason: string }).reason])).toEqual([
      ['x', 'order is already closed'],
      ['never-sent', 'unknown order'],
    ]);
  });

  it('rejects an order off the price grid, on an unknown symbol, or with a reused id, with INVALID_PARAMS', async () => {
    const { venue, events, runUntil } = await venueWithBook(0);
    venue.place({ ...order('a', 1, 99, 1), px1e9: 99 * PX + 1 });
    venue.place({ ...order('b', 1, 99, 1), symbol: 'ETH/USD' });
    venue.place(order('c', 1, 99, 1));
    venue.place(order('c', 1, 99, 1));
    runUntil(T0);
    const rejects = events.filter((e) => e.kind === 'reject') as Extract<VenueOrderEvent, { kind: 'reject' }>[];
    expect(rejects.map((r) => [r.clientOrderId, r.code])).toEqual([
      ['a', RejectCode.InvalidParams],
      ['b', RejectCode.InvalidParams],
      ['c', RejectCode.InvalidParams],
    ]);
    expect(rejects[0].reason).toMatch(/not a multiple of the tick/);
    expect(rejects[1].reason).toMatch(/no symbol "ETH\/USD"/);
    expect(rejects[2].reason).toBe('duplicate client order id');
  });

  it('refuses a negative latency and a fee beyond 100%', () => {
    const base = { name: 'v', kind: 'coinbase' as const, venueId: 2, symbols: [], meta: new Map(), books: new CoinbaseRecordedBooks([]), clock: new ReplayClock(0), makerFeeBps: 0, takerFeeBps: 0 };
    expect(() => new ReplayVenue({ ...base, latencyMs: -1 })).toThrow(/latency must be a number of milliseconds >= 0/);
    expect(() => new ReplayVenue({ ...base, latencyMs: 0, takerFeeBps: 20_000 })).toThrow(/taker fee must be a number of bps/);
  });
});
