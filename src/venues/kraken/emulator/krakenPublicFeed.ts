import { WebSocket } from 'ws';
import { POW10 } from '../../../node/fixedPoint.ts';
import type { L2Book } from '../../book.ts';
import type { SymbolMeta, VenueStatus } from '../../venue.ts';
import { BookFrameScanner } from '../bookFrameScanner.ts';
import { type CaptureFrame, readCaptureV1 } from '../captureV1.ts';
import { bookChecksum } from '../checksum.ts';
import { BookSide, decimalText, isKrakenBookDepth, KrakenBook, type LevelEntries } from '../krakenBook.ts';

// The emulator's public WebSocket v2 endpoint (`book`, `status`, `heartbeat`, ping). It
// keeps each symbol's source book as a KrakenBook (levels with their exact text) and, for
// every depth some client subscribed, the top N it last published. Each source change is
// sent per depth as the diff of that top N before and after, as Kraken does: changed
// levels, levels entering scope, removals, but no removal for a level that merely falls out
// of scope (the client's truncation drops it). Two sources: the live EmulatorMarket (top
// 20 after each change, printed at the pair's fixed precision) or the replay of the real
// v1 capture (each decimal's text kept, Kraken's own checksums sent).

/** What the public feed needs of an EmulatorMarket. */
export interface PublicBookSource {
  readonly symbols: readonly string[];
  meta(symbol: string): SymbolMeta;
  book(symbol: string): L2Book;
  subscribe(listener: { onBook?(book: L2Book): void }): () => void;
}

export interface KrakenPublicFeedOptions {
  market: PublicBookSource;
  /** Path of a v1 capture to replay instead of the live market. */
  replay?: string;
  /** The capture's frames, already read (tests); takes precedence over `replay`. */
  replayFrames?: readonly CaptureFrame[];
  /** Replay pace relative to the capture's clock; 0 sends as fast as the sockets drain. Default 1. */
  replaySpeed?: number;
  /** Default 1,000. */
  heartbeatIntervalMs?: number;
  /** Bytes queued on one socket past which the client is dropped, as Kraken drops slow readers. Default 4 MiB. */
  maxBufferedBytes?: number;
  /** Called (performance.now() in ns) just before a book update frame is written to its subscribers. */
  onFrameWritten?: (symbol: string, atNs: number) => void;
}

const CHECKSUM_CORRUPTION = 0x5a5a5a5a;
const STATUS_VERSION = '2.0.10';
/** Replay at speed 0 waits while a socket holds more than this, so a slow reader paces it. */
const REPLAY_DRAIN_BYTES = 256 * 1024;
/** Upper bound on one replay wait, so a capture with a long gap does not stall a test run. */
const MAX_REPLAY_WAIT_MS = 1_000;
/** Subscriptions one connection may hold. */
const MAX_SUBSCRIPTIONS_PER_CLIENT = 1_000;

interface Client {
  readonly ws: WebSocket;
  /** symbol -> subscribed depth. */
  readonly depths: Map<string, number>;
  lastSentMs: number;
}

/** The top N of one symbol as last published to the clients subscribed at depth N. */
interface DepthView {
  readonly depth: number;
  readonly bids: BookSide;
  readonly asks: BookSide;
  readonly clients: Set<Client>;
}

interface SymbolFeed {
  readonly symbol: string;
  readonly source: KrakenBook;
  readonly views: Map<number, DepthView>;
  readonly meta: SymbolMeta | null;
}

