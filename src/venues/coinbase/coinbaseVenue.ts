import type { CoinbaseVenueConfig } from '../../node/configTypes.ts';
import { wallClockNs } from '../../node/clock.ts';
import { DecimalError } from '../../node/fixedPoint.ts';
import { OrderType, RejectCode, VenueId } from '../../wasm/abi.ts';
import type { L2Book } from '../book.ts';
import type { CoinbaseCredentials } from '../credentials.ts';
import { RateLimiter } from '../rateLimiter.ts';
import { UNKNOWN_META, type ConnectionState, type OrderRequest, type SymbolMeta, type Venue, type VenueHealth, type VenueListener, type VenueOpenOrder, type VenueOrderEvent, type VenueSnapshot } from '../venue.ts';
import { CoinbaseBookFeed } from './coinbaseBookFeed.ts';
import { CoinbaseGateway, mapCoinbaseError, type WireFill } from './coinbaseGateway.ts';
import { buildJwt, privateKeyFromPem } from './coinbaseJwt.ts';
import { CoinbaseOrderTracker } from './coinbaseOrderTracker.ts';
import { CoinbaseUserFeed } from './coinbaseUserFeed.ts';
import { toProductId } from './productId.ts';

// The Coinbase Advanced Trade venue: market data from CoinbaseBookFeed, order entry from
// CoinbaseGateway (ccxt), order outcomes from the user channel (CoinbaseUserFeed) turned
// into node events by CoinbaseOrderTracker, and the per-venue RateLimiter in front of
// every order and cancel. The link counts as connected only while both sockets are up.

export interface CoinbaseVenueOptions {
  /** REST request timeout; default 10,000. */
  restTimeoutMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** No frame on a socket for this long means it is dead; default 5000. */
  silenceTimeoutMs?: number;
  /** start() fails when both sockets are not up by then; default 15,000. */
  connectTimeoutMs?: number;
  /** Sees every market-data frame as received (`sequence run --record`); the frame is valid only during the call. */
  onFrame?: (frame: Buffer, recvNs: number) => void;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
/** Client order ids a snapshot resolves through GET orders/historical/{id} at most: a bound on its requests. */
const MAX_ORDER_LOOKUPS = 50;
export class CoinbaseVenue implements Venue {
  readonly kind = 'coinbase' as const;
  readonly venueId = VenueId.Coinbase;
  readonly name: string;
  readonly symbols: readonly string[];

  private readonly limiter: RateLimiter;
  private readonly tracker: CoinbaseOrderTracker;
  private metas = new Map<string, SymbolMeta>();
  private gateway: CoinbaseGateway | null = null;
  private bookFeed: CoinbaseBookFeed | null = null;
  private userFeed: CoinbaseUserFeed | null = null;
  private listener: VenueListener | null = null;
  private stopped = false;
  private bookState: ConnectionState = 'disconnected';
  private userState: ConnectionState = 'disconnected';
  private linkState: ConnectionState = 'connecting';
  private rateLimited = 0;
  /** Resolves start() once both sockets are first up. */
  private onFirstConnect: () => void = () => {};
  /** Venue order id -> client order id of orders this venue found are not the node's, so a snapshot looks each up once. */
  private readonly foreignIds = new Map<string, string>();

  constructor(
    private readonly config: CoinbaseVenueConfig,
    symbols: string[],
    private readonly credentials: CoinbaseCredentials,
    private readonly options: CoinbaseVenueOptions = {},
  ) {
    if (symbols.length === 0) throw new RangeError(`coinbase venue "${config.name}" needs at least one symbol`);
    symbols.forEach(toProductId);
    this.name = config.name;
    this.symbols = [...symbols];
    this.limiter = new RateLimiter(config.rateLimitBurst, config.rateLimitPerSec);
    this.tracker = new CoinbaseOrderTracker({
      emit: (event) => this.emit(event),
      fetchFills: async (venueOrderId) => (this.gateway === null ? [] : this.gateway.fills({ venueOrderIds: [venueOrderId] })),
      sendCancel: (clientOrderId, venueOrderId) => void this.sendCancel(clientOrderId, venueOrderId),
      notice: (message) => {
        if (!this.stopped) this.listener?.onNotice(message);
      },
      clockNs: wallClockNs,
    });
  }

  symbolMeta(symbol: string): SymbolMeta {
    return this.metas.get(symbol) ?? UNKNOWN_META;
  }

