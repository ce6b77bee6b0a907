import ccxt from 'ccxt';
import { DecimalError, PX_DECIMALS, QTY_DECIMALS, parseDecimal } from '../../node/fixedPoint.ts';
import { RejectCode } from '../../wasm/abi.ts';
import type { KrakenCredentials } from '../credentials.ts';
import type { Side, SymbolMeta } from '../venue.ts';

// Kraken's REST API through ccxt's `kraken`: markets, the WebSocket token, reconciliation,
// the dead man's switch, and order entry when it is not on the private WebSocket (see
// KrakenWsOrders). ccxt signs, nonces, and maps Kraken's error texts to its exceptions;
// this class maps those to RejectCodes. Calls go
// through ccxt's implicit API (privatePostAddOrder, ...) with every decimal a string
// formatted from the node's integers, and answers are read from Kraken's own strings, so
// no price or size passes through a float.
//
// Private calls run one at a time: Kraken requires each key's nonce to increase strictly
// in the order requests ARRIVE, and parallel HTTP requests can overtake one another on the
// way, which Kraken answers with EAPI:Invalid nonce. The queue is bounded; a full queue
// refuses at once rather than building a backlog of stale orders.

export class KrakenStartError extends Error {}

export interface KrakenGatewayOptions {
  restUrl: string;
  credentials: KrakenCredentials;
  /** ccxt's request timeout; default 10,000. */
  timeoutMs?: number;
  /** Private calls waiting their turn before new ones are refused; default 256. */
  maxQueued?: number;
}

export interface KrakenMarket {
  symbol: string;
  /** The AssetPairs key ccxt sends as `pair` (XXBTZUSD). */
  id: string;
  altname: string;
  meta: SymbolMeta;
}

/** A failed call: the reject code, the venue's text, and whether the request's fate is unknown (a network failure, not an answer). */
export interface GatewayFailure {
  ok: false;
  code: RejectCode;
  reason: string;
  /** True when no answer came: the venue may or may not have acted. */
  unknownOutcome: boolean;
  rateLimited: boolean;
}

export type GatewayResult<T> = { ok: true; value: T } | GatewayFailure;

export type KrakenOrderKind = 'limit' | 'market' | 'ioc' | 'post';

export interface AddOrderRequest {
  symbol: string;
  side: Side;
  kind: KrakenOrderKind;
  /** Decimal texts at the pair's precision. */
  price: string;
  volume: string;
  clOrdId: string;
}

/** An order as OpenOrders / ClosedOrders report it. */
export interface KrakenRestOrder {
  txid: string;
  clOrdId: string;
  symbol: string;
  status: string;
}

export interface KrakenRestTrade {
  tradeId: string;
  orderTxid: string;
  symbol: string;
  px1e9: number;
  qty1e8: number;
  fee1e9: number;
  liquidity: 'maker' | 'taker';
  timeSec: number;
}

type Params = Record<string, string>;
type KrakenResponse = { error?: string[]; result?: Record<string, unknown> };

export class KrakenGateway {
  private readonly exchange: InstanceType<typeof ccxt.kraken>;
  private readonly maxQueued: number;
  private readonly bySymbol = new Map<string, KrakenMarket>();
  private readonly symbolByPair = new Map<string, string>();
  private tail: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private lastNonce = 0;

  constructor(private readonly options: KrakenGatewayOptions) {
    this.maxQueued = options.maxQueued ?? 256;
    const exchange = new ccxt.kraken({
      apiKey: options.credentials.apiKey.reveal(),
      secret: options.credentials.secret.reveal(),
      enableRateLimit: false,
      timeout: options.timeoutMs ?? 10_000,
    });
    exchange.urls.api = { ...exchange.urls.api, public: options.restUrl, private: options.restUrl };
    // Strictly increasing even for two calls in one millisecond.
    exchange.nonce = () => {
      this.lastNonce = Math.max(this.lastNonce + 1, Date.now());
      return this.lastNonce;
    };
    this.exchange = exchange;
  }

