import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DecimalError, PX_DECIMALS, QTY_DECIMALS, QTY_SCALE, formatDecimal, mulDiv, notional1e9, parseDecimal } from '../../../node/fixedPoint.ts';
import { OrderType } from '../../../wasm/abi.ts';
import type { EmulatedFill, EmulatedOrder, EmulatorMarket } from '../../emulator/emulatorMarket.ts';
import type { LedgerOrder, VenueLedger } from '../../emulator/venueLedger.ts';
import type { SymbolMeta } from '../../venue.ts';
import { verifyKrakenSignature } from '../krakenSign.ts';

// The Kraken REST endpoints ccxt's `kraken` calls for loadMarkets and order entry, over an
// EmulatorMarket: public AssetPairs, Assets, Time, SystemStatus; private (API-Key and
// API-Sign verified, nonce strictly increasing per key) AddOrder, CancelOrder, CancelAll,
// CancelAllOrdersAfter, GetWebSocketsToken, OpenOrders, ClosedOrders, QueryOrders,
// TradesHistory. Answers use Kraken's envelope {"error":[...],"result":...} and its error
// texts, so ccxt maps them to the same exceptions it raises against Kraken. Order placing
// and cancelling are public (placeOrder, cancelOrder) for the private WebSocket's add_order
// and cancel_order, which share them.

export interface KrakenApiCredentials {
  apiKey: string;
  /** Base64, as Kraken issues it. */
  secret: string;
}

/** How a node symbol appears in Kraken's REST and WS v1 names. */
export interface KrakenPair {
  symbol: string;
  /** AssetPairs key, e.g. XXBTZUSD. */
  id: string;
  /** XBTUSD. */
  altname: string;
  /** XBT/USD (the v1 WebSocket name). */
  wsname: string;
  baseId: string;
  quoteId: string;
  baseAlt: string;
  quoteAlt: string;
  meta: SymbolMeta;
}

/** Kraken's legacy X/Z asset codes for the assets that have them. */
const KRAKEN_ASSETS: Readonly<Record<string, { id: string; alt: string }>> = {
  BTC: { id: 'XXBT', alt: 'XBT' },
  ETH: { id: 'XETH', alt: 'ETH' },
  LTC: { id: 'XLTC', alt: 'LTC' },
  XRP: { id: 'XXRP', alt: 'XRP' },
  DOGE: { id: 'XXDG', alt: 'XDG' },
  USD: { id: 'ZUSD', alt: 'USD' },
  EUR: { id: 'ZEUR', alt: 'EUR' },
  GBP: { id: 'ZGBP', alt: 'GBP' },
};

export function krakenPairFor(symbol: string, meta: SymbolMeta): KrakenPair {
  const [base, quote] = symbol.split('/');
  if (base === undefined || quote === undefined || base === '' || quote === '') throw new RangeError(`symbol "${symbol}" is not BASE/QUOTE`);
  const b = KRAKEN_ASSETS[base] ?? { id: base, alt: base };
  const q = KRAKEN_ASSETS[quote] ?? { id: quote, alt: quote };
  const legacy = b.id !== b.alt && q.id !== q.alt;
  return {
    symbol,
    id: legacy ? b.id + q.id : b.alt + q.alt,
    altname: b.alt + q.alt,
    wsname: `${b.alt}/${q.alt}`,
    baseId: b.id,
    quoteId: q.id,
    baseAlt: b.alt,
    quoteAlt: q.alt,
    meta,
  };
}

/** A Kraken-style id (`OUF4EM-FRGI2-MQMWZD`): prefix letter, then 16 base-32 characters from a hash of `key`. Deterministic. */
export function krakenStyleId(prefix: string, key: string): string {
  const digest = createHash('sha256').update(key).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let text = prefix;
  for (let i = 0; text.length < 17; i++) text += alphabet[(digest[i] as number) & 31];
  return `${text.slice(0, 6)}-${text.slice(6, 11)}-${text.slice(11, 17)}`;
}

