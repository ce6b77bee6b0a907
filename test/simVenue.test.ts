import { describe, expect, it } from 'vitest';
import type { SimMarketConfig, SimVenueConfig } from '../src/node/configTypes.ts';
import { OrderType, RejectCode, VenueId } from '../src/wasm/abi.ts';
import type { L2Book } from '../src/venues/book.ts';
import { FairPriceBook } from '../src/venues/sim/fairPrice.ts';
import { SimVenue } from '../src/venues/sim/simVenue.ts';
import type { OrderRequest, VenueListener, VenueOrderEvent, VenueStatus } from '../src/venues/venue.ts';

const PX = 1_000_000_000;
const QTY = 100_000_000;
const TICK_NS = 50_000_000;
const T0_NS = 1_700_000_000_000_000_000;

const BTC: SimMarketConfig = {
  symbol: 'BTC/USD',
  startPrice1e9: 60_000 * PX,
  tickSize1e9: PX / 100,
  lotSize1e8: QTY / 10_000,
  minQty1e8: QTY / 1_000,
};
const ETH: SimMarketConfig = { symbol: 'ETH/USD', startPrice1e9: 3_000 * PX, tickSize1e9: PX / 100, lotSize1e8: QTY / 1_000, minQty1e8: QTY / 100 };

function simConfig(overrides: Partial<SimVenueConfig> = {}): SimVenueConfig {
  return {
    kind: 'sim',
    name: 'sim',
    seed: 11,
    volatilityBps: 2,
    spreadBps: 4,
    depthLevels: 10,
    tickIntervalMs: 50,
    takerRateHz: 5,
    makerFeeBps: -2.5,
    takerFeeBps: 5,
    markets: [BTC, ETH],
    ...overrides,
  };
}

interface BookSnapshot {
  symbol: string;
  bids: number[];
  asks: number[];
}

class Recorder implements VenueListener {
  readonly events: VenueOrderEvent[] = [];
  readonly books: BookSnapshot[] = [];
  readonly latest = new Map<string, L2Book>();
  readonly bookObjects = new Set<L2Book>();

  onBook(book: L2Book): void {
    const bids: number[] = [];
    const asks: number[] = [];
    for (let i = 0; i < book.bidCount; i++) bids.push(book.bidPx[i], book.bidSz[i]);
    for (let i = 0; i < book.askCount; i++) asks.push(book.askPx[i], book.askSz[i]);
    this.books.push({ symbol: book.symbol, bids, asks });
    this.latest.set(book.symbol, book);
    this.bookObjects.add(book);
  }

  onOrderEvent(event: VenueOrderEvent): void {
    this.events.push(event);
  }

  readonly statuses: VenueStatus[] = [];

  onStatus(status: VenueStatus): void {
    this.statuses.push(status);
  }

  onConnection(): void {}

  onNotice(): void {}

  of(clientOrderId: string): VenueOrderEvent[] {
    return this.events.filter((e) => e.clientOrderId === clientOrderId);
  }
}

/** A venue driven by hand: a fake clock that tick() moves forward. */
class Harness {
  nowNs = T0_NS;
  readonly recorder = new Recorder();
  readonly venue: SimVenue;

  constructor(
    config: SimVenueConfig = simConfig(),
    readonly fairPrices = new FairPriceBook(1),
  ) {
    this.venue = new SimVenue(config, fairPrices, { clock: () => this.nowNs, autoTick: false });
  }

  async start(): Promise<this> {
    await this.venue.start(this.recorder);
    return this;
  }

  ticks(n: number): void {
    for (let i = 0; i < n; i++) {
      this.nowNs += TICK_NS;
      this.venue.tick(this.nowNs);
    }
  }

  book(symbol: string): L2Book {
    const book = this.recorder.latest.get(symbol);
    if (book === undefined) throw new Error(`no book yet for ${symbol}`);
    return book;
  }
}

