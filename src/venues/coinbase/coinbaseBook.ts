import { BOOK_LEVELS } from '../../wasm/abi.ts';
import type { L2Book } from '../book.ts';

// One Coinbase product's full-depth book. Coinbase's level2 channel has no depth limit: a
// snapshot of a busy product holds tens of thousands of levels a side, and an update names
// a price with its new absolute size ("0" removes it). Each side is a sorted pair of typed
// arrays searched by bisection. Both sides keep their best level at the END of the arrays
// (bids by price ascending, asks by negated price ascending), because nearly all updates
// land near the touch: an insert or removal there moves only the few levels better than
// it, not the whole deep book. Pure: no I/O, no clock.

export class CoinbaseBookError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CoinbaseBookError';
  }
}

const DEFAULT_MAX_LEVELS_PER_SIDE = 500_000;
const INITIAL_LEVELS = 256;
/**
 * Moves of up to this many levels are a plain loop: two copyWithin calls cost more than
 * looping over the few levels better than a change near the touch; longer moves (deep in
 * a full-depth book) use copyWithin.
 */
const SHORT_MOVE = 32;

/** One side: keys ascending, best at the end, sizes alongside. */
class SortedLevels {
  keys = new Float64Array(INITIAL_LEVELS);
  sizes = new Float64Array(INITIAL_LEVELS);
  count = 0;
  // Scratch for sorting an out-of-order snapshot; kept so a resnapshot does not allocate again.
  private order = new Uint32Array(0);

  constructor(private readonly maxLevels: number) {}

  /**
   * Sets the size at a key; 0 removes the level. Returns the changed level's rank from
   * the best (0 = best) or -1 when nothing changed.
   */
  set(key: number, size: number): number {
    const count = this.count;
    const keys = this.keys;
    // Bisection for the first key >= the one sought.
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    if (lo < count && keys[lo] === key) {
      const rank = count - 1 - lo;
      if (size === 0) {
        const sizes = this.sizes;
        if (count - lo > SHORT_MOVE) {
          keys.copyWithin(lo, lo + 1, count);
          sizes.copyWithin(lo, lo + 1, count);
        } else {
          for (let i = lo + 1; i < count; i++) {
            keys[i - 1] = keys[i];
            sizes[i - 1] = sizes[i];
          }
        }
        this.count = count - 1;
        return rank;
      }
      if (this.sizes[lo] === size) return -1;
      this.sizes[lo] = size;
      return rank;
    }
    if (size === 0) return -1;
    if (count === this.maxLevels) throw new CoinbaseBookError(`a book side may hold at most ${this.maxLevels} levels`);
    if (count === keys.length) this.grow(count + 1);
    const grownKeys = this.keys;
    const sizes = this.sizes;
    if (count - lo > SHORT_MOVE) {
      grownKeys.copyWithin(lo + 1, lo, count);
      sizes.copyWithin(lo + 1, lo, count);
    } else {
      for (let i = count; i > lo; i--) {
        grownKeys[i] = grownKeys[i - 1];
        sizes[i] = sizes[i - 1];
      }
    }
    grownKeys[lo] = key;
    sizes[lo] = size;
    this.count = count + 1;
    return count - lo;
  }

  /** Starts a bulk load of `expected` levels (an upper bound) in any order. */
  beginLoad(expected: number): void {
    this.count = 0;
    if (this.keys.length < expected) this.grow(expected);
  }

  /** Appends during a bulk load; finishLoad sorts. */
  push(key: number, size: number): void {
    const i = this.count++;
    this.keys[i] = key;
    this.sizes[i] = size;
  }

  /**
   * Orders what push() appended. Snapshots normally list a side best first, which is
   * strictly descending in key order here, so the common cases are a check and maybe a
   * reversal; anything else is sorted (ties keep the later entry, as applying the levels
   * one by one would).
   */
  finishLoad(): void {
    const n = this.count;
    const keys = this.keys;
    let ascending = true;
    let descending = true;
    for (let i = 1; i < n && (ascending || descending); i++) {
      if (keys[i] <= keys[i - 1]) ascending = false;
      if (keys[i] >= keys[i - 1]) descending = false;
    }
    if (ascending) return;
    if (descending) {
      keys.subarray(0, n).reverse();
      this.sizes.subarray(0, n).reverse();
      return;
    }
    if (this.order.length < n) this.order = new Uint32Array(this.keys.length);
    const order = this.order.subarray(0, n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => keys[a] - keys[b] || a - b);
    const sortedKeys = new Float64Array(this.keys.length);
    const sortedSizes = new Float64Array(this.keys.length);
    let out = 0;
    for (let i = 0; i < n; i++) {
      const from = order[i];
      // Of equal keys only the last listed counts.
      if (i + 1 < n && keys[order[i + 1]] === keys[from]) continue;
      sortedKeys[out] = keys[from];
      sortedSizes[out] = this.sizes[from];
      out++;
    }
    this.keys = sortedKeys;
    this.sizes = sortedSizes;
    this.count = out;
  }

