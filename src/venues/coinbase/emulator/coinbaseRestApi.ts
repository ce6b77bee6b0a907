import { createHash, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DecimalError, formatDecimalShort, mulDiv, parseDecimal, PX_DECIMALS, QTY_DECIMALS, QTY_SCALE } from '../../../node/fixedPoint.ts';
import { OrderType } from '../../../wasm/abi.ts';
import { CancelReason } from '../../sim/matchingEngine.ts';
import type { EmulatedFill, EmulatedOrder, EmulatorMarket, PlaceRequest } from '../../emulator/emulatorMarket.ts';
import type { VenueLedger, WireOrderRequest } from '../../emulator/venueLedger.ts';
import { JwtError, verifyJwt } from '../coinbaseJwt.ts';
import { toNodeSymbol, toProductId } from '../productId.ts';

// The emulator's REST side: the Advanced Trade endpoints ccxt calls for loadMarkets and
// order entry, answered from the EmulatorMarket with Coinbase's shapes (every number a
// string, failures as success:false + error_response on HTTP 200). Private endpoints need
// a valid JWT; anything else gets the venue's plain 401 and changes nothing.

export interface EmulatorAuth {
  keyName: string;
  publicKey: KeyObject;
}

/** Faults the emulator's owner switches on; read on every request. */
export interface RestFaults {
  /** Order answers wait this long after the order was placed. */
  orderAckDelayMs: number;
  /** The next order is placed but its HTTP answer never comes. */
  loseNextOrderAck: boolean;
  /** The next n private requests get HTTP 429. */
  rateLimitNext: number;
}