/** Lets the venue's setImmediate flush run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function order(overrides: Partial<OrderRequest> & { clientOrderId: string }): OrderRequest {
  return { symbol: 'BTC/USD', side: 1, px1e9: 59_000 * PX, qty1e8: QTY / 100, type: OrderType.Limit, ...overrides };
}

/** fee = floor(px * qty / 1e8) * bps / 10,000, truncated toward zero, computed independently in BigInt. */
function expectedFee(px1e9: number, qty1e8: number, bps: number): number {
  const notional = (BigInt(px1e9) * BigInt(qty1e8)) / 100_000_000n;
  return Number((notional * BigInt(Math.round(bps * 10_000))) / 100_000_000n);
}

describe('sim venue: market data', () => {
  it('identifies itself as the sim venue with the configured symbols', () => {
    const venue = new Harness().venue;
    expect([venue.kind, venue.venueId, venue.name, venue.symbols]).toEqual(['sim', VenueId.Sim, 'sim', ['BTC/USD', 'ETH/USD']]);
  });

  it('symbol metadata comes from the market config, precisions from the tick and lot decimals', () => {
    const venue = new Harness().venue;
    expect(venue.symbolMeta('BTC/USD')).toEqual({
      tickSize1e9: PX / 100,
      lotSize1e8: QTY / 10_000,
      minQty1e8: QTY / 1_000,
      minNotional1e9: 0,
      pricePrecision: 2,
      qtyPrecision: 4,
    });
    expect(venue.symbolMeta('ETH/USD').qtyPrecision).toBe(3);
  });

  it('an unknown symbol has all-zero metadata', () => {
    expect(new Harness().venue.symbolMeta('DOGE/USD')).toEqual({
      tickSize1e9: 0,
      lotSize1e8: 0,
      minQty1e8: 0,
      minNotional1e9: 0,
      pricePrecision: 0,
      qtyPrecision: 0,
    });
  });

  it('the first tick publishes a full ladder per symbol around the start price, on the tick and lot grids', async () => {
    const h = await new Harness().start();
    h.ticks(1);
    expect(h.recorder.books.map((b) => b.symbol)).toEqual(['BTC/USD', 'ETH/USD']);
    const book = h.book('BTC/USD');
    expect([book.bidCount, book.askCount]).toEqual([10, 10]);
    expect(book.bestBid()).toBeLessThan(book.bestAsk());
    expect(Math.abs(book.mid() - BTC.startPrice1e9)).toBeLessThan(BTC.startPrice1e9 / 1000);
    for (let i = 0; i < 10; i++) {
      for (const v of [book.bidPx[i], book.askPx[i]]) expect(v % BTC.tickSize1e9).toBe(0);
      for (const v of [book.bidSz[i], book.askSz[i]]) expect(v > 0 && v % BTC.lotSize1e8 === 0).toBe(true);
      if (i > 0) expect([book.bidPx[i] < book.bidPx[i - 1], book.askPx[i] > book.askPx[i - 1]]).toEqual([true, true]);
    }
  });

  it('the same seed gives the identical book sequence; another venue seed gives another', async () => {
    const run = async (seed: number): Promise<BookSnapshot[]> => {
      const h = await new Harness(simConfig({ seed }), new FairPriceBook(1)).start();
      h.ticks(300);
      return h.recorder.books;
    };
    const first = await run(11);
    expect(first.length).toBeGreaterThan(300);
    expect(await run(11)).toEqual(first);
    expect(await run(12)).not.toEqual(first);
  });

  it('publishes the same venue-owned L2Book object per symbol every time', async () => {
    const h = await new Harness().start();
    h.ticks(20);
    expect(h.recorder.bookObjects.size).toBe(2);
  });

  it('a change outside the top 20 levels publishes no book', async () => {
    const h = await new Harness(simConfig({ depthLevels: 20, takerRateHz: 0 })).start();
    h.ticks(1);
    const published = h.recorder.books.length;
    h.venue.place(order({ clientOrderId: 'deep', px1e9: 50_000 * PX }));
    await settle();
    expect(h.recorder.of('deep').map((e) => e.kind)).toEqual(['ack']);
    expect(h.recorder.books.length).toBe(published);
  });

  it('two venues sharing a fair-price book quote around the same fair price', async () => {
    const fair = new FairPriceBook(5);
    const a = await new Harness(simConfig({ name: 'a', seed: 1, spreadBps: 4 }), fair).start();
    const b = await new Harness(simConfig({ name: 'b', seed: 2, spreadBps: 8, volatilityBps: 50 }), fair).start();
    let maxGapBps = 0;
    let firstFair = 0;
    let lastFair = 0;
    for (let i = 0; i < 2000; i++) {
      a.ticks(1);
      b.ticks(1);
      const fairPx = fair.fairPrice1e9('BTC/USD', a.nowNs, BTC.tickSize1e9);
      if (i === 0) firstFair = fairPx;
      lastFair = fairPx;
      const midA = a.book('BTC/USD').mid();
      const midB = b.book('BTC/USD').mid();
      maxGapBps = Math.max(maxGapBps, (Math.abs(midA - midB) / fairPx) * 10_000);
      expect(Math.abs(midA - fairPx) / fairPx).toBeLessThan(0.001);
      expect(Math.abs(midB - fairPx) / fairPx).toBeLessThan(0.001);
    }
    // The walk moved well beyond the gap between the venues.
    expect((Math.abs(lastFair - firstFair) / firstFair) * 10_000).toBeGreaterThan(5);
    expect(maxGapBps).toBeLessThan(10);
    expect(maxGapBps).toBeGreaterThan(0);
  });
});

