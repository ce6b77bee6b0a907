import { WebSocket, type RawData } from 'ws';
import { wallClockNs } from '../../../node/clock.ts';
import { formatDecimal, PX_DECIMALS, QTY_DECIMALS } from '../../../node/fixedPoint.ts';
import { L2Book } from '../../book.ts';
import type { EmulatorMarket } from '../../emulator/emulatorMarket.ts';
import { toProductId } from '../productId.ts';

// The Coinbase emulator's market-data WebSocket endpoint, speaking Advanced Trade's wire
// format (VENUES.md section 7) from an EmulatorMarket: level2 (as l2_data snapshot then
// updates) and heartbeats, every frame in the real envelope and numbered per connection
// 0, 1, 2, ... The emulator composition hands each accepted socket to accept().
//
// The market publishes its top 20 levels after each change; an update carries the levels
// of that top 20 that changed since the last publication, with their absolute new size (a
// level that left the top 20 is sent as "0"), so a client's book is exactly the market's
// top 20, plus any snapshot padding far from the touch.
//
// Faults for tests: dropConnections(), skipSequence(), pause().

export type PublicFeedMarket = Pick<EmulatorMarket, 'symbols' | 'meta' | 'subscribe' | 'book'>;

export interface CoinbasePublicFeedOptions {
  /** A socket with no subscribe by then is closed, as the venue does after 5 s. Default 5000. */
  subscribeTimeoutMs?: number;
  /** Heartbeats channel period. Default 1000. */
  heartbeatIntervalMs?: number;
  /** Synthetic levels per side added to every snapshot far from the touch (half and twice the price), to make multi-MB snapshots. Default 0. */
  snapshotPaddingLevels?: number;
  /**
   * Bytes a client may have queued unsent; a client that falls further behind is
   * disconnected, as a venue drops a slow consumer. Default 64 MiB (room for a padded snapshot).
   */
  maxBufferedBytes?: number;
  /** Wall clock in ns since the Unix epoch, for timestamps; default the system clock. */
  clock?: () => number;
}

export interface CoinbasePublicFeedStats {
  connections: number;
  /** Sockets closed for sending no subscribe in time. */
  subscribeTimeouts: number;
  /** Sockets dropped for letting their send queue grow past maxBufferedBytes. */
  slowClientsDropped: number;
}

interface Product {
  readonly symbol: string;
  readonly productId: string;
  readonly pricePrecision: number;
  readonly qtyPrecision: number;
  /** The top 20 as last published to clients. */
  readonly sent: L2Book;
  /** Snapshot padding updates (each with a leading comma), built once so every connection sees the same deep levels. */
  padding: string | null;
}

interface Connection {
  readonly ws: WebSocket;
  /** The next sequence_num. */
  seq: number;
  /** skipSequence() asked that the next frame skip a number. */
  skip: boolean;
  readonly level2: Set<string>;
  heartbeats: boolean;
  heartbeatCounter: number;
  subscribeTimer: NodeJS.Timeout | null;
}

const DEFAULT_SUBSCRIBE_TIMEOUT_MS = 5000;
const DEFAULT_HEARTBEAT_INTERVAL_MS = 1000;
const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
const LEVEL2 = 'level2';
const HEARTBEATS = 'heartbeats';