  private grow(atLeast: number): void {
    let size = this.keys.length;
    while (size < atLeast) size *= 2;
    size = Math.min(size, this.maxLevels);
    const keys = new Float64Array(size);
    const sizes = new Float64Array(size);
    keys.set(this.keys.subarray(0, this.count));
    sizes.set(this.sizes.subarray(0, this.count));
    this.keys = keys;
    this.sizes = sizes;
  }
}

export interface CoinbaseBookOptions {
  /** Levels one side may hold; a snapshot or update beyond it is refused. Default 500,000. */
  maxLevelsPerSide?: number;
}

function checkLevel(px1e9: number, qty1e8: number): void {
  if (!Number.isSafeInteger(px1e9) || px1e9 <= 0) throw new CoinbaseBookError(`a price must be a positive integer px_1e9, got ${px1e9}`);
  if (!Number.isSafeInteger(qty1e8) || qty1e8 < 0) throw new CoinbaseBookError(`a quantity must be a non-negative integer qty_1e8, got ${qty1e8}`);
}

export class CoinbaseBook {
  /** True once a snapshot is loaded; false again after clear() or a refused update. */
  loaded = false;
  /** Set when a change touched the top 20 levels of either side; writeTop() clears it. */
  topChanged = false;

  private readonly maxLevelsPerSide: number;
  /** Lowest rank of each side changed since the last write of the top (BOOK_LEVELS: none in the top). */
  private bidChangedFrom = 0;
  private askChangedFrom = 0;
  private readonly bids: SortedLevels;
  private readonly asks: SortedLevels;

  constructor(options: CoinbaseBookOptions = {}) {
    this.maxLevelsPerSide = options.maxLevelsPerSide ?? DEFAULT_MAX_LEVELS_PER_SIDE;
    if (!Number.isSafeInteger(this.maxLevelsPerSide) || this.maxLevelsPerSide < 1) {
      throw new CoinbaseBookError(`maxLevelsPerSide must be a positive integer, got ${this.maxLevelsPerSide}`);
    }
    this.bids = new SortedLevels(this.maxLevelsPerSide);
    this.asks = new SortedLevels(this.maxLevelsPerSide);
  }

  get bidCount(): number {
    return this.bids.count;
  }

  get askCount(): number {
    return this.asks.count;
  }

  /** The bid at a rank from the best (0 = best bid). */
  bidPx1e9(rank: number): number {
    return this.bids.keys[this.bids.count - 1 - rank];
  }

  bidQty1e8(rank: number): number {
    return this.bids.sizes[this.bids.count - 1 - rank];
  }

  /** The ask at a rank from the best (0 = best ask). */
  askPx1e9(rank: number): number {
    return -this.asks.keys[this.asks.count - 1 - rank];
  }

  askQty1e8(rank: number): number {
    return this.asks.sizes[this.asks.count - 1 - rank];
  }

  clear(): void {
    this.bids.count = 0;
    this.asks.count = 0;
    this.loaded = false;
    this.topChanged = true;
    this.bidChangedFrom = 0;
    this.askChangedFrom = 0;
  }

  /**
   * Replaces the book with a snapshot's levels [start, end) of the given arrays (bid = 1
   * for a bid, 0 for an offer). Zero quantities are skipped; a repeated price keeps its
   * last quantity. A snapshot listing more levels a side than the limit is refused before
   * anything changes.
   */
  loadSnapshot(bid: Uint8Array, px1e9: Float64Array, qty1e8: Float64Array, start: number, end: number): void {
    let bidLevels = 0;
    for (let i = start; i < end; i++) {
      checkLevel(px1e9[i], qty1e8[i]);
      bidLevels += bid[i];
    }
    const askLevels = end - start - bidLevels;
    const most = Math.max(bidLevels, askLevels);
    if (most > this.maxLevelsPerSide) throw new CoinbaseBookError(`a snapshot listing ${most} levels on one side is over the limit of ${this.maxLevelsPerSide}`);
    this.bids.beginLoad(bidLevels);
    this.asks.beginLoad(askLevels);
    for (let i = start; i < end; i++) {
      const qty = qty1e8[i];
      if (qty === 0) continue;
      if (bid[i] === 1) this.bids.push(px1e9[i], qty);
      else this.asks.push(-px1e9[i], qty);
    }
    this.bids.finishLoad();
    this.asks.finishLoad();
    this.loaded = true;
    this.topChanged = true;
    this.bidChangedFrom = 0;
    this.askChangedFrom = 0;
  }

