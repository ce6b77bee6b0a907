import { createPrivateKey } from 'node:crypto';
import ccxt from 'ccxt';
import { DecimalError, formatDecimal, parseDecimal, PX_DECIMALS, QTY_DECIMALS } from '../../node/fixedPoint.ts';
import { OrderType, RejectCode } from '../../wasm/abi.ts';
import type { OrderRequest, Side, SymbolMeta } from '../venue.ts';
import { toNodeSymbol, toProductId } from './productId.ts';

// Coinbase Advanced Trade order entry through ccxt's `coinbase` class. ccxt carries the
// transport, the JWT on every request and loadMarkets; the order bodies are built here and
// sent through ccxt's raw endpoint methods (v3PrivatePostBrokerageOrders, ...) because
// ccxt's createOrder takes amounts and prices as floats, and money here never goes through
// a float: the decimal strings come straight from the px_1e9 / qty_1e8 integers.

export class CoinbaseGatewayError extends Error {}

export interface CoinbaseGatewayOptions {
  /** e.g. https://api.coinbase.com, or an emulator's http://127.0.0.1:port */
  restUrl: string;
  keyName: string;
  /** SEC1 or PKCS#8 PEM of the P-256 key. */
  privateKeyPem: string;
  /** A request with no answer by then fails as a network error. Default 10,000. */
  timeoutMs?: number;
}

export type CreateOutcome =
  | { kind: 'accepted'; venueOrderId: string }
  | { kind: 'rejected'; code: RejectCode; reason: string }
  /** A post-only order that would have crossed: dead at once, as the node's `canceled`. */
  | { kind: 'wouldCross'; reason: string };

export interface CancelResult {
  venueOrderId: string;
  cancelled: boolean;
  reason: string;
}

export interface WireOrder {
  venueOrderId: string;
  clientOrderId: string;
  symbol: string;
  status: string;
}

/** One order as the historical order endpoint reports it: what the user channel would have said. */
export interface WireOrderStatus extends WireOrder {
  filled1e8: number;
  /** Coinbase's cancel_message; '' when none. */
  cancelReason: string;
}

export interface WireFill {
  fillId: string;
  venueOrderId: string;
  symbol: string;
  side: Side;
  px1e9: number;
  qty1e8: number;
  fee1e9: number;
  liquidity: 'maker' | 'taker';
  tsNs: number;
}

/** A venue error mapped for the node: the RejectCode and the venue's own text. */
export interface MappedError {
  code: RejectCode;
  reason: string;
  /** No answer came (timeout, connection lost): the request may or may not have been applied. */
  noAnswer: boolean;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** batch_cancel takes at most 100 ids per request. */
const CANCEL_BATCH = 100;
const PAGE_LIMIT = 250;
/** Pages read for one listing: a bound on the requests one snapshot can make. */
const MAX_PAGES = 8;
const BUSY_ERRORS = /cancel.?only|maintenance|unavailable|ORDER_ENTRY_DISABLED|TRADING_DISABLED/i;
const FUNDS_ERRORS = /INSUFFICIENT_FUND|insufficient/i;

/** Maps an error ccxt raised for a Coinbase request to a RejectCode; the reason is the venue's text (ccxt prefixes "coinbase "). */
export function mapCoinbaseError(err: unknown): MappedError {
  const reason = err instanceof Error ? err.message.replace(/^coinbase\s+/, '') : String(err);
  if (err instanceof ccxt.RateLimitExceeded || err instanceof ccxt.DDoSProtection) return { code: RejectCode.RateLimit, reason, noAnswer: false };
  if (err instanceof ccxt.RequestTimeout || (err instanceof ccxt.NetworkError && err.constructor === ccxt.NetworkError)) return { code: RejectCode.Network, reason, noAnswer: true };
  if (err instanceof ccxt.AuthenticationError) return { code: RejectCode.Auth, reason, noAnswer: false };
  if (err instanceof ccxt.InsufficientFunds || FUNDS_ERRORS.test(reason)) return { code: RejectCode.InsufficientBalance, reason, noAnswer: false };
  if (err instanceof ccxt.ExchangeNotAvailable || BUSY_ERRORS.test(reason)) return { code: RejectCode.ExchangeBusy, reason, noAnswer: false };
  if (err instanceof ccxt.ExchangeError) return { code: RejectCode.InvalidParams, reason, noAnswer: false };
  return { code: RejectCode.Unknown, reason, noAnswer: false };
}

/** The error_response of a failed create, mapped. */
export function mapOrderFailure(error: string, message: string): CreateOutcome {
  if (error === 'INVALID_LIMIT_PRICE_POST_ONLY') return { kind: 'wouldCross', reason: message || 'post-only order would cross' };
  const reason = message === '' ? error : `${error}: ${message}`;
  if (FUNDS_ERRORS.test(error)) return { kind: 'rejected', code: RejectCode.InsufficientBalance, reason };
  if (BUSY_ERRORS.test(error) || BUSY_ERRORS.test(message)) return { kind: 'rejected', code: RejectCode.ExchangeBusy, reason };
  if (error === 'PERMISSION_DENIED') return { kind: 'rejected', code: RejectCode.Auth, reason };
  return { kind: 'rejected', code: RejectCode.InvalidParams, reason };
}

/** The order_configuration for a node order; prices and sizes are exact decimal strings. */
export function orderConfiguration(request: OrderRequest): Record<string, Record<string, string | boolean>> {
  const base_size = formatDecimal(request.qty1e8, QTY_DECIMALS);
  if (request.type === OrderType.Market) return { market_market_ioc: { base_size } };
  const limit_price = formatDecimal(request.px1e9, PX_DECIMALS);
  switch (request.type) {
    case OrderType.Ioc:
      return { sor_limit_ioc: { base_size, limit_price } };
    case OrderType.Fok:
      return { limit_limit_fok: { base_size, limit_price } };
    case OrderType.PostOnly:
      return { limit_limit_gtc: { base_size, limit_price, post_only: true } };
    case OrderType.Limit:
      return { limit_limit_gtc: { base_size, limit_price, post_only: false } };
    default:
      throw new CoinbaseGatewayError(`unknown order type ${String(request.type)}`);
  }
}

type Json = Record<string, unknown>;
type Endpoint = (params?: Json) => Promise<unknown>;

export class CoinbaseGateway {
  private readonly exchange: InstanceType<typeof ccxt.coinbase>;