/** RFC 3339 UTC with nanoseconds, as Coinbase prints timestamps: 2023-02-09T20:32:50.714964855Z. */
export function rfc3339Nanos(ns: number): string {
  const seconds = Math.floor(ns / 1e9);
  const nanos = Math.min(999_999_999, Math.max(0, Math.round(ns - seconds * 1e9)));
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}.${String(nanos).padStart(9, '0')}Z`;
}

/** Go's time.String() form the heartbeats channel uses: "2023-06-23 20:31:56.121961769 +0000 UTC m=+91717.525857105". */
function goTimeString(ns: number, monotonicMs: number): string {
  const text = rfc3339Nanos(ns);
  return `${text.slice(0, 10)} ${text.slice(11, 29)} +0000 UTC m=+${(monotonicMs / 1000).toFixed(9)}`;
}

function sideJson(isBid: boolean): string {
  return isBid ? '"bid"' : '"offer"';
}

function errorFrame(message: string): string {
  return JSON.stringify({ type: 'error', message });
}

export class CoinbasePublicFeed {
  private readonly subscribeTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly paddingLevels: number;
  private readonly maxBufferedBytes: number;
  private readonly clock: () => number;
  private readonly products = new Map<string, Product>();
  private readonly byProductId = new Map<string, Product>();
  private readonly connections = new Set<Connection>();
  private readonly unsubscribeMarket: () => void;
  private readonly startedMs = performance.now();
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private paused = false;
  private closed = false;
  private readonly counters = { subscribeTimeouts: 0, slowClientsDropped: 0 };

  constructor(market: PublicFeedMarket, options: CoinbasePublicFeedOptions = {}) {
    this.subscribeTimeoutMs = options.subscribeTimeoutMs ?? DEFAULT_SUBSCRIBE_TIMEOUT_MS;
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    this.paddingLevels = options.snapshotPaddingLevels ?? 0;
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.clock = options.clock ?? wallClockNs;
    if (!(this.subscribeTimeoutMs > 0)) throw new RangeError(`subscribeTimeoutMs must be positive, got ${this.subscribeTimeoutMs}`);
    if (!(this.heartbeatIntervalMs > 0)) throw new RangeError(`heartbeatIntervalMs must be positive, got ${this.heartbeatIntervalMs}`);
    if (!Number.isSafeInteger(this.paddingLevels) || this.paddingLevels < 0) throw new RangeError(`snapshotPaddingLevels must be an integer >= 0, got ${this.paddingLevels}`);
    if (!(this.maxBufferedBytes > 0)) throw new RangeError(`maxBufferedBytes must be positive, got ${this.maxBufferedBytes}`);
    for (const symbol of market.symbols) {
      const meta = market.meta(symbol);
      const sent = new L2Book(symbol);
      sent.copyFrom(market.book(symbol));
      const product: Product = { symbol, productId: toProductId(symbol), pricePrecision: meta.pricePrecision, qtyPrecision: meta.qtyPrecision, sent, padding: null };
      this.products.set(symbol, product);
      this.byProductId.set(product.productId, product);
    }
    this.unsubscribeMarket = market.subscribe({ onBook: (book) => this.onBook(book) });
  }

  /** Serves one client socket until it closes. */
  accept(ws: WebSocket): void {
    if (this.closed) {
      ws.terminate();
      return;
    }
    const conn: Connection = { ws, seq: 0, skip: false, level2: new Set(), heartbeats: false, heartbeatCounter: 0, subscribeTimer: null };
    conn.subscribeTimer = setTimeout(() => {
      conn.subscribeTimer = null;
      this.counters.subscribeTimeouts++;
      ws.close(1008, `no subscribe within ${this.subscribeTimeoutMs} ms`);
    }, this.subscribeTimeoutMs);
    this.connections.add(conn);
    ws.on('message', (data: RawData) => this.onMessage(conn, data));
    ws.on('close', () => this.forget(conn));
    ws.on('error', () => this.forget(conn));
    if (this.heartbeatTimer === null) this.heartbeatTimer = setInterval(() => this.sendHeartbeats(), this.heartbeatIntervalMs);
  }

  /** Drops every client and stops serving. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribeMarket();
    this.dropConnections();
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  /** Fault: every client's socket is cut (no close handshake), as a network failure would. */
  dropConnections(): void {
    for (const conn of [...this.connections]) {
      this.forget(conn);
      conn.ws.terminate();
    }
  }

  /** Fault: the next frame on each current connection skips one sequence number. */
  skipSequence(): void {
    for (const conn of this.connections) conn.skip = true;
  }

  /** Fault: while paused no book update or heartbeat goes out (subscriptions are still answered); on resume updates continue from the last published book. */
  pause(paused: boolean): void {
    this.paused = paused;
  }

  stats(): CoinbasePublicFeedStats {
    return { connections: this.connections.size, ...this.counters };
  }

  private forget(conn: Connection): void {
    if (conn.subscribeTimer !== null) clearTimeout(conn.subscribeTimer);
    conn.subscribeTimer = null;
    this.connections.delete(conn);
  }

  private onMessage(conn: Connection, data: RawData): void {
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.sendError(conn, 'malformed JSON');
      return;
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      this.sendError(conn, 'a message must be a JSON object');
      return;
    }
    const { type, channel, product_ids: productIds, jwt } = message as Record<string, unknown>;
    if (type !== 'subscribe' && type !== 'unsubscribe') {
      this.sendError(conn, `unknown message type ${JSON.stringify(type)}: expected "subscribe" or "unsubscribe"`);
      return;
    }
    if (jwt !== undefined && typeof jwt !== 'string') {
      this.sendError(conn, 'jwt must be a string');
      return;
    }
    if (channel !== LEVEL2 && channel !== HEARTBEATS) {
      this.sendError(conn, `Failed to subscribe: channel ${JSON.stringify(channel)} is not served on this endpoint (level2, heartbeats)`);
      return;
    }
    const ids: string[] = [];
    if (productIds !== undefined) {
      if (!Array.isArray(productIds) || productIds.some((id) => typeof id !== 'string')) {
        this.sendError(conn, 'product_ids must be an array of strings');
        return;
      }
      ids.push(...(productIds as string[]));
    }
    if (channel === LEVEL2) {
      const unknown = ids.filter((id) => !this.byProductId.has(id));
      if (unknown.length > 0) {
        this.sendError(conn, `Failed to subscribe: unknown product_ids ${unknown.join(', ')}`);
        return;
      }
      if (type === 'subscribe' && ids.length === 0) {
        this.sendError(conn, 'Failed to subscribe: level2 needs product_ids');
        return;
      }
    }
    if (type === 'subscribe' && conn.subscribeTimer !== null) {
      clearTimeout(conn.subscribeTimer);
      conn.subscribeTimer = null;
    }
    const added: Product[] = [];
    if (channel === HEARTBEATS) {
      conn.heartbeats = type === 'subscribe';
    } else if (type === 'subscribe') {
      for (const id of ids) {
        if (conn.level2.has(id)) continue;
        conn.level2.add(id);
        added.push(this.byProductId.get(id) as Product);
      }
    } else if (ids.length === 0) {
      conn.level2.clear();
    } else {
      for (const id of ids) conn.level2.delete(id);
    }
    this.sendAck(conn);
    for (const product of added) this.sendSnapshot(conn, product);
  }

  private sendAck(conn: Connection): void {
    const subscriptions: Record<string, string[]> = {};
    if (conn.level2.size > 0) subscriptions[LEVEL2] = [...conn.level2];
    if (conn.heartbeats) subscriptions[HEARTBEATS] = [HEARTBEATS];
    this.send(conn, 'subscriptions', this.timestamp(), JSON.stringify([{ subscriptions }]));
  }

  private sendSnapshot(conn: Connection, product: Product): void {
    const ts = this.timestamp();
    const book = product.sent;
    let updates = '';
    for (let i = 0; i < book.bidCount; i++) updates += this.levelJson(product, true, book.bidPx[i], book.bidSz[i], ts);
    for (let i = 0; i < book.askCount; i++) updates += this.levelJson(product, false, book.askPx[i], book.askSz[i], ts);
    updates += this.padding(product, ts);
    this.send(conn, 'l2_data', ts, `[{"type":"snapshot","product_id":"${product.productId}","updates":[${updates.slice(1)}]}]`);
  }

  /** Deep synthetic levels: bids from half the touch downwards, asks from twice the touch upwards, one tick apart. */
  private padding(product: Product, ts: string): string {
    if (this.paddingLevels === 0) return '';
    if (product.padding !== null) return product.padding;
    const book = product.sent;
    const ref1e9 = book.bidCount > 0 ? book.bidPx[0] : book.askCount > 0 ? book.askPx[0] : 0;
    // No price yet: nothing to pad around; a later snapshot will build it.
    if (ref1e9 === 0) return '';
    const tick1e9 = 10 ** (PX_DECIMALS - product.pricePrecision);
    const qty1e8 = 10 ** (QTY_DECIMALS - product.qtyPrecision);
    const parts: string[] = [];
    let bid1e9 = Math.floor(ref1e9 / 2 / tick1e9) * tick1e9;
    let ask1e9 = Math.ceil((ref1e9 * 2) / tick1e9) * tick1e9;
    for (let i = 0; i < this.paddingLevels; i++) {
      if (bid1e9 > 0) parts.push(this.levelJson(product, true, bid1e9, qty1e8, ts));
      parts.push(this.levelJson(product, false, ask1e9, qty1e8, ts));
      bid1e9 -= tick1e9;
      ask1e9 += tick1e9;
    }
    product.padding = parts.join('');
    return product.padding;
  }

  private onBook(book: L2Book): void {
    if (this.paused || this.closed) return;
    const product = this.products.get(book.symbol);
    if (product === undefined) return;
    const ts = this.timestamp();
    const updates = this.diffSide(product, true, book, ts) + this.diffSide(product, false, book, ts);
    product.sent.copyFrom(book);
    if (updates === '') return;
    const events = `[{"type":"update","product_id":"${product.productId}","updates":[${updates.slice(1)}]}]`;
    for (const conn of this.connections) if (conn.level2.has(product.productId)) this.send(conn, 'l2_data', ts, events);
  }

  /** The levels of one side that differ between the last published top 20 and `next`, each with a leading comma. */
  private diffSide(product: Product, isBid: boolean, next: L2Book, ts: string): string {
    const prev = product.sent;
    const prevPx = isBid ? prev.bidPx : prev.askPx;
    const prevSz = isBid ? prev.bidSz : prev.askSz;
    const prevCount = isBid ? prev.bidCount : prev.askCount;
    const nextPx = isBid ? next.bidPx : next.askPx;
    const nextSz = isBid ? next.bidSz : next.askSz;
    const nextCount = isBid ? next.bidCount : next.askCount;
    // Both lists are best first: walk them together like a merge.
    const better = isBid ? 1 : -1;
    let out = '';
    let i = 0;
    let j = 0;
    while (i < prevCount || j < nextCount) {
      const p = i < prevCount ? prevPx[i] : NaN;
      const n = j < nextCount ? nextPx[j] : NaN;
      if (j >= nextCount || (i < prevCount && (p - n) * better > 0)) {
        out += this.levelJson(product, isBid, p, 0, ts);
        i++;
      } else if (i >= prevCount || (n - p) * better > 0) {
        out += this.levelJson(product, isBid, n, nextSz[j], ts);
        j++;
      } else {
        if (prevSz[i] !== nextSz[j]) out += this.levelJson(product, isBid, n, nextSz[j], ts);
        i++;
        j++;
      }
    }
    return out;
  }

  private levelJson(product: Product, isBid: boolean, px1e9: number, qty1e8: number, ts: string): string {
    return `,{"side":${sideJson(isBid)},"event_time":"${ts}","price_level":"${formatDecimal(px1e9, PX_DECIMALS, product.pricePrecision)}","new_quantity":"${formatDecimal(qty1e8, QTY_DECIMALS, product.qtyPrecision)}"}`;
  }

  private sendHeartbeats(): void {
    if (this.paused) return;
    const nowNs = this.clock();
    const ts = rfc3339Nanos(nowNs);
    const currentTime = goTimeString(nowNs, performance.now() - this.startedMs);
    for (const conn of this.connections) {
      if (!conn.heartbeats) continue;
      conn.heartbeatCounter++;
      this.send(conn, HEARTBEATS, ts, `[{"current_time":"${currentTime}","heartbeat_counter":"${conn.heartbeatCounter}"}]`);
    }
  }

  /** One enveloped frame; every frame on a connection takes the next sequence number. */
  private send(conn: Connection, channel: string, ts: string, eventsJson: string): void {
    const ws = conn.ws;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > this.maxBufferedBytes) {
      this.counters.slowClientsDropped++;
      this.forget(conn);
      ws.terminate();
      return;
    }
    if (conn.skip) {
      conn.skip = false;
      conn.seq++;
    }
    const seq = conn.seq++;
    ws.send(`{"channel":"${channel}","client_id":"","timestamp":"${ts}","sequence_num":${seq},"events":${eventsJson}}`);
  }

  /** Errors carry no envelope and no sequence number, as the venue's `{"type":"error","message":…}`. */
  private sendError(conn: Connection, message: string): void {
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(errorFrame(message));
  }

  private timestamp(): string {
    return rfc3339Nanos(this.clock());
  }
}
