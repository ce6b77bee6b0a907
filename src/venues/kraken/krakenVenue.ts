import type { KrakenVenueConfig } from '../../node/configTypes.ts';
import { wallClockNs } from '../../node/clock.ts';
import { latencyTrace } from '../../node/latencyTrace.ts';
import { PX_DECIMALS, QTY_DECIMALS, formatDecimal } from '../../node/fixedPoint.ts';
import { OrderType, RejectCode, VenueId } from '../../wasm/abi.ts';
import type { L2Book } from '../book.ts';
import type { KrakenCredentials } from '../credentials.ts';
import { RateLimiter } from '../rateLimiter.ts';
import {
  UNKNOWN_META,
  type ConnectionState,
  type OrderRequest,
  type SymbolMeta,
  type Venue,
  type VenueHealth,
  type VenueListener,
  type VenueOpenOrder,
  type VenueOrderEvent,
  type VenueSnapshot,
} from '../venue.ts';
import { KrakenBookFeed } from './krakenBookFeed.ts';
import { KrakenClientIdMap } from './krakenClientId.ts';
import { type ExecutionReport, KrakenExecutions } from './krakenExecutions.ts';
import { type AddOrderRequest, type GatewayResult, type KrakenMarket, KrakenGateway, type KrakenOrderKind, KrakenStartError } from './krakenGateway.ts';
import { KrakenWsOrders } from './krakenWsOrders.ts';

// Kraken as a Venue: the public book feed (KrakenBookFeed), the REST API through ccxt
// (KrakenGateway), the private link (KrakenExecutions: the executions channel, and order
// entry over it by KrakenWsOrders), the cl_ord_id map and the per-venue RateLimiter.
// With order_entry "ws", orders and cancels go over the private link while it is
// subscribed, else over REST: a link that is down costs latency, never an order. An
// order's outcome can reach us twice (the answer and the executions channel, or the
// channel and reconciliation); each order keeps what it has reported so the node sees at
// most one ack, each fill once, and at most one end.
// The dead man's switch (CancelAllOrdersAfter) is armed at start, re-armed every third of
// its timeout and disarmed on stop; a failed re-arm is counted in health().deadManFailures
// with its reason in deadManLastError.

export interface KrakenVenueOptions {
  /** Market-data and private-link ping cadence; default 5000. */
  pingIntervalMs?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** ccxt's REST timeout; default 10,000. */
  requestTimeoutMs?: number;
  /** Re-arm cadence of the dead man's switch; default a third of deadManTimeoutSec. */
  deadManRearmMs?: number;
  /** After an AddOrder whose answer was lost, how long to wait for the channel before asking the venue; default 5000. */
  lostAckCheckMs?: number;
  /** start() fails when both links are not up within this; default 30,000. */
  startTimeoutMs?: number;
  /** Sees every market-data frame as received (`sequence run --record`); the frame is valid only during the call. */
  onFrame?: (frame: Buffer, recvNs: number) => void;
}

export interface KrakenVenueHealth extends VenueHealth {
  deadManArmed: boolean;
  /** Dead man's switch calls (arm or re-arm) that failed. */
  deadManFailures: number;
  deadManLastError: string;
}

interface TrackedOrder {
  nodeId: string;
  wireId: string;
  venueOrderId: string;
  acked: boolean;
  /** When it was acknowledged, in ack order; reconciliation only closes orders acknowledged before it began. */
  ackSeq: number;
  done: boolean;
}

/** What places and cancels orders: the private WebSocket or REST. */
interface OrderEntry {
  addOrder(request: AddOrderRequest): Promise<GatewayResult<string>>;
  cancelByClientId(clOrdId: string): Promise<GatewayResult<number>>;
}

/** Open orders tracked at once; past this new orders are refused. */
const MAX_TRACKED_ORDERS = 20_000;
/** Fill ids, and ended orders, remembered to drop what is reported twice. */
const MAX_SEEN_FILLS = 20_000;
const MAX_FINISHED = 20_000;