export type KrakenTimeInForce = 'GTC' | 'IOC' | 'GTD';

/** What Kraken knows about an order beyond the market's record, keyed by the market's client order id. */
export interface KrakenOrderNote {
  clOrdId: string;
  orderType: 'limit' | 'market';
  timeInForce: KrakenTimeInForce;
  postOnly: boolean;
  /** Placed by the emulator itself (a counterparty in a fault): never shown to the account. */
  hidden: boolean;
}

/** Faults the REST side applies, set by the emulator. */
export interface RestFaults {
  /** Private order calls (AddOrder, CancelOrder) still to answer `EOrder:Rate limit exceeded`. */
  rateLimitRemaining: number;
  /** The next AddOrder places the order and is never answered (REST: the HTTP socket closes; WebSocket: no message). */
  loseNextOrderAck: boolean;
  /** AddOrder (REST or WebSocket) answers this much later than the order is placed. */
  orderAckDelayMs: number;
}

export interface DeadManState {
  /** The timeout last armed, seconds; 0 when disarmed. */
  timeoutSec: number;
  /** Arming calls with a non-zero timeout. */
  arms: number;
  /** Times the timer fired and cancelled everything. */
  fired: number;
}

export interface KrakenRestApiOptions {
  market: EmulatorMarket;
  pairs: readonly KrakenPair[];
  credentials: KrakenApiCredentials;
  faults: RestFaults;
  /** Issues a private WebSocket token. */
  issueToken(): { token: string; expires: number };
  /** A request for an unknown route, for the emulator's log. */
  onUnknownRoute?(method: string, path: string): void;
  /** Where order and cancel requests are recorded for a harness. */
  ledger?: VenueLedger;
  /** An authenticated AddOrder for a listed pair, with the arrival time handle() was given. */
  onAddOrder?(symbol: string, clOrdId: string, arrivedNs: number): void;
}

const MAX_BODY_BYTES = 64 * 1024;
/** Kraken answers at most 50 results per history page. */
const HISTORY_PAGE = 50;
const MAX_NOTES = 20_000;
const DEAD_MAN_MAX_SEC = 86_400;
const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const DECIMAL_RE = /^[0-9]+(\.[0-9]+)?$/;

/** A refusal, with Kraken's own error text as the message. */
export class KrakenError extends Error {}

/** What AddOrder answers, and the faults on that answer. */
export interface PlacedOrder {
  result: { descr: { order: string }; txid?: string[] };
  /** The lost-ack fault: the answer is never sent. */
  loseAnswer: boolean;
  /** The ack-delay fault: the answer is sent this much later. */
  answerDelayMs: number;
}

export class KrakenRestApi {
  private readonly market: EmulatorMarket;
  private readonly pairsById = new Map<string, KrakenPair>();
  private readonly pairsBySymbol = new Map<string, KrakenPair>();
  private readonly notes = new Map<string, KrakenOrderNote>();
  private readonly gtdTimers = new Set<NodeJS.Timeout>();
  private lastNonce = -1n;
  private orderSeq = 0;
  private deadManTimer: NodeJS.Timeout | null = null;
  readonly deadMan: DeadManState = { timeoutSec: 0, arms: 0, fired: 0 };

  constructor(private readonly options: KrakenRestApiOptions) {
    this.market = options.market;
    for (const pair of options.pairs) {
      this.pairsById.set(pair.id, pair);
      this.pairsById.set(pair.altname, pair);
      this.pairsBySymbol.set(pair.symbol, pair);
    }
  }

  /** Kraken's note for a market order record, by the market's client order id. */
  note(marketClientOrderId: string): KrakenOrderNote | undefined {
    return this.notes.get(marketClientOrderId);
  }

  pairOf(symbol: string): KrakenPair {
    const pair = this.pairsBySymbol.get(symbol);
    if (pair === undefined) throw new RangeError(`unknown symbol "${symbol}"`);
    return pair;
  }

