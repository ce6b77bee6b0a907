import { WebSocket, type RawData } from 'ws';
import { DecimalError, parseDecimal, QTY_DECIMALS } from '../../node/fixedPoint.ts';
import { Backoff } from '../backoff.ts';
import type { ConnectionState } from '../venue.ts';
import { ProductIdError, toNodeSymbol, toProductId } from './productId.ts';

// Coinbase Advanced Trade's user-data socket: the `user` channel (this account's orders:
// a snapshot of the open ones, then one update per change) and `heartbeats`, which keeps
// the socket busy so silence means a dead link. Each subscribe carries a fresh JWT (they
// live two minutes). Every frame is numbered per connection; a jump means an update was
// lost, so the feed reconnects: the new connection's snapshot, and the node's
// reconciliation after 'connected', recover what the lost frame said. This file only reads
// the socket; turning order updates into node events is CoinbaseOrderTracker's job.

export interface UserOrderUpdate {
  venueOrderId: string;
  clientOrderId: string;
  symbol: string;
  /** PENDING, OPEN, FILLED, CANCEL_QUEUED, CANCELLED, EXPIRED or FAILED. */
  status: string;
  cumulative1e8: number;
  cancelReason: string;
  rejectReason: string;
}

export interface CoinbaseUserFeedHandlers {
  onOrders(orders: UserOrderUpdate[], kind: 'snapshot' | 'update'): void;
  onConnection(state: ConnectionState, reason: string): void;
  /** For the operator: venue error frames, gaps, unreadable frames, socket errors. */
  onNotice(message: string): void;
}

export interface CoinbaseUserFeedOptions {
  /** wss://advanced-trade-ws-user.coinbase.com, or an emulator's ws://127.0.0.1:port/user */
  url: string;
  symbols: readonly string[];
  /** A fresh WebSocket JWT (no uri claim) for each subscribe message. */
  jwt: () => string;
  handlers: CoinbaseUserFeedHandlers;
  /** No frame at all for this long means the link is dead. Default 5000 (heartbeats come every second). */
  silenceTimeoutMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  handshakeTimeoutMs?: number;
}

export interface CoinbaseUserFeedHealth {
  connection: ConnectionState;
  sequenceGaps: number;
  reconnects: number;
  badFrames: number;
}

/** A user frame is a few orders; anything near this is not one. */
const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

export class CoinbaseUserFeed {
  private readonly backoff: Backoff;
  private readonly silenceTimeoutMs: number;
  private readonly handshakeTimeoutMs: number;
  private readonly productIds: string[];
  private ws: WebSocket | null = null;
  private state: ConnectionState = 'disconnected';
  private closeReason = '';
  private expectedSeq = -1;
  private lastFrameMs = 0;
  private connectedBefore = false;
  private started = false;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private silenceTimer: NodeJS.Timeout | null = null;
  private closed: Promise<void> = Promise.resolve();
  private readonly counters = { sequenceGaps: 0, reconnects: 0, badFrames: 0 };

  constructor(private readonly options: CoinbaseUserFeedOptions) {
    this.productIds = options.symbols.map(toProductId);
    this.silenceTimeoutMs = options.silenceTimeoutMs ?? 5_000;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    this.backoff = new Backoff(options.reconnectMinMs ?? 250, options.reconnectMaxMs ?? 30_000);
    if (!(this.silenceTimeoutMs > 0)) throw new RangeError(`silenceTimeoutMs must be positive, got ${this.silenceTimeoutMs}`);
  }

  start(): void {
    if (this.stopped) throw new Error('this Coinbase user feed was stopped; create a new one');
    if (this.started) throw new Error('this Coinbase user feed is already started');
    this.started = true;
    this.silenceTimer = setInterval(() => this.checkSilence(), Math.max(10, this.silenceTimeoutMs / 4));
    this.connect();
  }

  /** Closes the socket; no callbacks after the returned promise resolves. */
  async stop(): Promise<void> {
    if (this.stopped) return this.closed;
    this.stopped = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    if (this.silenceTimer !== null) clearInterval(this.silenceTimer);
    this.reconnectTimer = null;
    this.silenceTimer = null;
    if (this.ws !== null) {
      this.closeReason = 'stopped';
      this.ws.terminate();
    }
    return this.closed;
  }

  health(): CoinbaseUserFeedHealth {
    return { connection: this.state, ...this.counters };
  }

  private connect(): void {
    if (this.stopped) return;
    this.setState('connecting', this.connectedBefore ? 'reconnecting' : 'connecting');
    const ws = new WebSocket(this.options.url, { handshakeTimeout: this.handshakeTimeoutMs, maxPayload: MAX_PAYLOAD_BYTES });
    this.ws = ws;
    this.closeReason = '';
    this.expectedSeq = -1;
    this.lastFrameMs = performance.now();
    this.closed = new Promise<void>((resolve) => {
      ws.on('close', (code, reason) => {
        this.onClose(ws, this.closeReason !== '' ? this.closeReason : `socket closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`);
        resolve();
      });
    });
    ws.on('open', () => this.subscribe(ws));
    ws.on('message', (data: RawData) => this.onFrame(ws, data));
    ws.on('error', (err) => {
      if (!this.stopped) this.options.handlers.onNotice(`coinbase user socket: ${err.message}`);
    });
  }

