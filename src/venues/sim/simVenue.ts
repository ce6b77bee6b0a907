import type { SimMarketConfig, SimVenueConfig } from '../../node/configTypes.ts';
import { formatDecimalShort, mulDiv, notional1e9, PX_DECIMALS, QTY_DECIMALS } from '../../node/fixedPoint.ts';
import { OrderType, RejectCode, VenueId } from '../../wasm/abi.ts';
import { L2Book } from '../book.ts';
import { UNKNOWN_META, type OrderRequest, type SymbolMeta, type Venue, type VenueHealth, type VenueListener, type VenueOpenOrder, type VenueOrderEvent, type VenueSnapshot, type VenueStatus } from '../venue.ts';
import type { FairPriceBook } from './fairPrice.ts';
import { CancelReason, MatchingEngine } from './matchingEngine.ts';
import { Prng, seedFor } from './prng.ts';
import { SyntheticFlow } from './syntheticFlow.ts';

// The embedded venue: per symbol a matching engine, a synthetic flow around the shared fair
// price, and the L2Book it publishes. User orders enter the same engine as the flow. All
// order outcomes are queued and delivered from a later macrotask (or at the end of a
// tick), never from inside place() or cancel(), as a real venue's would be.

export interface SimVenueOptions {
  /** Nanoseconds since the Unix epoch; default the wall clock. */
  clock?: () => number;
  /** Run tick() every tickIntervalMs from start(); default true. Tests drive tick() themselves. */
  autoTick?: boolean;
  /** Undelivered events at which place() rejects with EXCHANGE_BUSY; default 65,536. */
  maxPendingEvents?: number;
}

export interface SimVenueStats {
  placed: number;
  rejected: number;
  acked: number;
  /** Fill events for user orders. */
  fills: number;
  canceled: number;
  cancelRejects: number;
  /** place() and cancel() calls after stop(), which have no outcome. */
  ignoredAfterStop: number;
  ticks: number;
  booksPublished: number;
  takerOrders: number;
  openUserOrders: number;
}

interface SimMarket {
  readonly config: SimMarketConfig;
  readonly meta: SymbolMeta;
  readonly engine: MatchingEngine;
  readonly flow: SyntheticFlow;
  readonly book: L2Book;
}

interface UserOrder {
  readonly clientOrderId: string;
  readonly engineId: number;
  readonly market: SimMarket;
}

/** Fee rates are applied in units of 1/10,000 bp, so fractional bps up to four decimals are exact. */
const FEE_UNITS_PER_BP = 10_000;
const FEE_DIVISOR = FEE_UNITS_PER_BP * 10_000;
/** Client order ids remembered after their order closes, to refuse a resend; older ones are forgotten. */
const REMEMBERED_CLIENT_IDS = 100_000;
const DEFAULT_MAX_PENDING_EVENTS = 65_536;
/** Delivered events are trimmed from the queue's front once this many have piled up. */
const QUEUE_COMPACT_AT = 1024;

function wallClockNs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1_000_000);
}

/** Decimal places a step needs: a tick of 0.01 (10,000,000 px_1e9) needs 2. */
function decimalsOf(step: number, scaleDecimals: number): number {
  let places = scaleDecimals;
  let rest = step;
  while (places > 0 && rest % 10 === 0) {
    rest /= 10;
    places--;
  }
  return places;
}

function feeUnits(bps: number, what: string): number {
  if (!Number.isFinite(bps)) throw new RangeError(`${what} must be a finite number of bps, got ${bps}`);
  return Math.round(bps * FEE_UNITS_PER_BP);
}