export class KrakenPublicFeed {
  /** Clients dropped for not keeping up. */
  droppedSlowClients = 0;
  /** Capture frames replayed so far. */
  replayedFrames = 0;
  private readonly clients = new Set<Client>();
  private readonly symbols = new Map<string, SymbolFeed>();
  private readonly heartbeatIntervalMs: number;
  private readonly maxBufferedBytes: number;
  private readonly replaySpeed: number;
  private readonly replayFrames: readonly CaptureFrame[] | null;
  private readonly unsubscribeMarket: (() => void) | null = null;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly scanner = new BookFrameScanner();
  private readonly onFrameWritten: ((symbol: string, atNs: number) => void) | undefined;
  /** Levels of one live book at fixed precision, laid out as frame entries for KrakenBook. */
  private readonly liveEntries = newEntries(64);
  private status: VenueStatus = 'online';
  private paused = false;
  /** Symbols changed while paused, published on resume. */
  private readonly changedWhilePaused = new Set<string>();
  /** '' for none, '*' for any symbol. */
  private corruptFor = '';
  private replayStarted = false;
  private replayTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private connectionSeq = 0;

  constructor(options: KrakenPublicFeedOptions) {
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 1_000;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
    this.replaySpeed = options.replaySpeed ?? 1;
    this.onFrameWritten = options.onFrameWritten;
    if (!(this.heartbeatIntervalMs > 0)) throw new RangeError(`heartbeatIntervalMs must be positive, got ${this.heartbeatIntervalMs}`);
    if (!(this.maxBufferedBytes > 0)) throw new RangeError(`maxBufferedBytes must be positive, got ${this.maxBufferedBytes}`);
    if (!(this.replaySpeed >= 0 && Number.isFinite(this.replaySpeed))) throw new RangeError(`replaySpeed must be 0 or positive, got ${this.replaySpeed}`);
    this.replayFrames = options.replayFrames ?? (options.replay !== undefined ? readCaptureV1(options.replay) : null);
    if (this.replayFrames !== null) {
      for (const frame of this.replayFrames) {
        if (!this.symbols.has(frame.symbol)) this.symbols.set(frame.symbol, { symbol: frame.symbol, source: new KrakenBook(frame.symbol, frame.depth), views: new Map(), meta: null });
      }
    } else {
      const market = options.market;
      for (const symbol of market.symbols) {
        const feed: SymbolFeed = { symbol, source: new KrakenBook(symbol, 1000), views: new Map(), meta: market.meta(symbol) };
        this.symbols.set(symbol, feed);
        this.loadLive(feed, market.book(symbol));
      }
      this.unsubscribeMarket = market.subscribe({ onBook: (book) => this.onLiveBook(book) });
    }
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.heartbeatIntervalMs);
  }

  /** Serves one connection on the public path. */
  accept(ws: WebSocket): void {
    if (this.closed) {
      ws.terminate();
      return;
    }
    const client: Client = { ws, depths: new Map(), lastSentMs: performance.now() };
    this.clients.add(client);
    ws.on('message', (data, isBinary) => this.onRequest(client, isBinary ? null : String(data)));
    ws.on('close', () => this.forget(client));
    ws.on('error', () => this.forget(client));
    this.send(client, this.statusFrame());
  }

  close(): void {
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    if (this.replayTimer !== null) clearTimeout(this.replayTimer);
    this.unsubscribeMarket?.();
    for (const client of [...this.clients]) client.ws.terminate();
    this.clients.clear();
  }

  /** Fault: terminate every connection without a close handshake. */
  dropConnections(): void {
    for (const client of [...this.clients]) {
      this.forget(client);
      client.ws.terminate();
    }
  }

  /** Fault: the next book frame (of `symbol`, or of any symbol) carries a wrong checksum. */
  corruptNextChecksum(symbol?: string): void {
    this.corruptFor = symbol ?? '*';
  }

  /** Fault: no book frames while paused; on resume each client catches up with one diff. */
  pause(paused: boolean): void {
    this.paused = paused;
    if (paused) return;
    for (const symbol of this.changedWhilePaused) this.publish(this.symbols.get(symbol)!, -1);
    this.changedWhilePaused.clear();
    if (this.replayStarted && this.replayTimer === null) this.scheduleReplay(0);
  }

  /** Pushes a status frame to every connection and keeps the status for new ones. */
  sendStatus(status: VenueStatus): void {
    this.status = status;
    const frame = this.statusFrame();
    for (const client of [...this.clients]) this.send(client, frame);
  }

  private onRequest(client: Client, text: string | null): void {
    let request: Record<string, unknown>;
    try {
      if (text === null) throw new Error('binary frame');
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      request = parsed as Record<string, unknown>;
    } catch {
      this.send(client, errorFrame(undefined, 'Malformed request', undefined, performance.now()));
      return;
    }
    const timeIn = performance.now();
    const reqId = typeof request.req_id === 'number' ? request.req_id : undefined;
    switch (request.method) {
      case 'ping':
        this.send(client, JSON.stringify({ method: 'pong', ...(reqId !== undefined ? { req_id: reqId } : {}), time_in: isoTime(timeIn), time_out: isoTime(performance.now()) }));
        return;
      case 'subscribe':
        this.onSubscribe(client, request.params, reqId, timeIn);
        return;
      case 'unsubscribe':
        this.onUnsubscribe(client, request.params, reqId, timeIn);
        return;
      default:
        this.send(client, errorFrame(typeof request.method === 'string' ? request.method : undefined, 'Method not found', reqId, timeIn));
    }
  }

  private onSubscribe(client: Client, params: unknown, reqId: number | undefined, timeIn: number): void {
    const p = (typeof params === 'object' && params !== null ? params : {}) as Record<string, unknown>;
    if (p.channel !== 'book') {
      this.send(client, errorFrame('subscribe', p.channel === undefined ? 'Missing channel' : 'Channel not supported', reqId, timeIn));
      return;
    }
    const depth = p.depth ?? 10;
    if (typeof depth !== 'number' || !isKrakenBookDepth(depth)) {
      this.send(client, errorFrame('subscribe', 'Subscription depth not supported', reqId, timeIn));
      return;
    }
    if (!Array.isArray(p.symbol) || p.symbol.length === 0 || !p.symbol.every((s) => typeof s === 'string')) {
      this.send(client, errorFrame('subscribe', 'Missing symbol', reqId, timeIn));
      return;
    }
    const snapshot = p.snapshot !== false;
    for (const symbol of p.symbol as string[]) {
      const feed = this.symbols.get(symbol);
      if (feed === undefined) {
        this.send(client, errorFrame('subscribe', 'Currency pair not supported', reqId, timeIn, symbol));
        continue;
      }
      if (client.depths.has(symbol)) {
        this.send(client, errorFrame('subscribe', 'Already subscribed', reqId, timeIn, symbol));
        continue;
      }
      if (client.depths.size >= MAX_SUBSCRIPTIONS_PER_CLIENT) {
        this.send(client, errorFrame('subscribe', 'Subscription limit reached', reqId, timeIn, symbol));
        continue;
      }
      const view = this.viewFor(feed, depth);
      client.depths.set(symbol, depth);
      view.clients.add(client);
      const result = { channel: 'book', depth, snapshot, symbol };
      this.send(client, JSON.stringify({ method: 'subscribe', result, success: true, time_in: isoTime(timeIn), time_out: isoTime(performance.now()), ...(reqId !== undefined ? { req_id: reqId } : {}) }));
      if (snapshot) this.send(client, this.snapshotFrame(symbol, view));
    }
    if (this.replayFrames !== null && !this.replayStarted) {
      this.replayStarted = true;
      this.scheduleReplay(0);
    }
  }

  private onUnsubscribe(client: Client, params: unknown, reqId: number | undefined, timeIn: number): void {
    const p = (typeof params === 'object' && params !== null ? params : {}) as Record<string, unknown>;
    if (p.channel !== 'book' || !Array.isArray(p.symbol)) {
      this.send(client, errorFrame('unsubscribe', 'Subscription Not Found', reqId, timeIn));
      return;
    }
    const depth = p.depth ?? 10;
    for (const symbol of p.symbol as unknown[]) {
      const held = typeof symbol === 'string' ? client.depths.get(symbol) : undefined;
      if (typeof symbol !== 'string' || held === undefined || held !== depth) {
        this.send(client, errorFrame('unsubscribe', 'Subscription Not Found', reqId, timeIn, typeof symbol === 'string' ? symbol : undefined));
        continue;
      }
      client.depths.delete(symbol);
      this.symbols.get(symbol)?.views.get(held)?.clients.delete(client);
      const result = { channel: 'book', depth: held, symbol };
      this.send(client, JSON.stringify({ method: 'unsubscribe', result, success: true, time_in: isoTime(timeIn), time_out: isoTime(performance.now()), ...(reqId !== undefined ? { req_id: reqId } : {}) }));
    }
  }

  /** The view at a depth, created from the source book when first asked for. */
  private viewFor(feed: SymbolFeed, depth: number): DepthView {
    let view = feed.views.get(depth);
    if (view === undefined) {
      view = { depth, bids: new BookSide(true, depth), asks: new BookSide(false, depth), clients: new Set() };
      copyTop(feed.source.bids, view.bids, depth);
      copyTop(feed.source.asks, view.asks, depth);
      feed.views.set(depth, view);
    }
    return view;
  }

  private onLiveBook(book: L2Book): void {
    const feed = this.symbols.get(book.symbol);
    if (feed === undefined || this.closed) return;
    this.loadLive(feed, book);
    if (this.paused) this.changedWhilePaused.add(feed.symbol);
    else this.publish(feed, -1);
  }

  /** Replaces the source book with a live top 20 printed at the pair's fixed precision. */
  private loadLive(feed: SymbolFeed, book: L2Book): void {
    const meta = feed.meta!;
    const e = this.liveEntries;
    let n = 0;
    for (let i = 0; i < book.bidCount; i++) setLiveEntry(e, n++, book.bidPx[i], book.bidSz[i], meta, feed.symbol);
    const asksAt = n;
    for (let i = 0; i < book.askCount; i++) setLiveEntry(e, n++, book.askPx[i], book.askSz[i], meta, feed.symbol);
    feed.source.applySnapshot(e, 0, asksAt, asksAt, n);
  }

  /**
   * Sends each depth view's diff to its clients and moves the view to the source's top N.
   * `checksum` is Kraken's own (replay) or -1 to compute it from the view.
   */
  private publish(feed: SymbolFeed, checksum: number): void {
    for (const view of feed.views.values()) {
      const bidDiff = diffSide(view.bids, feed.source.bids, view.depth);
      const askDiff = diffSide(view.asks, feed.source.asks, view.depth);
      if (bidDiff.length === 0 && askDiff.length === 0) continue;
      copyTop(feed.source.bids, view.bids, view.depth);
      copyTop(feed.source.asks, view.asks, view.depth);
      if (view.clients.size === 0) continue;
      const sum = this.takeCorruption(feed.symbol, checksum >= 0 ? checksum : viewChecksum(view));
      const frame = frameJson('update', feed.symbol, bidDiff, askDiff, sum);
      this.onFrameWritten?.(feed.symbol, performance.now() * 1e6);
      for (const client of [...view.clients]) this.send(client, frame);
    }
  }

  private scheduleReplay(delayMs: number): void {
    this.replayTimer = setTimeout(() => {
      this.replayTimer = null;
      this.replayStep();
    }, delayMs);
  }

  /** Replays capture frames until the next one is due later, then sleeps until it is. */
  private replayStep(): void {
    const frames = this.replayFrames!;
    while (!this.closed && !this.paused && this.replayedFrames < frames.length) {
      if (this.replaySpeed === 0 && this.anyClientBacklogged()) {
        this.scheduleReplay(5);
        return;
      }
      const frame = frames[this.replayedFrames++];
      this.replayFrame(frame);
      const next = frames[this.replayedFrames];
      if (next === undefined) return;
      if (this.replaySpeed > 0) {
        const waitMs = Math.min(MAX_REPLAY_WAIT_MS, (next.recvEpochMs - frame.recvEpochMs) / this.replaySpeed);
        if (waitMs >= 1) {
          this.scheduleReplay(waitMs);
          return;
        }
      } else if (this.replayedFrames % 64 === 0) {
        // Yield to the event loop so sockets flush and requests are served.
        this.scheduleReplay(0);
        return;
      }
    }
  }

  private replayFrame(frame: CaptureFrame): void {
    const feed = this.symbols.get(frame.symbol)!;
    const s = this.scanner;
    s.scanText(frame.text);
    for (let m = 0; m < s.messageCount; m++) {
      if (s.type === 'snapshot') feed.source.applySnapshot(s, s.bidStart[m], s.bidEnd[m], s.askStart[m], s.askEnd[m]);
      else feed.source.applyUpdate(s, s.bidStart[m], s.bidEnd[m], s.askStart[m], s.askEnd[m]);
      this.publish(feed, s.checksums[m]);
    }
  }

  private anyClientBacklogged(): boolean {
    for (const client of this.clients) if (client.ws.bufferedAmount > REPLAY_DRAIN_BYTES) return true;
    return false;
  }

  private heartbeat(): void {
    const now = performance.now();
    for (const client of [...this.clients]) {
      if (client.depths.size > 0 && now - client.lastSentMs >= this.heartbeatIntervalMs) this.send(client, '{"channel":"heartbeat"}');
    }
  }

  private takeCorruption(symbol: string, checksum: number): number {
    if (this.corruptFor === '' || (this.corruptFor !== '*' && this.corruptFor !== symbol)) return checksum;
    this.corruptFor = '';
    return (checksum ^ CHECKSUM_CORRUPTION) >>> 0;
  }

  private send(client: Client, frame: string): void {
    if (client.ws.readyState !== WebSocket.OPEN) return;
    if (client.ws.bufferedAmount > this.maxBufferedBytes) {
      this.droppedSlowClients++;
      this.forget(client);
      client.ws.terminate();
      return;
    }
    client.lastSentMs = performance.now();
    client.ws.send(frame);
  }

  private forget(client: Client): void {
    if (!this.clients.delete(client)) return;
    for (const [symbol, depth] of client.depths) this.symbols.get(symbol)?.views.get(depth)?.clients.delete(client);
    client.depths.clear();
  }

  private statusFrame(): string {
    // connection_id exceeds 2^53 on the real venue: printed as a bare 20-digit integer, as Kraken does.
    const connectionId = `1511358303${String(++this.connectionSeq).padStart(10, '0')}`;
    return `{"channel":"status","type":"update","data":[{"version":"${STATUS_VERSION}","system":"${this.status}","api_version":"v2","connection_id":${connectionId}}]}`;
  }

  private snapshotFrame(symbol: string, view: DepthView): string {
    const bids: string[] = [];
    for (let i = 0; i < view.bids.count; i++) bids.push(levelJson(view.bids.priceText(i), view.bids.qtyText(i)));
    const asks: string[] = [];
    for (let i = 0; i < view.asks.count; i++) asks.push(levelJson(view.asks.priceText(i), view.asks.qtyText(i)));
    return frameJson('snapshot', symbol, bids, asks, this.takeCorruption(symbol, viewChecksum(view)));
  }
}