export class KrakenVenue implements Venue {
  readonly kind = 'kraken' as const;
  readonly venueId = VenueId.Kraken;
  readonly name: string;
  readonly symbols: readonly string[];
  private listener: VenueListener | null = null;
  private stopped = false;
  private gateway: KrakenGateway | null = null;
  private bookFeed: KrakenBookFeed | null = null;
  private executions: KrakenExecutions | null = null;
  private wsOrders: KrakenWsOrders | null = null;
  private readonly markets = new Map<string, KrakenMarket>();
  private readonly ids = new KrakenClientIdMap();
  private readonly limiter: RateLimiter;
  private readonly orders = new Map<string, TrackedOrder>();
  private readonly byTxid = new Map<string, TrackedOrder>();
  private readonly seenFills = new Set<string>();
  /** Wire ids of orders that ended, so a late or repeated report cannot revive them. */
  private readonly finished = new Set<string>();
  private ackCount = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private deadManTimer: NodeJS.Timeout | null = null;
  private bookState: ConnectionState = 'connecting';
  private execState: ConnectionState = 'connecting';
  private state: ConnectionState = 'connecting';
  private everConnected = false;
  private connectedResolve: (() => void) | null = null;
  private readonly counters = { reconnects: 0, rateLimited: 0, deadManFailures: 0 };
  private deadManArmed = false;
  private deadManLastError = '';

  constructor(
    private readonly config: KrakenVenueConfig,
    symbols: string[],
    /** Read and checked by krakenCredentials() before the venue is made. */
    private readonly credentials: KrakenCredentials,
    private readonly options: KrakenVenueOptions = {},
  ) {
    if (symbols.length === 0) throw new RangeError(`Kraken venue "${config.name}" needs at least one symbol`);
    if (!(Number.isFinite(config.deadManTimeoutSec) && config.deadManTimeoutSec >= 0 && config.deadManTimeoutSec < 86_400)) {
      throw new RangeError(`deadManTimeoutSec must be 0 (off) or between 1 and 86399, got ${config.deadManTimeoutSec}`);
    }
    this.name = config.name;
    this.symbols = [...symbols];
    this.limiter = new RateLimiter(config.rateLimitBurst, config.rateLimitPerSec);
  }

  /** Unknown (zeros) until start() loads the markets: Bootstrap replays callbacks before the venue starts. */
  symbolMeta(symbol: string): SymbolMeta {
    return this.markets.get(symbol)?.meta ?? UNKNOWN_META;
  }

