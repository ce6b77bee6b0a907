import type { WebSocket } from 'ws';
import { OrderType } from '../../../wasm/abi.ts';
import type { EmulatedOrder, EmulatorMarket } from '../../emulator/emulatorMarket.ts';
import { CancelReason } from '../../sim/matchingEngine.ts';
import { JwtError, verifyJwt } from '../coinbaseJwt.ts';
import { toProductId } from '../productId.ts';
import { type EmulatorAuth, timeInForce, wireAvgPx, wirePx, wireQty, wireStatus, wireTime } from './coinbaseRestApi.ts';

// The emulator's `user` and `heartbeats` channels (Advanced Trade's user-data socket). A
// subscribe must carry a valid JWT; it is answered by a subscriptions ack and a snapshot
// of the open orders, then one update per order change. Every frame on a connection
// carries that connection's sequence_num, counting from 0.

export interface UserChannelOptions {
  heartbeatIntervalMs?: number;
  /** A connection that has not subscribed by then is closed, as the venue does after 5 s. */
  subscribeTimeoutMs?: number;
}

interface Connection {
  ws: WebSocket;
  seq: number;
  /** Set by skipSequence(): the next frame skips one number. */
  skip: boolean;
  /** Products of the user subscription; null until subscribed, empty for all products. */
  userProducts: Set<string> | null;
  heartbeats: boolean;
  heartbeatCounter: number;
  subscribeTimer: NodeJS.Timeout | null;
}

/** Frames a slow reader may have unsent before it is dropped rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export class CoinbaseUserChannel {
  private readonly connections = new Set<Connection>();
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private readonly subscribeTimeoutMs: number;
  /** Orders changed since the last publication; emptied by each (so bounded by one market step's orders). */
  private readonly changed = new Set<EmulatedOrder>();
  private flushQueued = false;
  /** Set by loseNextOrderUpdate(): the next order change is never published. */
  private loseNext = false;

  constructor(
    market: EmulatorMarket,
    private readonly auth: EmulatorAuth,
    private readonly openOrders: () => EmulatedOrder[],
    options: UserChannelOptions = {},
  ) {
    this.subscribeTimeoutMs = options.subscribeTimeoutMs ?? 5_000;
    this.heartbeatTimer = setInterval(() => this.beat(), options.heartbeatIntervalMs ?? 1_000);
    this.unsubscribe = market.subscribe({ onOrder: (order) => this.publish(order) });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  accept(ws: WebSocket): void {
    const conn: Connection = { ws, seq: 0, skip: false, userProducts: null, heartbeats: false, heartbeatCounter: 0, subscribeTimer: null };
    conn.subscribeTimer = setTimeout(() => ws.close(1008, 'no subscribe within the time allowed'), this.subscribeTimeoutMs);
    this.connections.add(conn);
    ws.on('message', (data) => this.onMessage(conn, String(data)));
    ws.on('close', () => this.forget(conn));
    ws.on('error', () => this.forget(conn));
  }

  /** Fault: every user connection dies at once, without a close handshake. */
  dropConnections(): void {
    for (const conn of this.connections) conn.ws.terminate();
  }

  /** Fault: the next frame on each current connection skips one sequence number. */
  skipSequence(): void {
    for (const conn of this.connections) conn.skip = true;
  }

  /**
   * Fault: the next order change (for an IOC, its whole outcome) is never published, on any
   * connection, and sequence numbers stay contiguous: the client hears of it only by asking.
   */
  loseNextOrderUpdate(): void {
    this.loseNext = true;
  }

  close(): void {
    clearInterval(this.heartbeatTimer);
    this.unsubscribe();
    for (const conn of this.connections) {
      if (conn.subscribeTimer !== null) clearTimeout(conn.subscribeTimer);
      conn.ws.terminate();
    }
    this.connections.clear();
  }

  private forget(conn: Connection): void {
    if (conn.subscribeTimer !== null) clearTimeout(conn.subscribeTimer);
    this.connections.delete(conn);
  }

  private onMessage(conn: Connection, text: string): void {
    let msg: Record<string, unknown>;
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
      msg = value as Record<string, unknown>;
    } catch {
      return this.sendError(conn, 'message is not a JSON object');
    }
    const type = msg.type;
    const channel = msg.channel;
    if (type !== 'subscribe' && type !== 'unsubscribe') return this.sendError(conn, `unknown message type ${JSON.stringify(type)}`);
    if (channel !== 'user' && channel !== 'heartbeats') return this.sendError(conn, `channel ${JSON.stringify(channel)} is not served on the user endpoint`);
    if (typeof msg.jwt !== 'string') return this.sendError(conn, 'authentication failure: jwt is required');
    try {
      verifyJwt(msg.jwt, this.auth);
    } catch (err) {
      if (err instanceof JwtError) return this.sendError(conn, `authentication failure: ${err.message}`);
      throw err;
    }
    if (conn.subscribeTimer !== null) clearTimeout(conn.subscribeTimer);
    conn.subscribeTimer = null;
    const products = Array.isArray(msg.product_ids) ? msg.product_ids.map(String) : [];
    if (type === 'unsubscribe') {
      if (channel === 'user') conn.userProducts = null;
      else conn.heartbeats = false;
      return this.sendAck(conn);
    }
    if (channel === 'heartbeats') {
      conn.heartbeats = true;
      return this.sendAck(conn);
    }
    conn.userProducts = new Set(products);
    this.sendAck(conn);
    const open = this.openOrders().filter((o) => wants(conn, o));
    this.send(conn, 'user', [{ type: 'snapshot', orders: open.map(wireUserOrder) }]);
  }

  /**
   * The market reports an order's accept, fills and end one by one within one step; they
   * are published together after it, in the order's state at that point, as one update per
   * order, so an order that died on arrival (a post-only that would cross) is never seen
   * open.
   */
  private publish(order: EmulatedOrder): void {
    this.changed.add(order);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      const orders = [...this.changed].filter(existsAtVenue);
      this.changed.clear();
      for (const o of orders) {
        if (this.loseNext) {
          this.loseNext = false;
          continue;
        }
        for (const conn of this.connections) if (wants(conn, o)) this.send(conn, 'user', [{ type: 'update', orders: [wireUserOrder(o)] }]);
      }
    });
  }

  private beat(): void {
    const now = new Date();
    for (const conn of this.connections) {
      if (!conn.heartbeats) continue;
      conn.heartbeatCounter++;
      this.send(conn, 'heartbeats', [{ current_time: `${now.toISOString()} +0000 UTC`, heartbeat_counter: String(conn.heartbeatCounter) }]);
    }
  }

  private sendAck(conn: Connection): void {
    const subscriptions: Record<string, string[]> = {};
    if (conn.userProducts !== null) subscriptions.user = [...conn.userProducts];
    if (conn.heartbeats) subscriptions.heartbeats = [];
    this.send(conn, 'subscriptions', [{ subscriptions }]);
  }

  private sendError(conn: Connection, message: string): void {
    this.write(conn, { type: 'error', message });
  }

  private send(conn: Connection, channel: string, events: unknown[]): void {
    if (conn.skip) {
      conn.skip = false;
      conn.seq++;
    }
    this.write(conn, { channel, client_id: '', timestamp: new Date().toISOString(), sequence_num: conn.seq++, events });
  }

  private write(conn: Connection, frame: unknown): void {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    if (conn.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      conn.ws.terminate();
      return;
    }
    conn.ws.send(JSON.stringify(frame));
  }
}