function checkConfig(config: SimVenueConfig): void {
  const where = `sim venue "${config.name}"`;
  if (!Number.isSafeInteger(config.tickIntervalMs) || config.tickIntervalMs < 1) {
    throw new RangeError(`${where}: tickIntervalMs must be a positive integer, got ${config.tickIntervalMs}`);
  }
  if (config.markets.length === 0) throw new RangeError(`${where}: needs at least one market`);
  const seen = new Set<string>();
  for (const m of config.markets) {
    if (seen.has(m.symbol)) throw new RangeError(`${where}: market "${m.symbol}" is listed twice`);
    seen.add(m.symbol);
    if (!Number.isSafeInteger(m.tickSize1e9) || m.tickSize1e9 <= 0) throw new RangeError(`${where}: ${m.symbol} tick size must be a positive integer px_1e9`);
    if (!Number.isSafeInteger(m.lotSize1e8) || m.lotSize1e8 <= 0) throw new RangeError(`${where}: ${m.symbol} lot size must be a positive integer qty_1e8`);
    if (!Number.isSafeInteger(m.minQty1e8) || m.minQty1e8 < 0) throw new RangeError(`${where}: ${m.symbol} min qty must be an integer qty_1e8 >= 0`);
  }
}

export class SimVenue implements Venue {
  readonly kind = 'sim' as const;
  readonly venueId = VenueId.Sim;
  readonly name: string;
  readonly symbols: readonly string[];

  private readonly markets = new Map<string, SimMarket>();
  private readonly marketList: SimMarket[] = [];
  private readonly clock: () => number;
  private readonly autoTick: boolean;
  private readonly maxPendingEvents: number;
  private readonly makerFeeUnits: number;
  private readonly takerFeeUnits: number;

  private readonly liveByClientId = new Map<string, UserOrder>();
  private readonly liveByEngineId = new Map<number, UserOrder>();
  private readonly rememberedIds = new Set<string>();
  private readonly rememberedRing: string[] = [];
  private rememberedNext = 0;

  private readonly pending: VenueOrderEvent[] = [];
  private pendingHead = 0;
  private flushScheduled = false;
  private delivering = false;
  private immediate: NodeJS.Immediate | null = null;
  private timer: NodeJS.Timeout | null = null;
  private listener: VenueListener | null = null;
  private status: VenueStatus = 'online';
  private feedPaused = false;
  private stopped = false;
  private lastTickNs = NaN;
  private orderSeq = 0;
  private fillSeq = 0;
  private readonly counters = { placed: 0, rejected: 0, acked: 0, fills: 0, canceled: 0, cancelRejects: 0, ignoredAfterStop: 0, ticks: 0, booksPublished: 0 };

  constructor(
    private readonly config: SimVenueConfig,
    private readonly fairPrices: FairPriceBook,
    options: SimVenueOptions = {},
  ) {
    checkConfig(config);
    this.name = config.name;
    this.clock = options.clock ?? wallClockNs;
    this.autoTick = options.autoTick ?? true;
    this.maxPendingEvents = options.maxPendingEvents ?? DEFAULT_MAX_PENDING_EVENTS;
    this.makerFeeUnits = feeUnits(config.makerFeeBps, 'makerFeeBps');
    this.takerFeeUnits = feeUnits(config.takerFeeBps, 'takerFeeBps');
    for (const m of config.markets) {
      fairPrices.register(m.symbol, m.startPrice1e9, config.volatilityBps);
      const engine = new MatchingEngine();
      const flow = new SyntheticFlow(
        engine,
        {
          spreadBps: config.spreadBps,
          depthLevels: config.depthLevels,
          takerRateHz: config.takerRateHz,
          tickSize1e9: m.tickSize1e9,
          lotSize1e8: m.lotSize1e8,
          minQty1e8: m.minQty1e8,
          refPrice1e9: m.startPrice1e9,
        },
        new Prng(seedFor(config.seed, m.symbol)),
      );
      const meta: SymbolMeta = {
        tickSize1e9: m.tickSize1e9,
        lotSize1e8: m.lotSize1e8,
        minQty1e8: m.minQty1e8,
        minNotional1e9: 0,
        pricePrecision: decimalsOf(m.tickSize1e9, PX_DECIMALS),
        qtyPrecision: decimalsOf(m.lotSize1e8, QTY_DECIMALS),
      };
      const market: SimMarket = { config: m, meta, engine, flow, book: new L2Book(m.symbol) };
      this.markets.set(m.symbol, market);
      this.marketList.push(market);
    }
    this.symbols = this.marketList.map((m) => m.config.symbol);
  }

  symbolMeta(symbol: string): SymbolMeta {
    return this.markets.get(symbol)?.meta ?? UNKNOWN_META;
  }

