import { describe, expect, it } from 'vitest';
import { OrderType } from '../src/wasm/abi.ts';
import { L2Book } from '../src/venues/book.ts';
import { CancelReason, MatchingEngine } from '../src/venues/sim/matchingEngine.ts';
import type { EngineFill } from '../src/venues/sim/matchingEngine.ts';

const PX = 1_000_000_000;

function drainFills(engine: MatchingEngine): EngineFill[] {
  const out: EngineFill[] = [];
  for (let i = 0; i < engine.fillCount; i++) out.push({ ...engine.fillAt(i) });
  engine.clearFills();
  return out;
}

function rest(engine: MatchingEngine, side: 1 | -1, px: number, qty: number): number {
  const r = engine.submit('flow', side, px, qty, OrderType.Limit);
  expect(r.status).toBe('rested');
  return r.id;
}

function l2(engine: MatchingEngine): L2Book {
  const book = new L2Book('T');
  engine.writeL2(book);
  return book;
}

describe('matching engine', () => {
  it('a buy takes the lowest ask first and trades at the resting price', () => {
    const e = new MatchingEngine();
    const far = rest(e, -1, 102 * PX, 5);
    const near = rest(e, -1, 101 * PX, 5);
    const r = e.submit('user', 1, 105 * PX, 7, OrderType.Limit);
    expect(r.status).toBe('filled');
    expect(drainFills(e).map((f) => [f.makerId, f.px1e9, f.qty1e8])).toEqual([
      [near, 101 * PX, 5],
      [far, 102 * PX, 2],
    ]);
    expect(e.remaining(far)).toBe(3);
  });

  it('orders at one price fill oldest first', () => {
    const e = new MatchingEngine();
    const first = rest(e, 1, 100 * PX, 3);
    const second = rest(e, 1, 100 * PX, 3);
    e.submit('flow', -1, 100 * PX, 4, OrderType.Ioc);
    const fills = drainFills(e);
    expect(fills.map((f) => [f.makerId, f.qty1e8, f.makerRemaining1e8])).toEqual([
      [first, 3, 0],
      [second, 1, 2],
    ]);
    expect(fills[0].takerSide).toBe(-1);
  });

  it('a fill names maker and taker with their owners', () => {
    const e = new MatchingEngine();
    const maker = e.submit('user', -1, 100 * PX, 2, OrderType.Limit).id;
    const taker = e.submit('flow', 1, 100 * PX, 2, OrderType.Ioc).id;
    expect(drainFills(e)).toEqual([
      { makerId: maker, makerOwner: 'user', takerId: taker, takerOwner: 'flow', takerSide: 1, px1e9: 100 * PX, qty1e8: 2, makerRemaining1e8: 0 },
    ]);
    expect(e.restingOrders).toBe(0);
  });

  it('a limit order partly filled rests its remainder at its own price', () => {
    const e = new MatchingEngine();
    rest(e, -1, 100 * PX, 4);
    const r = e.submit('user', 1, 101 * PX, 10, OrderType.Limit);
    expect([r.status, r.filled1e8, r.remaining1e8]).toEqual(['rested', 4, 6]);
    expect(e.remaining(r.id)).toBe(6);
    const book = l2(e);
    expect([book.bidCount, book.bidPx[0], book.bidSz[0], book.askCount]).toEqual([1, 101 * PX, 6, 0]);
  });

  it('a limit order does not trade through its price', () => {
    const e = new MatchingEngine();
    rest(e, -1, 102 * PX, 4);
    const r = e.submit('user', 1, 101 * PX, 4, OrderType.Limit);
    expect(r.status).toBe('rested');
    expect(e.fillCount).toBe(0);
  });

  it('a market order sweeps any price and cancels what the book cannot fill', () => {
    const e = new MatchingEngine();
    rest(e, 1, 100 * PX, 2);
    rest(e, 1, 50 * PX, 2);
    const r = e.submit('user', -1, 0, 6, OrderType.Market);
    expect([r.status, r.filled1e8, r.remaining1e8, r.reason]).toEqual(['canceled', 4, 2, CancelReason.MarketRemainder]);
    expect(drainFills(e).map((f) => f.px1e9)).toEqual([100 * PX, 50 * PX]);
    expect(e.restingOrders).toBe(0);
  });

  it('a market order into an empty side is canceled with nothing filled', () => {
    const e = new MatchingEngine();
    const r = e.submit('user', 1, 0, 1, OrderType.Market);
    expect([r.status, r.filled1e8, r.remaining1e8]).toEqual(['canceled', 0, 1]);
  });

  it('an IOC order cancels its remainder instead of resting', () => {
    const e = new MatchingEngine();
    rest(e, -1, 100 * PX, 3);
    rest(e, -1, 103 * PX, 3);
    const r = e.submit('user', 1, 101 * PX, 5, OrderType.Ioc);
    expect([r.status, r.filled1e8, r.remaining1e8, r.reason]).toEqual(['canceled', 3, 2, CancelReason.IocRemainder]);
    expect(l2(e).bidCount).toBe(0);
    expect(e.restingOrders).toBe(1);
  });

  it('a FOK order that cannot fill in full within its limit trades nothing', () => {
    const e = new MatchingEngine();
    const a = rest(e, -1, 100 * PX, 3);
    rest(e, -1, 102 * PX, 10);
    const r = e.submit('user', 1, 101 * PX, 5, OrderType.Fok);
    expect([r.status, r.filled1e8, r.remaining1e8, r.reason]).toEqual(['canceled', 0, 5, CancelReason.FokNotFilled]);
    expect(e.fillCount).toBe(0);
    expect(e.remaining(a)).toBe(3);
  });

  it('a FOK order that can fill in full fills across levels', () => {
    const e = new MatchingEngine();
    rest(e, -1, 100 * PX, 3);
    rest(e, -1, 101 * PX, 3);
    const r = e.submit('user', 1, 101 * PX, 5, OrderType.Fok);
    expect([r.status, r.filled1e8]).toEqual(['filled', 5]);
    expect(drainFills(e).map((f) => [f.px1e9, f.qty1e8])).toEqual([
      [100 * PX, 3],
      [101 * PX, 2],
    ]);
  });

  it('a post-only order that would cross is canceled without trading', () => {
    const e = new MatchingEngine();
    const ask = rest(e, -1, 100 * PX, 3);
    const r = e.submit('user', 1, 100 * PX, 1, OrderType.PostOnly);
    expect([r.status, r.filled1e8, r.reason]).toEqual(['canceled', 0, 'post-only order would cross']);
    expect(e.fillCount).toBe(0);
    expect(e.remaining(ask)).toBe(3);
  });

  it('a post-only order that does not cross rests', () => {
    const e = new MatchingEngine();
    rest(e, -1, 100 * PX, 3);
    const r = e.submit('user', 1, 99 * PX, 1, OrderType.PostOnly);
    expect(r.status).toBe('rested');
    expect(l2(e).bidPx[0]).toBe(99 * PX);
  });

  it('cancel removes one order and keeps the time order of the rest', () => {
    const e = new MatchingEngine();
    const a = rest(e, 1, 100 * PX, 1);
    const b = rest(e, 1, 100 * PX, 2);
    const c = rest(e, 1, 100 * PX, 3);
    expect(e.cancel(b)).toBe(true);
    expect(l2(e).bidSz[0]).toBe(4);
    e.submit('flow', -1, 100 * PX, 4, OrderType.Ioc);
    expect(drainFills(e).map((f) => f.makerId)).toEqual([a, c]);
  });

  it('cancel of an unknown, filled or already canceled order returns false', () => {
    const e = new MatchingEngine();
    const a = rest(e, 1, 100 * PX, 1);
    const b = rest(e, 1, 99 * PX, 1);
    e.submit('flow', -1, 100 * PX, 1, OrderType.Ioc);
    expect(e.cancel(a)).toBe(false);
    expect(e.cancel(b)).toBe(true);
    expect(e.cancel(b)).toBe(false);
    expect(e.cancel(12345)).toBe(false);
    expect(l2(e).bidCount).toBe(0);
  });

  it('the L2 book aggregates each price level, best first on both sides', () => {
    const e = new MatchingEngine();
    rest(e, 1, 98 * PX, 1);
    rest(e, 1, 99 * PX, 2);
    rest(e, 1, 99 * PX, 3);
    rest(e, -1, 102 * PX, 4);
    rest(e, -1, 101 * PX, 5);
    const book = l2(e);
    expect([book.bidCount, ...book.bidPx.slice(0, 2), ...book.bidSz.slice(0, 2)]).toEqual([2, 99 * PX, 98 * PX, 5, 1]);
    expect([book.askCount, ...book.askPx.slice(0, 2), ...book.askSz.slice(0, 2)]).toEqual([2, 101 * PX, 102 * PX, 5, 4]);
    expect(book.mid()).toBe(100 * PX);
  });

  it('levels beyond the 20th are not in the L2 book', () => {
    const e = new MatchingEngine();
    for (let i = 0; i < 25; i++) rest(e, -1, (100 + i) * PX, 1);
    const book = l2(e);
    expect(book.askCount).toBe(20);
    expect(book.askPx[19]).toBe(119 * PX);
    expect(e.levelCount(-1)).toBe(25);
  });

  it('writeL2 honours a smaller depth and zeroes levels that went away', () => {
    const e = new MatchingEngine();
    const ids = [rest(e, 1, 100 * PX, 1), rest(e, 1, 99 * PX, 1), rest(e, 1, 98 * PX, 1)];
    const book = new L2Book('T');
    e.writeL2(book, 2);
    expect([book.bidCount, book.bidPx[2]]).toEqual([2, 0]);
    e.cancel(ids[0]);
    e.writeL2(book);
    expect([book.bidCount, book.bidPx[0], book.bidPx[1], book.bidPx[2]]).toEqual([2, 99 * PX, 98 * PX, 0]);
  });

  it('writeL2 reports a change only when a visible level changed', () => {
    const e = new MatchingEngine();
    const book = new L2Book('T');
    expect(e.writeL2(book)).toBe(false);
    for (let i = 0; i < 21; i++) rest(e, 1, (100 - i) * PX, 1);
    expect(e.writeL2(book)).toBe(true);
    expect(e.writeL2(book)).toBe(false);
    rest(e, 1, 50 * PX, 1);
    expect(e.writeL2(book)).toBe(false);
    rest(e, 1, 100 * PX, 1);
    expect(e.writeL2(book)).toBe(true);
  });

  it('depth helpers read the best levels of a side', () => {
    const e = new MatchingEngine();
    rest(e, -1, 101 * PX, 2);
    rest(e, -1, 102 * PX, 3);
    rest(e, -1, 103 * PX, 4);
    expect([e.levelPx(-1, 0), e.levelPx(-1, 2), e.levelPx(-1, 3), e.levelPx(1, 0)]).toEqual([101 * PX, 103 * PX, 0, 0]);
    expect([e.depthQty(-1, 2), e.depthQty(-1, 10), e.depthQty(1, 2)]).toEqual([5, 9, 0]);
  });

  it('rejects invalid orders and leaves the book untouched', () => {
    const e = new MatchingEngine();
    rest(e, -1, 100 * PX, 1);
    const bad: [number, number, number, number, string][] = [
      [1, 100 * PX, 0, OrderType.Limit, 'quantity must be a positive integer'],
      [1, 100 * PX, -5, OrderType.Limit, 'quantity must be a positive integer'],
      [1, 100 * PX, 1.5, OrderType.Limit, 'quantity must be a positive integer'],
      [1, 0, 1, OrderType.Limit, 'price must be a positive integer'],
      [1, 100.5, 1, OrderType.Ioc, 'price must be a positive integer'],
      [0, 100 * PX, 1, OrderType.Limit, 'side must be 1 (buy) or -1 (sell)'],
      [1, 100 * PX, 1, 9, 'unknown order type 9'],
    ];
    for (const [side, px, qty, type, reason] of bad) {
      const r = e.submit('user', side as 1, px, qty, type as OrderType);
      expect(r.status).toBe('rejected');
      expect(r.id).toBe(0);
      expect(r.reason).toContain(reason);
    }
    expect(e.fillCount).toBe(0);
    expect(e.restingOrders).toBe(1);
  });

  it('a limit remainder is canceled when the book is full', () => {
    const e = new MatchingEngine({ maxRestingOrders: 2 });
    rest(e, 1, 100 * PX, 1);
    rest(e, 1, 99 * PX, 1);
    const r = e.submit('user', 1, 98 * PX, 1, OrderType.Limit);
    expect([r.status, r.reason]).toEqual(['canceled', CancelReason.BookFull]);
    expect(e.restingOrders).toBe(2);
  });

  it('refuses to run a submit while too many fills wait undrained', () => {
    const e = new MatchingEngine({ maxUndrainedFills: 2 });
    for (let i = 0; i < 2; i++) {
      rest(e, -1, 100 * PX, 1);
      e.submit('flow', 1, 100 * PX, 1, OrderType.Ioc);
    }
    rest(e, -1, 100 * PX, 1);
    expect(e.fillCount).toBe(2);
    expect(() => e.submit('flow', 1, 100 * PX, 1, OrderType.Ioc)).toThrow(/not drained/);
    expect(e.restingOrders).toBe(1);
    e.clearFills();
    expect(e.submit('flow', 1, 100 * PX, 1, OrderType.Ioc).status).toBe('filled');
  });

  it('rejects options that are not positive integers', () => {
    expect(() => new MatchingEngine({ maxRestingOrders: 0 })).toThrow(RangeError);
    expect(() => new MatchingEngine({ maxUndrainedFills: 1.5 })).toThrow(RangeError);
  });

  it('fillAt outside the undrained fills throws', () => {
    const e = new MatchingEngine();
    expect(() => e.fillAt(0)).toThrow(RangeError);
  });

  it('keeps price-time priority through many inserts and cancels in random order', () => {
    const e = new MatchingEngine();
    const ids: number[] = [];
    for (let i = 0; i < 200; i++) ids.push(rest(e, -1, (100 + ((i * 37) % 50)) * PX, 1));
    for (let i = 0; i < 200; i += 3) e.cancel(ids[i]);
    const expected = ids
      .map((id, i) => ({ id, i, px: 100 + ((i * 37) % 50) }))
      .filter((o) => o.i % 3 !== 0)
      .sort((a, b) => a.px - b.px || a.i - b.i)
      .map((o) => o.id);
    e.submit('flow', 1, 0, expected.length, OrderType.Market);
    expect(drainFills(e).map((f) => f.makerId)).toEqual(expected);
    expect(e.restingOrders).toBe(0);
  });
});