  /** An order's public view: hidden counterparty orders are not the account's. */
  visible(order: EmulatedOrder): boolean {
    const note = this.notes.get(order.clientOrderId);
    return note !== undefined && !note.hidden;
  }

  /** Places an order no client sees (a fault's counterparty). */
  placeHidden(request: { symbol: string; side: 1 | -1; type: OrderType; px1e9: number; qty1e8: number }): Promise<EmulatedOrder> {
    const id = this.nextMarketId();
    this.addNote(id, { clOrdId: '', orderType: 'limit', timeInForce: 'IOC', postOnly: false, hidden: true });
    return this.market.place({ clientOrderId: id, ...request });
  }

  close(): void {
    if (this.deadManTimer !== null) clearTimeout(this.deadManTimer);
    this.deadManTimer = null;
    for (const timer of this.gtdTimers) clearTimeout(timer);
    this.gtdTimers.clear();
  }

  /** `arrivedNs`: when the request arrived, passed on to onAddOrder. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string, arrivedNs = 0): Promise<void> {
    let body: string;
    try {
      body = await readBody(req);
    } catch (err) {
      send(res, 413, { error: [`EGeneral:Invalid arguments:${(err as Error).message}`] });
      return;
    }
    if (path.startsWith('/0/public/')) {
      const result = this.publicCall(path.slice('/0/public/'.length));
      if (result === undefined) return this.unknown(req, res, path);
      send(res, 200, { error: [], result });
      return;
    }
    if (path.startsWith('/0/private/') && req.method === 'POST') {
      await this.privateCall(req, res, path, body, arrivedNs);
      return;
    }
    this.unknown(req, res, path);
  }

  private unknown(req: IncomingMessage, res: ServerResponse, path: string): void {
    this.options.onUnknownRoute?.(req.method ?? '?', path);
    send(res, 404, { error: [`EGeneral:Unknown method: the Kraken emulator does not serve ${req.method ?? '?'} ${path}`] });
  }

  private publicCall(method: string): unknown {
    switch (method) {
      case 'AssetPairs':
        return this.assetPairs();
      case 'Assets':
        return this.assets();
      case 'Time': {
        const nowMs = Date.now();
        return { unixtime: Math.floor(nowMs / 1000), rfc1123: new Date(nowMs).toUTCString() };
      }
      case 'SystemStatus':
        return { status: this.market.status, timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
      default:
        return undefined;
    }
  }

  private assetPairs(): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    for (const pair of this.options.pairs) {
      const { meta } = pair;
      result[pair.id] = {
        altname: pair.altname,
        wsname: pair.wsname,
        aclass_base: 'currency',
        base: pair.baseId,
        aclass_quote: 'currency',
        quote: pair.quoteId,
        lot: 'unit',
        cost_decimals: 8,
        pair_decimals: meta.pricePrecision,
        lot_decimals: meta.qtyPrecision,
        lot_multiplier: 1,
        leverage_buy: [],
        leverage_sell: [],
        fees: [[0, 0.26]],
        fees_maker: [[0, 0.16]],
        fee_volume_currency: 'ZUSD',
        margin_call: 80,
        margin_stop: 40,
        ordermin: formatDecimal(meta.minQty1e8, QTY_DECIMALS, meta.qtyPrecision),
        costmin: '0.5',
        tick_size: formatDecimal(meta.tickSize1e9, PX_DECIMALS, meta.pricePrecision),
        status: 'online',
      };
    }
    return result;
  }

  private assets(): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    for (const pair of this.options.pairs) {
      result[pair.baseId] = { aclass: 'currency', altname: pair.baseAlt, decimals: 10, display_decimals: 5, status: 'enabled' };
      result[pair.quoteId] = { aclass: 'currency', altname: pair.quoteAlt, decimals: 4, display_decimals: 2, status: 'enabled' };
    }
    return result;
  }

  private async privateCall(req: IncomingMessage, res: ServerResponse, path: string, body: string, arrivedNs: number): Promise<void> {
    const params = new URLSearchParams(body);
    const apiKey = req.headers['api-key'];
    const signature = req.headers['api-sign'];
    const nonceText = params.get('nonce') ?? '';
    // The nonce is checked after the signature, so a forged request cannot burn nonces.
    if (apiKey !== this.options.credentials.apiKey) return send(res, 200, { error: ['EAPI:Invalid key'] });
    if (typeof signature !== 'string' || !/^[0-9]{1,20}$/.test(nonceText) || !verifyKrakenSignature(this.options.credentials.secret, path, nonceText, body, signature)) {
      return send(res, 200, { error: ['EAPI:Invalid signature'] });
    }
    const nonce = BigInt(nonceText);
    if (nonce <= this.lastNonce) return send(res, 200, { error: ['EAPI:Invalid nonce'] });
    this.lastNonce = nonce;
    const method = path.slice('/0/private/'.length);
    try {
      switch (method) {
        case 'AddOrder': {
          const placed = await this.placeOrder(params, arrivedNs);
          // The order is placed; the answer is lost on the way back, as when a connection drops.
          if (placed.loseAnswer) return void res.socket?.destroy();
          if (placed.answerDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, placed.answerDelayMs));
          return send(res, 200, { error: [], result: placed.result });
        }
        case 'CancelOrder':
          return send(res, 200, { error: [], result: await this.cancelOrder(params) });
        case 'CancelAll':
          return send(res, 200, { error: [], result: { count: await this.cancelAll() } });
        case 'CancelAllOrdersAfter':
          return send(res, 200, { error: [], result: this.cancelAllOrdersAfter(params) });
        case 'GetWebSocketsToken':
          return send(res, 200, { error: [], result: this.options.issueToken() });
        case 'OpenOrders':
          return send(res, 200, { error: [], result: { open: this.orderMap(this.market.openOrders(), params) } });
        case 'ClosedOrders': {
          const closed = this.closedOrders(params);
          return send(res, 200, { error: [], result: { closed: this.orderMap(closed, params), count: closed.length } });
        }
        case 'QueryOrders':
          return send(res, 200, { error: [], result: this.queryOrders(params) });
        case 'TradesHistory':
          return send(res, 200, { error: [], result: this.tradesHistory() });
        default:
          return this.unknown(req, res, path);
      }
    } catch (err) {
      if (err instanceof KrakenError) return send(res, 200, { error: [err.message] });
      throw err;
    }
  }

  private takeRateLimit(): void {
    if (this.options.faults.rateLimitRemaining <= 0) return;
    this.options.faults.rateLimitRemaining--;
    throw new KrakenError('EOrder:Rate limit exceeded');
  }

  /**
   * AddOrder in REST's parameter names, whichever transport carried it (the private
   * WebSocket's add_order is translated to them), with its request and outcome (placed, or
   * refused and why) in the ledger. Throws KrakenError with Kraken's text for a refusal.
   * Resolves once the order is placed; the faults on its answer (lost, delayed) are the
   * transport's to apply.
   */
  async placeOrder(params: URLSearchParams, arrivedNs: number): Promise<PlacedOrder> {
    const wire = { symbol: params.get('pair') ?? '', side: params.get('type') ?? '', px: params.get('price') ?? '', qty: params.get('volume') ?? '' };
    const entry = this.options.ledger?.receive(params.get('cl_ord_id') ?? '', wire);
    try {
      return await this.addOrder(params, arrivedNs, entry);
    } catch (err) {
      if (err instanceof KrakenError) this.options.ledger?.refused(entry, err.message);
      throw err;
    }
  }

