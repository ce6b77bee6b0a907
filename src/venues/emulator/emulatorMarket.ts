import type { SimMarketConfig, SimVenueConfig } from '../../node/configTypes.ts';
import { wallClockNs } from '../../node/clock.ts';
import { notional1e9 } from '../../node/fixedPoint.ts';
import type { OrderType } from '../../wasm/abi.ts';
import { L2Book } from '../book.ts';
import { FairPriceBook } from '../sim/fairPrice.ts';
import { SimVenue } from '../sim/simVenue.ts';
import type { Side, SymbolMeta, VenueOrderEvent, VenueStatus } from '../venue.ts';

// The exchange behind both venue emulators: the sim venue's matching engine and synthetic
// flow, plus the order records an exchange keeps (status, filled quantity, fees, fill
// history), so the Kraken and Coinbase emulators answer their REST and private channels
// from one source and a user's resting order shows in the public book.

export interface EmulatorMarketOptions {
  name: string;
  seed: number;
  markets: SimMarketConfig[];
  /** Default 50. */
  tickIntervalMs?: number;
  makerFeeBps?: number;
  takerFeeBps?: number;
  /** The venue's order id for the n-th order; default `<name>-<n>`. */
  orderIdFor?: (n: number) => string;
}

export type EmulatedStatus = 'open' | 'filled' | 'canceled' | 'rejected';

export interface EmulatedOrder {
  venueOrderId: string;
  clientOrderId: string;
  symbol: string;
  side: Side;
  type: OrderType;
  px1e9: number;
  qty1e8: number;
  filled1e8: number;
  filledNotional1e9: number;
  fee1e9: number;
  status: EmulatedStatus;
  reason: string;
  createdNs: number;
  updatedNs: number;
}

export interface EmulatedFill {
  fillId: string;
  venueOrderId: string;
  clientOrderId: string;
  symbol: string;
  side: Side;
  px1e9: number;
  qty1e8: number;
  fee1e9: number;
  liquidity: 'maker' | 'taker';
  tsNs: number;
}

export interface MarketListener {
  /** After a change of a symbol's top 20 levels. The book object is reused: copy what you keep. */
  onBook?(book: L2Book): void;
  /** Every change of an order (accepted, filled partly or fully, canceled, rejected); `fill` is set for fills. */
  onOrder?(order: EmulatedOrder, fill: EmulatedFill | null): void;
}

export interface PlaceRequest {
  /** '' lets the market make one up. */
  clientOrderId: string;
  symbol: string;
  side: Side;
  type: OrderType;
  px1e9: number;
  qty1e8: number;
}

/** Closed orders kept for lookups (a venue's order history); older ones are forgotten. */
const MAX_CLOSED_ORDERS = 10_000;
const MAX_FILLS = 10_000;

export class EmulatorMarket {
  readonly symbols: readonly string[];
  private readonly venue: SimVenue;
  private readonly listeners = new Set<MarketListener>();
  private readonly byVenueId = new Map<string, EmulatedOrder>();
  private readonly byClientId = new Map<string, EmulatedOrder>();
  private readonly closedOrder: EmulatedOrder[] = [];
  private readonly fillHistory: EmulatedFill[] = [];
  private readonly books = new Map<string, L2Book>();
  /** Outcome waiters keyed by client order id: place() waits for ack or reject, cancel() for canceled or cancelReject. */
  private readonly placeWaiters = new Map<string, (order: EmulatedOrder) => void>();
  private readonly cancelWaiters = new Map<string, (cancelled: boolean) => void>();
  private readonly orderIdFor: (n: number) => string;
  private orderSeq = 0;
  private clientSeq = 0;
  private currentStatus: VenueStatus = 'online';

  constructor(options: EmulatorMarketOptions) {
    const config: SimVenueConfig = {
      kind: 'sim',
      name: options.name,
      seed: options.seed,
      volatilityBps: 2,
      spreadBps: 4,
      depthLevels: 20,
      tickIntervalMs: options.tickIntervalMs ?? 50,
      takerRateHz: 2,
      makerFeeBps: options.makerFeeBps ?? 0,
      takerFeeBps: options.takerFeeBps ?? 0,
      markets: options.markets,
    };
    this.venue = new SimVenue(config, new FairPriceBook(options.seed));
    this.symbols = this.venue.symbols;
    for (const symbol of this.symbols) this.books.set(symbol, new L2Book(symbol));
    const name = options.name;
    this.orderIdFor = options.orderIdFor ?? ((n) => `${name}-${n}`);
  }

  meta(symbol: string): SymbolMeta {
    return this.venue.symbolMeta(symbol);
  }

  subscribe(listener: MarketListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    await this.venue.start({
      onBook: (book) => this.onBook(book),
      onOrderEvent: (event) => this.onEvent(event),
      onStatus: () => {},
      onConnection: () => {},
      onNotice: () => {},
    });
  }

  async stop(): Promise<void> {
    await this.venue.stop();
  }

  get status(): VenueStatus {
    return this.currentStatus;
  }

  /** cancel_only and maintenance make place() reject; cancels pass. */
  setStatus(status: VenueStatus): void {
    this.currentStatus = status;
    this.venue.setStatus(status);
  }

  pauseFeed(paused: boolean): void {
    this.venue.pauseFeed(paused);
  }