function frameJson(type: 'snapshot' | 'update', symbol: string, bids: string[], asks: string[], checksum: number): string {
  return `{"channel":"book","type":"${type}","data":[{"symbol":"${symbol}","bids":[${bids.join(',')}],"asks":[${asks.join(',')}],"checksum":${checksum},"timestamp":"${isoTime(performance.now())}"}]}`;
}

function levelJson(priceText: string, qtyText: string): string {
  return `{"price":${priceText},"qty":${qtyText}}`;
}

/**
 * The entries that turn `before` (a view's top N) into the source's top N: changed and new
 * levels, and removals, except for levels that only fell out of scope (worse than the new
 * N-th level of a full side), which Kraken leaves to the client's truncation.
 */
function diffSide(before: BookSide, source: BookSide, depth: number): string[] {
  const out: string[] = [];
  const afterCount = Math.min(source.count, depth);
  const sideFull = afterCount === depth;
  const worstAfter = afterCount > 0 ? source.px1e9(afterCount - 1) : 0;
  const better = before.descending ? (a: number, b: number) => a > b : (a: number, b: number) => a < b;
  let i = 0;
  let j = 0;
  while (i < before.count || j < afterCount) {
    const pxBefore = i < before.count ? before.px1e9(i) : NaN;
    const pxAfter = j < afterCount ? source.px1e9(j) : NaN;
    if (i < before.count && j < afterCount && pxBefore === pxAfter) {
      if (!sameQtyText(before, i, source, j)) out.push(levelJson(source.priceText(j), source.qtyText(j)));
      i++;
      j++;
    } else if (j >= afterCount || (i < before.count && better(pxBefore, pxAfter))) {
      if (!(sideFull && better(worstAfter, pxBefore))) out.push(levelJson(before.priceText(i), decimalText(0, 0, before.qtyDecimals(i))));
      i++;
    } else {
      out.push(levelJson(source.priceText(j), source.qtyText(j)));
      j++;
    }
  }
  return out;
}