  private async addOrder(params: URLSearchParams, arrivedNs: number, entry?: LedgerOrder): Promise<PlacedOrder> {
    this.takeRateLimit();
    const pair = this.pairsById.get(params.get('pair') ?? '');
    if (pair === undefined) throw new KrakenError('EQuery:Unknown asset pair');
    this.options.onAddOrder?.(pair.symbol, params.get('cl_ord_id') ?? '', arrivedNs);
    const side = params.get('type');
    if (side !== 'buy' && side !== 'sell') throw new KrakenError('EGeneral:Invalid arguments:type');
    const orderType = params.get('ordertype');
    if (orderType !== 'limit' && orderType !== 'market') throw new KrakenError('EGeneral:Invalid arguments:ordertype');
    const flags = (params.get('oflags') ?? '').split(',').filter((f) => f !== '');
    for (const flag of flags) if (!['post', 'fcib', 'fciq', 'nompp'].includes(flag)) throw new KrakenError('EGeneral:Invalid arguments:oflags');
    const postOnly = flags.includes('post');
    if (postOnly && orderType === 'market') throw new KrakenError('EGeneral:Invalid arguments:oflags');
    const tif = (params.get('timeinforce') ?? 'GTC').toUpperCase();
    if (tif !== 'GTC' && tif !== 'IOC' && tif !== 'GTD') throw new KrakenError('EGeneral:Invalid arguments:timeinforce');
    if (tif === 'IOC' && postOnly) throw new KrakenError('EGeneral:Invalid arguments:timeinforce');
    const expireSec = tif === 'GTD' ? Number(params.get('expiretm') ?? '') : 0;
    if (tif === 'GTD' && !(Number.isFinite(expireSec) && expireSec > 0)) throw new KrakenError('EGeneral:Invalid arguments:expiretm');
    const qty1e8 = this.decimal(params.get('volume'), QTY_DECIMALS, 'EGeneral:Invalid arguments:volume');
    const { meta } = pair;
    if (qty1e8 <= 0) throw new KrakenError('EGeneral:Invalid arguments:volume');
    if (qty1e8 % meta.lotSize1e8 !== 0) throw new KrakenError(`EGeneral:Invalid arguments:volume`);
    if (qty1e8 < meta.minQty1e8) throw new KrakenError('EOrder:Order minimum not met');
    let px1e9 = 0;
    if (orderType === 'limit') {
      if (params.get('price') === null) throw new KrakenError('EGeneral:Invalid arguments:price');
      px1e9 = this.decimal(params.get('price'), PX_DECIMALS, 'EGeneral:Invalid arguments:price');
      if (px1e9 <= 0) throw new KrakenError('EGeneral:Invalid arguments:price');
      if (px1e9 % meta.tickSize1e9 !== 0) {
        throw new KrakenError(`EOrder:Invalid price:${pair.altname} price can only be specified up to ${meta.pricePrecision} decimals.`);
      }
    }
    const clOrdId = params.get('cl_ord_id') ?? '';
    if (clOrdId !== '') {
      if (params.get('userref') !== null) throw new KrakenError('EGeneral:Invalid arguments:cl_ord_id and userref cannot be used together');
      if (!UUID_RE.test(clOrdId) && clOrdId.length > 18) throw new KrakenError('EGeneral:Invalid arguments:cl_ord_id');
      // Kraken enforces cl_ord_id uniqueness across the account's open orders only.
      const open = this.findOpenByClOrdId(clOrdId);
      if (open !== undefined) {
        this.options.ledger?.resent(entry, open.venueOrderId, 'EOrder:Duplicate cl_ord_id: an open order has this cl_ord_id');
        throw new KrakenError('EOrder:Duplicate cl_ord_id');
      }
    }
    const status = this.market.status;
    if (status === 'maintenance') throw new KrakenError('EService:Unavailable');
    if (status === 'cancel_only') throw new KrakenError('EService:Market in cancel_only mode');
    if (status === 'post_only' && !postOnly) throw new KrakenError('EService:Market in post_only mode');
    const descr = {
      order: `${side} ${formatDecimal(qty1e8, QTY_DECIMALS, meta.qtyPrecision)} ${pair.altname} @ ${orderType === 'limit' ? `limit ${formatDecimal(px1e9, PX_DECIMALS, meta.pricePrecision)}` : 'market'}`,
    };
    if (params.get('validate') === 'true') {
      this.options.ledger?.refused(entry, 'validate=true: checked, not placed');
      return { result: { descr }, loseAnswer: false, answerDelayMs: 0 };
    }
    const type = orderType === 'market' ? OrderType.Market : postOnly ? OrderType.PostOnly : tif === 'IOC' ? OrderType.Ioc : OrderType.Limit;
    const marketId = this.nextMarketId();
    this.addNote(marketId, { clOrdId, orderType, timeInForce: tif, postOnly, hidden: false });
    this.options.ledger?.bind(entry, marketId);
    const order = await this.market.place({ clientOrderId: marketId, symbol: pair.symbol, side: side === 'buy' ? 1 : -1, type, px1e9, qty1e8 });
    if (order.status === 'rejected') throw new KrakenError(`EOrder:Invalid order:${order.reason}`);
    this.options.ledger?.placed(entry, order.venueOrderId);
    if (tif === 'GTD' && order.status === 'open') this.expireAt(order, expireSec * 1000);
    const faults = this.options.faults;
    const lose = faults.loseNextOrderAck;
    faults.loseNextOrderAck = false;
    return { result: { descr, txid: [order.venueOrderId] }, loseAnswer: lose, answerDelayMs: faults.orderAckDelayMs };
  }