  async start(listener: VenueListener): Promise<void> {
    if (this.stopped) throw new Error(`sim venue "${this.name}" was stopped; create a new one`);
    if (this.listener !== null) throw new Error(`sim venue "${this.name}" is already started`);
    this.listener = listener;
    // As a live venue's first frame does (before its start resolves), tell a new listener a status other than online.
    if (this.status !== 'online') listener.onStatus(this.status);
    if (this.autoTick) {
      this.timer = setInterval(() => this.tick(this.clock()), this.config.tickIntervalMs);
      this.tick(this.clock());
    }
    this.scheduleFlush();
  }

  /** Delivers what is already queued, then nothing more: no ticks, books or events after it resolves. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    this.flushScheduled = false;
    const wasStopped = this.stopped;
    // Stopped first, so whatever the listener does during this last flush has no outcome.
    this.stopped = true;
    if (!wasStopped) this.flush(this.clock());
    this.listener = null;
  }

  place(request: OrderRequest): void {
    if (this.stopped) {
      this.counters.ignoredAfterStop++;
      return;
    }
    const nowNs = this.clock();
    this.counters.placed++;
    const { clientOrderId } = request;
    if (this.pending.length - this.pendingHead >= this.maxPendingEvents) {
      this.rejectOrder(clientOrderId, RejectCode.ExchangeBusy, 'venue event queue is full', nowNs);
      return;
    }
    if (this.status === 'cancel_only' || this.status === 'maintenance') {
      this.rejectOrder(clientOrderId, RejectCode.ExchangeBusy, `venue is in ${this.status}`, nowNs);
      return;
    }
    const market = this.validate(request);
    if (typeof market === 'string') {
      this.rejectOrder(clientOrderId, RejectCode.InvalidParams, market, nowNs);
      return;
    }
    const result = market.engine.submit('user', request.side, request.px1e9, request.qty1e8, request.type);
    if (result.status === 'rejected') {
      this.rejectOrder(clientOrderId, RejectCode.InvalidParams, result.reason, nowNs);
      return;
    }
    this.remember(clientOrderId);
    this.enqueue({ kind: 'ack', clientOrderId, venueOrderId: `${this.name}-o${++this.orderSeq}`, tsNs: nowNs });
    this.counters.acked++;
    const order: UserOrder = { clientOrderId, engineId: result.id, market };
    // Registered before its fills are read so they can name it; unregistered if it does not rest.
    this.liveByEngineId.set(result.id, order);
    this.liveByClientId.set(clientOrderId, order);
    const status = result.status;
    const reason = result.reason;
    this.reportFills(market, nowNs);
    if (status !== 'rested') this.retire(order);
    if (status === 'canceled') this.enqueueCanceled(clientOrderId, reason, nowNs);
    this.scheduleFlush();
  }

  cancel(clientOrderId: string, symbol: string): void {
    if (this.stopped) {
      this.counters.ignoredAfterStop++;
      return;
    }
    const nowNs = this.clock();
    const order = this.liveByClientId.get(clientOrderId);
    if (order === undefined || order.market.config.symbol !== symbol) {
      const reason =
        order !== undefined
          ? `order is on ${order.market.config.symbol}, not ${symbol}`
          : this.rememberedIds.has(clientOrderId)
            ? 'order is already closed'
            : 'unknown order';
      this.enqueue({ kind: 'cancelReject', clientOrderId, reason, tsNs: nowNs });
      this.counters.cancelRejects++;
    } else {
      order.market.engine.cancel(order.engineId);
      this.retire(order);
      this.enqueueCanceled(clientOrderId, CancelReason.Requested, nowNs);
    }
    this.scheduleFlush();
  }

  /**
   * Advances every symbol's flow to `nowNs` against the shared fair price, reports fills
   * of user orders, then delivers queued events and publishes the books that changed.
   */
  tick(nowNs: number): void {
    if (this.stopped) return;
    const dtSeconds = Number.isNaN(this.lastTickNs) ? 0 : Math.max(0, (nowNs - this.lastTickNs) / 1e9);
    this.lastTickNs = nowNs;
    this.counters.ticks++;
    for (const market of this.marketList) {
      const { symbol, tickSize1e9 } = market.config;
      market.flow.step(this.fairPrices.fairPrice1e9(symbol, nowNs, tickSize1e9), dtSeconds);
      this.reportFills(market, nowNs);
    }
    this.flush(nowNs);
  }

