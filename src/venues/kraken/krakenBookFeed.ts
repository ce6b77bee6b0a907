import type { L2Book } from '../book.ts';
import { Backoff } from '../backoff.ts';
import { latencyTrace } from '../../node/latencyTrace.ts';
import { WsClient } from '../wsClient/wsClient.ts';
import type { ConnectionState, VenueHealth, VenueStatus } from '../venue.ts';
import { BookFrameError } from './bookFrameScanner.ts';
import { isKrakenBookDepth, KRAKEN_BOOK_DEPTHS } from './krakenBook.ts';
import { KrakenBookDecoder, NOT_BOOK_FRAME } from './krakenBookDecoder.ts';

// Kraken's public market data over WebSocket v2: subscribes each symbol's `book` at one
// depth, verifies every message's checksum and hands verified top-20 books on. The
// checksum is the only gap detector Kraken offers (no sequence numbers), so a mismatch
// marks the book invalid and rebuilds it from a fresh snapshot (unsubscribe, repeating the
// depth, then subscribe). A lost link invalidates every book, reconnects with jittered
// backoff and replays the subscriptions. Silence is detected with Kraken's app-level ping:
// no frame at all (heartbeats and pongs count) within pongTimeoutMs drops the socket.

export interface KrakenBookFeedHandlers {
  /** A verified book changed. The object is reused per symbol: copy what you keep. */
  onBook(book: L2Book): void;
  onStatus?(status: VenueStatus): void;
  onConnection?(state: ConnectionState, reason: string): void;
  /** Something the operator should read: a rejected subscription, a checksum mismatch, a bad frame. */
  onNotice?(message: string): void;
}

export interface KrakenBookFeedOptions {
  url: string;
  /** Symbols as the node and Kraken v2 spell them: 'BTC/USD'. */
  symbols: readonly string[];
  /** 10, 25, 100, 500 or 1000. */
  depth: number;
  handlers: KrakenBookFeedHandlers;
  /** App-level ping period; default 5,000 (ccxt uses 6,000). */
  pingIntervalMs?: number;
  /** Silence after which the socket is dropped; default twice the ping interval. */
  pongTimeoutMs?: number;
  /** Reconnect backoff bounds; default 500 and 30,000. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** Sees every text frame as received, before it is decoded (`sequence run --record`); the frame is valid only during the call. */
  onFrame?: (frame: Buffer, recvNs: number) => void;
}

export interface KrakenBookFeedHealth extends Pick<VenueHealth, 'connection' | 'invalidBooks' | 'resyncs' | 'checksumFailures' | 'reconnects' | 'currentAtMs'> {
  /** Subscriptions the venue refused. */
  subscribeRejects: number;
  /** Book frames that could not be read. */
  badFrames: number;
}

const VENUE_STATUSES: readonly VenueStatus[] = ['online', 'cancel_only', 'maintenance', 'post_only'];
/** Kraken closes with 1008 for a policy violation; reconnecting would repeat it. */
const CLOSE_POLICY_VIOLATION = 1008;
/** Wait for a graceful close on stop() before terminating the socket. */
const STOP_CLOSE_WAIT_MS = 2_000;
/** Subscribe/unsubscribe requests awaiting an answer; older entries are forgotten. */
const MAX_PENDING_REQUESTS = 10_000;
/** performance.timeOrigin is fixed for the process; its getter validates its receiver on every read. */
const TIME_ORIGIN_MS = performance.timeOrigin;

export class KrakenBookFeed {
  readonly symbols: readonly string[];
  readonly depth: number;
  private readonly url: string;
  private readonly handlers: KrakenBookFeedHandlers;
  private readonly pingIntervalMs: number;
  private readonly pongTimeoutMs: number;
  private readonly backoff: Backoff;
  private readonly decoder: KrakenBookDecoder;
  private ws: WsClient | null = null;
  /** Settles when the current socket has closed (stop() waits on it). */
  private closed: Promise<void> = Promise.resolve();
  private connection: ConnectionState = 'disconnected';
  private stopped = true;
  private everConnected = false;
  private nextReqId = 1;
  /** req_id -> symbol of each subscribe request in flight, to name the symbol of a rejection. */
  private readonly pendingSubscribes = new Map<number, string>();
  /** Symbols rebuilding after a checksum mismatch or a bad frame. */
  private readonly resyncing = new Set<string>();
  private lastTrafficMs = 0;
  /** performance.now() of the socket read the current frames came in. */
  private readAtMs = 0;
  private pingTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private counters = { resyncs: 0, reconnects: 0, subscribeRejects: 0, badFrames: 0 };

  private readonly tap: ((frame: Buffer, recvNs: number) => void) | undefined;
  /** See VenueHealth.currentAtMs. */
  private currentAtMs = 0;