  /** CancelOrder in REST's parameter names (exactly one of txid and cl_ord_id); throws KrakenError with Kraken's text. */
  async cancelOrder(params: URLSearchParams): Promise<{ count: number }> {
    this.takeRateLimit();
    const txid = params.get('txid');
    const clOrdId = params.get('cl_ord_id');
    if ((txid === null) === (clOrdId === null)) throw new KrakenError('EGeneral:Invalid arguments:txid or cl_ord_id');
    const order = txid !== null ? this.accountOrder(txid) : this.findOpenByClOrdId(clOrdId as string);
    const wireId = order === undefined ? (clOrdId ?? '') : (this.notes.get(order.clientOrderId)?.clOrdId ?? '');
    if (order === undefined || order.status !== 'open') {
      this.options.ledger?.cancel(wireId, order?.venueOrderId ?? txid ?? '', 'refused', 'EOrder:Unknown order');
      throw new KrakenError('EOrder:Unknown order');
    }
    const { cancelled } = await this.market.cancel(order.venueOrderId);
    this.options.ledger?.cancel(wireId, order.venueOrderId, cancelled ? 'canceled' : 'refused', cancelled ? '' : 'EOrder:Unknown order');
    if (!cancelled) throw new KrakenError('EOrder:Unknown order');
    return { count: 1 };
  }

