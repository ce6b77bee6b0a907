import type { WebSocket } from 'ws';
import { PX_DECIMALS, QTY_DECIMALS, formatDecimal, notional1e9 } from '../../../node/fixedPoint.ts';
import type { EmulatedFill, EmulatedOrder, EmulatorMarket } from '../../emulator/emulatorMarket.ts';
import { quoteNumbers } from '../krakenExecutions.ts';
import { type KrakenRestApi, KrakenError, krakenCancelReason, krakenStyleId, krakenTradeId, krakenTradeNumber } from './krakenRestApi.ts';

// The emulator's private WebSocket (Kraken WS v2 on ws-auth): the `executions` channel and
// order entry (add_order, cancel_order).
// A subscription carries a token from GetWebSocketsToken (a bad one gets Kraken's error and
// the socket stays open); it answers with an ack, a snapshot of the account's open orders,
// then one update per order change: pending_new and new when accepted, trade per fill
// (exec_id = the TradesHistory trade id, so both views name a fill alike), filled, and
// canceled with Kraken's reason. `sequence` counts the channel's messages per connection.
// Numbers print at the pair's fixed precision, as Kraken's engine does.
// add_order and cancel_order carry the token too; their parameters are translated to
// AddOrder's and CancelOrder's REST names and run through the same KrakenRestApi code, so
// both transports validate, match, fault (rate limits, delayed and lost answers) and
// record in the ledger alike. Numbers are read from their text, never as floats.

export interface KrakenPrivateWsOptions {
  market: EmulatorMarket;
  api: KrakenRestApi;
  tokenValid(token: string): boolean;
  /** Default 1000. */
  heartbeatMs?: number;
  /** An add_order or cancel_order message arrived (before any check), for a timing probe. */
  onOrderRequest?(method: 'add_order' | 'cancel_order', arrivedNs: number): void;
}

type WsMessage = { method?: unknown; req_id?: unknown; params?: Record<string, unknown> };

interface Client {
  ws: WebSocket;
  subscribed: boolean;
  sequence: number;
  /** The connection's order requests, handled one after another in arrival order. */
  orders: Promise<void>;
}

/** A client this far behind is dropped, as Kraken drops slow consumers. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
const MAX_FRAME_BYTES = 16 * 1024;

/** A decimal printed as a JSON number with its exact digits. */
class Raw {
  constructor(readonly text: string) {}
  toJSON(): string {
    return `\u0000${this.text}\u0000`;
  }
}

function toJson(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0000(-?[0-9.]+)\\u0000"/g, '$1');
}

export function rfc3339(ns: number): string {
  const ms = Math.floor(ns / 1e6);
  const micros = String(Math.floor(ns / 1e3) % 1e6).padStart(6, '0');
  return new Date(ms).toISOString().replace(/\.\d+Z$/, `.${micros}Z`);
}

export class KrakenPrivateWs {
  private readonly clients = new Set<Client>();
  /** Orders whose acceptance was announced and that are still open (market client order ids). */
  private readonly announced = new Set<string>();
  private readonly unsubscribe: () => void;
  private readonly heartbeat: NodeJS.Timeout;
  private execSeq = 0;

  constructor(private readonly options: KrakenPrivateWsOptions) {
    this.unsubscribe = options.market.subscribe({ onOrder: (order, fill) => this.onOrder(order, fill) });
    this.heartbeat = setInterval(() => this.heartbeatAll(), options.heartbeatMs ?? 1000);
    this.heartbeat.unref();
  }

  get connections(): number {
    return this.clients.size;
  }

  accept(ws: WebSocket): void {
    const client: Client = { ws, subscribed: false, sequence: 0, orders: Promise.resolve() };
    this.clients.add(client);
    ws.on('message', (data, isBinary) => {
      if (isBinary || (data as Buffer).length > MAX_FRAME_BYTES) {
        this.sendTo(client, toJson({ error: 'EGeneral:Invalid arguments', success: false, ...times() }));
        return;
      }
      this.onMessage(client, String(data));
    });
    ws.on('close', () => this.clients.delete(client));
    ws.on('error', () => ws.terminate());
  }