  constructor(options: KrakenBookFeedOptions) {
    if (!isKrakenBookDepth(options.depth)) throw new RangeError(`Kraken book depth must be one of ${KRAKEN_BOOK_DEPTHS.join(', ')}, got ${options.depth}`);
    if (options.symbols.length === 0) throw new RangeError('Kraken book feed needs at least one symbol');
    for (const symbol of options.symbols) {
      if (!/^[A-Z0-9.]+\/[A-Z0-9.]+$/.test(symbol)) throw new RangeError(`not a Kraken v2 symbol: "${symbol}" (expected like BTC/USD)`);
    }
    this.pingIntervalMs = options.pingIntervalMs ?? 5_000;
    this.pongTimeoutMs = options.pongTimeoutMs ?? 2 * this.pingIntervalMs;
    if (!(this.pingIntervalMs > 0)) throw new RangeError(`pingIntervalMs must be positive, got ${this.pingIntervalMs}`);
    if (!(this.pongTimeoutMs > this.pingIntervalMs)) throw new RangeError(`pongTimeoutMs must exceed pingIntervalMs, got ${this.pongTimeoutMs}`);
    this.url = options.url;
    this.symbols = [...new Set(options.symbols)];
    this.depth = options.depth;
    this.tap = options.onFrame;
    this.handlers = options.handlers;
    this.backoff = new Backoff(options.backoffMinMs ?? 500, options.backoffMaxMs ?? 30_000);
    this.decoder = new KrakenBookDecoder(this.symbols, this.depth, {
      onBook: (book) => this.onVerifiedBook(book),
      onChecksumMismatch: (symbol, expected, computed) => {
        this.notice(`${symbol}: checksum mismatch (venue ${expected}, book ${computed}); rebuilding from a fresh snapshot`);
        this.resync(symbol);
      },
    });
  }

  start(): void {
    if (!this.stopped) throw new Error('Kraken book feed already started');
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopPing();
    const ws = this.ws;
    if (ws === null) return;
    // Before the handshake completes close() aborts the connection; after it, the client
    // waits STOP_CLOSE_WAIT_MS for the venue's close frame, then drops the socket.
    ws.close(1000, 'stopping');
    await this.closed;
  }

  isValid(symbol: string): boolean {
    return this.decoder.isValid(symbol);
  }

  health(): KrakenBookFeedHealth {
    return {
      currentAtMs: this.currentAtMs,
      connection: this.connection,
      invalidBooks: this.decoder.invalidCount(),
      resyncs: this.counters.resyncs,
      checksumFailures: this.decoder.checksumFailures,
      reconnects: this.counters.reconnects,
      subscribeRejects: this.counters.subscribeRejects,
      badFrames: this.counters.badFrames,
    };
  }

  private connect(): void {
    this.setConnection('connecting', this.everConnected ? 'reconnecting' : 'starting');
    // Our own client (src/venues/wsClient): frames are read in place from each TCP read.
    // The scanner reads bytes and refuses any frame that is not a valid one, so invalid
    // UTF-8 is just a bad frame. No compression is offered: inflating costs more than the
    // bytes it saves on loopback and LAN links.
    let settle = () => {};
    this.closed = new Promise((resolve) => (settle = resolve));
    const ws: WsClient = new WsClient(
      this.url,
      {
        onOpen: () => {
          if (this.ws !== ws) return;
          if (this.everConnected) this.counters.reconnects++;
          this.everConnected = true;
          this.lastTrafficMs = performance.now();
          this.setConnection('connected', '');
          for (const symbol of this.symbols) this.subscribe(symbol);
          this.startPing(ws);
        },
        onRead: () => {
          this.readAtMs = performance.now();
        },
        onMessage: (data, start, end, isBinary) => {
          if (this.ws !== ws) return;
          // One clock read per socket read serves the silence check and the receive time of its frames.
          const nowMs = this.readAtMs;
          this.lastTrafficMs = nowMs;
          if (isBinary) {
            this.notice('binary frame ignored');
            return;
          }
          if (latencyTrace.on) latencyTrace.begin(nowMs);
          this.onFrame(data, start, end, (TIME_ORIGIN_MS + nowMs) * 1_000_000);
          if (latencyTrace.on) latencyTrace.end();
          if (this.decoder.invalidCount() === 0) this.currentAtMs = TIME_ORIGIN_MS + nowMs;
        },
        onClose: (code, reason) => {
          settle();
          if (this.ws === ws) this.onClose(code, reason || `closed with code ${code}`);
        },
      },
      { closeTimeoutMs: STOP_CLOSE_WAIT_MS },
    );
    this.ws = ws;
  }