  async start(listener: VenueListener): Promise<void> {
    if (this.listener !== null) throw new Error(`Kraken venue "${this.name}" already started`);
    const gateway = new KrakenGateway({ restUrl: this.config.restUrl, credentials: this.credentials, timeoutMs: this.options.requestTimeoutMs });
    for (const [symbol, market] of await gateway.loadMarkets(this.symbols)) this.markets.set(symbol, market);
    // The first private call proves the key before anything is started.
    const token = await gateway.webSocketsToken();
    if (!token.ok) throw new KrakenStartError(`Kraken refused the API key (GetWebSocketsToken): ${token.reason}`);
    this.gateway = gateway;
    this.listener = listener;
    if (this.config.deadManTimeoutSec > 0) {
      const armed = await gateway.cancelAllOrdersAfter(this.config.deadManTimeoutSec);
      if (!armed.ok) throw new KrakenStartError(`Kraken dead man's switch could not be armed: ${armed.reason}`);
      this.deadManArmed = true;
      const everyMs = this.options.deadManRearmMs ?? (this.config.deadManTimeoutSec * 1000) / 3;
      this.deadManTimer = setInterval(() => void this.rearmDeadMan(), everyMs);
    }
    let firstToken: string | null = token.value;
    if (this.config.orderEntry === 'ws') {
      this.wsOrders = new KrakenWsOrders({
        send: (text) => this.executions?.send(text) ?? false,
        token: () => this.executions?.token ?? '',
        failureFor: (text) => gateway.failureForText(text),
        timeoutMs: this.options.requestTimeoutMs,
      });
    }
    const connected = new Promise<void>((resolve) => (this.connectedResolve = resolve));
    this.executions = new KrakenExecutions({
      url: this.config.wsAuthUrl,
      fetchToken: async () => {
        // The token fetched at start serves the first connection; every reconnect gets a fresh one.
        if (firstToken !== null) {
          const t = firstToken;
          firstToken = null;
          return t;
        }
        const fresh = await gateway.webSocketsToken();
        if (!fresh.ok) throw new Error(fresh.reason);
        return fresh.value;
      },
      handlers: {
        onSnapshot: (reports) => this.onExecutionSnapshot(reports),
        onExecution: (report) => this.onExecution(report),
        onConnection: (state, reason) => {
          this.execState = state;
          if (state !== 'connected') this.wsOrders?.linkLost(reason);
          this.updateConnection(reason);
        },
        onOrderAnswer: (frame) => this.wsOrders?.onAnswer(frame),
      },
      pingIntervalMs: this.options.pingIntervalMs,
      backoffMinMs: this.options.backoffMinMs,
      backoffMaxMs: this.options.backoffMaxMs,
    });
    this.bookFeed = new KrakenBookFeed({
      url: this.config.wsUrl,
      symbols: this.symbols,
      depth: this.config.depth,
      handlers: {
        onBook: (book: L2Book) => {
          if (!this.stopped) listener.onBook(book);
        },
        onStatus: (status) => {
          if (!this.stopped) listener.onStatus(status);
        },
        onConnection: (state, reason) => {
          this.bookState = state;
          this.updateConnection(reason);
        },
        onNotice: (message) => {
          if (!this.stopped) listener.onNotice(message);
        },
      },
      pingIntervalMs: this.options.pingIntervalMs,
      backoffMinMs: this.options.backoffMinMs,
      backoffMaxMs: this.options.backoffMaxMs,
      onFrame: this.options.onFrame,
    });
    this.executions.start();
    this.bookFeed.start();
    const timeoutMs = this.options.startTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const outcome = await Promise.race([connected, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      const links = `book feed ${this.bookState}, executions ${this.execState}`;
      await this.stop();
      throw new KrakenStartError(`Kraken venue "${this.name}" did not connect within ${timeoutMs} ms (${links})`);
    }
  }

  place(request: OrderRequest): void {
    if (this.stopped || this.gateway === null) return;
    const { clientOrderId, symbol } = request;
    const market = this.markets.get(symbol);
    const invalid = market === undefined ? `unknown symbol "${symbol}"` : this.invalidReason(request, market);
    if (invalid !== null) return this.later({ kind: 'reject', clientOrderId, code: RejectCode.InvalidParams, reason: invalid, tsNs: wallClockNs() });
    if (this.orders.size >= MAX_TRACKED_ORDERS) {
      return this.later({ kind: 'reject', clientOrderId, code: RejectCode.ExchangeBusy, reason: `${MAX_TRACKED_ORDERS} orders already open through this adapter`, tsNs: wallClockNs() });
    }
    if (!this.limiter.tryTake()) {
      return this.later({
        kind: 'reject',
        clientOrderId,
        code: RejectCode.RateLimit,
        reason: `local rate limiter: ${this.config.rateLimitBurst} orders at once, ${this.config.rateLimitPerSec}/s`,
        tsNs: wallClockNs(),
      });
    }
    const m = market as KrakenMarket;
    const wireId = this.ids.wireFor(clientOrderId);
    const order: TrackedOrder = { nodeId: clientOrderId, wireId, venueOrderId: '', acked: false, ackSeq: 0, done: false };
    this.orders.set(wireId, order);
    const kind: KrakenOrderKind = request.type === OrderType.Market ? 'market' : request.type === OrderType.Ioc ? 'ioc' : request.type === OrderType.PostOnly ? 'post' : 'limit';
    if (latencyTrace.on) latencyTrace.handed();
    void this.orderEntry()
      .addOrder({
        symbol,
        side: request.side,
        kind,
        price: formatDecimal(request.px1e9, PX_DECIMALS, m.meta.pricePrecision),
        volume: formatDecimal(request.qty1e8, QTY_DECIMALS, m.meta.qtyPrecision),
        clOrdId: wireId,
      })
      .then((result) => {
        if (result.ok) return this.ack(order, result.value, wallClockNs());
        if (result.unknownOutcome) return this.checkLostAck(order, result.reason);
        if (result.rateLimited) this.counters.rateLimited++;
        this.finishRejected(order, result.code, result.reason);
      });
  }

  /** A turn's requests over the private WebSocket leave in one write (REST calls are not held). */
  holdWrites(): void {
    this.executions?.holdWrites();
  }

  releaseWrites(): void {
    this.executions?.releaseWrites();
  }

  /** Kraken cancels by cl_ord_id alone; the symbol is not needed. */
  cancel(clientOrderId: string, _symbol: string): void {
    if (this.stopped || this.gateway === null) return;
    const wireId = this.ids.wireFor(clientOrderId);
    let order = this.orders.get(wireId);
    // An order this adapter did not place (the node restarted): tracked from here so the
    // channel's `canceled` finds it.
    const adopted = order === undefined && !this.finished.has(wireId);
    if (order === undefined) {
      order = { nodeId: clientOrderId, wireId, venueOrderId: '', acked: true, ackSeq: 0, done: false };
      if (adopted) this.orders.set(wireId, order);
    }
    const tracked = order;
    void this.orderEntry().cancelByClientId(wireId).then((result) => {
      if (!result.ok) {
        if (adopted && !tracked.done) this.orders.delete(wireId);
        if (result.rateLimited) this.counters.rateLimited++;
        this.emit({ kind: 'cancelReject', clientOrderId, reason: result.reason, tsNs: wallClockNs() });
        return;
      }
      // With the channel up, its `canceled` comes in order after any fill; without it the
      // answer is all there is.
      if (this.execState !== 'connected') this.finishCanceled(tracked, 'canceled on request', wallClockNs());
    });
  }

  /** The private link while it is subscribed (with order_entry "ws"), else REST. */
  private orderEntry(): OrderEntry {
    if (this.wsOrders !== null && this.execState === 'connected') return this.wsOrders;
    return this.gateway as KrakenGateway;
  }

  /** Cancels every open order of the account (CancelAll); each order's `canceled` follows through the channel. */
  async cancelAll(): Promise<number> {
    if (this.gateway === null) throw new Error(`Kraken venue "${this.name}" is not started`);
    const result = await this.gateway.cancelAll();
    if (!result.ok) throw new Error(`Kraken CancelAll failed: ${result.reason}`);
    return result.value;
  }

  async cancelForeign(order: VenueOpenOrder): Promise<void> {
    if (this.gateway === null) throw new Error(`Kraken venue "${this.name}" is not started`);
    const result = await this.gateway.cancelByTxid(order.venueOrderId);
    if (!result.ok) throw new Error(`Kraken could not cancel ${order.venueOrderId}: ${result.reason}`);
  }

  async snapshot(known: readonly string[]): Promise<VenueSnapshot> {
    const gateway = this.gateway;
    if (gateway === null) throw new Error(`Kraken venue "${this.name}" is not started`);
    this.ids.rebuild(known);
    const ackedBefore = this.ackCount;
    const open = await gateway.openOrders();
    if (!open.ok) throw new Error(`Kraken OpenOrders failed: ${open.reason}`);
    const closed = await gateway.closedOrders();
    if (!closed.ok) throw new Error(`Kraken ClosedOrders failed: ${closed.reason}`);
    const trades = await gateway.tradesHistory();
    if (!trades.ok) throw new Error(`Kraken TradesHistory failed: ${trades.reason}`);
    const nodeIdByTxid = new Map<string, string>();
    for (const o of [...open.value, ...closed.value]) {
      const nodeId = o.clOrdId === '' ? undefined : this.ids.nodeIdFor(o.clOrdId);
      if (nodeId !== undefined) nodeIdByTxid.set(o.txid, nodeId);
    }
    for (const [txid, order] of this.byTxid) nodeIdByTxid.set(txid, order.nodeId);
    const openOrders: VenueOpenOrder[] = open.value.map((o) => ({ clientOrderId: nodeIdByTxid.get(o.txid) ?? '', venueOrderId: o.txid, symbol: o.symbol }));
    // The node closes what is not open at the venue; later reports of those are stale.
    const openWire = new Set(open.value.map((o) => o.clOrdId.toLowerCase()));
    for (const order of [...this.orders.values()]) if (order.acked && order.ackSeq <= ackedBefore && !openWire.has(order.wireId)) this.retire(order);
    const recentFills: VenueSnapshot['recentFills'] = [];
    for (const t of trades.value) {
      const nodeId = nodeIdByTxid.get(t.orderTxid);
      if (nodeId === undefined || this.seenFills.has(t.tradeId)) continue;
      this.rememberFill(t.tradeId);
      recentFills.push({ kind: 'fill', clientOrderId: nodeId, fillId: t.tradeId, px1e9: t.px1e9, qty1e8: t.qty1e8, fee1e9: t.fee1e9, liquidity: t.liquidity, tsNs: Math.round(t.timeSec * 1e9) });
    }
    return { openOrders, recentFills };
  }

  health(): KrakenVenueHealth {
    const book = this.bookFeed?.health();
    return {
      connection: this.state,
      invalidBooks: book?.invalidBooks ?? this.symbols.length,
      resyncs: book?.resyncs ?? 0,
      checksumFailures: book?.checksumFailures ?? 0,
      sequenceGaps: this.executions?.sequenceGaps ?? 0,
      reconnects: this.counters.reconnects,
      rateHeadroom: this.limiter.headroom(),
      rateCapacity: this.limiter.capacity,
      rateLimited: this.counters.rateLimited,
      currentAtMs: book?.currentAtMs ?? 0,
      deadManArmed: this.deadManArmed,
      deadManFailures: this.counters.deadManFailures,
      deadManLastError: this.deadManLastError,
    };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.deadManTimer !== null) clearInterval(this.deadManTimer);
    this.deadManTimer = null;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (this.deadManArmed && this.gateway !== null) {
      const disarmed = await this.gateway.cancelAllOrdersAfter(0);
      if (disarmed.ok) this.deadManArmed = false;
      else this.deadManFailure(disarmed.reason);
    }
    this.wsOrders?.close();
    await Promise.all([this.executions?.stop(), this.bookFeed?.stop()]);
    this.listener = null;
  }