  /** Fault: every private socket dies without a close handshake. */
  dropConnections(): void {
    for (const client of this.clients) client.ws.terminate();
    this.clients.clear();
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.unsubscribe();
    for (const client of this.clients) client.ws.terminate();
    this.clients.clear();
  }

  private onMessage(client: Client, text: string): void {
    const arrivedNs = this.options.onOrderRequest === undefined ? 0 : performance.now() * 1e6;
    let message: WsMessage;
    try {
      message = JSON.parse(quoteNumbers(text));
    } catch {
      this.sendTo(client, toJson({ error: 'EGeneral:Invalid arguments: not JSON', success: false, ...times() }));
      return;
    }
    // Numbers arrive as their text (quoteNumbers); req_id is echoed as the integer it was.
    const reqId = typeof message.req_id === 'string' && /^[0-9]{1,15}$/.test(message.req_id) ? { req_id: Number(message.req_id) } : {};
    if (message.method === 'ping') {
      this.sendTo(client, toJson({ method: 'pong', ...reqId, ...times() }));
      return;
    }
    if (message.method === 'add_order' || message.method === 'cancel_order') {
      this.options.onOrderRequest?.(message.method, arrivedNs);
      const params = message.params ?? {};
      if (typeof params.token !== 'string' || !this.options.tokenValid(params.token)) {
        this.sendTo(client, toJson({ error: 'ESession:Invalid session', method: message.method, success: false, ...reqId, ...times() }));
        return;
      }
      // In arrival order: a cancel sent right behind its order finds the order placed.
      const method = message.method;
      client.orders = client.orders.then(() => (method === 'add_order' ? this.addOrder(client, params, reqId, arrivedNs) : this.cancelOrder(client, params, reqId)));
      return;
    }
    if (message.method === 'subscribe' || message.method === 'unsubscribe') {
      const params = message.params ?? {};
      if (params.channel !== 'executions') {
        this.sendTo(client, toJson({ error: 'Channel not found', method: message.method, success: false, ...reqId, ...times() }));
        return;
      }
      if (typeof params.token !== 'string' || !this.options.tokenValid(params.token)) {
        this.sendTo(client, toJson({ error: 'ESession:Invalid session', method: message.method, success: false, ...reqId, ...times() }));
        return;
      }
      if (message.method === 'unsubscribe') {
        client.subscribed = false;
        this.sendTo(client, toJson({ method: 'unsubscribe', result: { channel: 'executions' }, success: true, ...reqId, ...times() }));
        return;
      }
      client.subscribed = true;
      this.sendTo(client, toJson({ method: 'subscribe', result: { channel: 'executions', maxratecount: 180, snapshot: true, warnings: [] }, success: true, ...reqId, ...times() }));
      if (params.snap_orders !== false) {
        const open = this.options.market.openOrders().filter((o) => this.options.api.visible(o));
        const data = open.map((o) => this.orderEntry(o, null));
        this.sendTo(client, toJson({ channel: 'executions', type: 'snapshot', data, sequence: ++client.sequence }));
      }
      return;
    }
    this.sendTo(client, toJson({ error: 'Method not found', method: message.method, success: false, ...reqId, ...times() }));
  }

  private async addOrder(client: Client, params: Record<string, unknown>, reqId: { req_id?: number }, arrivedNs: number): Promise<void> {
    try {
      const placed = await this.options.api.placeOrder(this.restAddOrder(params), arrivedNs);
      if (placed.loseAnswer) return;
      const result: Record<string, unknown> = { order_id: placed.result.txid?.[0] ?? '' };
      if (typeof params.cl_ord_id === 'string') result.cl_ord_id = params.cl_ord_id;
      const answer = () => this.sendTo(client, toJson({ method: 'add_order', ...reqId, result, success: true, ...times() }));
      // A delayed answer does not hold the requests behind it: they were not waiting on it.
      if (placed.answerDelayMs > 0) setTimeout(answer, placed.answerDelayMs);
      else answer();
    } catch (err) {
      this.sendTo(client, toJson({ error: errorText(err), method: 'add_order', success: false, ...reqId, ...times() }));
    }
  }