  /** Cancels every open order of the account; how many. */
  async cancelAll(): Promise<number> {
    const open = this.market.openOrders().filter((o) => this.visible(o));
    const results = await Promise.all(open.map((o) => this.market.cancel(o.venueOrderId)));
    return results.filter((r) => r.cancelled).length;
  }

  private cancelAllOrdersAfter(params: URLSearchParams): { currentTime: string; triggerTime: string } {
    const text = params.get('timeout') ?? '';
    const timeoutSec = /^[0-9]+$/.test(text) ? Number(text) : NaN;
    if (!(timeoutSec >= 0 && timeoutSec < DEAD_MAN_MAX_SEC)) throw new KrakenError('EGeneral:Invalid arguments:timeout');
    if (this.deadManTimer !== null) clearTimeout(this.deadManTimer);
    this.deadManTimer = null;
    this.deadMan.timeoutSec = timeoutSec;
    const nowMs = Date.now();
    const currentTime = isoSeconds(nowMs);
    if (timeoutSec === 0) return { currentTime, triggerTime: '0' };
    this.deadMan.arms++;
    this.deadManTimer = setTimeout(() => {
      // Once fired it stays disabled until a new non-zero timeout arrives, as at Kraken.
      this.deadManTimer = null;
      this.deadMan.timeoutSec = 0;
      this.deadMan.fired++;
      void this.cancelAll();
    }, timeoutSec * 1000);
    return { currentTime, triggerTime: isoSeconds(nowMs + timeoutSec * 1000) };
  }