  /**
   * Applies an update's levels [start, end) in order. If a level is refused (bad value,
   * side full) the levels before it are already applied, so the book is marked not loaded
   * and must be rebuilt from a snapshot.
   */
  applyUpdates(bid: Uint8Array, px1e9: Float64Array, qty1e8: Float64Array, start: number, end: number): void {
    try {
      for (let i = start; i < end; i++) this.setLevel(bid[i] === 1, px1e9[i], qty1e8[i]);
    } catch (error) {
      this.loaded = false;
      throw error;
    }
  }

  /** Sets one level's absolute quantity; 0 removes the level. */
  setLevel(isBid: boolean, px1e9: number, qty1e8: number): void {
    checkLevel(px1e9, qty1e8);
    const rank = isBid ? this.bids.set(px1e9, qty1e8) : this.asks.set(-px1e9, qty1e8);
    if (rank < 0 || rank >= BOOK_LEVELS) return;
    this.topChanged = true;
    if (isBid) {
      if (rank < this.bidChangedFrom) this.bidChangedFrom = rank;
    } else if (rank < this.askChangedFrom) {
      this.askChangedFrom = rank;
    }
  }

  /**
   * writeTop for the L2Book this book last wrote with writeTop or writeTopChanges (and
   * nothing else wrote since): copies each side from its first changed rank only, as most
   * updates touch a level or two near the touch.
   */
  writeTopChanges(out: L2Book): void {
    const bids = this.bids;
    const asks = this.asks;
    const bidCount = Math.min(BOOK_LEVELS, bids.count);
    const askCount = Math.min(BOOK_LEVELS, asks.count);
    for (let r = this.bidChangedFrom; r < bidCount; r++) {
      const i = bids.count - 1 - r;
      out.bidPx[r] = bids.keys[i];
      out.bidSz[r] = bids.sizes[i];
    }
    for (let r = Math.max(this.bidChangedFrom, bidCount); r < out.bidCount; r++) {
      out.bidPx[r] = 0;
      out.bidSz[r] = 0;
    }
    for (let r = this.askChangedFrom; r < askCount; r++) {
      const i = asks.count - 1 - r;
      out.askPx[r] = -asks.keys[i];
      out.askSz[r] = asks.sizes[i];
    }
    for (let r = Math.max(this.askChangedFrom, askCount); r < out.askCount; r++) {
      out.askPx[r] = 0;
      out.askSz[r] = 0;
    }
    out.bidCount = bidCount;
    out.askCount = askCount;
    this.markTopWritten();
  }

  private markTopWritten(): void {
    this.topChanged = false;
    this.bidChangedFrom = BOOK_LEVELS;
    this.askChangedFrom = BOOK_LEVELS;
  }

  /** Writes the best 20 levels a side into `out` (best first) and clears topChanged. */
  writeTop(out: L2Book): void {
    const bids = this.bids;
    const asks = this.asks;
    const bidCount = Math.min(BOOK_LEVELS, bids.count);
    const askCount = Math.min(BOOK_LEVELS, asks.count);
    for (let r = 0; r < bidCount; r++) {
      const i = bids.count - 1 - r;
      out.bidPx[r] = bids.keys[i];
      out.bidSz[r] = bids.sizes[i];
    }
    for (let r = 0; r < askCount; r++) {
      const i = asks.count - 1 - r;
      out.askPx[r] = -asks.keys[i];
      out.askSz[r] = asks.sizes[i];
    }
    out.bidPx.fill(0, bidCount);
    out.bidSz.fill(0, bidCount);
    out.askPx.fill(0, askCount);
    out.askSz.fill(0, askCount);
    out.bidCount = bidCount;
    out.askCount = askCount;
    this.markTopWritten();
  }
}