/**
 * Coinbase refuses an invalid order, or a post-only one that would cross, in the create
 * answer (success:false) and never creates it, so it never shows on the user channel; the
 * market behind the emulator records such orders as rejected or canceled, and they are
 * left out here.
 */
function existsAtVenue(order: EmulatedOrder): boolean {
  return order.status !== 'rejected' && !(order.type === OrderType.PostOnly && order.reason === CancelReason.PostOnlyWouldCross);
}

function wants(conn: Connection, order: EmulatedOrder): boolean {
  const products = conn.userProducts;
  return products !== null && (products.size === 0 || products.has(toProductId(order.symbol)));
}

/** An order as the user channel shows it (coinbase-advanced-py websocket types). */
export function wireUserOrder(order: EmulatedOrder): unknown {
  return {
    order_id: order.venueOrderId,
    client_order_id: order.clientOrderId,
    cumulative_quantity: wireQty(order.filled1e8),
    leaves_quantity: wireQty(order.status === 'open' ? order.qty1e8 - order.filled1e8 : 0),
    avg_price: wireAvgPx(order),
    total_fees: wirePx(order.fee1e9),
    status: wireStatus(order),
    product_id: toProductId(order.symbol),
    product_type: 'SPOT',
    creation_time: wireTime(order.createdNs),
    order_side: order.side === 1 ? 'BUY' : 'SELL',
    order_type: order.type === OrderType.Market ? 'Market' : 'Limit',
    limit_price: order.type === OrderType.Market ? '' : wirePx(order.px1e9),
    cancel_reason: order.status === 'canceled' ? order.reason : '',
    reject_reason: order.status === 'rejected' ? order.reason : '',
    time_in_force: timeInForce(order.type),
    filled_value: wirePx(order.filledNotional1e9),
  };
}