  /**
   * Fault injection: the venue reports a trading status (delivered asynchronously, as a
   * real venue's status message). While it is `cancel_only` or `maintenance` new orders
   * are rejected with EXCHANGE_BUSY; cancels pass.
   */
  setStatus(status: VenueStatus): void {
    this.status = status;
    // Before start nobody listens; start() reports the status then.
    if (this.listener !== null) setImmediate(() => this.listener?.onStatus(status));
  }

  /** Fault injection: while paused the venue keeps matching but publishes no books (its market data goes stale). */
  pauseFeed(paused: boolean): void {
    this.feedPaused = paused;
  }

  async snapshot(): Promise<VenueSnapshot> {
    const openOrders: VenueOpenOrder[] = [];
    for (const order of this.liveByClientId.values()) {
      openOrders.push({ clientOrderId: order.clientOrderId, venueOrderId: String(order.engineId), symbol: order.market.config.symbol });
    }
    // An embedded venue never loses its link, so the node has seen every fill already.
    return { openOrders, recentFills: [] };
  }

  async cancelForeign(order: VenueOpenOrder): Promise<void> {
    this.cancel(order.clientOrderId, order.symbol);
  }

  health(): VenueHealth {
    return { connection: 'connected', invalidBooks: 0, resyncs: 0, checksumFailures: 0, sequenceGaps: 0, reconnects: 0, rateHeadroom: 0, rateCapacity: 0, rateLimited: 0, currentAtMs: 0 };
  }

  /** Resting user orders across all symbols. */
  openUserOrders(): number {
    return this.liveByClientId.size;
  }

  stats(): SimVenueStats {
    let takerOrders = 0;
    for (const market of this.marketList) takerOrders += market.flow.stats.takerOrders;
    return { ...this.counters, takerOrders, openUserOrders: this.liveByClientId.size };
  }

  /** The request's market when the request is valid, else why it is not. */
  private validate(request: OrderRequest): SimMarket | string {
    const { clientOrderId, side, type, qty1e8, px1e9 } = request;
    if (typeof clientOrderId !== 'string' || clientOrderId === '') return 'client order id must not be empty';
    if (this.liveByClientId.has(clientOrderId) || this.rememberedIds.has(clientOrderId)) return 'duplicate client order id';
    const market = this.markets.get(request.symbol);
    if (market === undefined) return `unknown symbol "${request.symbol}"`;
    if (side !== 1 && side !== -1) return `side must be 1 (buy) or -1 (sell), got ${String(side)}`;
    if (!Number.isInteger(type) || type < OrderType.Limit || type > OrderType.PostOnly) return `unknown order type ${String(type)}`;
    const { lotSize1e8, minQty1e8, tickSize1e9 } = market.meta;
    if (!Number.isSafeInteger(qty1e8) || qty1e8 <= 0) return `quantity must be a positive integer qty_1e8, got ${qty1e8}`;
    if (qty1e8 % lotSize1e8 !== 0) {
      return `quantity ${formatDecimalShort(qty1e8, QTY_DECIMALS)} is not a multiple of the lot size ${formatDecimalShort(lotSize1e8, QTY_DECIMALS)}`;
    }
    if (qty1e8 < minQty1e8) {
      return `quantity ${formatDecimalShort(qty1e8, QTY_DECIMALS)} is under the minimum ${formatDecimalShort(minQty1e8, QTY_DECIMALS)}`;
    }
    if (type === OrderType.Market) return market;
    if (!Number.isSafeInteger(px1e9) || px1e9 <= 0) return `price must be a positive integer px_1e9, got ${px1e9}`;
    if (px1e9 % tickSize1e9 !== 0) {
      return `price ${formatDecimalShort(px1e9, PX_DECIMALS)} is not on the tick grid ${formatDecimalShort(tickSize1e9, PX_DECIMALS)}`;
    }
    return market;
  }

