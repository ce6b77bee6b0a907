import { mulDiv, notional1e9 } from '../node/fixedPoint.ts';
import { OrderType, RejectCode } from '../wasm/abi.ts';
import type { L2Book } from '../venues/book.ts';
import { CancelReason, MatchingEngine } from '../venues/sim/matchingEngine.ts';
import { UNKNOWN_META, type OrderRequest, type SymbolMeta, type Venue, type VenueHealth, type VenueKind, type VenueListener, type VenueOpenOrder, type VenueOrderEvent, type VenueSnapshot } from '../venues/venue.ts';
import { QueueFillModel, type ModelFill, type RestingOrder } from './queueFillModel.ts';
import type { RecordedBooks } from './recordedBooks.ts';
import type { ReplayClock } from './replayClock.ts';

// A venue that plays recorded market data and fills the node's orders against it. The
// replay driver hands it each recorded frame at its receive time; it decodes the frame
// with the live decoder, fills resting orders by the queue model (queueFillModel.ts) and
// publishes the book. An order or cancel reaches the book `latencyMs` of recording time
// after it was sent (a task on the replay clock); an arriving order trades against the
// latest recorded book with the sim matching engine (takers at the recorded prices,
// post-only that would cross cancelled, IOC/FOK/market remainders cancelled) and rests
// with its queue position if it does not complete. Events go out from the clock's task or
// the driver's frame, never from inside place() or cancel(). No wall clock, no timers.

export interface ReplayVenueOptions {
  name: string;
  kind: VenueKind;
  venueId: number;
  symbols: readonly string[];
  /** Market metadata per symbol, as the recording gives it. */
  meta: ReadonlyMap<string, SymbolMeta>;
  books: RecordedBooks;
  clock: ReplayClock;
  /** One way, node to book: orders and cancels take effect this long after they are sent. */
  latencyMs: number;
  /** Basis points of notional (negative: a rebate). */
  makerFeeBps: number;
  takerFeeBps: number;
}

interface SymbolState {
  readonly model: QueueFillModel;
  /** The latest recorded book (the decoder's object), null before the first. */
  latest: L2Book | null;
  /** Counts recorded books, so the matching engine reloads only when the book changed. */
  version: number;
  engine: MatchingEngine;
  engineVersion: number;
}

/** Fee rates in 1/10,000 bp, as the sim venue applies them. */
const FEE_UNITS_PER_BP = 10_000;
const FEE_DIVISOR = FEE_UNITS_PER_BP * 10_000;

export class ReplayVenue implements Venue {
  readonly name: string;
  readonly kind: VenueKind;
  readonly venueId: number;
  readonly symbols: readonly string[];
  /** Recorded books published to the node. */
  booksPublished = 0;
  private readonly options: ReplayVenueOptions;
  private readonly states = new Map<string, SymbolState>();
  /** Resting orders by client order id (with their symbol). */
  private readonly resting = new Map<string, { symbol: string; order: RestingOrder }>();
  /** Every client order id seen, so a resent id is refused and a late cancel named. */
  private readonly seen = new Set<string>();
  private readonly latencyNs: number;
  private readonly makerFeeUnits: number;
  private readonly takerFeeUnits: number;
  private readonly fills: ModelFill[] = [];
  private listener: VenueListener | null = null;
  private stopped = false;
  private orderSeq = 0;
  private fillSeq = 0;

  constructor(options: ReplayVenueOptions) {
    if (!(Number.isFinite(options.latencyMs) && options.latencyMs >= 0)) throw new RangeError(`latency must be a number of milliseconds >= 0, got ${options.latencyMs}`);
    for (const [what, bps] of [['maker fee', options.makerFeeBps], ['taker fee', options.takerFeeBps]] as const) {
      if (!Number.isFinite(bps) || Math.abs(bps) > 10_000) throw new RangeError(`${what} must be a number of bps within ±10000, got ${bps}`);
    }
    this.options = options;
    this.name = options.name;
    this.kind = options.kind;
    this.venueId = options.venueId;
    this.symbols = options.symbols;
    this.latencyNs = options.latencyMs * 1e6;
    this.makerFeeUnits = Math.round(options.makerFeeBps * FEE_UNITS_PER_BP);
    this.takerFeeUnits = Math.round(options.takerFeeBps * FEE_UNITS_PER_BP);
    for (const symbol of options.symbols) {
      this.states.set(symbol, { model: new QueueFillModel(symbol), latest: null, version: 0, engine: new MatchingEngine(), engineVersion: -1 });
    }
  }