  private onClose(code: number, reason: string): void {
    this.ws = null;
    this.stopPing();
    this.decoder.invalidateAll();
    this.resyncing.clear();
    this.pendingSubscribes.clear();
    this.setConnection('disconnected', reason);
    if (this.stopped) return;
    if (code === CLOSE_POLICY_VIOLATION) {
      this.notice(`venue closed the feed for a policy violation (1008: ${reason}); not reconnecting`);
      this.stopped = true;
      return;
    }
    const delayMs = this.backoff.nextDelayMs();
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.stopped) this.connect();
    }, delayMs);
  }

  /** A frame: bytes [start, end) of `data`, the socket read it came in. */
  private onFrame(data: Buffer, start: number, end: number, recvNs: number): void {
    this.tap?.(data.subarray(start, end), recvNs);
    let applied: number;
    try {
      applied = this.decoder.applyFrameAt(data, start, end, recvNs);
    } catch (error) {
      if (!(error instanceof BookFrameError)) throw error;
      this.counters.badFrames++;
      // The unreadable frame may have carried any book's update: rebuild them all.
      this.notice(`${error.message}; rebuilding every book`);
      for (const symbol of this.symbols) this.resync(symbol);
      return;
    }
    if (applied !== NOT_BOOK_FRAME) return;
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(data.toString('utf8', start, end)) as Record<string, unknown>;
    } catch {
      this.notice(`unreadable frame: ${data.toString('utf8', start, Math.min(end, start + 200))}`);
      return;
    }
    this.onControl(message);
  }

  private onControl(message: Record<string, unknown>): void {
    if (message.channel === 'status') {
      const data = message.data as Array<{ system?: unknown }> | undefined;
      const system = Array.isArray(data) ? data[0]?.system : undefined;
      if (typeof system === 'string' && (VENUE_STATUSES as readonly string[]).includes(system)) this.handlers.onStatus?.(system as VenueStatus);
      else this.notice(`status frame without a known system state: ${JSON.stringify(message).slice(0, 200)}`);
      return;
    }
    if (message.channel === 'heartbeat' || message.method === 'pong') return;
    if (message.method === 'subscribe') {
      const reqId = typeof message.req_id === 'number' ? message.req_id : -1;
      const symbol = this.pendingSubscribes.get(reqId);
      if (message.success === true) {
        this.pendingSubscribes.delete(reqId);
        return;
      }
      this.pendingSubscribes.delete(reqId);
      this.counters.subscribeRejects++;
      this.resyncing.delete(symbol ?? '');
      this.notice(`subscribe ${symbol ?? '(unknown request)'} book-${this.depth} rejected: ${String(message.error ?? 'no reason given')}`);
      return;
    }
    if (message.method === 'unsubscribe') {
      // A resync unsubscribes a book the venue may already have dropped; only the subscribe matters.
      return;
    }
    if (message.success === false || typeof message.error === 'string') {
      this.notice(`venue error: ${String(message.error ?? JSON.stringify(message).slice(0, 200))}`);
    }
  }

  private onVerifiedBook(book: L2Book): void {
    // Nearly always empty: skip hashing the symbol on every book.
    if (this.resyncing.size > 0 && this.resyncing.delete(book.symbol)) this.counters.resyncs++;
    // A verified snapshot proves the connection healthy.
    this.backoff.reset();
    this.handlers.onBook(book);
  }

  private subscribe(symbol: string): void {
    const reqId = this.nextReqId++;
    if (this.pendingSubscribes.size >= MAX_PENDING_REQUESTS) this.pendingSubscribes.delete(this.pendingSubscribes.keys().next().value as number);
    this.pendingSubscribes.set(reqId, symbol);
    this.send({ method: 'subscribe', params: { channel: 'book', symbol: [symbol], depth: this.depth, snapshot: true }, req_id: reqId });
  }

  private resync(symbol: string): void {
    this.decoder.invalidate(symbol);
    if (this.ws === null || !this.ws.isOpen) return;
    this.resyncing.add(symbol);
    // A subscription is keyed by (channel, symbol, depth): the unsubscribe must repeat the depth.
    this.send({ method: 'unsubscribe', params: { channel: 'book', symbol: [symbol], depth: this.depth }, req_id: this.nextReqId++ });
    this.subscribe(symbol);
  }

  private startPing(ws: WsClient): void {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      if (this.ws !== ws) return;
      const silentMs = performance.now() - this.lastTrafficMs;
      if (silentMs > this.pongTimeoutMs) {
        this.notice(`no traffic for ${Math.round(silentMs)} ms; reconnecting`);
        ws.terminate();
        return;
      }
      this.send({ method: 'ping', req_id: this.nextReqId++ });
    }, this.pingIntervalMs);
  }

  private stopPing(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private send(message: object): void {
    this.ws?.send(JSON.stringify(message));
  }

  private setConnection(state: ConnectionState, reason: string): void {
    this.connection = state;
    this.handlers.onConnection?.(state, reason);
  }

  private notice(message: string): void {
    this.handlers.onNotice?.(message);
  }
}
