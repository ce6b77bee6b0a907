import { wallClockNs } from '../../node/clock.ts';
import { Backoff } from '../backoff.ts';
import { L2Book } from '../book.ts';
import type { ConnectionState, VenueHealth } from '../venue.ts';
import { CLOSE_ABNORMAL, WsClient } from '../wsClient/wsClient.ts';
import type { CoinbaseBook } from './coinbaseBook.ts';
import { CoinbaseBookDecoder } from './coinbaseBookDecoder.ts';
import { L2_CHANNEL, type L2FrameScanner } from './l2FrameScanner.ts';
import { toProductId } from './productId.ts';

// Coinbase Advanced Trade market data over one WebSocket: level2 books for the configured
// products plus the heartbeats channel, which keeps the socket busy once a second so
// silence means a dead link.
//
// Integrity: Coinbase numbers every frame on a connection (sequence_num, one counter for
// all channels, acks and heartbeats included; VENUES.md section 7). The first number seen
// on a connection is the base; any other jump is a gap, and an update may have been lost,
// so every book on the connection is marked invalid (no onBook) and rebuilt by
// RECONNECTING rather than by unsubscribing and resubscribing on the same socket. After an
// unsubscribe the venue may still deliver frames of the old subscription, and the counter
// keeps running through them, so telling the stale frames from the new snapshot would need
// rules Coinbase does not document. A fresh connection starts a fresh counter and sends
// fresh snapshots, which is certainly correct, and gaps are rare enough that the extra
// handshake costs nothing that matters. A frame that cannot be read is treated the same
// way: what it said is lost, so the books cannot be trusted.

export interface CoinbaseBookFeedHandlers {
  /** A product's top 20 changed. The book object is reused: copy what you keep. Never called for an invalid book. */
  onBook(book: L2Book): void;
  onConnection(state: ConnectionState, reason: string): void;
  /** Something the operator should see: venue error frames, gaps, bad frames, socket errors. */
  onNotice(message: string): void;
}

export interface CoinbaseBookFeedOptions {
  /** e.g. wss://advanced-trade-ws.coinbase.com, or an emulator's ws://127.0.0.1:port/... */
  url: string;
  /** Node symbols ('BTC/USD'). */
  symbols: readonly string[];
  handlers: CoinbaseBookFeedHandlers;
  /** A fresh JWT for each subscribe message; public channels work without one. */
  jwt?: () => string;
  /** No frame at all (heartbeats included) for this long means the link is dead. Default 5000. */
  silenceTimeoutMs?: number;
  /** Reconnect waits grow from this... Default 250. */
  reconnectMinMs?: number;
  /** ...up to this. Default 30,000. */
  reconnectMaxMs?: number;
  /** WebSocket handshake limit. Default 10,000. */
  handshakeTimeoutMs?: number;
  /**
   * Largest frame accepted. A full-depth snapshot of a busy product is several MB, so the
   * default is 64 MiB: room for the biggest snapshots with margin, still a bound.
   */
  maxPayloadBytes?: number;
  /** Levels a side of one book may hold. Default 500,000. */
  maxLevelsPerSide?: number;
  /** Wall clock in ns since the Unix epoch, for recvNs; default the system clock. */
  clock?: () => number;
  /** Sees every frame as received, before it is decoded (`sequence run --record`); the frame is valid only during the call. */
  onFrame?: (frame: Buffer, recvNs: number) => void;
}

export type CoinbaseBookFeedHealth = Pick<VenueHealth, 'connection' | 'invalidBooks' | 'resyncs' | 'sequenceGaps' | 'reconnects' | 'currentAtMs'> & {
  /** Frames that could not be read (each one also rebuilt the books). */
  badFrames: number;
};

interface Product {
  readonly productId: string;
  readonly book: CoinbaseBook;
  /** What onBook hands out; symbol is the node symbol. */
  readonly out: L2Book;
  /** Set by a gap or bad frame while the book was loaded; the next snapshot counts as a resync. */
  needsResync: boolean;
}