  /** One answer per id, as Kraken gives; exactly one of order_id[] and cl_ord_id[]. */
  private async cancelOrder(client: Client, params: Record<string, unknown>, reqId: { req_id?: number }): Promise<void> {
    const byTxid = Array.isArray(params.order_id);
    const ids = byTxid ? params.order_id : params.cl_ord_id;
    if (byTxid === Array.isArray(params.cl_ord_id) || !Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string')) {
      this.sendTo(client, toJson({ error: 'EGeneral:Invalid arguments:order_id or cl_ord_id', method: 'cancel_order', success: false, ...reqId, ...times() }));
      return;
    }
    for (const id of ids as string[]) {
      const key = byTxid ? 'order_id' : 'cl_ord_id';
      try {
        await this.options.api.cancelOrder(new URLSearchParams({ [byTxid ? 'txid' : 'cl_ord_id']: id }));
        this.sendTo(client, toJson({ method: 'cancel_order', ...reqId, result: { [key]: id }, success: true, ...times() }));
      } catch (err) {
        this.sendTo(client, toJson({ error: errorText(err), method: 'cancel_order', result: { [key]: id }, success: false, ...reqId, ...times() }));
      }
    }
  }

  /** add_order's parameters in AddOrder's REST names; an unlisted symbol becomes an unknown pair. */
  private restAddOrder(params: Record<string, unknown>): URLSearchParams {
    const rest = new URLSearchParams();
    const text = (key: string) => (typeof params[key] === 'string' ? (params[key] as string) : undefined);
    const symbol = text('symbol');
    let pairId = '';
    try {
      if (symbol !== undefined) pairId = this.options.api.pairOf(symbol).id;
    } catch {
      pairId = '';
    }
    rest.set('pair', pairId);
    for (const [wsKey, restKey] of [
      ['side', 'type'],
      ['order_type', 'ordertype'],
      ['order_qty', 'volume'],
      ['limit_price', 'price'],
      ['cl_ord_id', 'cl_ord_id'],
    ] as const) {
      const value = text(wsKey);
      if (value !== undefined) rest.set(restKey, value);
    }
    const tif = text('time_in_force');
    if (tif !== undefined) rest.set('timeinforce', tif.toUpperCase());
    if (params.post_only === true) rest.set('oflags', 'post');
    if (params.validate === true) rest.set('validate', 'true');
    return rest;
  }

  private onOrder(order: EmulatedOrder, fill: EmulatedFill | null): void {
    if (!this.options.api.visible(order)) return;
    const id = order.clientOrderId;
    const entries: Record<string, unknown>[] = [];
    if (!this.announced.has(id)) {
      if (order.status === 'rejected') return;
      this.announced.add(id);
      entries.push(this.orderEntry(order, 'pending_new'), this.statusEntry(order, 'new', 'new'));
    }
    if (fill !== null) {
      entries.push(this.tradeEntry(order, fill));
      if (order.status === 'filled') entries.push(this.statusEntry(order, 'filled', 'filled'));
    } else if (order.status === 'canceled') {
      entries.push({ ...this.statusEntry(order, 'canceled', 'canceled'), reason: krakenCancelReason(order.reason) });
    }
    if (order.status !== 'open') this.announced.delete(id);
    for (const entry of entries) this.broadcastUpdate(entry);
  }

  private broadcastUpdate(entry: Record<string, unknown>): void {
    for (const client of this.clients) {
      if (!client.subscribed) continue;
      this.sendTo(client, toJson({ channel: 'executions', type: 'update', data: [entry], sequence: ++client.sequence }));
    }
  }

  /** Heartbeats go to subscribed sockets only, as Kraken sends them once a subscription exists. */
  private heartbeatAll(): void {
    for (const client of this.clients) if (client.subscribed) this.sendTo(client, '{"channel":"heartbeat"}');
  }

  private sendTo(client: Client, text: string): void {
    if (client.ws.readyState !== client.ws.OPEN) return;
    if (client.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      client.ws.terminate();
      this.clients.delete(client);
      return;
    }
    client.ws.send(text);
  }