  private closedOrders(params: URLSearchParams): EmulatedOrder[] {
    const closed: EmulatedOrder[] = [];
    for (const note of this.notes.keys()) {
      const order = this.market.order(note);
      if (order !== undefined && order.status !== 'open' && order.status !== 'rejected') closed.push(order);
    }
    closed.sort((a, b) => b.updatedNs - a.updatedNs);
    const clOrdId = params.get('cl_ord_id');
    return clOrdId === null ? closed.slice(0, HISTORY_PAGE) : closed;
  }

  private queryOrders(params: URLSearchParams): Record<string, unknown> {
    const ids = (params.get('txid') ?? '').split(',').filter((t) => t !== '');
    if (ids.length === 0 || ids.length > HISTORY_PAGE) throw new KrakenError('EGeneral:Invalid arguments:txid');
    const result: Record<string, unknown> = {};
    for (const id of ids) {
      const order = this.accountOrder(id);
      if (order === undefined) throw new KrakenError('EOrder:Invalid order');
      result[order.venueOrderId] = this.orderInfo(order);
    }
    return result;
  }

  private tradesHistory(): { trades: Record<string, unknown>; count: number } {
    const mine = this.market.fills().filter((f) => this.notes.get(f.clientOrderId)?.hidden === false);
    const page = mine.slice(-HISTORY_PAGE).reverse();
    const trades: Record<string, unknown> = {};
    for (const fill of page) trades[krakenTradeId(fill)] = this.tradeInfo(fill);
    return { trades, count: mine.length };
  }

  private orderMap(orders: EmulatedOrder[], params: URLSearchParams): Record<string, unknown> {
    const clOrdId = params.get('cl_ord_id');
    const result: Record<string, unknown> = {};
    for (const order of orders) {
      const note = this.notes.get(order.clientOrderId);
      if (note === undefined || note.hidden) continue;
      if (clOrdId !== null && note.clOrdId !== clOrdId) continue;
      result[order.venueOrderId] = this.orderInfo(order);
    }
    return result;
  }

  private orderInfo(order: EmulatedOrder): Record<string, unknown> {
    const note = this.notes.get(order.clientOrderId) as KrakenOrderNote;
    const pair = this.pairOf(order.symbol);
    const { pricePrecision, qtyPrecision } = pair.meta;
    const side = order.side === 1 ? 'buy' : 'sell';
    const price = note.orderType === 'limit' ? formatDecimal(order.px1e9, PX_DECIMALS, pricePrecision) : '0';
    const avg = order.filled1e8 > 0 ? mulDiv(order.filledNotional1e9, QTY_SCALE, order.filled1e8) : 0;
    const status = order.status === 'open' ? 'open' : order.status === 'filled' ? 'closed' : 'canceled';
    const info: Record<string, unknown> = {
      refid: null,
      userref: 0,
      cl_ord_id: note.clOrdId === '' ? undefined : note.clOrdId,
      status,
      opentm: order.createdNs / 1e9,
      starttm: 0,
      expiretm: 0,
      descr: {
        pair: pair.altname,
        type: side,
        ordertype: note.orderType,
        price,
        price2: '0',
        leverage: 'none',
        order: `${side} ${formatDecimal(order.qty1e8, QTY_DECIMALS, qtyPrecision)} ${pair.altname} @ ${note.orderType === 'limit' ? `limit ${price}` : 'market'}`,
        close: '',
      },
      vol: formatDecimal(order.qty1e8, QTY_DECIMALS, qtyPrecision),
      vol_exec: formatDecimal(order.filled1e8, QTY_DECIMALS, qtyPrecision),
      cost: formatDecimal(order.filledNotional1e9, PX_DECIMALS, 8),
      fee: formatDecimal(order.fee1e9, PX_DECIMALS, 8),
      price: formatDecimal(avg, PX_DECIMALS, pricePrecision),
      stopprice: '0.00000',
      limitprice: '0.00000',
      misc: '',
      oflags: note.postOnly ? 'post,fciq' : 'fciq',
      timeinforce: note.timeInForce,
    };
    if (status !== 'open') {
      info.closetm = order.updatedNs / 1e9;
      info.reason = order.status === 'canceled' ? krakenCancelReason(order.reason) : null;
    }
    return info;
  }