  /** Turns the engine's undrained fills into fill events for the user orders on either side. */
  private reportFills(market: SimMarket, nowNs: number): void {
    const engine = market.engine;
    const count = engine.fillCount;
    for (let i = 0; i < count; i++) {
      const fill = engine.fillAt(i);
      if (fill.takerOwner === 'user') {
        const taker = this.liveByEngineId.get(fill.takerId);
        if (taker !== undefined) this.enqueueFill(taker, fill.px1e9, fill.qty1e8, 'taker', nowNs);
      }
      if (fill.makerOwner === 'user') {
        const maker = this.liveByEngineId.get(fill.makerId);
        if (maker !== undefined) {
          this.enqueueFill(maker, fill.px1e9, fill.qty1e8, 'maker', nowNs);
          if (fill.makerRemaining1e8 === 0) this.retire(maker);
        }
      }
    }
    engine.clearFills();
  }

  private enqueueFill(order: UserOrder, px1e9: number, qty1e8: number, liquidity: 'maker' | 'taker', nowNs: number): void {
    const rate = liquidity === 'maker' ? this.makerFeeUnits : this.takerFeeUnits;
    this.enqueue({
      kind: 'fill',
      clientOrderId: order.clientOrderId,
      fillId: `${this.name}-f${++this.fillSeq}`,
      px1e9,
      qty1e8,
      fee1e9: mulDiv(notional1e9(px1e9, qty1e8), rate, FEE_DIVISOR),
      liquidity,
      tsNs: nowNs,
    });
    this.counters.fills++;
  }

  private enqueueCanceled(clientOrderId: string, reason: string, nowNs: number): void {
    this.enqueue({ kind: 'canceled', clientOrderId, reason, tsNs: nowNs });
    this.counters.canceled++;
  }

  private rejectOrder(clientOrderId: string, code: RejectCode, reason: string, nowNs: number): void {
    this.enqueue({ kind: 'reject', clientOrderId, code, reason, tsNs: nowNs });
    this.counters.rejected++;
    this.scheduleFlush();
  }

  private retire(order: UserOrder): void {
    this.liveByEngineId.delete(order.engineId);
    this.liveByClientId.delete(order.clientOrderId);
  }

  private remember(clientOrderId: string): void {
    const evicted = this.rememberedRing[this.rememberedNext];
    if (evicted !== undefined) this.rememberedIds.delete(evicted);
    this.rememberedRing[this.rememberedNext] = clientOrderId;
    this.rememberedIds.add(clientOrderId);
    this.rememberedNext = (this.rememberedNext + 1) % REMEMBERED_CLIENT_IDS;
  }

  private enqueue(event: VenueOrderEvent): void {
    this.pending.push(event);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.listener === null || this.stopped) return;
    this.flushScheduled = true;
    this.immediate = setImmediate(() => {
      this.flushScheduled = false;
      this.immediate = null;
      this.flush(this.clock());
    });
  }

  /**
   * Delivers the events queued when it begins, then publishes changed books. Events the
   * listener causes while this runs wait for the next flush, so each call is bounded.
   */
  private flush(nowNs: number): void {
    const listener = this.listener;
    if (listener === null || this.delivering) return;
    this.delivering = true;
    try {
      const end = this.pending.length;
      while (this.pendingHead < end) {
        const event = this.pending[this.pendingHead++];
        listener.onOrderEvent(event);
      }
      for (const market of this.marketList) {
        if (this.feedPaused) break;
        if (market.engine.writeL2(market.book)) {
          market.book.recvNs = nowNs;
          this.counters.booksPublished++;
          listener.onBook(market.book);
        }
      }
    } finally {
      this.delivering = false;
      this.compactQueue();
    }
    if (this.pendingHead < this.pending.length) this.scheduleFlush();
  }

  private compactQueue(): void {
    if (this.pendingHead === this.pending.length) {
      this.pending.length = 0;
      this.pendingHead = 0;
    } else if (this.pendingHead >= QUEUE_COMPACT_AT) {
      this.pending.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
  }
}