  /** A full order description: snapshot entries (execType null) and pending_new. */
  private orderEntry(order: EmulatedOrder, execType: 'pending_new' | null): Record<string, unknown> {
    const note = this.options.api.note(order.clientOrderId);
    const { pricePrecision, qtyPrecision } = this.options.api.pairOf(order.symbol).meta;
    const entry: Record<string, unknown> = {
      order_id: order.venueOrderId,
      symbol: order.symbol,
      order_qty: new Raw(formatDecimal(order.qty1e8, QTY_DECIMALS, qtyPrecision)),
      cum_qty: new Raw(formatDecimal(order.filled1e8, QTY_DECIMALS, qtyPrecision)),
      cum_cost: new Raw(formatDecimal(order.filledNotional1e9, PX_DECIMALS, 8)),
      time_in_force: note?.timeInForce ?? 'GTC',
      side: order.side === 1 ? 'buy' : 'sell',
      order_type: note?.orderType ?? 'limit',
      order_userref: 0,
      post_only: note?.postOnly ?? false,
      order_status: execType ?? (order.filled1e8 > 0 ? 'partially_filled' : 'new'),
      fee_ccy_pref: 'fciq',
      timestamp: rfc3339(order.createdNs),
    };
    if (note?.orderType !== 'market') entry.limit_price = new Raw(formatDecimal(order.px1e9, PX_DECIMALS, pricePrecision));
    if (note !== undefined && note.clOrdId !== '') entry.cl_ord_id = note.clOrdId;
    if (execType !== null) {
      entry.exec_type = execType;
      entry.exec_id = this.nextExecId();
    }
    return entry;
  }

  private statusEntry(order: EmulatedOrder, execType: string, status: string): Record<string, unknown> {
    const note = this.options.api.note(order.clientOrderId);
    const entry: Record<string, unknown> = {
      order_id: order.venueOrderId,
      exec_id: this.nextExecId(),
      exec_type: execType,
      order_status: status,
      order_userref: 0,
      timestamp: rfc3339(order.updatedNs),
    };
    if (note !== undefined && note.clOrdId !== '') entry.cl_ord_id = note.clOrdId;
    return entry;
  }

  private tradeEntry(order: EmulatedOrder, fill: EmulatedFill): Record<string, unknown> {
    const { pricePrecision, qtyPrecision } = this.options.api.pairOf(order.symbol).meta;
    const pair = this.options.api.pairOf(order.symbol);
    const fee = new Raw(formatDecimal(fill.fee1e9, PX_DECIMALS, 8));
    return {
      ...this.statusEntry(order, 'trade', order.status === 'filled' ? 'filled' : 'partially_filled'),
      exec_id: krakenTradeId(fill),
      trade_id: krakenTradeNumber(fill),
      symbol: order.symbol,
      side: order.side === 1 ? 'buy' : 'sell',
      order_type: this.options.api.note(order.clientOrderId)?.orderType ?? 'limit',
      last_qty: new Raw(formatDecimal(fill.qty1e8, QTY_DECIMALS, qtyPrecision)),
      last_price: new Raw(formatDecimal(fill.px1e9, PX_DECIMALS, pricePrecision)),
      liquidity_ind: fill.liquidity === 'maker' ? 'm' : 't',
      cost: new Raw(formatDecimal(notional1e9(fill.px1e9, fill.qty1e8), PX_DECIMALS, 8)),
      cum_qty: new Raw(formatDecimal(order.filled1e8, QTY_DECIMALS, qtyPrecision)),
      fee_usd_equiv: fee,
      fees: [{ asset: pair.quoteAlt, qty: fee }],
      timestamp: rfc3339(fill.tsNs),
    };
  }

  private nextExecId(): string {
    return krakenStyleId('L', `exec:${++this.execSeq}`);
  }
}

/** Kraken's text for a refusal; anything else is the emulator's own failure. */
function errorText(err: unknown): string {
  return err instanceof KrakenError ? err.message : `EGeneral:Internal error: ${(err as Error).message}`;
}

function times(): { time_in: string; time_out: string } {
  const now = new Date().toISOString().replace('Z', '000Z');
  return { time_in: now, time_out: now };
}