  /** Loads the markets, opens both sockets and waits until both are up; any failure is a start error. The credentials were checked by coinbaseCredentials(). */
  async start(listener: VenueListener): Promise<void> {
    if (this.stopped) throw new Error(`coinbase venue "${this.name}" was stopped; create a new one`);
    if (this.listener !== null) throw new Error(`coinbase venue "${this.name}" is already started`);
    const keyName = this.credentials.keyName.reveal();
    const privateKey = privateKeyFromPem(this.credentials.privateKeyPem.reveal());
    const gateway = new CoinbaseGateway({ restUrl: this.config.restUrl, keyName, privateKeyPem: this.credentials.privateKeyPem.reveal(), timeoutMs: this.options.restTimeoutMs });
    this.metas = await gateway.loadMarkets(this.symbols);
    this.gateway = gateway;
    this.listener = listener;
    const jwt = (): string => buildJwt({ keyName, privateKey });
    const feedTimings = { reconnectMinMs: this.options.reconnectMinMs, reconnectMaxMs: this.options.reconnectMaxMs, silenceTimeoutMs: this.options.silenceTimeoutMs };
    this.bookFeed = new CoinbaseBookFeed({
      url: this.config.wsUrl,
      symbols: this.symbols,
      jwt,
      onFrame: this.options.onFrame,
      ...feedTimings,
      handlers: {
        onBook: (book: L2Book) => {
          if (!this.stopped) this.listener?.onBook(book);
        },
        onConnection: (state) => this.onFeedState('book', state),
        onNotice: (message) => {
          if (!this.stopped) this.listener?.onNotice(message);
        },
      },
    });
    this.userFeed = new CoinbaseUserFeed({
      url: this.config.wsUserUrl,
      symbols: this.symbols,
      jwt,
      ...feedTimings,
      handlers: {
        onOrders: (orders) => {
          for (const update of orders) this.tracker.onUpdate(update);
        },
        onConnection: (state) => this.onFeedState('user', state),
        onNotice: (message) => {
          if (!this.stopped) this.listener?.onNotice(message);
        },
      },
    });
    const connected = new Promise<boolean>((resolve) => (this.onFirstConnect = () => resolve(true)));
    this.bookFeed.start();
    this.userFeed.start();
    const timeoutMs = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const up = await Promise.race([connected, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
    clearTimeout(timer);
    if (!up) {
      await this.stop();
      throw new Error(`coinbase venue "${this.name}": market data (${this.config.wsUrl}) and user channel (${this.config.wsUserUrl}) were not both up within ${timeoutMs} ms`);
    }
  }

  place(request: OrderRequest): void {
    const { clientOrderId } = request;
    if (this.gateway === null || this.stopped) return this.later({ kind: 'reject', clientOrderId, code: RejectCode.ExchangeBusy, reason: `coinbase venue "${this.name}" is not started`, tsNs: wallClockNs() });
    const invalid = this.invalidReason(request);
    if (invalid !== null) return this.later({ kind: 'reject', clientOrderId, code: RejectCode.InvalidParams, reason: invalid, tsNs: wallClockNs() });
    if (!this.limiter.tryTake()) {
      return this.later({ kind: 'reject', clientOrderId, code: RejectCode.RateLimit, reason: `local rate limiter: over ${this.config.rateLimitBurst} requests at once / ${this.config.rateLimitPerSec} per second`, tsNs: wallClockNs() });
    }
    this.tracker.track(clientOrderId, request.symbol);
    void this.gateway.createOrder(request).then((outcome) => {
      if ('noAnswer' in outcome) {
        if (outcome.code === RejectCode.RateLimit) this.rateLimited++;
        const reason = outcome.noAnswer ? `no answer from Coinbase after one resend (${outcome.reason}); reconciliation will find the order if it exists` : outcome.reason;
        this.tracker.rejected(clientOrderId, outcome.code, reason);
      } else if (outcome.kind === 'accepted') {
        this.tracker.accepted(clientOrderId, outcome.venueOrderId);
      } else if (outcome.kind === 'wouldCross') {
        this.tracker.canceledAtOnce(clientOrderId, outcome.reason);
      } else {
        this.tracker.rejected(clientOrderId, outcome.code, outcome.reason);
      }
    });
  }

  cancel(clientOrderId: string, symbol: string): void {
    const venueOrderId = this.tracker.venueOrderIdOf(clientOrderId);
    const reject = (reason: string): void => this.later({ kind: 'cancelReject', clientOrderId, reason, tsNs: wallClockNs() });
    if (this.gateway === null || this.stopped) return reject(`coinbase venue "${this.name}" is not started`);
    if (venueOrderId === undefined) return reject('unknown order');
    if (this.tracker.isDone(clientOrderId)) return reject('order is already closed');
    if (!this.symbols.includes(symbol)) return reject(`unknown symbol "${symbol}"`);
    if (!this.limiter.tryTake()) return reject('local rate limiter: no request budget left');
    // Not acked yet: the cancel goes out as soon as the venue id is known.
    if (!this.tracker.wantCancel(clientOrderId)) return;
    void this.sendCancel(clientOrderId, venueOrderId);
  }

  async cancelForeign(order: VenueOpenOrder): Promise<void> {
    if (this.gateway === null) throw new Error(`coinbase venue "${this.name}" is not started`);
    const [result] = await this.gateway.cancelOrders([order.venueOrderId]);
    if (result !== undefined && !result.cancelled) throw new Error(`coinbase refused to cancel ${order.venueOrderId}: ${result.reason}`);
  }

  /** Cancels every open order on this venue's symbols (this node's and others'); resolves with how many. */
  async cancelAll(): Promise<number> {
    if (this.gateway === null) throw new Error(`coinbase venue "${this.name}" is not started`);
    return this.gateway.cancelAll(this.symbols);
  }

  async snapshot(known: readonly string[]): Promise<VenueSnapshot> {
    const gateway = this.gateway;
    if (gateway === null) throw new Error(`coinbase venue "${this.name}" is not started`);
    const knownIds = new Set(known);
    const ours = (clientOrderId: string): boolean => knownIds.has(clientOrderId) || this.tracker.has(clientOrderId);
    const [open, fills] = await Promise.all([gateway.openOrders(this.symbols), gateway.fills({ symbols: this.symbols })]);
    const clientIdOf = new Map<string, string>();
    for (const o of open) clientIdOf.set(o.venueOrderId, o.clientOrderId);
    const openOrders: VenueOpenOrder[] = open.map((o) => ({ clientOrderId: ours(o.clientOrderId) ? o.clientOrderId : '', venueOrderId: o.venueOrderId, symbol: o.symbol }));
    for (const o of open) if (knownIds.has(o.clientOrderId)) this.tracker.adopt(o.clientOrderId, o.symbol, o.venueOrderId);
    const openIds = new Set(open.map((o) => o.venueOrderId));
    for (const live of this.tracker.liveOrders()) if (!openIds.has(live.venueOrderId)) this.tracker.closedAtVenue(live.clientOrderId);

    const recentFills: Extract<VenueOrderEvent, { kind: 'fill' }>[] = [];
    let lookups = 0;
    // The venue lists newest first; the node applies them oldest first.
    for (let i = fills.length - 1; i >= 0; i--) {
      const fill = fills[i];
      let clientOrderId = this.tracker.clientOrderIdOf(fill.venueOrderId) ?? clientIdOf.get(fill.venueOrderId) ?? this.foreignIds.get(fill.venueOrderId);
      if (clientOrderId === undefined && lookups < MAX_ORDER_LOOKUPS) {
        lookups++;
        clientOrderId = (await gateway.order(fill.venueOrderId)).clientOrderId;
        if (!ours(clientOrderId)) this.foreignIds.set(fill.venueOrderId, clientOrderId);
      }
      if (clientOrderId === undefined || !ours(clientOrderId)) continue;
      this.tracker.markReported(fill);
      recentFills.push(fillEvent(clientOrderId, fill));
    }
    return { openOrders, recentFills };
  }

  health(): VenueHealth {
    const book = this.bookFeed?.health();
    const user = this.userFeed?.health();
    return {
      connection: this.linkState,
      invalidBooks: book?.invalidBooks ?? this.symbols.length,
      resyncs: book?.resyncs ?? 0,
      checksumFailures: 0,
      sequenceGaps: (book?.sequenceGaps ?? 0) + (user?.sequenceGaps ?? 0),
      reconnects: (book?.reconnects ?? 0) + (user?.reconnects ?? 0),
      rateHeadroom: this.limiter.headroom(),
      rateCapacity: this.limiter.capacity,
      rateLimited: this.rateLimited,
      currentAtMs: book?.currentAtMs ?? 0,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([this.bookFeed?.stop(), this.userFeed?.stop()]);
    this.listener = null;
  }

  private async sendCancel(clientOrderId: string, venueOrderId: string): Promise<void> {
    const gateway = this.gateway;
    if (gateway === null) return;
    try {
      const [result] = await gateway.cancelOrders([venueOrderId]);
      // A cancelled order is reported `canceled` by the user channel, after any fills it had.
      if (result === undefined || result.cancelled) return;
      this.emit({ kind: 'cancelReject', clientOrderId, reason: result.reason, tsNs: wallClockNs() });
    } catch (err) {
      const mapped = mapCoinbaseError(err);
      if (mapped.code === RejectCode.RateLimit) this.rateLimited++;
      this.emit({ kind: 'cancelReject', clientOrderId, reason: mapped.reason, tsNs: wallClockNs() });
      return;
    }
    await this.settleFromStatus(gateway, clientOrderId, venueOrderId);
  }

  /**
   * Coinbase refused the cancel (INVALID_CANCEL_REQUEST: the order is done; or it did not
   * find it), so the order's end may be something the user channel never said: an update
   * that was lost, or an order Coinbase answered from an earlier one with the same
   * client_order_id. Its status is read and applied like a user-channel update, so the
   * fills not yet reported and then its end reach the node, once (the tracker drops what it
   * already said).
   */
  private async settleFromStatus(gateway: CoinbaseGateway, clientOrderId: string, venueOrderId: string): Promise<void> {
    try {
      const status = await gateway.order(venueOrderId);
      this.tracker.onUpdate({ venueOrderId, clientOrderId, symbol: status.symbol, status: status.status, cumulative1e8: status.filled1e8, cancelReason: status.cancelReason, rejectReason: '' });
    } catch (err) {
      const reason = err instanceof DecimalError ? `unreadable filled_size: ${err.message}` : mapCoinbaseError(err).reason;
      if (!this.stopped) this.listener?.onNotice(`coinbase order ${clientOrderId}: the cancel was refused and the order's status could not be read (${reason}); reconciliation will settle it`);
    }
  }

  private invalidReason(request: OrderRequest): string | null {
    if (typeof request.clientOrderId !== 'string' || request.clientOrderId === '') return 'client order id must not be empty';
    if (this.tracker.has(request.clientOrderId)) return 'duplicate client order id';
    if (!this.symbols.includes(request.symbol)) return `unknown symbol "${request.symbol}"`;
    if (request.side !== 1 && request.side !== -1) return `side must be 1 (buy) or -1 (sell), got ${String(request.side)}`;
    if (!Number.isInteger(request.type) || request.type < OrderType.Limit || request.type > OrderType.PostOnly) return `unknown order type ${String(request.type)}`;
    if (!Number.isSafeInteger(request.qty1e8) || request.qty1e8 <= 0) return `quantity must be a positive integer qty_1e8, got ${request.qty1e8}`;
    if (request.type !== OrderType.Market && (!Number.isSafeInteger(request.px1e9) || request.px1e9 <= 0)) return `price must be a positive integer px_1e9, got ${request.px1e9}`;
    return null;
  }

  private onFeedState(feed: 'book' | 'user', state: ConnectionState): void {
    if (feed === 'book') this.bookState = state;
    else this.userState = state;
    const combined: ConnectionState =
      this.bookState === 'connected' && this.userState === 'connected' ? 'connected' : this.linkState === 'connecting' ? 'connecting' : 'disconnected';
    if (combined === this.linkState || this.stopped) return;
    this.linkState = combined;
    if (combined === 'connected') this.onFirstConnect();
    const reason = combined === 'connected' ? 'market data and user channel up' : `${this.bookState !== 'connected' ? 'market data' : 'user channel'} ${feed === 'book' ? this.bookState : this.userState}`;
    this.listener?.onConnection(combined, reason);
  }

  /** Outcomes decided inside place()/cancel() still arrive later, never during the call. */
  private later(event: VenueOrderEvent): void {
    setImmediate(() => this.emit(event));
  }

  private emit(event: VenueOrderEvent): void {
    if (!this.stopped) this.listener?.onOrderEvent(event);
  }
}

function fillEvent(clientOrderId: string, fill: WireFill): Extract<VenueOrderEvent, { kind: 'fill' }> {
  return { kind: 'fill', clientOrderId, fillId: fill.fillId, px1e9: fill.px1e9, qty1e8: fill.qty1e8, fee1e9: fill.fee1e9, liquidity: fill.liquidity, tsNs: fill.tsNs };
}