/** A stable UUID-shaped id from the emulator's seed and a label, so runs with one seed agree. */
export function emulatorUuid(seed: number, label: string): string {
  const h = createHash('sha256').update(`${seed}:${label}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function wireStatus(order: EmulatedOrder): string {
  switch (order.status) {
    case 'open':
      return 'OPEN';
    case 'filled':
      return 'FILLED';
    case 'canceled':
      return 'CANCELLED';
    case 'rejected':
      return 'FAILED';
  }
}

export function wirePx(px1e9: number): string {
  return formatDecimalShort(px1e9, PX_DECIMALS);
}

export function wireQty(qty1e8: number): string {
  return formatDecimalShort(qty1e8, QTY_DECIMALS);
}

export function wireTime(ns: number): string {
  return new Date(Math.floor(ns / 1e6)).toISOString();
}

/** Volume-weighted average fill price of an order, '0' before its first fill. */
export function wireAvgPx(order: EmulatedOrder): string {
  return order.filled1e8 === 0 ? '0' : wirePx(mulDiv(order.filledNotional1e9, QTY_SCALE, order.filled1e8));
}

const ORDER_CONFIGURATIONS = ['limit_limit_gtc', 'limit_limit_fok', 'sor_limit_ioc', 'market_market_ioc'] as const;
type OrderConfiguration = (typeof ORDER_CONFIGURATIONS)[number];
const MAX_CLIENT_ORDER_ID = 128;
const MAX_PAGE = 1000;
const DEFAULT_PAGE = 100;
const MAX_REMEMBERED_ORDERS = 10_000;
const PREFIX = '/api/v3/brokerage';

interface OrderRecord {
  configuration: OrderConfiguration;
  body: Record<string, unknown>;
}

class BadRequest extends Error {}

export class CoinbaseRestApi {
  private readonly records = new Map<string, OrderRecord>();
  private readonly placedIds: string[] = [];
  /** Requests per "METHOD path" (query dropped), for tests that count what reached the venue. */
  readonly requestCounts = new Map<string, number>();
  /** Requests no route answered, as "METHOD path". */
  readonly unknownRoutes: string[] = [];
  /** Answers held back by loseNextOrderAck; ended by close(). */
  private readonly held = new Set<ServerResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly market: EmulatorMarket,
    private readonly auth: EmulatorAuth,
    private readonly faults: RestFaults,
    private readonly seed: number,
    /** Where order and cancel requests are recorded for a harness. */
    private readonly ledger?: VenueLedger,
  ) {}

  /** Answers one request (unknown routes get a 404 naming them). */
  async handle(req: IncomingMessage, res: ServerResponse, bodyText: string): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const route = `${method} ${path}`;
    this.requestCounts.set(route, (this.requestCounts.get(route) ?? 0) + 1);
    try {
      const publicAnswer = this.publicRoute(method, path, url.searchParams);
      if (publicAnswer !== undefined) return json(res, 200, publicAnswer);
      if (!path.startsWith(`${PREFIX}/`)) return this.notFound(res, route);
      const authError = this.authenticate(req, method, path);
      if (authError !== null) {
        res.writeHead(401, { 'content-type': 'text/plain', 'x-emulator-auth-error': authError });
        res.end('Unauthorized\n');
        return;
      }
      if (this.faults.rateLimitNext > 0) {
        this.faults.rateLimitNext--;
        if (method === 'POST' && path === `${PREFIX}/orders`) this.recordRefusal(bodyText, 'HTTP 429 rate_limit_exceeded');
        res.writeHead(429, {
          'content-type': 'application/json',
          'x-ratelimit-limit': '30',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 1),
        });
        res.end(JSON.stringify({ error: 'rate_limit_exceeded', error_details: 'Too many requests', message: 'Too many requests' }));
        return;
      }
      const body = method === 'POST' ? parseBody(bodyText) : {};
      const sub = path.slice(PREFIX.length);
      if (method === 'POST' && sub === '/orders') return await this.createOrder(body, res);
      if (method === 'POST' && sub === '/orders/batch_cancel') return json(res, 200, await this.batchCancel(body));
      if (method === 'GET' && sub === '/orders/historical/batch') return json(res, 200, this.listOrders(url.searchParams));
      if (method === 'GET' && sub === '/orders/historical/fills') return json(res, 200, this.listFills(url.searchParams));
      if (method === 'GET' && sub.startsWith('/orders/historical/')) return this.getOrder(decodeURIComponent(sub.slice('/orders/historical/'.length)), res);
      if (method === 'GET' && sub === '/products') return json(res, 200, this.products());
      if (method === 'GET' && sub === '/transaction_summary') return json(res, 200, TRANSACTION_SUMMARY);
      if (method === 'GET' && sub === '/accounts') return json(res, 200, { accounts: [], has_next: false, cursor: '', size: 0 });
      return this.notFound(res, route);
    } catch (err) {
      if (err instanceof BadRequest) return json(res, 400, { error: 'INVALID_ARGUMENT', error_details: err.message, message: err.message });
      throw err;
    }
  }

  /** Ends held answers and pending delays; the server closes their sockets. */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const res of this.held) res.destroy();
    this.held.clear();
  }

  private publicRoute(method: string, path: string, query: URLSearchParams): unknown {
    if (method !== 'GET') return undefined;
    switch (path) {
      case '/v2/currencies':
        return { data: [{ id: 'USD', name: 'US Dollar', min_size: '0.01' }] };
      case '/v2/currencies/crypto':
        return { data: this.baseCurrencies().map((code, i) => ({ asset_id: emulatorUuid(this.seed, `asset:${code}`), code, name: code, color: '#000000', sort_index: String(i), exponent: '8', type: 'crypto', address_regex: '' })) };
      case '/v2/exchange-rates':
        return { data: { currency: 'USD', rates: Object.fromEntries(this.baseCurrencies().map((c) => [c, '1'])) } };
      case `${PREFIX}/market/products`:
        // Only spot markets here: ccxt also asks for futures and perpetuals.
        return query.get('product_type') === 'FUTURE' ? { products: [], num_products: 0 } : this.products();
      default:
        return undefined;
    }
  }

  private notFound(res: ServerResponse, route: string): void {
    this.unknownRoutes.push(route);
    if (this.unknownRoutes.length > 100) this.unknownRoutes.shift();
    json(res, 404, { error: 'NOT_FOUND', error_details: `coinbase emulator: no route for ${route}`, message: `coinbase emulator: no route for ${route}` });
  }

  private authenticate(req: IncomingMessage, method: string, path: string): string | null {
    const header = req.headers.authorization;
    if (header === undefined || !header.startsWith('Bearer ')) return 'missing bearer token';
    try {
      verifyJwt(header.slice('Bearer '.length), { ...this.auth, request: { method, path } });
      return null;
    } catch (err) {
      if (err instanceof JwtError) return err.message;
      throw err;
    }
  }

  private baseCurrencies(): string[] {
    return [...new Set(this.market.symbols.map((s) => s.split('/')[0]))];
  }

  private products(): unknown {
    const products = this.market.symbols.map((symbol) => {
      const meta = this.market.meta(symbol);
      const [base, quote] = symbol.split('/');
      const mid = this.market.book(symbol).mid();
      return {
        product_id: toProductId(symbol),
        price: wirePx(mid),
        base_increment: wireQty(meta.lotSize1e8),
        quote_increment: wirePx(meta.tickSize1e9),
        price_increment: wirePx(meta.tickSize1e9),
        base_min_size: wireQty(Math.max(meta.minQty1e8, meta.lotSize1e8)),
        base_max_size: '10000',
        quote_min_size: '1',
        quote_max_size: '100000000',
        base_name: base,
        quote_name: quote,
        status: 'online',
        cancel_only: false,
        limit_only: false,
        post_only: false,
        trading_disabled: false,
        is_disabled: false,
        product_type: 'SPOT',
        base_currency_id: base,
        quote_currency_id: quote,
        base_display_symbol: base,
        quote_display_symbol: quote,
        alias: '',
        alias_to: [],
        display_name: toProductId(symbol),
        product_venue: 'CBE',
      };
    });
    return { products, num_products: products.length };
  }

  /** An order request refused before it was read (rate limit), recorded with whatever its body names. */
  private recordRefusal(bodyText: string, reason: string): void {
    let body: Record<string, unknown> = {};
    try {
      body = parseBody(bodyText);
    } catch {
      // An unreadable body is recorded with no id.
    }
    this.ledger?.refused(this.ledger.receive(typeof body.client_order_id === 'string' ? body.client_order_id : '', wireRequest(body)), reason);
  }

  private async createOrder(body: Record<string, unknown>, res: ServerResponse): Promise<void> {
    const entry = this.ledger?.receive(typeof body.client_order_id === 'string' ? body.client_order_id : '', wireRequest(body));
    const parsed = this.parseOrder(body);
    if (typeof parsed === 'string') {
      this.ledger?.refused(entry, parsed);
      return json(res, 200, failure('INVALID_ARGUMENT', parsed, body.order_configuration));
    }
    const existing = this.market.order(parsed.clientOrderId);
    if (existing !== undefined) this.ledger?.resent(entry, existing.venueOrderId, 'client_order_id seen before: answered with that order, nothing placed');
    else this.ledger?.bind(entry, parsed.clientOrderId);
    // Idempotent on client_order_id (as documented): a repeat creates nothing and answers with the order it names.
    const order = existing ?? (await this.market.place(parsed));
    if (existing === undefined) this.remember(order, parsed.configuration, body);
    const answer = this.orderAnswer(order, parsed.configuration, body);
    const refusal = (answer as { error_response?: { message?: string } }).error_response;
    if (refusal !== undefined) this.ledger?.refused(entry, refusal.message ?? 'refused');
    else this.ledger?.placed(entry, order.venueOrderId);
    if (this.faults.loseNextOrderAck) {
      this.faults.loseNextOrderAck = false;
      this.held.add(res);
      res.on('close', () => this.held.delete(res));
      return;
    }
    if (this.faults.orderAckDelayMs > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          resolve();
        }, this.faults.orderAckDelayMs);
        this.timers.add(t);
      });
    }
    json(res, 200, answer);
  }

  private orderAnswer(order: EmulatedOrder, configuration: OrderConfiguration, body: Record<string, unknown>): unknown {
    const wireConfig = body.order_configuration;
    if (order.status === 'rejected') {
      const error = /lot size|decimal/.test(order.reason) ? 'INVALID_SIZE_PRECISION' : /tick/.test(order.reason) ? 'INVALID_PRICE_PRECISION' : /status|cancel_only|maintenance/.test(order.reason) ? 'ORDER_ENTRY_DISABLED' : 'INVALID_ARGUMENT';
      return failure(error, order.reason, wireConfig);
    }
    if (configuration === 'limit_limit_gtc' && order.reason === CancelReason.PostOnlyWouldCross) {
      return failure('INVALID_LIMIT_PRICE_POST_ONLY', 'Post-only order would cross the book', wireConfig);
    }
    return {
      success: true,
      failure_reason: 'UNKNOWN_FAILURE_REASON',
      order_id: order.venueOrderId,
      success_response: { order_id: order.venueOrderId, product_id: toProductId(order.symbol), side: order.side === 1 ? 'BUY' : 'SELL', client_order_id: order.clientOrderId },
      order_configuration: wireConfig,
    };
  }

  private parseOrder(body: Record<string, unknown>): (PlaceRequest & { configuration: OrderConfiguration }) | string {
    const clientOrderId = body.client_order_id;
    if (typeof clientOrderId !== 'string' || clientOrderId === '' || clientOrderId.length > MAX_CLIENT_ORDER_ID) {
      return `client_order_id must be a string of 1 to ${MAX_CLIENT_ORDER_ID} characters`;
    }
    const productId = body.product_id;
    let symbol: string;
    try {
      symbol = toNodeSymbol(String(productId));
    } catch {
      return `unknown product_id ${JSON.stringify(productId)}`;
    }
    if (!this.market.symbols.includes(symbol)) return `unknown product_id ${JSON.stringify(productId)}`;
    const side = body.side === 'BUY' ? 1 : body.side === 'SELL' ? -1 : 0;
    if (side === 0) return `side must be BUY or SELL, got ${JSON.stringify(body.side)}`;
    const config = body.order_configuration;
    if (typeof config !== 'object' || config === null) return 'order_configuration is required';
    const keys = Object.keys(config);
    const configuration = keys[0] as OrderConfiguration;
    if (keys.length !== 1 || !ORDER_CONFIGURATIONS.includes(configuration)) {
      return `unsupported order_configuration ${keys.join(',')}: the emulator takes ${ORDER_CONFIGURATIONS.join(', ')}`;
    }
    const params = (config as Record<string, Record<string, unknown>>)[configuration];
    try {
      const qty1e8 = parseDecimal(String(params.base_size ?? ''), QTY_DECIMALS);
      if (configuration === 'market_market_ioc') {
        if (params.quote_size !== undefined) return 'market_market_ioc: the emulator takes base_size only';
        return { clientOrderId, symbol, side, type: OrderType.Market, px1e9: 0, qty1e8, configuration };
      }
      const px1e9 = parseDecimal(String(params.limit_price ?? ''), PX_DECIMALS);
      const type =
        configuration === 'limit_limit_fok' ? OrderType.Fok : configuration === 'sor_limit_ioc' ? OrderType.Ioc : params.post_only === true ? OrderType.PostOnly : OrderType.Limit;
      return { clientOrderId, symbol, side, type, px1e9, qty1e8, configuration };
    } catch (err) {
      if (err instanceof DecimalError) return `${configuration}: ${err.message}`;
      throw err;
    }
  }

  private remember(order: EmulatedOrder, configuration: OrderConfiguration, body: Record<string, unknown>): void {
    this.records.set(order.venueOrderId, { configuration, body });
    this.placedIds.push(order.venueOrderId);
    if (this.placedIds.length > MAX_REMEMBERED_ORDERS) this.records.delete(this.placedIds.shift() as string);
  }

  private async batchCancel(body: Record<string, unknown>): Promise<unknown> {
    const ids = body.order_ids;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 100 || !ids.every((id) => typeof id === 'string')) {
      throw new BadRequest('order_ids must be a list of 1 to 100 order ids');
    }
    const results = await Promise.all(
      (ids as string[]).map(async (id) => {
        const order = this.market.order(id);
        if (order === undefined || order.venueOrderId !== id) {
          this.ledger?.cancel('', id, 'refused', 'UNKNOWN_CANCEL_ORDER');
          return { success: false, failure_reason: 'UNKNOWN_CANCEL_ORDER', order_id: id };
        }
        const { cancelled } = await this.market.cancel(id);
        this.ledger?.cancel(order.clientOrderId, id, cancelled ? 'canceled' : 'refused', cancelled ? '' : 'INVALID_CANCEL_REQUEST');
        return cancelled ? { success: true, failure_reason: 'UNKNOWN_CANCEL_FAILURE_REASON', order_id: id } : { success: false, failure_reason: 'INVALID_CANCEL_REQUEST', order_id: id };
      }),
    );
    return { results };
  }

  private getOrder(id: string, res: ServerResponse): void {
    const order = this.market.order(id);
    if (order === undefined || order.venueOrderId !== id) {
      return json(res, 404, { error: 'NOT_FOUND', error_details: 'order with this orderID was not found', message: 'order with this orderID was not found' });
    }
    json(res, 200, { order: this.wireOrder(order) });
  }

  private listOrders(query: URLSearchParams): unknown {
    const statuses = new Set(query.getAll('order_status'));
    const products = new Set(query.getAll('product_ids'));
    const source = statuses.size === 1 && statuses.has('OPEN') ? this.market.openOrders() : this.placedIds.map((id) => this.market.order(id)).filter((o) => o !== undefined);
    const matching = source
      .filter((o) => (statuses.size === 0 || statuses.has(wireStatus(o))) && (products.size === 0 || products.has(toProductId(o.symbol))))
      .sort((a, b) => b.createdNs - a.createdNs);
    const { page, cursor } = paginate(matching, query);
    return { orders: page.map((o) => this.wireOrder(o)), sequence: '0', has_next: cursor !== '', cursor };
  }

  private listFills(query: URLSearchParams): unknown {
    const orderIds = new Set(query.getAll('order_ids'));
    const products = new Set(query.getAll('product_ids'));
    const matching = this.market
      .fills()
      .filter((f) => (orderIds.size === 0 || orderIds.has(f.venueOrderId)) && (products.size === 0 || products.has(toProductId(f.symbol))))
      .reverse();
    const { page, cursor } = paginate(matching, query);
    return { fills: page.map((f) => this.wireFill(f)), cursor };
  }

  wireFill(fill: EmulatedFill): unknown {
    return {
      entry_id: emulatorUuid(this.seed, `entry:${fill.fillId}`),
      trade_id: emulatorUuid(this.seed, `trade:${fill.fillId}`),
      order_id: fill.venueOrderId,
      trade_time: wireTime(fill.tsNs),
      trade_type: 'FILL',
      price: wirePx(fill.px1e9),
      size: wireQty(fill.qty1e8),
      commission: wirePx(fill.fee1e9),
      product_id: toProductId(fill.symbol),
      sequence_timestamp: wireTime(fill.tsNs),
      liquidity_indicator: fill.liquidity === 'maker' ? 'MAKER' : 'TAKER',
      size_in_quote: false,
      user_id: 'emulator-user',
      side: fill.side === 1 ? 'BUY' : 'SELL',
    };
  }

  private wireOrder(order: EmulatedOrder): unknown {
    const record = this.records.get(order.venueOrderId);
    const fills = this.market.fills().filter((f) => f.venueOrderId === order.venueOrderId).length;
    return {
      order_id: order.venueOrderId,
      product_id: toProductId(order.symbol),
      user_id: 'emulator-user',
      order_configuration: record?.body.order_configuration ?? {},
      side: order.side === 1 ? 'BUY' : 'SELL',
      client_order_id: order.clientOrderId,
      status: wireStatus(order),
      time_in_force: timeInForce(order.type),
      created_time: wireTime(order.createdNs),
      completion_percentage: String(Math.floor((order.filled1e8 * 100) / order.qty1e8)),
      filled_size: wireQty(order.filled1e8),
      average_filled_price: wireAvgPx(order),
      number_of_fills: String(fills),
      filled_value: wirePx(order.filledNotional1e9),
      pending_cancel: false,
      size_in_quote: false,
      total_fees: wirePx(order.fee1e9),
      order_type: order.type === OrderType.Market ? 'MARKET' : 'LIMIT',
      reject_reason: order.status === 'rejected' ? 'REJECT_REASON_UNSPECIFIED' : '',
      reject_message: order.status === 'rejected' ? order.reason : '',
      cancel_message: order.status === 'canceled' ? order.reason : '',
      settled: order.status !== 'open',
      product_type: 'SPOT',
      order_placement_source: 'RETAIL_ADVANCED',
      outstanding_hold_amount: '0',
      is_liquidation: false,
      last_fill_time: null,
    };
  }
}

export function timeInForce(type: OrderType): string {
  switch (type) {
    case OrderType.Ioc:
    case OrderType.Market:
      return 'IMMEDIATE_OR_CANCEL';
    case OrderType.Fok:
      return 'FILL_OR_KILL';
    default:
      return 'GOOD_UNTIL_CANCELLED';
  }
}

const TRANSACTION_SUMMARY = {
  total_volume: 0,
  total_fees: 0,
  fee_tier: { pricing_tier: 'Advanced 1', usd_from: '0', usd_to: '10000', taker_fee_rate: '0.006', maker_fee_rate: '0.004' },
  margin_rate: null,
  goods_and_services_tax: null,
  advanced_trade_only_volume: 0,
  advanced_trade_only_fees: 0,
  coinbase_pro_volume: 0,
  coinbase_pro_fees: 0,
};

function failure(error: string, message: string, orderConfiguration: unknown): unknown {
  return {
    success: false,
    failure_reason: 'UNKNOWN_FAILURE_REASON',
    order_id: '',
    error_response: { error, message, error_details: message, new_order_failure_reason: error },
    order_configuration: orderConfiguration ?? null,
  };
}

/** An order request's market, side, price and size as its body carries them. */
function wireRequest(body: Record<string, unknown>): WireOrderRequest {
  const config = typeof body.order_configuration === 'object' && body.order_configuration !== null ? Object.values(body.order_configuration as Record<string, unknown>)[0] : undefined;
  const params = typeof config === 'object' && config !== null ? (config as Record<string, unknown>) : {};
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  return { symbol: text(body.product_id), side: text(body.side), px: text(params.limit_price), qty: text(params.base_size) };
}

function paginate<T>(items: T[], query: URLSearchParams): { page: T[]; cursor: string } {
  const limitText = query.get('limit');
  const limit = limitText === null ? DEFAULT_PAGE : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new BadRequest(`limit must be an integer from 1 to ${MAX_PAGE}`);
  const cursorText = query.get('cursor') ?? '';
  const start = cursorText === '' ? 0 : Number(cursorText);
  if (!Number.isInteger(start) || start < 0) throw new BadRequest('cursor is not one this venue gave out');
  const end = start + limit;
  return { page: items.slice(start, end), cursor: end < items.length ? String(end) : '' };
}

function parseBody(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text === '' ? '{}' : text);
  } catch {
    throw new BadRequest('the request body is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BadRequest('the request body must be a JSON object');
  return value as Record<string, unknown>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