describe('sim venue: order events', () => {
  it('never delivers an outcome from inside place() or cancel()', async () => {
    const h = await new Harness().start();
    h.ticks(1);
    h.venue.place(order({ clientOrderId: 'a' }));
    h.venue.place(order({ clientOrderId: 'bad', qty1e8: 0 }));
    h.venue.cancel('a', 'BTC/USD');
    h.venue.cancel('nope', 'BTC/USD');
    expect(h.recorder.events).toEqual([]);
    await settle();
    expect(h.recorder.events.map((e) => [e.clientOrderId, e.kind])).toEqual([
      ['a', 'ack'],
      ['bad', 'reject'],
      ['a', 'canceled'],
      ['nope', 'cancelReject'],
    ]);
  });

  it('acks a resting order with a unique venue order id and counts it open until canceled', async () => {
    const h = await new Harness().start();
    h.ticks(1);
    h.venue.place(order({ clientOrderId: 'a' }));
    h.venue.place(order({ clientOrderId: 'b' }));
    expect(h.venue.openUserOrders()).toBe(2);
    await settle();
    const acks = h.recorder.events.filter((e) => e.kind === 'ack');
    expect(acks.length).toBe(2);
    expect(new Set(acks.map((e) => (e.kind === 'ack' ? e.venueOrderId : ''))).size).toBe(2);
    expect(acks.every((e) => e.tsNs === h.nowNs)).toBe(true);
    h.venue.cancel('a', 'BTC/USD');
    await settle();
    expect(h.recorder.of('a').at(-1)).toEqual({ kind: 'canceled', clientOrderId: 'a', reason: 'requested', tsNs: h.nowNs });
    expect(h.venue.openUserOrders()).toBe(1);
  });

  it('a resting user bid at the best bid is filled by synthetic takers as maker, with the maker fee', async () => {
    const h = await new Harness().start();
    h.ticks(5);
    const bid = h.book('BTC/USD').bestBid();
    const qty = QTY / 100;
    h.venue.place(order({ clientOrderId: 'bid', px1e9: bid, qty1e8: qty }));
    let ticks = 0;
    while (!h.recorder.of('bid').some((e) => e.kind === 'fill') && ticks < 2000) {
      h.ticks(1);
      ticks++;
    }
    const fills = h.recorder.of('bid').filter((e) => e.kind === 'fill');
    expect(fills.length).toBeGreaterThan(0);
    for (const f of fills) {
      if (f.kind !== 'fill') continue;
      expect(f.liquidity).toBe('maker');
      expect(f.px1e9).toBe(bid);
      expect(f.qty1e8).toBeGreaterThan(0);
      expect(f.qty1e8).toBeLessThanOrEqual(qty);
      expect(f.fee1e9).toBe(expectedFee(bid, f.qty1e8, -2.5));
      expect(f.fee1e9).toBeLessThan(0);
    }
    expect(h.recorder.of('bid')[0].kind).toBe('ack');
  });

  it('a user order fully filled by takers is no longer open and cannot be canceled', async () => {
    const h = await new Harness(simConfig({ takerRateHz: 50 })).start();
    h.ticks(5);
    h.venue.place(order({ clientOrderId: 'bid', px1e9: h.book('BTC/USD').bestBid(), qty1e8: QTY / 1_000 }));
    let ticks = 0;
    const filled = (): number => h.recorder.of('bid').reduce((sum, e) => sum + (e.kind === 'fill' ? e.qty1e8 : 0), 0);
    while (filled() < QTY / 1_000 && ticks < 5000) {
      h.ticks(1);
      ticks++;
    }
    expect(filled()).toBe(QTY / 1_000);
    expect(h.venue.openUserOrders()).toBe(0);
    h.venue.cancel('bid', 'BTC/USD');
    await settle();
    expect(h.recorder.of('bid').at(-1)).toMatchObject({ kind: 'cancelReject', reason: 'order is already closed' });
  });

  it('a user order that crosses on arrival takes liquidity at once and pays the taker fee', async () => {
    const h = await new Harness().start();
    h.ticks(5);
    const book = h.book('BTC/USD');
    const ask = book.bestAsk();
    const askSz = book.askSz[0];
    const qty = askSz + BTC.lotSize1e8;
    h.venue.place(order({ clientOrderId: 'lift', px1e9: ask, qty1e8: qty }));
    expect(h.venue.openUserOrders()).toBe(1);
    await settle();
    const events = h.recorder.of('lift');
    expect(events.map((e) => e.kind)).toEqual(['ack', 'fill']);
    const fill = events[1];
    if (fill.kind !== 'fill') throw new Error('expected a fill');
    expect([fill.px1e9, fill.qty1e8, fill.liquidity]).toEqual([ask, askSz, 'taker']);
    expect(fill.fee1e9).toBe(expectedFee(ask, askSz, 5));
    expect(fill.fee1e9).toBeGreaterThan(0);
    // The remainder rests as the new best bid, and the book published after the flush shows it.
    expect([book.bestBid(), book.bidSz[0]]).toEqual([ask, BTC.lotSize1e8]);
  });

  it('fill ids are unique across orders and ticks', async () => {
    const h = await new Harness(simConfig({ takerRateHz: 40 })).start();
    h.ticks(5);
    for (let i = 0; i < 5; i++) {
      h.venue.place(order({ clientOrderId: `m${i}`, type: OrderType.Market, px1e9: 0, qty1e8: QTY / 100 }));
      h.venue.place(order({ clientOrderId: `b${i}`, px1e9: h.book('BTC/USD').bestBid(), qty1e8: QTY / 100 }));
      await settle();
      h.ticks(40);
    }
    const ids = h.recorder.events.flatMap((e) => (e.kind === 'fill' ? [e.fillId] : []));
    expect(ids.length).toBeGreaterThan(5);
    expect(new Set(ids).size).toBe(ids.length);
    expect(h.venue.stats().fills).toBe(ids.length);
  });

  it('an IOC order cancels its unfilled remainder', async () => {
    const h = await new Harness().start();
    h.ticks(5);
    const book = h.book('BTC/USD');
    h.venue.place(order({ clientOrderId: 'ioc', type: OrderType.Ioc, px1e9: book.bestAsk(), qty1e8: book.askSz[0] + QTY }));
    await settle();
    const events = h.recorder.of('ioc');
    expect(events.map((e) => e.kind)).toEqual(['ack', 'fill', 'canceled']);
    expect(events[2]).toMatchObject({ reason: 'IOC remainder' });
    expect(h.venue.openUserOrders()).toBe(0);
  });

  it('a market order sweeps levels and reports each fill as taker', async () => {
    const h = await new Harness().start();
    h.ticks(5);
    const book = h.book('BTC/USD');
    const [ask0, ask1, size0] = [book.askPx[0], book.askPx[1], book.askSz[0]];
    h.venue.place(order({ clientOrderId: 'mkt', type: OrderType.Market, px1e9: 0, qty1e8: size0 + BTC.lotSize1e8 }));
    await settle();
    const fills = h.recorder.of('mkt').filter((e) => e.kind === 'fill');
    expect(fills.map((f) => (f.kind === 'fill' ? [f.px1e9, f.qty1e8, f.liquidity] : []))).toEqual([
      [ask0, size0, 'taker'],
      [ask1, BTC.lotSize1e8, 'taker'],
    ]);
  });

  it('a post-only order that would cross is acked then canceled without trading', async () => {
    const h = await new Harness().start();
    h.ticks(5);
    h.venue.place(order({ clientOrderId: 'po', type: OrderType.PostOnly, px1e9: h.book('BTC/USD').bestAsk() }));
    await settle();
    expect(h.recorder.of('po').map((e) => (e.kind === 'canceled' ? e.reason : e.kind))).toEqual(['ack', 'post-only order would cross']);
  });

  it('a FOK order larger than the liquidity within its price is canceled unfilled', async () => {
    const h = await new Harness().start();
    h.ticks(5);
    const book = h.book('BTC/USD');
    h.venue.place(order({ clientOrderId: 'fok', type: OrderType.Fok, px1e9: book.bestAsk(), qty1e8: book.askSz[0] + BTC.lotSize1e8 }));
    await settle();
    expect(h.recorder.of('fok').map((e) => (e.kind === 'canceled' ? e.reason : e.kind))).toEqual(['ack', 'FOK order could not be filled in full']);
  });

  it('rejects invalid requests with INVALID_PARAMS and the reason', async () => {
    const h = await new Harness().start();
    h.ticks(1);
    h.venue.place(order({ clientOrderId: 'taken' }));
    const cases: [Partial<OrderRequest>, string][] = [
      [{ clientOrderId: 'taken' }, 'duplicate client order id'],
      [{ clientOrderId: '' }, 'client order id must not be empty'],
      [{ symbol: 'DOGE/USD' }, 'unknown symbol "DOGE/USD"'],
      [{ qty1e8: 0 }, 'quantity must be a positive integer qty_1e8, got 0'],
      [{ qty1e8: -QTY }, 'quantity must be a positive integer qty_1e8'],
      [{ qty1e8: 0.5 }, 'quantity must be a positive integer qty_1e8'],
      [{ qty1e8: QTY / 100 + 1 }, 'quantity 0.01000001 is not a multiple of the lot size 0.0001'],
      [{ qty1e8: QTY / 10_000 }, 'quantity 0.0001 is under the minimum 0.001'],
      [{ px1e9: 59_000 * PX + 1 }, 'price 59000.000000001 is not on the tick grid 0.01'],
      [{ px1e9: 0 }, 'price must be a positive integer px_1e9, got 0'],
      [{ px1e9: -PX, type: OrderType.PostOnly }, 'price must be a positive integer px_1e9'],
      [{ side: 0 as 1 }, 'side must be 1 (buy) or -1 (sell), got 0'],
      [{ type: 7 as OrderType }, 'unknown order type 7'],
    ];
    cases.forEach(([overrides], i) => h.venue.place(order({ clientOrderId: `c${i}`, ...overrides })));
    await settle();
    const rejects = h.recorder.events.filter((e) => e.kind === 'reject');
    expect(rejects.length).toBe(cases.length);
    cases.forEach(([overrides, reason], i) => {
      expect(rejects[i]).toMatchObject({ kind: 'reject', clientOrderId: overrides.clientOrderId ?? `c${i}`, code: RejectCode.InvalidParams });
      expect(rejects[i].kind === 'reject' && rejects[i].reason).toContain(reason);
    });
    expect(h.venue.openUserOrders()).toBe(1);
    expect(h.venue.stats()).toMatchObject({ placed: cases.length + 1, rejected: cases.length, acked: 1 });
  });

  it('a market order needs no price on the tick grid', async () => {
    const h = await new Harness().start();
    h.ticks(1);
    h.venue.place(order({ clientOrderId: 'm', type: OrderType.Market, px1e9: 0 }));
    await settle();
    expect(h.recorder.of('m')[0].kind).toBe('ack');
  });

  it('cancel of an unknown order, or on the wrong symbol, is a cancelReject', async () => {
    const h = await new Harness().start();
    h.ticks(1);
    h.venue.place(order({ clientOrderId: 'a' }));
    h.venue.cancel('ghost', 'BTC/USD');
    h.venue.cancel('a', 'ETH/USD');
    await settle();
    expect(h.recorder.events.filter((e) => e.kind === 'cancelReject')).toEqual([
      { kind: 'cancelReject', clientOrderId: 'ghost', reason: 'unknown order', tsNs: h.nowNs },
      { kind: 'cancelReject', clientOrderId: 'a', reason: 'order is on BTC/USD, not ETH/USD', tsNs: h.nowNs },
    ]);
    expect(h.venue.openUserOrders()).toBe(1);
  });

  it('a second cancel of the same order is rejected as already closed', async () => {
    const h = await new Harness().start();
    h.ticks(1);
    h.venue.place(order({ clientOrderId: 'a' }));
    h.venue.cancel('a', 'BTC/USD');
    h.venue.cancel('a', 'BTC/USD');
    await settle();
    expect(h.recorder.of('a').map((e) => e.kind)).toEqual(['ack', 'canceled', 'cancelReject']);
    expect(h.recorder.of('a')[2]).toMatchObject({ reason: 'order is already closed' });
  });

  it('a closed order id cannot be reused', async () => {
    const h = await new Harness().start();
    h.ticks(1);
    h.venue.place(order({ clientOrderId: 'a' }));
    h.venue.cancel('a', 'BTC/USD');
    h.venue.place(order({ clientOrderId: 'a' }));
    await settle();
    expect(h.recorder.of('a').at(-1)).toMatchObject({ kind: 'reject', reason: 'duplicate client order id' });
  });

  it('when too many events wait undelivered, place() is rejected with EXCHANGE_BUSY', async () => {
    const h = new Harness();
    const venue = new SimVenue(simConfig(), new FairPriceBook(1), { clock: () => h.nowNs, autoTick: false, maxPendingEvents: 2 });
    await venue.start(h.recorder);
    venue.place(order({ clientOrderId: 'a' }));
    venue.place(order({ clientOrderId: 'b' }));
    venue.place(order({ clientOrderId: 'c' }));
    await settle();
    expect(h.recorder.events.map((e) => [e.clientOrderId, e.kind])).toEqual([
      ['a', 'ack'],
      ['b', 'ack'],
      ['c', 'reject'],
    ]);
    expect(h.recorder.of('c')[0]).toMatchObject({ code: RejectCode.ExchangeBusy, reason: 'venue event queue is full' });
    venue.place(order({ clientOrderId: 'd' }));
    await settle();
    expect(h.recorder.of('d')[0].kind).toBe('ack');
  });

  it('events of orders placed before start are delivered once started', async () => {
    const h = new Harness();
    h.venue.place(order({ clientOrderId: 'early' }));
    await settle();
    expect(h.recorder.events).toEqual([]);
    await h.start();
    await settle();
    expect(h.recorder.of('early').map((e) => e.kind)).toEqual(['ack']);
  });

  it('an order placed from inside a listener callback is answered in a later flush', async () => {
    const h = new Harness();
    const seen: string[] = [];
    let placedInside = false;
    await h.venue.start({
      onBook: () => {},
      onOrderEvent: (e) => {
        seen.push(`${e.clientOrderId}:${e.kind}`);
        if (!placedInside) {
          placedInside = true;
          h.venue.place(order({ clientOrderId: 'inner' }));
          seen.push('returned');
        }
      },
      onStatus: () => {},
      onConnection: () => {},
      onNotice: () => {},
    });
    h.venue.place(order({ clientOrderId: 'outer' }));
    await settle();
    expect(seen).toEqual(['outer:ack', 'returned']);
    await settle();
    expect(seen).toEqual(['outer:ack', 'returned', 'inner:ack']);
  });
});