  /** Loads AssetPairs and Assets once; throws KrakenStartError naming a symbol the venue does not list. */
  async loadMarkets(symbols: readonly string[]): Promise<Map<string, KrakenMarket>> {
    try {
      await this.exchange.loadMarkets();
    } catch (err) {
      throw new KrakenStartError(`Kraken markets could not be loaded from ${this.options.restUrl}: ${this.describe(err)}`);
    }
    for (const symbol of symbols) {
      const market = this.exchange.markets?.[symbol];
      if (market === undefined) throw new KrakenStartError(`Kraken does not list symbol "${symbol}"`);
      const info = market.info as Record<string, unknown>;
      const meta = metaFrom(symbol, info);
      const entry: KrakenMarket = { symbol, id: String(market.id), altname: String(info.altname ?? market.id), meta };
      this.bySymbol.set(symbol, entry);
      this.symbolByPair.set(entry.id, symbol);
      this.symbolByPair.set(entry.altname, symbol);
    }
    return this.bySymbol;
  }

  market(symbol: string): KrakenMarket | undefined {
    return this.bySymbol.get(symbol);
  }

  addOrder(request: AddOrderRequest): Promise<GatewayResult<string>> {
    const market = this.bySymbol.get(request.symbol);
    if (market === undefined) return Promise.resolve(failure(RejectCode.InvalidParams, `unknown symbol "${request.symbol}"`));
    const params: Params = {
      pair: market.id,
      type: request.side === 1 ? 'buy' : 'sell',
      ordertype: request.kind === 'market' ? 'market' : 'limit',
      volume: request.volume,
      cl_ord_id: request.clOrdId,
    };
    if (request.kind !== 'market') params.price = request.price;
    if (request.kind === 'ioc') params.timeinforce = 'IOC';
    if (request.kind === 'post') params.oflags = 'post';
    return this.call('AddOrder', params, (result) => {
      const txids = result.txid;
      if (!Array.isArray(txids) || typeof txids[0] !== 'string') throw new Error('AddOrder answer has no txid');
      return txids[0];
    });
  }

  cancelByClientId(clOrdId: string): Promise<GatewayResult<number>> {
    return this.call('CancelOrder', { cl_ord_id: clOrdId }, (result) => Number(result.count ?? 0));
  }

  cancelByTxid(txid: string): Promise<GatewayResult<number>> {
    return this.call('CancelOrder', { txid }, (result) => Number(result.count ?? 0));
  }

  cancelAll(): Promise<GatewayResult<number>> {
    return this.call('CancelAll', {}, (result) => Number(result.count ?? 0));
  }

  /** The dead man's switch: cancel everything unless called again within timeoutSec; 0 disarms. */
  cancelAllOrdersAfter(timeoutSec: number): Promise<GatewayResult<string>> {
    return this.call('CancelAllOrdersAfter', { timeout: String(timeoutSec) }, (result) => String(result.triggerTime ?? ''));
  }

  webSocketsToken(): Promise<GatewayResult<string>> {
    return this.call('GetWebSocketsToken', {}, (result) => {
      if (typeof result.token !== 'string' || result.token === '') throw new Error('GetWebSocketsToken answer has no token');
      return result.token;
    });
  }

  /** Open orders, optionally only the one with a cl_ord_id. */
  openOrders(clOrdId?: string): Promise<GatewayResult<KrakenRestOrder[]>> {
    return this.call('OpenOrders', clOrdId === undefined ? {} : { cl_ord_id: clOrdId }, (result) => this.orders(result.open));
  }

  /** The most recent closed orders (Kraken's first page), optionally only the one with a cl_ord_id. */
  closedOrders(clOrdId?: string): Promise<GatewayResult<KrakenRestOrder[]>> {
    return this.call('ClosedOrders', clOrdId === undefined ? {} : { cl_ord_id: clOrdId }, (result) => this.orders(result.closed));
  }

