import type { WebSocket } from 'ws';
import { PX_DECIMALS, QTY_DECIMALS, formatDecimal, notional1e9 } from '../../../node/fixedPoint.ts';
import type { EmulatedFill, EmulatedOrder, EmulatorMarket } from '../../emulator/emulatorMarket.ts';
import { type KrakenRestApi, krakenCancelReason, krakenStyleId, krakenTradeId, krakenTradeNumber } from './krakenRestApi.ts';

// The emulator's private WebSocket (Kraken WS v2 on ws-auth): the `executions` channel.
// A subscription carries a token from GetWebSocketsToken (a bad one gets Kraken's error and
// the socket stays open); it answers with an ack, a snapshot of the account's open orders,
// then one update per order change: pending_new and new when accepted, trade per fill
// (exec_id = the TradesHistory trade id, so both views name a fill alike), filled, and
// canceled with Kraken's reason. `sequence` counts the channel's messages per connection.
// Numbers print at the pair's fixed precision, as Kraken's engine does.

export interface KrakenPrivateWsOptions {
  market: EmulatorMarket;
  api: KrakenRestApi;
  tokenValid(token: string): boolean;
  /** Default 1000. */
  heartbeatMs?: number;
}

interface Client {
  ws: WebSocket;
  subscribed: boolean;
  sequence: number;
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
    const client: Client = { ws, subscribed: false, sequence: 0 };
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
    let message: { method?: unknown; req_id?: unknown; params?: Record<string, unknown> };
    try {
      message = JSON.parse(text);
    } catch {
      this.sendTo(client, toJson({ error: 'EGeneral:Invalid arguments: not JSON', success: false, ...times() }));
      return;
    }
    const reqId = typeof message.req_id === 'number' ? { req_id: message.req_id } : {};
    if (message.method === 'ping') {
      this.sendTo(client, toJson({ method: 'pong', ...reqId, ...times() }));
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

function times(): { time_in: string; time_out: string } {
  const now = new Date().toISOString().replace('Z', '000Z');
  return { time_in: now, time_out: now };
}