  constructor(options: CoinbaseGatewayOptions) {
    let sec1Pem: string;
    try {
      // ccxt's signer reads only SEC1 ("BEGIN EC PRIVATE KEY"); a PKCS#8 key is converted here.
      sec1Pem = createPrivateKey(options.privateKeyPem).export({ type: 'sec1', format: 'pem' }).toString();
    } catch {
      throw new CoinbaseGatewayError('COINBASE_API_PRIVATE_KEY is not a readable EC private key');
    }
    this.exchange = new ccxt.coinbase({
      apiKey: options.keyName,
      secret: sec1Pem,
      // The node's RateLimiter sits in front; ccxt's own throttle would only queue behind it.
      enableRateLimit: false,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    this.exchange.urls.api = { ...(this.exchange.urls.api as Json), rest: options.restUrl.replace(/\/+$/, '') };
  }

  /** Loads the products once and returns each symbol's metadata; a symbol the venue does not list is an error. */
  async loadMarkets(symbols: readonly string[]): Promise<Map<string, SymbolMeta>> {
    let markets: Record<string, { info?: Json }>;
    try {
      markets = (await this.exchange.loadMarkets()) as Record<string, { info?: Json }>;
    } catch (err) {
      const mapped = mapCoinbaseError(err);
      const hint = mapped.code === RejectCode.Auth ? ' (check COINBASE_API_KEY_NAME and COINBASE_API_PRIVATE_KEY)' : '';
      throw new CoinbaseGatewayError(`Coinbase markets could not be loaded${hint}: ${mapped.reason}`);
    }
    const metas = new Map<string, SymbolMeta>();
    const byId = new Map<string, Json>();
    for (const market of Object.values(markets)) if (market.info !== undefined) byId.set(String(market.info.product_id), market.info);
    for (const symbol of symbols) {
      const info = byId.get(toProductId(symbol));
      if (info === undefined) throw new CoinbaseGatewayError(`Coinbase does not list ${symbol} (product ${toProductId(symbol)})`);
      metas.set(symbol, symbolMetaOf(symbol, info));
    }
    return metas;
  }

  /**
   * Sends one order, and resends it once if no answer came (timeout, connection lost).
   * The resend is safe because Coinbase is idempotent on client_order_id: if the first
   * request did reach the venue, the second creates nothing and answers with the order the
   * first one made. It is not a retry storm: one resend per order at most, only when no
   * answer came at all (never after a 429 or any other answer), and each attempt is bounded
   * by the request timeout. Never throws: every failure is an outcome.
   */
  async createOrder(request: OrderRequest): Promise<CreateOutcome | MappedError> {
    const first = await this.sendOrder(request);
    if (!('noAnswer' in first) || !first.noAnswer) return first;
    return this.sendOrder(request);
  }

  private async sendOrder(request: OrderRequest): Promise<CreateOutcome | MappedError> {
    const body = {
      client_order_id: request.clientOrderId,
      product_id: toProductId(request.symbol),
      side: request.side === 1 ? 'BUY' : 'SELL',
      order_configuration: orderConfiguration(request),
    };
    let response: Json;
    try {
      response = (await this.call('v3PrivatePostBrokerageOrders', body)) as Json;
    } catch (err) {
      const failure = failureBody(err);
      if (failure !== null) return mapOrderFailure(failure.error, failure.message);
      return mapCoinbaseError(err);
    }
    if (!isObject(response)) {
      // Whether the order was made is unknown: treated as no answer, so it is resent once (idempotent) and otherwise left to reconciliation.
      return { code: RejectCode.Network, reason: `Coinbase answered the order with an unreadable body (${describeJson(response)}); reconciliation will find the order if it was made`, noAnswer: true };
    }
    if (response.success === true) {
      const success = objectIn(response, 'success_response', 'order');
      return { kind: 'accepted', venueOrderId: String(success.order_id ?? response.order_id) };
    }
    const failure = objectIn(response, 'error_response', 'order');
    return mapOrderFailure(String(failure.error ?? 'UNKNOWN_FAILURE_REASON'), String(failure.message ?? ''));
  }

  /** batch_cancel, 100 ids a request. */
  async cancelOrders(venueOrderIds: readonly string[]): Promise<CancelResult[]> {
    const results: CancelResult[] = [];
    for (let i = 0; i < venueOrderIds.length; i += CANCEL_BATCH) {
      const response = await this.call('v3PrivatePostBrokerageOrdersBatchCancel', { order_ids: venueOrderIds.slice(i, i + CANCEL_BATCH) });
      for (const r of objectsIn(response, 'results', 'batch_cancel')) {
        results.push({ venueOrderId: String(r.order_id), cancelled: r.success === true, reason: r.success === true ? '' : String(r.failure_reason ?? 'cancel failed') });
      }
    }
    return results;
  }

  /** Open orders on the given products (all products when empty). */
  async openOrders(symbols: readonly string[]): Promise<WireOrder[]> {
    const orders: WireOrder[] = [];
    let cursor = '';
    for (let page = 0; page < MAX_PAGES; page++) {
      const params: Json = { order_status: ['OPEN'], limit: PAGE_LIMIT };
      if (symbols.length > 0) params.product_ids = symbols.map(toProductId);
      if (cursor !== '') params.cursor = cursor;
      const response = await this.call('v3PrivateGetBrokerageOrdersHistoricalBatch', params);
      for (const o of objectsIn(response, 'orders', 'open orders')) orders.push(wireOrderOf(o));
      cursor = (response as Json).has_next === true ? String((response as Json).cursor ?? '') : '';
      if (cursor === '') break;
    }
    return orders;
  }

  /** Cancels every open order on the given products; resolves with how many were cancelled. */
  async cancelAll(symbols: readonly string[]): Promise<number> {
    const open = await this.openOrders(symbols);
    if (open.length === 0) return 0;
    const results = await this.cancelOrders(open.map((o) => o.venueOrderId));
    return results.filter((r) => r.cancelled).length;
  }

  /** GET orders/historical/{order_id}; throws a DecimalError for an unreadable filled_size. */
  async order(venueOrderId: string): Promise<WireOrderStatus> {
    const response = await this.call('v3PrivateGetBrokerageOrdersHistoricalOrderId', { order_id: venueOrderId });
    const o = objectIn(objectAt(response, 'order lookup'), 'order', 'order lookup');
    return { ...wireOrderOf(o), filled1e8: parseDecimal(String(o.filled_size ?? '0'), QTY_DECIMALS), cancelReason: String(o.cancel_message ?? '') };
  }

  /** Fills, newest first as the venue lists them, filtered by orders and/or products; at most MAX_PAGES pages. */
  async fills(filter: { venueOrderIds?: readonly string[]; symbols?: readonly string[] }): Promise<WireFill[]> {
    const fills: WireFill[] = [];
    let cursor = '';
    for (let page = 0; page < MAX_PAGES; page++) {
      const params: Json = { limit: PAGE_LIMIT };
      if (filter.venueOrderIds !== undefined && filter.venueOrderIds.length > 0) params.order_ids = [...filter.venueOrderIds];
      if (filter.symbols !== undefined && filter.symbols.length > 0) params.product_ids = filter.symbols.map(toProductId);
      if (cursor !== '') params.cursor = cursor;
      const response = await this.call('v3PrivateGetBrokerageOrdersHistoricalFills', params);
      for (const f of objectsIn(response, 'fills', 'fills')) fills.push(wireFillOf(f));
      cursor = String((response as Json).cursor ?? '');
      if (cursor === '') break;
    }
    return fills;
  }

  private call(method: string, params: Json): Promise<unknown> {
    const endpoint = (this.exchange as unknown as Record<string, Endpoint>)[method];
    return endpoint.call(this.exchange, params);
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeJson(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/** The answer as an object, or a CoinbaseGatewayError naming the call: a malformed answer is a clear failure, never a TypeError. */
function objectAt(value: unknown, what: string): Json {
  if (!isObject(value)) throw new CoinbaseGatewayError(`Coinbase answered ${what} with ${describeJson(value)}, not an object`);
  return value;
}

/** An optional object field; absent is an empty object. */
function objectIn(value: Json, key: string, what: string): Json {
  const field = value[key];
  if (field === undefined) return {};
  if (!isObject(field)) throw new CoinbaseGatewayError(`Coinbase answered ${what} with ${key} = ${describeJson(field)}, not an object`);
  return field;
}

/** An optional array field of objects; absent is empty. */
function objectsIn(value: unknown, key: string, what: string): Json[] {
  const field = objectAt(value, what)[key];
  if (field === undefined) return [];
  if (!Array.isArray(field) || !field.every(isObject)) throw new CoinbaseGatewayError(`Coinbase answered ${what} with ${key} that is not a list of objects`);
  return field;
}

/** ccxt raises a create whose answer is success:false as an ExchangeError carrying the body; this reads that body back. */
function failureBody(err: unknown): { error: string; message: string } | null {
  if (!(err instanceof ccxt.ExchangeError) || err instanceof ccxt.AuthenticationError) return null;
  const start = err.message.indexOf('{');
  if (start < 0) return null;
  try {
    const body = JSON.parse(err.message.slice(start)) as Json;
    const failure = body.error_response as Json | undefined;
    if (failure === undefined || typeof failure.error !== 'string') return null;
    return { error: failure.error, message: String(failure.message ?? '') };
  } catch {
    return null;
  }
}

function wireOrderOf(o: Json): WireOrder {
  return { venueOrderId: String(o.order_id ?? ''), clientOrderId: String(o.client_order_id ?? ''), symbol: toNodeSymbol(String(o.product_id ?? '')), status: String(o.status ?? '') };
}

function wireFillOf(f: Json): WireFill {
  const tradeTime = Date.parse(String(f.trade_time ?? ''));
  return {
    fillId: String(f.trade_id ?? f.entry_id ?? ''),
    venueOrderId: String(f.order_id ?? ''),
    symbol: toNodeSymbol(String(f.product_id ?? '')),
    side: f.side === 'SELL' ? -1 : 1,
    px1e9: parseDecimal(String(f.price ?? ''), PX_DECIMALS),
    qty1e8: parseDecimal(String(f.size ?? ''), QTY_DECIMALS),
    fee1e9: truncatedDecimal(String(f.commission ?? '0'), PX_DECIMALS),
    liquidity: f.liquidity_indicator === 'MAKER' ? 'maker' : 'taker',
    tsNs: Number.isFinite(tradeTime) ? tradeTime * 1_000_000 : 0,
  };
}

/** A fee may carry more decimals than px_1e9 holds; the excess (under a billionth) is dropped. */
function truncatedDecimal(text: string, decimals: number): number {
  const dot = text.indexOf('.');
  return parseDecimal(dot < 0 ? text : text.slice(0, dot + 1 + decimals), decimals);
}

function symbolMetaOf(symbol: string, info: Json): SymbolMeta {
  try {
    const tickSize1e9 = parseDecimal(String(info.price_increment ?? info.quote_increment), PX_DECIMALS);
    const lotSize1e8 = parseDecimal(String(info.base_increment), QTY_DECIMALS);
    const minQty1e8 = parseDecimal(String(info.base_min_size ?? '0'), QTY_DECIMALS);
    const minNotional1e9 = parseDecimal(String(info.quote_min_size ?? '0'), PX_DECIMALS);
    return { tickSize1e9, lotSize1e8, minQty1e8, minNotional1e9, pricePrecision: placesOf(tickSize1e9, PX_DECIMALS), qtyPrecision: placesOf(lotSize1e8, QTY_DECIMALS) };
  } catch (err) {
    if (err instanceof DecimalError) throw new CoinbaseGatewayError(`Coinbase product ${toProductId(symbol)} has unreadable increments: ${err.message}`);
    throw err;
  }
}

/** Decimal places a step needs: a tick of 0.01 (10,000,000 px_1e9) needs 2. */
function placesOf(step: number, decimals: number): number {
  let places = decimals;
  let rest = step;
  while (places > 0 && rest % 10 === 0) {
    rest /= 10;
    places--;
  }
  return places;
}
