import { BOOK_LEVELS, OrderType } from '../../wasm/abi.ts';
import type { L2Book } from '../book.ts';
import type { Side } from '../venue.ts';

// A price-time-priority limit order book for one symbol. Pure: no clock, no I/O; each
// submit or cancel returns its outcome and appends its fills to a buffer the caller drains.
//
// Each side is an array of price levels sorted worst to best, so the best level is the
// last element: matching pops from the end and a new best level is a push. Each level is a
// FIFO of resting orders. Order and level objects are pooled, so steady quoting allocates
// almost nothing.

export type Owner = 'user' | 'flow';

export const CancelReason = {
  Requested: 'requested',
  IocRemainder: 'IOC remainder',
  MarketRemainder: 'market order remainder: no more liquidity',
  PostOnlyWouldCross: 'post-only order would cross',
  FokNotFilled: 'FOK order could not be filled in full',
  BookFull: 'order book is full',
} as const;

export type SubmitStatus = 'rested' | 'filled' | 'canceled' | 'rejected';

/** A submit's outcome. The engine reuses one object: read it before the next submit. */
export interface SubmitResult {
  /** The order's id in this book; 0 when rejected. */
  id: number;
  status: SubmitStatus;
  filled1e8: number;
  /** Resting quantity when rested, the cancelled quantity when canceled. */
  remaining1e8: number;
  /** Why the order was canceled or rejected; empty otherwise. */
  reason: string;
}

export interface EngineFill {
  makerId: number;
  makerOwner: Owner;
  takerId: number;
  takerOwner: Owner;
  /** The taker's side; the maker's is the opposite. */
  takerSide: Side;
  /** The resting order's price. */
  px1e9: number;
  qty1e8: number;
  /** What the maker still rests with after this fill; 0 means it left the book. */
  makerRemaining1e8: number;
}

export interface MatchingEngineOptions {
  /** Resting orders the book holds at most; a limit remainder beyond it is canceled. Default 10,000. */
  maxRestingOrders?: number;
  /** Fills that may wait in the buffer before a submit refuses to run. Default 65,536. */
  maxUndrainedFills?: number;
}

interface RestingOrder {
  id: number;
  owner: Owner;
  side: Side;
  px1e9: number;
  remaining1e8: number;
  level: PriceLevel | null;
}

interface PriceLevel {
  /** px for bids, -px for asks: both sides then sort ascending with the best level last. */
  key: number;
  px1e9: number;
  total1e8: number;
  readonly orders: RestingOrder[];
}

/** Free objects kept for reuse; beyond this they go to the garbage collector. */
const MAX_POOLED = 4096;

function isSide(side: number): side is Side {
  return side === 1 || side === -1;
}

function isOrderType(type: number): type is OrderType {
  return Number.isInteger(type) && type >= OrderType.Limit && type <= OrderType.PostOnly;
}

export class MatchingEngine {
  private readonly bids: PriceLevel[] = [];
  private readonly asks: PriceLevel[] = [];
  private readonly byId = new Map<number, RestingOrder>();
  private readonly orderPool: RestingOrder[] = [];
  private readonly levelPool: PriceLevel[] = [];
  private readonly fills: EngineFill[] = [];
  private fillsUsed = 0;
  private lastId = 0;
  private readonly maxRestingOrders: number;
  private readonly maxUndrainedFills: number;
  private readonly result: SubmitResult = { id: 0, status: 'rejected', filled1e8: 0, remaining1e8: 0, reason: '' };

  constructor(options: MatchingEngineOptions = {}) {
    this.maxRestingOrders = options.maxRestingOrders ?? 10_000;
    this.maxUndrainedFills = options.maxUndrainedFills ?? 65_536;
    if (!Number.isSafeInteger(this.maxRestingOrders) || this.maxRestingOrders < 1) {
      throw new RangeError(`maxRestingOrders must be a positive integer, got ${this.maxRestingOrders}`);
    }
    if (!Number.isSafeInteger(this.maxUndrainedFills) || this.maxUndrainedFills < 1) {
      throw new RangeError(`maxUndrainedFills must be a positive integer, got ${this.maxUndrainedFills}`);
    }
  }