  private invalidReason(request: OrderRequest, market: KrakenMarket): string | null {
    const { meta } = market;
    if (request.type === OrderType.Fok) return 'Kraken spot has no fill-or-kill: time in force is GTC, IOC or GTD only';
    if (!(Number.isSafeInteger(request.qty1e8) && request.qty1e8 > 0)) return `quantity must be a positive integer qty_1e8, got ${request.qty1e8}`;
    if (request.qty1e8 % meta.lotSize1e8 !== 0) return `quantity ${formatDecimal(request.qty1e8, QTY_DECIMALS)} has more than the pair's ${meta.qtyPrecision} decimals`;
    if (request.type === OrderType.Market) return null;
    if (!(Number.isSafeInteger(request.px1e9) && request.px1e9 > 0)) return `price must be a positive integer px_1e9, got ${request.px1e9}`;
    if (request.px1e9 % meta.tickSize1e9 !== 0) return `price ${formatDecimal(request.px1e9, PX_DECIMALS)} is not on the pair's tick ${formatDecimal(meta.tickSize1e9, PX_DECIMALS)}`;
    return null;
  }

  private async rearmDeadMan(): Promise<void> {
    if (this.stopped || this.gateway === null) return;
    const result = await this.gateway.cancelAllOrdersAfter(this.config.deadManTimeoutSec);
    if (result.ok) this.deadManArmed = true;
    else this.deadManFailure(result.reason);
  }

