import { L2Book } from '../venues/book.ts';
import type { Side } from '../venues/venue.ts';

// When a resting order of the node fills against a recorded book, for one symbol. A
// recorded L2 book has no trades and does not know about our orders, so the model infers
// them, simply and deterministically, from consecutive books (top 20 levels a side):
//
// - Queue position: an order joins the back of its price level; the recorded quantity
//   there when it arrives is ahead of it. That quantity only shrinks: whatever leaves the
//   level (traded or cancelled, L2 cannot tell) is taken to have been ahead of us.
// - Trades: quantity that leaves the best level of a side between two books is taken as
//   traded there (the optimistic reading: it could have been cancelled). Our orders on
//   that side at a better price were ahead of that trade and fill first, best price first;
//   orders at the best price fill once the quantity ahead of them is used up.
// - Trade-through: new opposite quantity at or through our price (asks at or below our
//   bid) would have matched our order: it fills, up to that new quantity.
// Fills are at the order's own price (we are the maker). A snapshot (first book, resync)
// only updates queue positions: with no book before it nothing is inferred. Liquidity our
// fills take is not removed from the recording, which goes on as it was recorded.

export interface RestingOrder {
  readonly clientOrderId: string;
  readonly side: Side;
  readonly px1e9: number;
  remaining1e8: number;
  /** Recorded quantity ahead of the order at its price level. */
  queueAhead1e8: number;
}

export interface ModelFill {
  order: RestingOrder;
  px1e9: number;
  qty1e8: number;
}

export class QueueFillModel {
  /** Our resting buys, best (highest) price first, then by arrival. */
  private readonly bids: RestingOrder[] = [];
  /** Our resting sells, best (lowest) price first, then by arrival. */
  private readonly asks: RestingOrder[] = [];
  private readonly prev: L2Book;
  private hasPrev = false;

  constructor(symbol: string) {
    this.prev = new L2Book(symbol);
  }

  get restingCount(): number {
    return this.bids.length + this.asks.length;
  }

  /** Rests an order at the back of its level of `book` (the latest recorded book; null before any). */
  rest(order: RestingOrder, book: L2Book | null): void {
    order.queueAhead1e8 = book === null ? 0 : qtyAt(book, order.side, order.px1e9);
    const list = order.side === 1 ? this.bids : this.asks;
    let at = list.length;
    while (at > 0 && better(order.side, order.px1e9, list[at - 1].px1e9)) at--;
    list.splice(at, 0, order);
  }

  /** Takes an order out (cancelled); undefined when it does not rest here. */
  remove(clientOrderId: string): RestingOrder | undefined {
    for (const list of [this.bids, this.asks]) {
      const i = list.findIndex((o) => o.clientOrderId === clientOrderId);
      if (i >= 0) return list.splice(i, 1)[0];
    }
    return undefined;
  }

  /**
   * A new recorded book: appends the fills it implies to `out` (orders filled in full leave
   * the model) and remembers the book. `continuous`: it follows the previous book as an
   * update (false for a snapshot).
   */
  onBook(book: L2Book, continuous: boolean, out: ModelFill[]): void {
    const infer = continuous && this.hasPrev;
    if (this.bids.length > 0) this.side(1, this.bids, book, infer, out);
    if (this.asks.length > 0) this.side(-1, this.asks, book, infer, out);
    this.prev.copyFrom(book);
    this.hasPrev = true;
  }

  private side(side: Side, orders: RestingOrder[], book: L2Book, infer: boolean, out: ModelFill[]): void {
    const prev = this.prev;
    const bestPx = side === 1 ? (prev.bidCount > 0 ? prev.bidPx[0] : 0) : prev.askCount > 0 ? prev.askPx[0] : 0;
    const bestSz = side === 1 ? prev.bidSz[0] : prev.askSz[0];
    let traded = infer && bestPx > 0 ? Math.max(0, bestSz - qtyAt(book, side, bestPx)) : 0;
    let crossingUsed = 0;
    for (const o of orders) {
      let fill = 0;
      if (infer) {
        const newCrossing = Math.max(0, crossingQty(book, side, o.px1e9) - crossingQty(prev, side, o.px1e9)) - crossingUsed;
        if (newCrossing > 0) {
          fill = Math.min(o.remaining1e8, newCrossing);
          crossingUsed += fill;
          o.queueAhead1e8 = 0;
        }
        if (traded > 0 && fill < o.remaining1e8) {
          if (o.px1e9 === bestPx) {
            const ahead = Math.min(o.queueAhead1e8, traded);
            o.queueAhead1e8 -= ahead;
            traded -= ahead;
          }
          if (o.px1e9 === bestPx || better(side, o.px1e9, bestPx)) {
            const f = Math.min(o.remaining1e8 - fill, traded);
            traded -= f;
            fill += f;
          }
        }
      }
      const level = qtyAt(book, side, o.px1e9);
      if (level < o.queueAhead1e8) o.queueAhead1e8 = level;
      if (fill > 0) {
        o.remaining1e8 -= fill;
        out.push({ order: o, px1e9: o.px1e9, qty1e8: fill });
      }
    }
    for (let i = orders.length - 1; i >= 0; i--) if (orders[i].remaining1e8 === 0) orders.splice(i, 1);
  }
}

/** Whether price `a` is strictly better than `b` for an order on `side`. */
function better(side: Side, a: number, b: number): boolean {
  return side === 1 ? a > b : a < b;
}

/** Recorded quantity at `px1e9` on `side` of the book's top 20; 0 when the level is not there. */
export function qtyAt(book: L2Book, side: Side, px1e9: number): number {
  const px = side === 1 ? book.bidPx : book.askPx;
  const sz = side === 1 ? book.bidSz : book.askSz;
  const n = side === 1 ? book.bidCount : book.askCount;
  for (let i = 0; i < n; i++) if (px[i] === px1e9) return sz[i];
  return 0;
}

/** Opposite quantity at or through `px1e9` for an order on `side`: asks at or below a bid, bids at or above an ask. */
function crossingQty(book: L2Book, side: Side, px1e9: number): number {
  let total = 0;
  if (side === 1) {
    for (let i = 0; i < book.askCount && book.askPx[i] <= px1e9; i++) total += book.askSz[i];
  } else {
    for (let i = 0; i < book.bidCount && book.bidPx[i] >= px1e9; i++) total += book.bidSz[i];
  }
  return total;
}
