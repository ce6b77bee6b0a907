// A view of the host's L2Book (656 bytes): `changetype<L2Book>(ptr)` turns the host pointer
// into this object without copying or allocating, so reading the book costs plain loads.

import { Side } from "./codes";

const LEVEL_BYTES: usize = 16;
const BIDS: usize = 0;
const ASKS: usize = 320;
const BID_CT: usize = 640;
const ASK_CT: usize = 641;
const SYMBOL_ID: usize = 642;
const RECV_NS: usize = 648;

export const BOOK_LEVELS: i32 = 20;
export const L2BOOK_BYTES: i32 = 656;

@unmanaged
export class L2Book {
  /** Number of bid levels present (best first), at most 20. */
  get bidCount(): i32 {
    return <i32>min(load<u8>(changetype<usize>(this) + BID_CT), <u8>BOOK_LEVELS);
  }

  get askCount(): i32 {
    return <i32>min(load<u8>(changetype<usize>(this) + ASK_CT), <u8>BOOK_LEVELS);
  }

  get symbolId(): u16 {
    return load<u16>(changetype<usize>(this) + SYMBOL_ID);
  }

  get recvNs(): u64 {
    return load<u64>(changetype<usize>(this) + RECV_NS);
  }

  /** Price (px_1e9) of bid level i, 0 = best; 0 when the level is absent. */
  bidPx(i: i32): u64 {
    return i >= 0 && i < this.bidCount ? load<u64>(this.level(BIDS, i)) : 0;
  }

  /** Size (sz_1e8) of bid level i; 0 when the level is absent. */
  bidSz(i: i32): u64 {
    return i >= 0 && i < this.bidCount ? load<u64>(this.level(BIDS, i), 8) : 0;
  }

  askPx(i: i32): u64 {
    return i >= 0 && i < this.askCount ? load<u64>(this.level(ASKS, i)) : 0;
  }

  askSz(i: i32): u64 {
    return i >= 0 && i < this.askCount ? load<u64>(this.level(ASKS, i), 8) : 0;
  }

  /** Best bid price, 0 when the bid side is empty. */
  bestBid(): u64 {
    return this.bidPx(0);
  }

  /** Best ask price, 0 when the ask side is empty. */
  bestAsk(): u64 {
    return this.askPx(0);
  }

  /** Mid price rounded down; 0 unless both sides have a level. */
  mid(): u64 {
    const bid = this.bestBid();
    const ask = this.bestAsk();
    if (bid == 0 || ask == 0) return 0;
    return bid / 2 + ask / 2 + (bid & ask & 1);
  }

  /** Spread in basis points of the mid, rounded down; 0 unless both sides have a level. */
  spreadBps(): i64 {
    const mid = this.mid();
    if (mid == 0) return 0;
    const spread = <i64>this.bestAsk() - <i64>this.bestBid();
    return spread * 10_000 / <i64>mid;
  }

  /** Summed size (sz_1e8) of the best `levels` levels of one side (Side.Buy = bids). */
  depth(side: Side, levels: i32): u64 {
    const count = side == Side.Buy ? this.bidCount : this.askCount;
    const base = side == Side.Buy ? BIDS : ASKS;
    const n = min(levels, count);
    let total: u64 = 0;
    for (let i = 0; i < n; i++) total += load<u64>(this.level(base, i), 8);
    return total;
  }

  /**
   * Order-book imbalance over the best `levels` levels: (bid - ask) / (bid + ask), from -1
   * (all asks) to 1 (all bids); 0 when both sides are empty. A ratio, not money.
   */
  imbalance(levels: i32): f64 {
    const bid = <f64>this.depth(Side.Buy, levels);
    const ask = <f64>this.depth(Side.Sell, levels);
    const total = bid + ask;
    return total == 0 ? 0 : (bid - ask) / total;
  }

  @inline
  private level(base: usize, i: i32): usize {
    return changetype<usize>(this) + base + <usize>i * LEVEL_BYTES;
  }
}