  /**
   * Matches an incoming order against the opposite side, then rests, fills or cancels it
   * by its type's rule. A market order's price is ignored. Invalid input is a 'rejected'
   * result that leaves the book untouched.
   */
  submit(owner: Owner, side: Side, px1e9: number, qty1e8: number, type: OrderType): SubmitResult {
    const r = this.result;
    r.id = 0;
    r.status = 'rejected';
    r.filled1e8 = 0;
    r.remaining1e8 = qty1e8;
    r.reason = '';
    if (!isSide(side)) return this.reject(`side must be 1 (buy) or -1 (sell), got ${side}`);
    if (!isOrderType(type)) return this.reject(`unknown order type ${type}`);
    if (!Number.isSafeInteger(qty1e8) || qty1e8 <= 0) return this.reject(`quantity must be a positive integer qty_1e8, got ${qty1e8}`);
    if (type !== OrderType.Market && (!Number.isSafeInteger(px1e9) || px1e9 <= 0)) {
      return this.reject(`price must be a positive integer px_1e9, got ${px1e9}`);
    }
    // A submit adds at most one fill per resting order; refuse before touching the book if that could overflow.
    if (this.fillsUsed + this.byId.size > this.maxUndrainedFills) {
      throw new Error(`matching engine: ${this.fillsUsed} fills not drained; call clearFills() after reading them`);
    }

    r.id = ++this.lastId;
    const limit = type === OrderType.Market ? (side === 1 ? Infinity : 0) : px1e9;
    if (type === OrderType.PostOnly && this.crosses(side, limit)) return this.cancelIncoming(CancelReason.PostOnlyWouldCross);
    if (type === OrderType.Fok && this.availableWithin(side, limit, qty1e8) < qty1e8) return this.cancelIncoming(CancelReason.FokNotFilled);

    const remaining = this.match(owner, r.id, side, limit, qty1e8);
    r.filled1e8 = qty1e8 - remaining;
    r.remaining1e8 = remaining;
    if (remaining === 0) {
      r.status = 'filled';
      return r;
    }
    if (type === OrderType.Market) return this.cancelIncoming(CancelReason.MarketRemainder);
    if (type === OrderType.Ioc) return this.cancelIncoming(CancelReason.IocRemainder);
    if (this.byId.size >= this.maxRestingOrders) return this.cancelIncoming(CancelReason.BookFull);
    this.rest(owner, r.id, side, px1e9, remaining);
    r.status = 'rested';
    return r;
  }

  /** Removes a resting order; false when no order with that id rests here. */
  cancel(id: number): boolean {
    const order = this.byId.get(id);
    if (order === undefined) return false;
    const level = order.level as PriceLevel;
    level.orders.splice(level.orders.indexOf(order), 1);
    level.total1e8 -= order.remaining1e8;
    if (level.orders.length === 0) this.removeLevel(order.side === 1 ? this.bids : this.asks, level);
    this.byId.delete(id);
    this.releaseOrder(order);
    return true;
  }

  /** The quantity an order still rests with; 0 once it is filled, canceled or unknown. */
  remaining(id: number): number {
    return this.byId.get(id)?.remaining1e8 ?? 0;
  }

  get restingOrders(): number {
    return this.byId.size;
  }

  /** Fills since the last clearFills(), oldest first. */
  get fillCount(): number {
    return this.fillsUsed;
  }

  /** The i-th undrained fill. The object is reused after clearFills(): copy what you keep. */
  fillAt(i: number): EngineFill {
    if (!(i >= 0 && i < this.fillsUsed)) throw new RangeError(`fill index ${i} outside [0, ${this.fillsUsed})`);
    return this.fills[i];
  }

  clearFills(): void {
    this.fillsUsed = 0;
  }

  /** Number of price levels on one side of the book (1 bids, -1 asks). */
  levelCount(bookSide: Side): number {
    return (bookSide === 1 ? this.bids : this.asks).length;
  }

  /** Price of the level `depth` places from the best (0 = best) on one side; 0 when there is none. */
  levelPx(bookSide: Side, depth: number): number {
    const levels = bookSide === 1 ? this.bids : this.asks;
    const i = levels.length - 1 - depth;
    return depth >= 0 && i >= 0 ? levels[i].px1e9 : 0;
  }

  /** Total resting quantity of the best `levelsWanted` levels on one side. */
  depthQty(bookSide: Side, levelsWanted: number): number {
    const levels = bookSide === 1 ? this.bids : this.asks;
    const stop = Math.max(0, levels.length - levelsWanted);
    let total = 0;
    for (let i = levels.length - 1; i >= stop; i--) total += levels[i].total1e8;
    return total;
  }

  /**
   * Writes the best `maxLevels` (at most 20) levels of each side into `book`, best first,
   * and says whether anything visible changed. Entries past the counts are zeroed.
   */
  writeL2(book: L2Book, maxLevels: number = BOOK_LEVELS): boolean {
    const depth = Math.max(0, Math.min(maxLevels, BOOK_LEVELS));
    const bidsChanged = this.writeSide(this.bids, book.bidPx, book.bidSz, book.bidCount, depth);
    const asksChanged = this.writeSide(this.asks, book.askPx, book.askSz, book.askCount, depth);
    book.bidCount = Math.min(depth, this.bids.length);
    book.askCount = Math.min(depth, this.asks.length);
    return bidsChanged || asksChanged;
  }

  private writeSide(levels: PriceLevel[], pxOut: Float64Array, szOut: Float64Array, oldCount: number, depth: number): boolean {
    const count = Math.min(depth, levels.length);
    let changed = count !== oldCount;
    for (let i = 0; i < BOOK_LEVELS; i++) {
      let px = 0;
      let sz = 0;
      if (i < count) {
        const level = levels[levels.length - 1 - i];
        px = level.px1e9;
        sz = level.total1e8;
      }
      if (pxOut[i] !== px || szOut[i] !== sz) {
        changed = true;
        pxOut[i] = px;
        szOut[i] = sz;
      }
    }
    return changed;
  }