describe('sim venue: lifecycle', () => {
  it('with autoTick it publishes books on its own timer until stopped', async () => {
    const venue = new SimVenue(simConfig({ tickIntervalMs: 1 }), new FairPriceBook(1));
    const recorder = new Recorder();
    let resolveSecond: () => void = () => {};
    const second = new Promise<void>((resolve) => (resolveSecond = resolve));
    await venue.start({
      onBook: (book) => {
        recorder.onBook(book);
        if (recorder.books.length > 2) resolveSecond();
      },
      onOrderEvent: (e) => recorder.onOrderEvent(e),
      onStatus: () => {},
      onConnection: () => {},
      onNotice: () => {},
    });
    // start() ticks at once, so both symbols have a book before it resolves.
    expect(recorder.books.length).toBe(2);
    await second;
    await venue.stop();
    const published = recorder.books.length;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(recorder.books.length).toBe(published);
  });

  it('stop() delivers what is queued, then nothing more', async () => {
    const h = await new Harness().start();
    h.ticks(1);
    h.venue.place(order({ clientOrderId: 'a' }));
    await h.venue.stop();
    expect(h.recorder.of('a').map((e) => e.kind)).toEqual(['ack']);
    const delivered = h.recorder.events.length;
    const books = h.recorder.books.length;
    h.venue.place(order({ clientOrderId: 'b' }));
    h.venue.cancel('a', 'BTC/USD');
    h.ticks(50);
    await settle();
    expect([h.recorder.events.length, h.recorder.books.length]).toEqual([delivered, books]);
    expect(h.venue.stats().ignoredAfterStop).toBe(2);
  });

  it('a started venue cannot be started twice, nor a stopped one again', async () => {
    const h = await new Harness().start();
    await expect(h.venue.start(h.recorder)).rejects.toThrow(/already started/);
    await h.venue.stop();
    await expect(h.venue.start(h.recorder)).rejects.toThrow(/stopped/);
  });

  it('counts placed, acked, filled and canceled orders in stats()', async () => {
    const h = await new Harness().start();
    h.ticks(5);
    h.venue.place(order({ clientOrderId: 'rest' }));
    h.venue.place(order({ clientOrderId: 'take', type: OrderType.Market, px1e9: 0 }));
    h.venue.cancel('rest', 'BTC/USD');
    await settle();
    expect(h.venue.stats()).toMatchObject({ placed: 2, acked: 2, rejected: 0, canceled: 1, cancelRejects: 0, openUserOrders: 0, ticks: 5 });
    expect(h.venue.stats().fills).toBeGreaterThan(0);
  });

  it('rejects a config it cannot run', () => {
    const fair = new FairPriceBook(1);
    expect(() => new SimVenue(simConfig({ markets: [] }), fair)).toThrow(/at least one market/);
    expect(() => new SimVenue(simConfig({ markets: [BTC, BTC] }), fair)).toThrow(/listed twice/);
    expect(() => new SimVenue(simConfig({ tickIntervalMs: 0 }), fair)).toThrow(/tickIntervalMs/);
    expect(() => new SimVenue(simConfig({ takerFeeBps: NaN }), fair)).toThrow(/takerFeeBps/);
    expect(() => new SimVenue(simConfig({ markets: [{ ...BTC, lotSize1e8: 0 }] }), fair)).toThrow(/lot size/);
    expect(() => new SimVenue(simConfig({ markets: [{ ...BTC, tickSize1e9: 0.5 }] }), fair)).toThrow(/tick size/);
    expect(() => new SimVenue(simConfig({ depthLevels: 0 }), fair)).toThrow(/depthLevels/);
  });
});