/** Same qty and same printed text (a replayed level may change only its trailing zeros). */
function sameQtyText(a: BookSide, i: number, b: BookSide, j: number): boolean {
  return a.qtyDigits(i) === b.qtyDigits(j) && a.qtyZeros(i) === b.qtyZeros(j) && a.qtyDecimals(i) === b.qtyDecimals(j);
}

function copyTop(from: BookSide, to: BookSide, depth: number): void {
  const n = Math.min(from.count, depth);
  to.clear();
  for (let i = 0; i < n; i++) to.copyLevel(from, i);
}

function viewChecksum(view: DepthView): number {
  return bookChecksum(view.asks, view.bids);
}

function newEntries(capacity: number): LevelEntries {
  return {
    px1e9: new Float64Array(capacity),
    qty1e8: new Float64Array(capacity),
    pxDigits: new Float64Array(capacity),
    qtyDigits: new Float64Array(capacity),
    pxZeros: new Uint8Array(capacity),
    qtyZeros: new Uint8Array(capacity),
    pxDecimals: new Uint8Array(capacity),
    qtyDecimals: new Uint8Array(capacity),
  };
}

/** A live level as Kraken prints it: the price at pricePrecision and the qty at qtyPrecision decimals. */
function setLiveEntry(e: LevelEntries, index: number, px1e9: number, qty1e8: number, meta: SymbolMeta, symbol: string): void {
  const pxUnit = POW10[9 - meta.pricePrecision];
  const qtyUnit = POW10[8 - meta.qtyPrecision];
  if (px1e9 % pxUnit !== 0 || qty1e8 % qtyUnit !== 0) {
    throw new RangeError(`${symbol}: level ${px1e9}/${qty1e8} is finer than the pair's precision ${meta.pricePrecision}/${meta.qtyPrecision}`);
  }
  e.px1e9[index] = px1e9;
  e.qty1e8[index] = qty1e8;
  e.pxDigits[index] = px1e9 / pxUnit;
  e.qtyDigits[index] = qty1e8 / qtyUnit;
  e.pxZeros[index] = 0;
  e.qtyZeros[index] = 0;
  e.pxDecimals[index] = meta.pricePrecision;
  e.qtyDecimals[index] = meta.qtyPrecision;
}

function errorFrame(method: string | undefined, error: string, reqId: number | undefined, timeIn: number, symbol?: string): string {
  return JSON.stringify({
    error,
    ...(method !== undefined ? { method } : {}),
    ...(symbol !== undefined ? { symbol } : {}),
    success: false,
    time_in: isoTime(timeIn),
    time_out: isoTime(performance.now()),
    ...(reqId !== undefined ? { req_id: reqId } : {}),
  });
}

/** RFC 3339 with microseconds, as Kraken v2 prints times. */
function isoTime(monotonicMs: number): string {
  const epochMs = performance.timeOrigin + monotonicMs;
  const micros = Math.floor((epochMs % 1000) * 1000);
  return `${new Date(Math.floor(epochMs)).toISOString().slice(0, 19)}.${String(micros).padStart(6, '0')}Z`;
}