  /** The most recent trades (Kraken's first page), oldest first. */
  tradesHistory(): Promise<GatewayResult<KrakenRestTrade[]>> {
    return this.call('TradesHistory', {}, (result) => {
      const trades: KrakenRestTrade[] = [];
      for (const [tradeId, raw] of Object.entries((result.trades ?? {}) as Record<string, Record<string, unknown>>)) {
        const symbol = this.symbolByPair.get(String(raw.pair));
        if (symbol === undefined) continue;
        trades.push({
          tradeId,
          orderTxid: String(raw.ordertxid),
          symbol,
          px1e9: parseDecimal(String(raw.price), PX_DECIMALS),
          qty1e8: parseDecimal(String(raw.vol), QTY_DECIMALS),
          fee1e9: parseDecimal(String(raw.fee), PX_DECIMALS),
          liquidity: raw.maker === true ? 'maker' : 'taker',
          timeSec: Number(raw.time),
        });
      }
      return trades.sort((a, b) => a.timeSec - b.timeSec);
    });
  }

  private orders(raw: unknown): KrakenRestOrder[] {
    const orders: KrakenRestOrder[] = [];
    for (const [txid, o] of Object.entries((raw ?? {}) as Record<string, Record<string, unknown>>)) {
      const descr = (o.descr ?? {}) as Record<string, unknown>;
      orders.push({
        txid,
        clOrdId: typeof o.cl_ord_id === 'string' ? o.cl_ord_id : '',
        symbol: this.symbolByPair.get(String(descr.pair)) ?? String(descr.pair ?? ''),
        status: String(o.status ?? ''),
      });
    }
    return orders;
  }

  /** Runs one private call in the queue; maps a thrown ccxt error to a failure. */
  private call<T>(method: string, params: Params, read: (result: Record<string, unknown>) => T): Promise<GatewayResult<T>> {
    if (this.queued >= this.maxQueued) {
      return Promise.resolve(failure(RejectCode.ExchangeBusy, `Kraken request queue is full (${this.maxQueued} waiting)`));
    }
    this.queued++;
    const run = async (): Promise<GatewayResult<T>> => {
      try {
        const implicit = (this.exchange as unknown as Record<string, (p: Params) => Promise<KrakenResponse>>)[`privatePost${method}`];
        if (implicit === undefined) throw new Error(`ccxt has no private method ${method}`);
        const response = await implicit.call(this.exchange, params);
        return { ok: true, value: read(response.result ?? {}) };
      } catch (err) {
        return this.failureFor(err);
      } finally {
        this.queued--;
      }
    };
    const result = this.tail.then(run, run);
    this.tail = result;
    return result;
  }

  /**
   * Kraken's error text from an answer that did not come through ccxt (the private
   * WebSocket's add_order, cancel_order) mapped as ccxt maps the same text in a REST
   * answer: its exact and broad exception tables, else an ExchangeError.
   */
  failureForText(errorText: string): GatewayFailure {
    const exchange = this.exchange as unknown as {
      exceptions: { exact: Record<string, unknown>; broad: Record<string, unknown> };
      throwExactlyMatchedException(exact: Record<string, unknown>, text: string, message: string): void;
      throwBroadlyMatchedException(broad: Record<string, unknown>, text: string, message: string): void;
    };
    const message = `kraken ${JSON.stringify({ error: [errorText] })}`;
    try {
      exchange.throwExactlyMatchedException(exchange.exceptions.exact, errorText, message);
      exchange.throwBroadlyMatchedException(exchange.exceptions.broad, errorText, message);
      throw new ccxt.ExchangeError(message);
    } catch (err) {
      return this.failureFor(err);
    }
  }

