import { describe, expect, it } from 'vitest';
import { QueueFillModel, type ModelFill, type RestingOrder } from '../src/replay/queueFillModel.ts';
import { L2Book } from '../src/venues/book.ts';
import type { Side } from '../src/venues/venue.ts';

const PX = 1_000_000_000;

/** A book from [price, qty] levels, best first, in whole units. */
function book(bids: [number, number][], asks: [number, number][]): L2Book {
  const b = new L2Book('BTC/USD');
  bids.forEach(([px, sz], i) => {
    b.bidPx[i] = px * PX;
    b.bidSz[i] = sz;
  });
  asks.forEach(([px, sz], i) => {
    b.askPx[i] = px * PX;
    b.askSz[i] = sz;
  });
  b.bidCount = bids.length;
  b.askCount = asks.length;
  return b;
}

function order(id: string, side: Side, px: number, qty: number): RestingOrder {
  return { clientOrderId: id, side, px1e9: px * PX, remaining1e8: qty, queueAhead1e8: 0 };
}

function step(model: QueueFillModel, b: L2Book, continuous = true): { id: string; qty: number }[] {
  const out: ModelFill[] = [];
  model.onBook(b, continuous, out);
  return out.map((f) => ({ id: f.order.clientOrderId, qty: f.qty1e8 }));
}

describe('the queue fill model', () => {
  it('fills an order at the best bid only after the recorded quantity ahead of it has traded', () => {
    const model = new QueueFillModel('BTC/USD');
    const start = book([[100, 50]], [[101, 10]]);
    step(model, start, false);
    const bid = order('a', 1, 100, 30);
    model.rest(bid, start);
    expect(bid.queueAhead1e8).toBe(50);
    // 40 of the 50 ahead trade: no fill yet.
    expect(step(model, book([[100, 10]], [[101, 10]]))).toEqual([]);
    expect(bid.queueAhead1e8).toBe(10);
    // Orders join behind us (the level grows to 40), then 35 trade: 10 were ahead, 25 reach us.
    expect(step(model, book([[100, 40]], [[101, 10]]))).toEqual([]);
    expect(bid.queueAhead1e8).toBe(10);
    expect(step(model, book([[100, 5]], [[101, 10]]))).toEqual([{ id: 'a', qty: 25 }]);
    expect(bid.remaining1e8).toBe(5);
  });

  it('fills orders priced better than the recorded best first, best price first, from what traded there', () => {
    const model = new QueueFillModel('BTC/USD');
    const start = book([[100, 50]], [[103, 10]]);
    step(model, start, false);
    model.rest(order('far', 1, 101, 10), start);
    model.rest(order('near', 1, 102, 10), start);
    expect(step(model, book([[100, 35]], [[103, 10]]))).toEqual([
      { id: 'near', qty: 10 },
      { id: 'far', qty: 5 },
    ]);
  });

  it('fills a resting sell when new recorded bids reach its price (trade-through), at its own price', () => {
    const model = new QueueFillModel('BTC/USD');
    const start = book([[100, 5]], [[104, 10]]);
    step(model, start, false);
    const ask = order('s', -1, 102, 8);
    model.rest(ask, start);
    const out: ModelFill[] = [];
    model.onBook(book([[102, 3], [100, 5]], [[104, 10]]), true, out);
    expect(out.map((f) => [f.order.clientOrderId, f.px1e9, f.qty1e8])).toEqual([['s', 102 * PX, 3]]);
    // The same crossing quantity seen again is not new: no second fill from it.
    expect(step(model, book([[102, 3], [100, 5]], [[104, 10]]))).toEqual([]);
  });

  it('infers nothing across a snapshot: quantity gone between a book and a snapshot is not a trade', () => {
    const model = new QueueFillModel('BTC/USD');
    const start = book([[100, 50]], [[103, 10]]);
    step(model, start, false);
    model.rest(order('a', 1, 101, 10), start);
    expect(step(model, book([[100, 1]], [[103, 10]]), false)).toEqual([]);
  });

  it('takes a filled order out and leaves a cancelled one unfilled', () => {
    const model = new QueueFillModel('BTC/USD');
    const start = book([[100, 10]], [[103, 10]]);
    step(model, start, false);
    model.rest(order('a', 1, 101, 4), start);
    model.rest(order('b', 1, 101, 4), start);
    expect(model.remove('b')?.clientOrderId).toBe('b');
    expect(model.remove('b')).toBeUndefined();
    expect(step(model, book([], [[103, 10]]))).toEqual([{ id: 'a', qty: 4 }]);
    expect(model.restingCount).toBe(0);
  });
});