  private reject(reason: string): SubmitResult {
    this.result.status = 'rejected';
    this.result.reason = reason;
    return this.result;
  }

  private cancelIncoming(reason: string): SubmitResult {
    this.result.status = 'canceled';
    this.result.reason = reason;
    return this.result;
  }

  /** Whether an order on `side` at `limit` would trade with the opposite best. */
  private crosses(side: Side, limit: number): boolean {
    const opposite = side === 1 ? this.asks : this.bids;
    if (opposite.length === 0) return false;
    const best = opposite[opposite.length - 1].px1e9;
    return side === 1 ? best <= limit : best >= limit;
  }

  /** Opposite quantity at prices within `limit`, counted only as far as `wanted`. */
  private availableWithin(side: Side, limit: number, wanted: number): number {
    const opposite = side === 1 ? this.asks : this.bids;
    let total = 0;
    for (let i = opposite.length - 1; i >= 0 && total < wanted; i--) {
      const px = opposite[i].px1e9;
      if (side === 1 ? px > limit : px < limit) break;
      total += opposite[i].total1e8;
    }
    return total;
  }

  /** Trades the incoming order against the opposite side at the resting prices; returns what is left. */
  private match(owner: Owner, id: number, side: Side, limit: number, qty1e8: number): number {
    const opposite = side === 1 ? this.asks : this.bids;
    let remaining = qty1e8;
    while (remaining > 0 && opposite.length > 0) {
      const level = opposite[opposite.length - 1];
      if (side === 1 ? level.px1e9 > limit : level.px1e9 < limit) break;
      const orders = level.orders;
      let consumed = 0;
      for (let i = 0; i < orders.length && remaining > 0; i++) {
        const maker = orders[i];
        const qty = Math.min(maker.remaining1e8, remaining);
        maker.remaining1e8 -= qty;
        remaining -= qty;
        level.total1e8 -= qty;
        this.pushFill(maker, owner, id, side, level.px1e9, qty);
        if (maker.remaining1e8 === 0) {
          consumed++;
          this.byId.delete(maker.id);
        }
      }
      // Only the first `consumed` makers can be empty: the loop stops at the first it leaves partly filled.
      for (let i = 0; i < consumed; i++) this.releaseOrder(orders[i]);
      orders.splice(0, consumed);
      if (orders.length === 0) {
        opposite.pop();
        this.releaseLevel(level);
      }
    }
    return remaining;
  }

  private pushFill(maker: RestingOrder, takerOwner: Owner, takerId: number, takerSide: Side, px1e9: number, qty1e8: number): void {
    let fill = this.fills[this.fillsUsed];
    if (fill === undefined) {
      fill = { makerId: 0, makerOwner: 'flow', takerId: 0, takerOwner: 'flow', takerSide: 1, px1e9: 0, qty1e8: 0, makerRemaining1e8: 0 };
      this.fills.push(fill);
    }
    this.fillsUsed++;
    fill.makerId = maker.id;
    fill.makerOwner = maker.owner;
    fill.takerId = takerId;
    fill.takerOwner = takerOwner;
    fill.takerSide = takerSide;
    fill.px1e9 = px1e9;
    fill.qty1e8 = qty1e8;
    fill.makerRemaining1e8 = maker.remaining1e8;
  }

  private rest(owner: Owner, id: number, side: Side, px1e9: number, qty1e8: number): void {
    const levels = side === 1 ? this.bids : this.asks;
    const key = side === 1 ? px1e9 : -px1e9;
    const at = lowerBound(levels, key);
    let level = levels[at];
    if (level === undefined || level.key !== key) {
      level = this.levelPool.pop() ?? { key: 0, px1e9: 0, total1e8: 0, orders: [] };
      level.key = key;
      level.px1e9 = px1e9;
      level.total1e8 = 0;
      if (at === levels.length) levels.push(level);
      else levels.splice(at, 0, level);
    }
    const order = this.orderPool.pop() ?? { id: 0, owner, side, px1e9: 0, remaining1e8: 0, level: null };
    order.id = id;
    order.owner = owner;
    order.side = side;
    order.px1e9 = px1e9;
    order.remaining1e8 = qty1e8;
    order.level = level;
    level.orders.push(order);
    level.total1e8 += qty1e8;
    this.byId.set(id, order);
  }

  private removeLevel(levels: PriceLevel[], level: PriceLevel): void {
    const at = lowerBound(levels, level.key);
    if (at === levels.length - 1) levels.pop();
    else levels.splice(at, 1);
    this.releaseLevel(level);
  }

  private releaseOrder(order: RestingOrder): void {
    order.level = null;
    if (this.orderPool.length < MAX_POOLED) this.orderPool.push(order);
  }

  private releaseLevel(level: PriceLevel): void {
    level.orders.length = 0;
    if (this.levelPool.length < MAX_POOLED) this.levelPool.push(level);
  }
}

/** Index of the first level whose key is >= `key` (levels.length when none). */
function lowerBound(levels: PriceLevel[], key: number): number {
  let lo = 0;
  let hi = levels.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (levels[mid].key < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