const DEFAULT_SILENCE_TIMEOUT_MS = 5000;
/** performance.timeOrigin is fixed for the process; its getter validates its receiver on every read. */
const TIME_ORIGIN_MS = performance.timeOrigin;
const DEFAULT_RECONNECT_MIN_MS = 250;
const DEFAULT_RECONNECT_MAX_MS = 30_000;
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

function positiveMs(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of milliseconds, got ${value}`);
  return value;
}

export class CoinbaseBookFeed {
  /** Node symbols, as given. */
  readonly symbols: readonly string[];
  private readonly url: string;
  private readonly handlers: CoinbaseBookFeedHandlers;
  private readonly jwt: (() => string) | undefined;
  private readonly silenceTimeoutMs: number;
  private readonly handshakeTimeoutMs: number;
  private readonly maxPayloadBytes: number;
  private readonly clock: () => number;
  private readonly backoff: Backoff;
  private readonly decoder: CoinbaseBookDecoder;
  private readonly products: Product[] = [];
  private readonly bySymbol = new Map<string, Product>();

  private ws: WsClient | null = null;
  private state: ConnectionState = 'disconnected';
  /** The reason to report when the current socket closes, set when we close it ourselves. */
  private closeReason = '';
  private expectedSeq = -1;
  private lastFrameMs = 0;
  /** performance.now() of the socket read the current frames came in. */
  private readAtMs = 0;
  /** See allLoaded(). */
  private allBooksLoaded = false;
  private connectedBefore = false;
  private started = false;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private silenceTimer: NodeJS.Timeout | null = null;
  private closed: Promise<void> = Promise.resolve();
  private readonly counters = { resyncs: 0, sequenceGaps: 0, reconnects: 0, badFrames: 0 };

  private readonly tap: ((frame: Buffer, recvNs: number) => void) | undefined;
  /** See VenueHealth.currentAtMs. */
  private currentAtMs = 0;

  constructor(options: CoinbaseBookFeedOptions) {
    if (options.symbols.length === 0) throw new RangeError('a Coinbase book feed needs at least one symbol');
    this.symbols = [...options.symbols];
    this.url = options.url;
    this.handlers = options.handlers;
    this.jwt = options.jwt;
    this.tap = options.onFrame;
    this.silenceTimeoutMs = positiveMs(options.silenceTimeoutMs ?? DEFAULT_SILENCE_TIMEOUT_MS, 'silenceTimeoutMs');
    this.handshakeTimeoutMs = positiveMs(options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS, 'handshakeTimeoutMs');
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    if (!Number.isSafeInteger(this.maxPayloadBytes) || this.maxPayloadBytes < 1) throw new RangeError(`maxPayloadBytes must be a positive integer, got ${this.maxPayloadBytes}`);
    this.clock = options.clock ?? wallClockNs;
    this.backoff = new Backoff(options.reconnectMinMs ?? DEFAULT_RECONNECT_MIN_MS, options.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS);
    const productIds = options.symbols.map(toProductId);
    if (new Set(productIds).size !== productIds.length) throw new RangeError(`a symbol is listed twice in ${options.symbols.join(', ')}`);
    this.decoder = new CoinbaseBookDecoder(productIds, { maxLevelsPerSide: options.maxLevelsPerSide });
    options.symbols.forEach((symbol, i) => {
      const out = new L2Book(symbol);
      out.valid = false;
      const product: Product = { productId: productIds[i], book: this.decoder.book(productIds[i]), out, needsResync: false };
      this.products.push(product);
      this.bySymbol.set(symbol, product);
    });
  }

  /** Connects, and keeps reconnecting until stop(). */
  start(): void {
    if (this.stopped) throw new Error('this Coinbase book feed was stopped; create a new one');
    if (this.started) throw new Error('this Coinbase book feed is already started');
    this.started = true;
    this.silenceTimer = setInterval(() => this.checkSilence(), Math.max(10, this.silenceTimeoutMs / 4));
    this.connect('start');
  }

  /** Closes the socket; no callbacks after the returned promise resolves. */
  async stop(): Promise<void> {
    if (this.stopped) return this.closed;
    this.stopped = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    if (this.silenceTimer !== null) clearInterval(this.silenceTimer);
    this.reconnectTimer = null;
    this.silenceTimer = null;
    const ws = this.ws;
    if (ws !== null) {
      this.closeReason = 'stopped';
      ws.terminate();
    }
    return this.closed;
  }

  /** The latest top 20 of a symbol; `valid` is false while it cannot be trusted. */
  book(symbol: string): L2Book {
    const product = this.bySymbol.get(symbol);
    if (product === undefined) throw new RangeError(`not subscribed to "${symbol}"`);
    return product.out;
  }

  health(): CoinbaseBookFeedHealth {
    let invalidBooks = 0;
    for (const p of this.products) if (!p.book.loaded) invalidBooks++;
    return { connection: this.state, invalidBooks, currentAtMs: this.currentAtMs, ...this.counters };
  }

  private connect(reason: string): void {
    this.reconnectTimer = null;
    this.setState('connecting', reason);
    // Our own client (src/venues/wsClient): frames are read in place from each TCP read.
    // The scanner reads bytes and refuses any frame that is not a valid one, so invalid
    // UTF-8 is just a bad frame. No compression is offered.
    this.closeReason = '';
    let settle = () => {};
    this.closed = new Promise((resolve) => (settle = resolve));
    const ws: WsClient = new WsClient(
      this.url,
      {
        onOpen: () => this.onOpen(ws),
        onRead: () => {
          this.readAtMs = performance.now();
        },
        onMessage: (data, start, end) => this.onFrame(ws, data, start, end),
        onClose: (code, why) => {
          settle();
          this.onClose(ws, code, why);
        },
      },
      { maxPayloadBytes: this.maxPayloadBytes, handshakeTimeoutMs: this.handshakeTimeoutMs },
    );
    this.ws = ws;
  }

  private onOpen(ws: WsClient): void {
    if (ws !== this.ws || this.stopped) return;
    this.expectedSeq = -1;
    this.lastFrameMs = performance.now();
    if (this.connectedBefore) this.counters.reconnects++;
    this.connectedBefore = true;
    // The venue drops a socket with no subscribe within 5 s: subscribe before anything else.
    this.subscribe(ws, 'level2', this.products.map((p) => p.productId));
    this.subscribe(ws, 'heartbeats', []);
    this.setState('connected', 'subscribed to level2 and heartbeats');
  }

  private subscribe(ws: WsClient, channel: string, productIds: string[]): void {
    const message: { type: string; channel: string; product_ids: string[]; jwt?: string } = { type: 'subscribe', channel, product_ids: productIds };
    if (this.jwt !== undefined) {
      try {
        message.jwt = this.jwt();
      } catch (error) {
        // Market data is public: subscribe without a token rather than not at all.
        this.handlers.onNotice(`coinbase: could not make a JWT for the ${channel} subscription: ${(error as Error).message}`);
      }
    }
    ws.send(JSON.stringify(message));
  }

  /** A frame: bytes [start, end) of `frame`, the socket read it came in. */
  private onFrame(ws: WsClient, frame: Buffer, start: number, end: number): void {
    if (ws !== this.ws || this.stopped) return;
    const nowMs = this.readAtMs;
    this.lastFrameMs = nowMs;
    // One clock read per socket read serves the silence check and the receive time of its frames, unless a clock was given.
    const recvNs = this.clock === wallClockNs ? Math.round((TIME_ORIGIN_MS + nowMs) * 1e6) : this.clock();
    this.tap?.(frame.subarray(start, end), recvNs);
    let scanner: L2FrameScanner;
    try {
      scanner = this.decoder.scanAt(frame, start, end);
    } catch (error) {
      this.counters.badFrames++;
      this.breakConnection(`unreadable frame: ${(error as Error).message}`, true);
      return;
    }
    if (scanner.channel === '' && scanner.type === 'error') {
      this.handlers.onNotice(`coinbase error: ${errorMessage(frame.toString('utf8', start, end))}`);
      return;
    }
    const seq = scanner.sequenceNum;
    if (seq < 0) {
      this.counters.badFrames++;
      this.breakConnection(`a frame on channel "${scanner.channel}" without sequence_num`, true);
      return;
    }
    if (this.expectedSeq >= 0 && seq !== this.expectedSeq) {
      this.counters.sequenceGaps++;
      this.breakConnection(`sequence gap: expected ${this.expectedSeq}, got ${seq}`, true);
      return;
    }
    this.expectedSeq = seq + 1;
    if (scanner.channel !== L2_CHANNEL) {
      this.markCurrent(nowMs);
      return;
    }
    try {
      this.decoder.applyScanned();
    } catch (error) {
      this.breakConnection(`book refused an update: ${(error as Error).message}`, true);
      return;
    }
    // Only the products this frame named can have changed (the scanner's product index is the products' order).
    for (let e = 0; e < scanner.eventCount; e++) {
      const index = scanner.eventProductIndex[e];
      // Product ids are ASCII (toProductId), so every subscribed one is matched by index: -1 is a product not subscribed.
      if (index < 0) continue;
      const p = this.products[index];
      const book = p.book;
      if (!book.loaded || !book.topChanged) continue;
      if (p.needsResync) {
        p.needsResync = false;
        this.counters.resyncs++;
      }
      const out = p.out;
      book.writeTopChanges(out);
      out.recvNs = recvNs;
      out.valid = true;
      this.handlers.onBook(out);
    }
    // Every book rebuilt: the connection has proved itself, so the next failure starts the backoff over.
    if (this.backoff.attempts > 0 && this.allLoaded()) this.backoff.reset();
    this.markCurrent(nowMs);
  }

  /** A frame arrived in sequence: with every book loaded, the books are current as of now. */
  private markCurrent(nowMs: number): void {
    if (this.allLoaded()) this.currentAtMs = TIME_ORIGIN_MS + nowMs;
  }

  /**
   * Every product's book loaded. It runs on every frame, so once true it is kept until
   * invalidateBooks, the one way a book is unloaded (a book that refuses an update is
   * unloaded by the decoder, and the connection is then broken through it).
   */
  private allLoaded(): boolean {
    if (this.allBooksLoaded) return true;
    for (const p of this.products) if (!p.book.loaded) return false;
    this.allBooksLoaded = true;
    return true;
  }

  /** Invalidates every book and drops the socket; the close handler reconnects. */
  private breakConnection(reason: string, resync: boolean): void {
    this.handlers.onNotice(`coinbase market data: ${reason}; reconnecting for fresh snapshots`);
    this.invalidateBooks(resync);
    this.closeReason = reason;
    this.ws?.terminate();
  }

  private invalidateBooks(resync: boolean): void {
    this.allBooksLoaded = false;
    for (const p of this.products) {
      if (resync && p.book.loaded) p.needsResync = true;
      p.out.valid = false;
    }
    this.decoder.clearAll();
  }

  private onClose(ws: WsClient, code: number, why: string): void {
    if (ws !== this.ws) return;
    this.ws = null;
    this.invalidateBooks(false);
    // What took the link down, when it was not the venue's close frame nor our own doing.
    if (code === CLOSE_ABNORMAL && this.closeReason === '' && !this.stopped) this.handlers.onNotice(`coinbase market data socket: ${why}`);
    // A close frame's code and reason, or (1006) what took the link down.
    const reason = this.closeReason !== '' ? this.closeReason : code === CLOSE_ABNORMAL ? why : `closed by the venue (${code}${why !== '' ? ` ${why}` : ''})`;
    this.setState('disconnected', reason);
    if (this.stopped) return;
    const delayMs = this.backoff.nextDelayMs();
    this.reconnectTimer = setTimeout(() => this.connect(`reconnecting after: ${reason}`), delayMs);
  }

  private checkSilence(): void {
    if (this.ws === null || this.state !== 'connected') return;
    const silentMs = performance.now() - this.lastFrameMs;
    if (silentMs > this.silenceTimeoutMs) this.breakConnection(`no frame for ${Math.round(silentMs)} ms`, false);
  }

  private setState(state: ConnectionState, reason: string): void {
    this.state = state;
    this.handlers.onConnection(state, reason);
  }
}

/** An error frame's message; error frames are rare, so JSON.parse is fine here. */
function errorMessage(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { message?: unknown }).message === 'string') return (parsed as { message: string }).message;
  } catch {
    // Fall through to the raw text.
  }
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