  symbolMeta(symbol: string): SymbolMeta {
    return this.options.meta.get(symbol) ?? UNKNOWN_META;
  }

  async start(listener: VenueListener): Promise<void> {
    if (this.listener !== null) throw new Error(`replay venue "${this.name}" is already started`);
    this.listener = listener;
    listener.onConnection('connected', 'replaying a recording');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.listener = null;
  }

  /** One recorded frame, at its receive time (the clock is there already). */
  onFrame(frame: Buffer | string, recvNs: number): void {
    if (this.stopped) return;
    this.options.books.apply(frame, recvNs, this.onRecordedBook);
  }

  private readonly onRecordedBook = (book: L2Book, continuous: boolean): void => {
    const state = this.states.get(book.symbol);
    if (state === undefined) return;
    state.latest = book;
    state.version++;
    const fills = this.fills;
    fills.length = 0;
    state.model.onBook(book, continuous, fills);
    for (const f of fills) {
      if (f.order.remaining1e8 === 0) this.resting.delete(f.order.clientOrderId);
      this.emitFill(f.order.clientOrderId, f.px1e9, f.qty1e8, 'maker');
    }
    this.booksPublished++;
    this.listener?.onBook(book);
  };

  place(request: OrderRequest): void {
    if (this.stopped) return;
    const scheduled = this.options.clock.at(this.options.clock.nowNs + this.latencyNs, () => this.arrive(request));
    if (!scheduled) queueMicrotask(() => this.emit({ kind: 'reject', clientOrderId: request.clientOrderId, code: RejectCode.ExchangeBusy, reason: 'replay venue: too many orders in flight', tsNs: this.options.clock.nowNs }));
  }

  cancel(clientOrderId: string, symbol: string): void {
    if (this.stopped) return;
    const scheduled = this.options.clock.at(this.options.clock.nowNs + this.latencyNs, () => this.cancelArrives(clientOrderId, symbol));
    if (!scheduled) queueMicrotask(() => this.emit({ kind: 'cancelReject', clientOrderId, reason: 'replay venue: too many requests in flight', tsNs: this.options.clock.nowNs }));
  }

  /** A recording has no foreign orders: nothing to cancel. */
  async cancelForeign(_order: VenueOpenOrder): Promise<void> {}

  async snapshot(_known: readonly string[]): Promise<VenueSnapshot> {
    const openOrders: VenueOpenOrder[] = [];
    for (const [clientOrderId, r] of this.resting) openOrders.push({ clientOrderId, venueOrderId: clientOrderId, symbol: r.symbol });
    return { openOrders, recentFills: [] };
  }

  health(): VenueHealth {
    let invalid = 0;
    for (const s of this.states.values()) if (s.latest === null || !s.latest.valid) invalid++;
    return { connection: 'connected', invalidBooks: invalid, resyncs: 0, checksumFailures: this.options.books.failures, sequenceGaps: 0, reconnects: 0, rateHeadroom: 0, rateCapacity: 0, rateLimited: 0, currentAtMs: 0 };
  }

  get openOrders(): number {
    return this.resting.size;
  }