  private deadManFailure(reason: string): void {
    this.counters.deadManFailures++;
    this.deadManLastError = reason;
    if (!this.stopped) this.listener?.onNotice(`the dead man's switch could not be armed: ${reason}`);
  }

  /** The order's answer was lost: the channel normally reports the order; if it has not in time, ask the venue. */
  private checkLostAck(order: TrackedOrder, reason: string): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (order.acked || order.done || this.gateway === null) return;
      const gateway = this.gateway;
      void (async () => {
        const open = await gateway.openOrders(order.wireId);
        const closed = open.ok && open.value.length === 0 ? await gateway.closedOrders(order.wireId) : null;
        if (order.acked || order.done) return;
        if (!open.ok || (closed !== null && !closed.ok)) return this.checkLostAck(order, reason);
        const found = open.value[0] ?? (closed !== null && closed.ok ? closed.value[0] : undefined);
        if (found === undefined) return this.finishRejected(order, RejectCode.Network, `order not at Kraken after its request failed: ${reason}`);
        this.ack(order, found.txid, wallClockNs());
        if (found.status === 'canceled' || found.status === 'expired') this.finishCanceled(order, found.status, wallClockNs());
      })();
    }, this.options.lostAckCheckMs ?? 5000);
    this.timers.add(timer);
  }

  private onExecutionSnapshot(reports: ExecutionReport[]): void {
    for (const report of reports) {
      const order = this.orderFor(report);
      if (order !== undefined) this.ack(order, report.orderId, report.tsNs);
    }
  }

  private onExecution(report: ExecutionReport): void {
    const order = this.orderFor(report);
    if (order === undefined || order.done) return;
    switch (report.execType) {
      case 'pending_new':
      case 'new':
        this.ack(order, report.orderId, report.tsNs);
        return;
      case 'trade':
        this.ack(order, report.orderId, report.tsNs);
        if (report.execId === '' || this.seenFills.has(report.execId)) return;
        this.rememberFill(report.execId);
        this.emit({
          kind: 'fill',
          clientOrderId: order.nodeId,
          fillId: report.execId,
          px1e9: report.lastPx1e9,
          qty1e8: report.lastQty1e8,
          fee1e9: report.fee1e9,
          liquidity: report.liquidity,
          tsNs: report.tsNs,
        });
        return;
      case 'filled':
        this.retire(order);
        return;
      case 'canceled':
      case 'expired':
        this.ack(order, report.orderId, report.tsNs);
        this.finishCanceled(order, report.reason !== '' ? report.reason : report.execType, report.tsNs);
        return;
      default:
        return;
    }
  }

  private orderFor(report: ExecutionReport): TrackedOrder | undefined {
    if (report.clOrdId === '') return this.byTxid.get(report.orderId);
    const wire = report.clOrdId.toLowerCase();
    const tracked = this.orders.get(wire);
    if (tracked !== undefined || this.finished.has(wire)) return tracked;
    // An order of this node placed before a restart, known through snapshot(known).
    const nodeId = this.ids.nodeIdFor(wire);
    if (nodeId === undefined) return undefined;
    const order: TrackedOrder = { nodeId, wireId: wire, venueOrderId: report.orderId, acked: true, ackSeq: 0, done: false };
    this.orders.set(wire, order);
    this.byTxid.set(report.orderId, order);
    return order;
  }

  private ack(order: TrackedOrder, venueOrderId: string, tsNs: number): void {
    if (order.acked || order.done) return;
    order.acked = true;
    order.ackSeq = ++this.ackCount;
    order.venueOrderId = venueOrderId;
    this.byTxid.set(venueOrderId, order);
    this.emit({ kind: 'ack', clientOrderId: order.nodeId, venueOrderId, tsNs });
  }

  private finishRejected(order: TrackedOrder, code: RejectCode, reason: string): void {
    if (order.acked || order.done) return;
    this.retire(order);
    this.emit({ kind: 'reject', clientOrderId: order.nodeId, code, reason, tsNs: wallClockNs() });
  }

  private finishCanceled(order: TrackedOrder, reason: string, tsNs: number): void {
    if (order.done) return;
    this.retire(order);
    this.emit({ kind: 'canceled', clientOrderId: order.nodeId, reason, tsNs });
  }

  private retire(order: TrackedOrder): void {
    order.done = true;
    this.orders.delete(order.wireId);
    this.finished.add(order.wireId);
    if (this.finished.size > MAX_FINISHED) this.finished.delete(this.finished.values().next().value as string);
    if (order.venueOrderId !== '') this.byTxid.delete(order.venueOrderId);
  }

  private rememberFill(fillId: string): void {
    this.seenFills.add(fillId);
    if (this.seenFills.size > MAX_SEEN_FILLS) this.seenFills.delete(this.seenFills.values().next().value as string);
  }

  private updateConnection(reason: string): void {
    const next: ConnectionState =
      this.bookState === 'connected' && this.execState === 'connected' ? 'connected' : this.everConnected ? 'disconnected' : 'connecting';
    if (next === this.state) return;
    this.state = next;
    if (next === 'connected') {
      if (this.everConnected) this.counters.reconnects++;
      this.everConnected = true;
      this.connectedResolve?.();
      this.connectedResolve = null;
    }
    if (!this.stopped) this.listener?.onConnection(next, reason);
  }

  /** An outcome decided inside place(): delivered after the call returns, never inside it. */
  private later(event: VenueOrderEvent): void {
    setImmediate(() => this.emit(event));
  }

  private emit(event: VenueOrderEvent): void {
    if (this.stopped) return;
    this.listener?.onOrderEvent(event);
  }
}