  private subscribe(ws: WebSocket): void {
    try {
      ws.send(JSON.stringify({ type: 'subscribe', channel: 'heartbeats', product_ids: [], jwt: this.options.jwt() }));
      ws.send(JSON.stringify({ type: 'subscribe', channel: 'user', product_ids: this.productIds, jwt: this.options.jwt() }));
    } catch (err) {
      this.drop(ws, `cannot build the subscribe JWT: ${(err as Error).message}`);
    }
  }

  private onFrame(ws: WebSocket, data: RawData): void {
    if (ws !== this.ws || this.stopped) return;
    this.lastFrameMs = performance.now();
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(rawText(data)) as Record<string, unknown>;
    } catch {
      this.counters.badFrames++;
      return this.drop(ws, 'unreadable frame');
    }
    // `null`, a number or an array is valid JSON but no frame of this channel.
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      this.counters.badFrames++;
      return this.drop(ws, 'a frame that is not a JSON object');
    }
    if (frame.type === 'error') {
      this.options.handlers.onNotice(`coinbase user channel error: ${String(frame.message)}`);
      return this.drop(ws, `venue error: ${String(frame.message)}`);
    }
    const seq = frame.sequence_num;
    if (typeof seq === 'number') {
      if (this.expectedSeq >= 0 && seq !== this.expectedSeq) {
        this.counters.sequenceGaps++;
        this.options.handlers.onNotice(`coinbase user channel: sequence_num ${seq}, expected ${this.expectedSeq}; reconnecting`);
        return this.drop(ws, 'sequence gap');
      }
      this.expectedSeq = seq + 1;
    }
    if (frame.channel !== 'user' || !Array.isArray(frame.events)) return;
    let updates: { kind: 'snapshot' | 'update'; orders: UserOrderUpdate[] }[];
    try {
      updates = userEvents(frame.events as unknown[]);
    } catch (err) {
      if (!(err instanceof DecimalError || err instanceof ProductIdError || err instanceof UserFrameError)) throw err;
      this.counters.badFrames++;
      return this.drop(ws, `unreadable order update: ${err.message}`);
    }
    for (const u of updates) {
      if (u.kind === 'snapshot') this.onSnapshot();
      this.options.handlers.onOrders(u.orders, u.kind);
    }
  }

  /** The user snapshot is the proof that the subscription is live. */
  private onSnapshot(): void {
    if (this.connectedBefore && this.state !== 'connected') this.counters.reconnects++;
    this.connectedBefore = true;
    this.backoff.reset();
    this.setState('connected', 'user channel subscribed');
  }

  private drop(ws: WebSocket, reason: string): void {
    if (ws !== this.ws) return;
    this.closeReason = reason;
    ws.terminate();
  }

  private onClose(ws: WebSocket, reason: string): void {
    if (ws !== this.ws) return;
    this.ws = null;
    if (this.stopped) return;
    this.setState('disconnected', reason);
    const delayMs = this.backoff.nextDelayMs();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delayMs);
  }

  private checkSilence(): void {
    const ws = this.ws;
    if (ws === null || ws.readyState !== WebSocket.OPEN) return;
    if (performance.now() - this.lastFrameMs > this.silenceTimeoutMs) this.drop(ws, `no frame for ${this.silenceTimeoutMs} ms`);
  }

  private setState(state: ConnectionState, reason: string): void {
    if (state === this.state || this.stopped) return;
    this.state = state;
    this.options.handlers.onConnection(state, reason);
  }
}

/** A user-channel event or order that is not the shape Coinbase documents. */
export class UserFrameError extends Error {}

/**
 * The order updates of a user frame's `events`; throws UserFrameError for an event or order
 * that is not an object (or orders that are not an array), DecimalError for an unreadable
 * quantity and ProductIdError for an unreadable product id.
 */
export function userEvents(events: readonly unknown[]): { kind: 'snapshot' | 'update'; orders: UserOrderUpdate[] }[] {
  return events.map((event) => {
    if (!isObject(event)) throw new UserFrameError('a user event is not an object');
    const orders = event.orders ?? [];
    if (!Array.isArray(orders)) throw new UserFrameError('a user event\'s orders is not an array');
    return { kind: event.type === 'snapshot' ? 'snapshot' : 'update', orders: orders.map(orderUpdateOf) };
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function orderUpdateOf(o: unknown): UserOrderUpdate {
  if (!isObject(o)) throw new UserFrameError('a user order is not an object');
  return {
    venueOrderId: String(o.order_id ?? ''),
    clientOrderId: String(o.client_order_id ?? ''),
    symbol: toNodeSymbol(String(o.product_id ?? '')),
    status: String(o.status ?? ''),
    cumulative1e8: parseDecimal(String(o.cumulative_quantity ?? '0'), QTY_DECIMALS),
    cancelReason: String(o.cancel_reason ?? ''),
    rejectReason: String(o.reject_reason ?? ''),
  };
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