  /** Maps a ccxt exception to a reject code and the venue's own text. */
  failureFor(err: unknown): GatewayFailure {
    const reason = this.describe(err);
    const answered = reason.startsWith('E');
    if (err instanceof ccxt.DDoSProtection || err instanceof ccxt.RateLimitExceeded) {
      return { ok: false, code: RejectCode.RateLimit, reason, unknownOutcome: false, rateLimited: true };
    }
    if (err instanceof ccxt.InsufficientFunds) return failure(RejectCode.InsufficientBalance, reason);
    if (err instanceof ccxt.AuthenticationError) return failure(RejectCode.Auth, reason);
    if (err instanceof ccxt.InvalidOrder || err instanceof ccxt.BadRequest) return failure(RejectCode.InvalidParams, reason);
    if (err instanceof ccxt.InvalidNonce) return failure(RejectCode.Network, reason);
    if (err instanceof ccxt.ExchangeNotAvailable && answered) return failure(RejectCode.ExchangeBusy, reason);
    if (err instanceof ccxt.NetworkError) return { ok: false, code: RejectCode.Network, reason, unknownOutcome: true, rateLimited: false };
    if (err instanceof ccxt.ExchangeError) return failure(answered ? RejectCode.InvalidParams : RejectCode.Unknown, reason);
    if (err instanceof DecimalError) return failure(RejectCode.Unknown, `Kraken answered a malformed decimal: ${reason}`);
    return failure(RejectCode.Unknown, reason);
  }

  /**
   * The venue's error text when the error carries Kraken's envelope ("EOrder:Rate limit
   * exceeded"), else the error's message; credentials never appear in it.
   */
  private describe(err: unknown): string {
    const message = err instanceof Error ? err.message : String(err);
    const envelope = message.indexOf('{');
    let text = message;
    if (envelope >= 0) {
      try {
        const body = JSON.parse(message.slice(envelope)) as KrakenResponse;
        if (Array.isArray(body.error) && body.error.length > 0) text = body.error.join('; ');
      } catch {
        // Not Kraken's envelope: keep the whole message.
      }
    }
    return redact(text, [this.options.credentials.apiKey.reveal(), this.options.credentials.secret.reveal()]);
  }
}

function failure(code: RejectCode, reason: string): GatewayFailure {
  return { ok: false, code, reason, unknownOutcome: false, rateLimited: false };
}

function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out;
}

/** SymbolMeta from AssetPairs' own strings (tick_size, ordermin, pair_decimals, lot_decimals, costmin). */
function metaFrom(symbol: string, info: Record<string, unknown>): SymbolMeta {
  const pricePrecision = Number(info.pair_decimals);
  const qtyPrecision = Number(info.lot_decimals);
  if (!(Number.isInteger(pricePrecision) && pricePrecision >= 0 && pricePrecision <= PX_DECIMALS)) {
    throw new KrakenStartError(`Kraken pair ${symbol} has pair_decimals ${String(info.pair_decimals)}, beyond the node's ${PX_DECIMALS}`);
  }
  if (!(Number.isInteger(qtyPrecision) && qtyPrecision >= 0 && qtyPrecision <= QTY_DECIMALS)) {
    throw new KrakenStartError(`Kraken pair ${symbol} has lot_decimals ${String(info.lot_decimals)}, beyond the node's ${QTY_DECIMALS}`);
  }
  const tick = typeof info.tick_size === 'string' ? info.tick_size : `0.${'0'.repeat(Math.max(0, pricePrecision - 1))}1`;
  try {
    return {
      tickSize1e9: pricePrecision === 0 && info.tick_size === undefined ? 1e9 : parseDecimal(tick, PX_DECIMALS),
      lotSize1e8: 10 ** (QTY_DECIMALS - qtyPrecision),
      minQty1e8: typeof info.ordermin === 'string' ? parseDecimal(info.ordermin, QTY_DECIMALS) : 0,
      minNotional1e9: typeof info.costmin === 'string' ? parseDecimal(info.costmin, PX_DECIMALS) : 0,
      pricePrecision,
      qtyPrecision,
    };
  } catch (err) {
    throw new KrakenStartError(`Kraken pair ${symbol} has malformed metadata: ${(err as Error).message}`);
  }
}