  private tradeInfo(fill: EmulatedFill): Record<string, unknown> {
    const pair = this.pairOf(fill.symbol);
    const note = this.notes.get(fill.clientOrderId) as KrakenOrderNote;
    return {
      ordertxid: fill.venueOrderId,
      postxid: krakenStyleId('T', `pos:${fill.fillId}`),
      pair: pair.id,
      time: fill.tsNs / 1e9,
      type: fill.side === 1 ? 'buy' : 'sell',
      ordertype: note.orderType,
      price: formatDecimal(fill.px1e9, PX_DECIMALS, pair.meta.pricePrecision),
      cost: formatDecimal(notional1e9(fill.px1e9, fill.qty1e8), PX_DECIMALS, 8),
      fee: formatDecimal(fill.fee1e9, PX_DECIMALS, 8),
      vol: formatDecimal(fill.qty1e8, QTY_DECIMALS, pair.meta.qtyPrecision),
      margin: '0.00000',
      leverage: '0',
      misc: '',
      maker: fill.liquidity === 'maker',
      trade_id: krakenTradeNumber(fill),
    };
  }

  private accountOrder(id: string): EmulatedOrder | undefined {
    const order = this.market.order(id);
    if (order === undefined || order.venueOrderId !== id || !this.visible(order)) return undefined;
    return order;
  }

  private findOpenByClOrdId(clOrdId: string): EmulatedOrder | undefined {
    for (const order of this.market.openOrders()) {
      const note = this.notes.get(order.clientOrderId);
      if (note !== undefined && !note.hidden && note.clOrdId === clOrdId) return order;
    }
    return undefined;
  }

  private expireAt(order: EmulatedOrder, atMs: number): void {
    const timer = setTimeout(() => {
      this.gtdTimers.delete(timer);
      void this.market.cancel(order.venueOrderId);
    }, Math.max(0, atMs - Date.now()));
    this.gtdTimers.add(timer);
  }

  private decimal(text: string | null, decimals: number, error: string): number {
    if (text === null || !DECIMAL_RE.test(text)) throw new KrakenError(error);
    try {
      return parseDecimal(text, decimals);
    } catch (err) {
      if (err instanceof DecimalError) throw new KrakenError(error);
      throw err;
    }
  }

  private nextMarketId(): string {
    return `k${++this.orderSeq}`;
  }

  private addNote(id: string, note: KrakenOrderNote): void {
    this.notes.set(id, note);
    // Notes outlive the market's memory of closed orders by a margin; the oldest go first.
    if (this.notes.size > MAX_NOTES) this.notes.delete(this.notes.keys().next().value as string);
  }
}

/** The trade id (TradesHistory key, executions exec_id) of a market fill. */
export function krakenTradeId(fill: EmulatedFill): string {
  return krakenStyleId('T', `trade:${fill.fillId}`);
}

/** The numeric per-book trade id of the executions channel. */
export function krakenTradeNumber(fill: EmulatedFill): number {
  return createHash('sha256').update(fill.fillId).digest().readUInt32BE(0);
}

/** Kraken's wording for why an order was cancelled, from the market's reason. */
export function krakenCancelReason(reason: string): string {
  if (/post-only/i.test(reason)) return 'Post only order';
  if (/ioc|fok|immediate|remain|unfilled/i.test(reason)) return 'Order remainder canceled: immediate or cancel';
  return 'User requested';
}

/** A fresh random token, as GetWebSocketsToken issues. */
export function newWsToken(): string {
  return randomBytes(32).toString('base64').replace(/=+$/, '');
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error(`body over ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