  private arrive(request: OrderRequest): void {
    const { clientOrderId, symbol } = request;
    const state = this.states.get(symbol);
    const invalid = state === undefined ? `replay venue "${this.name}" has no symbol "${symbol}"` : this.seen.has(clientOrderId) ? 'duplicate client order id' : this.offGrid(request);
    this.seen.add(clientOrderId);
    if (invalid !== '' || state === undefined) {
      this.emit({ kind: 'reject', clientOrderId, code: RejectCode.InvalidParams, reason: invalid, tsNs: this.options.clock.nowNs });
      return;
    }
    const engine = this.engineAt(state);
    const result = engine.submit('user', request.side, request.px1e9, request.qty1e8, request.type);
    if (result.status === 'rejected') {
      this.emit({ kind: 'reject', clientOrderId, code: RejectCode.InvalidParams, reason: result.reason, tsNs: this.options.clock.nowNs });
      return;
    }
    const { id, status, reason, remaining1e8 } = result;
    this.emit({ kind: 'ack', clientOrderId, venueOrderId: `${this.name}-o${++this.orderSeq}`, tsNs: this.options.clock.nowNs });
    for (let i = 0; i < engine.fillCount; i++) {
      const f = engine.fillAt(i);
      if (f.takerOwner === 'user') this.emitFill(clientOrderId, f.px1e9, f.qty1e8, 'taker');
    }
    engine.clearFills();
    if (status === 'rested') {
      // The remainder rests in the queue model, which knows its place; the engine only matches arrivals.
      engine.cancel(id);
      const order: RestingOrder = { clientOrderId, side: request.side, px1e9: request.px1e9, remaining1e8, queueAhead1e8: 0 };
      state.model.rest(order, trusted(state.latest));
      this.resting.set(clientOrderId, { symbol, order });
    } else if (status === 'canceled') {
      this.emit({ kind: 'canceled', clientOrderId, reason, tsNs: this.options.clock.nowNs });
    }
  }

  private cancelArrives(clientOrderId: string, symbol: string): void {
    const r = this.resting.get(clientOrderId);
    if (r === undefined || r.symbol !== symbol) {
      const reason = r !== undefined ? `order is on ${r.symbol}, not ${symbol}` : this.seen.has(clientOrderId) ? 'order is already closed' : 'unknown order';
      this.emit({ kind: 'cancelReject', clientOrderId, reason, tsNs: this.options.clock.nowNs });
      return;
    }
    this.states.get(symbol)?.model.remove(clientOrderId);
    this.resting.delete(clientOrderId);
    this.emit({ kind: 'canceled', clientOrderId, reason: CancelReason.Requested, tsNs: this.options.clock.nowNs });
  }

  /** Why a price or quantity is not on the market's grid, or ''. */
  private offGrid(request: OrderRequest): string {
    const meta = this.symbolMeta(request.symbol);
    if (request.type !== OrderType.Market && meta.tickSize1e9 > 0 && request.px1e9 % meta.tickSize1e9 !== 0) return `price ${request.px1e9} (px_1e9) is not a multiple of the tick ${meta.tickSize1e9}`;
    if (meta.lotSize1e8 > 0 && request.qty1e8 % meta.lotSize1e8 !== 0) return `quantity ${request.qty1e8} (qty_1e8) is not a multiple of the lot ${meta.lotSize1e8}`;
    return '';
  }

  /** The symbol's matching engine holding the latest recorded book as resting liquidity (reloaded when the book changed). */
  private engineAt(state: SymbolState): MatchingEngine {
    if (state.engineVersion === state.version) return state.engine;
    const engine = new MatchingEngine();
    const book = trusted(state.latest);
    if (book !== null) {
      for (let i = 0; i < book.bidCount; i++) engine.submit('flow', 1, book.bidPx[i], book.bidSz[i], OrderType.Limit);
      for (let i = 0; i < book.askCount; i++) engine.submit('flow', -1, book.askPx[i], book.askSz[i], OrderType.Limit);
    }
    engine.clearFills();
    state.engine = engine;
    state.engineVersion = state.version;
    return engine;
  }

  private emitFill(clientOrderId: string, px1e9: number, qty1e8: number, liquidity: 'maker' | 'taker'): void {
    const rate = liquidity === 'maker' ? this.makerFeeUnits : this.takerFeeUnits;
    this.emit({
      kind: 'fill',
      clientOrderId,
      fillId: `${this.name}-f${++this.fillSeq}`,
      px1e9,
      qty1e8,
      fee1e9: mulDiv(notional1e9(px1e9, qty1e8), rate, FEE_DIVISOR),
      liquidity,
      tsNs: this.options.clock.nowNs,
    });
  }

  private emit(event: VenueOrderEvent): void {
    this.listener?.onOrderEvent(event);
  }
}

/** A book the decoder has marked invalid (a failed checksum) holds stale levels: none is better. */
function trusted(book: L2Book | null): L2Book | null {
  return book !== null && book.valid ? book : null;
}