  /**
   * Resolves once the venue decided. A client order id seen before returns that order as
   * it is now (idempotent, as Coinbase documents), never a second order.
   */
  place(request: PlaceRequest): Promise<EmulatedOrder> {
    const clientOrderId = request.clientOrderId !== '' ? request.clientOrderId : `emu-${++this.clientSeq}`;
    const existing = this.byClientId.get(clientOrderId);
    if (existing !== undefined) return Promise.resolve(existing);
    const nowNs = wallClockNs();
    const order: EmulatedOrder = {
      venueOrderId: this.orderIdFor(++this.orderSeq),
      clientOrderId,
      symbol: request.symbol,
      side: request.side,
      type: request.type,
      px1e9: request.px1e9,
      qty1e8: request.qty1e8,
      filled1e8: 0,
      filledNotional1e9: 0,
      fee1e9: 0,
      status: 'open',
      reason: '',
      createdNs: nowNs,
      updatedNs: nowNs,
    };
    this.byClientId.set(clientOrderId, order);
    this.byVenueId.set(order.venueOrderId, order);
    const outcome = new Promise<EmulatedOrder>((resolve) => this.placeWaiters.set(clientOrderId, resolve));
    this.venue.place({ clientOrderId, symbol: request.symbol, side: request.side, px1e9: request.px1e9, qty1e8: request.qty1e8, type: request.type });
    return outcome;
  }

  /** By venue or client order id. An order that is not open comes back with cancelled = false. */
  cancel(id: string): Promise<{ order: EmulatedOrder | null; cancelled: boolean }> {
    const order = this.order(id);
    if (order === undefined) return Promise.resolve({ order: null, cancelled: false });
    if (order.status !== 'open' || this.cancelWaiters.has(order.clientOrderId)) return Promise.resolve({ order, cancelled: false });
    const outcome = new Promise<boolean>((resolve) => this.cancelWaiters.set(order.clientOrderId, resolve));
    this.venue.cancel(order.clientOrderId, order.symbol);
    return outcome.then((cancelled) => ({ order, cancelled }));
  }

  /** Cancels every open order; resolves with how many were cancelled. */
  async cancelAll(): Promise<number> {
    const results = await Promise.all(this.openOrders().map((o) => this.cancel(o.venueOrderId)));
    return results.filter((r) => r.cancelled).length;
  }

  order(id: string): EmulatedOrder | undefined {
    return this.byVenueId.get(id) ?? this.byClientId.get(id);
  }

  openOrders(): EmulatedOrder[] {
    const open: EmulatedOrder[] = [];
    for (const order of this.byVenueId.values()) if (order.status === 'open') open.push(order);
    return open;
  }

  /** Fill history (the last 10,000), oldest first; only fills after `afterNs` when given. */
  fills(afterNs = -Infinity): EmulatedFill[] {
    return this.fillHistory.filter((f) => f.tsNs > afterNs);
  }

  /** The latest top 20 levels of a symbol. */
  book(symbol: string): L2Book {
    const book = this.books.get(symbol);
    if (book === undefined) throw new RangeError(`unknown symbol "${symbol}"`);
    return book;
  }

  private onBook(book: L2Book): void {
    this.books.get(book.symbol)?.copyFrom(book);
    for (const listener of this.listeners) listener.onBook?.(book);
  }

  private onEvent(event: VenueOrderEvent): void {
    const order = this.byClientId.get(event.clientOrderId);
    if (order === undefined) return;
    order.updatedNs = event.tsNs;
    const wasOpen = order.status === 'open';
    let fill: EmulatedFill | null = null;
    switch (event.kind) {
      case 'ack':
        break;
      case 'reject':
        order.status = 'rejected';
        order.reason = event.reason;
        break;
      case 'fill':
        order.filled1e8 += event.qty1e8;
        order.filledNotional1e9 += notional1e9(event.px1e9, event.qty1e8);
        order.fee1e9 += event.fee1e9;
        if (order.filled1e8 >= order.qty1e8) order.status = 'filled';
        fill = {
          fillId: event.fillId,
          venueOrderId: order.venueOrderId,
          clientOrderId: order.clientOrderId,
          symbol: order.symbol,
          side: order.side,
          px1e9: event.px1e9,
          qty1e8: event.qty1e8,
          fee1e9: event.fee1e9,
          liquidity: event.liquidity,
          tsNs: event.tsNs,
        };
        this.fillHistory.push(fill);
        if (this.fillHistory.length > MAX_FILLS) this.fillHistory.shift();
        break;
      case 'canceled':
        order.status = 'canceled';
        order.reason = event.reason;
        this.settleCancel(order.clientOrderId, true);
        break;
      case 'cancelReject':
        this.settleCancel(order.clientOrderId, false);
        return;
    }
    for (const listener of this.listeners) listener.onOrder?.(order, fill);
    if (wasOpen && order.status !== 'open') this.retire(order);
    // The sim venue delivers an order's ack and the fills or cancel that follow at once in
    // one flush; place() resolves after that flush, so it reports the order's decided state.
    if (event.kind === 'ack' || event.kind === 'reject') {
      const resolve = this.placeWaiters.get(order.clientOrderId);
      if (resolve !== undefined) {
        this.placeWaiters.delete(order.clientOrderId);
        queueMicrotask(() => resolve(order));
      }
    }
  }

  private settleCancel(clientOrderId: string, cancelled: boolean): void {
    const resolve = this.cancelWaiters.get(clientOrderId);
    if (resolve === undefined) return;
    this.cancelWaiters.delete(clientOrderId);
    resolve(cancelled);
  }

  private retire(order: EmulatedOrder): void {
    this.closedOrder.push(order);
    if (this.closedOrder.length <= MAX_CLOSED_ORDERS) return;
    const old = this.closedOrder.shift() as EmulatedOrder;
    this.byVenueId.delete(old.venueOrderId);
    this.byClientId.delete(old.clientOrderId);
  }
}
