import { fork, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import ccxt from 'ccxt';
import { WebSocket, WebSocketServer } from 'ws';
import { L2Book } from '../src/venues/book.ts';
import { CoinbaseBookDecoder } from '../src/venues/coinbase/coinbaseBookDecoder.ts';
import { CoinbaseBookFeed } from '../src/venues/coinbase/coinbaseBookFeed.ts';
import { CoinbasePublicFeed, type PublicFeedMarket } from '../src/venues/coinbase/emulator/coinbasePublicFeed.ts';
import { toProductId } from '../src/venues/coinbase/productId.ts';
import { readCaptureV1, type CaptureFrame } from '../src/venues/kraken/captureV1.ts';
import { KrakenPublicFeed, type PublicBookSource } from '../src/venues/kraken/emulator/krakenPublicFeed.ts';
import { KrakenBookDecoder } from '../src/venues/kraken/krakenBookDecoder.ts';
import { KrakenBookFeed } from '../src/venues/kraken/krakenBookFeed.ts';
import { WsClient } from '../src/venues/wsClient/wsClient.ts';
import type { SymbolMeta } from '../src/venues/venue.ts';
import { FRAME_SERVER_ARG, sharedClockMs, type FromFrameServer, type SendMode, type ServedStream, type ToFrameServer } from './benchFrameServer.ts';
import type { BenchFigure } from './benchOnBook.ts';
import { summarize } from './stats.ts';

// Our Kraken and Coinbase book codecs against ccxt.pro's watchOrderBook, fed the same
// frames over a real loopback WebSocket by a frame server in a child process, so the
// client's figures carry only the client's work: its wall time per frame while the server
// sends as fast as the socket takes them, and its process CPU time per frame
// (process.cpuUsage). Latency is measured on paced frames, from the server's send to the
// client's book holding the frame, on a clock both processes share (performance.timeOrigin
// + performance.now(): the Unix epoch through each process's monotonic clock).
//
// The data is real: the Kraken v1 capture (10 pairs, 2021) replayed through the Kraken
// emulator at depth 10, as a client subscribed at depth 10 receives it, and the same book
// events rendered by the Coinbase emulator as l2_data frames. Both emulators are recorded
// once; the frame server then answers the subscriptions as the emulator does and sends the
// recorded frames, so what is timed is the client, not the emulator re-diffing books.
// Each frame's timestamp is rewritten to the stream clock (frame i at STREAM_T0_MS + i ms):
// ccxt exposes nothing but the book's timestamp, so that is how a resolution of
// watchOrderBook (which may cover several frames) is mapped back to the frames it covers.

/** The node's default Kraken depth (config.ts), and what ccxt is asked for too. */
const DEPTH = 10;
/** Stream clock origin: frame i is stamped STREAM_T0_MS + i. */
export const STREAM_T0_MS = Date.UTC(2021, 3, 17, 16, 0, 0);
/** Paced mode: one frame every this many microseconds (5,000 frames/s; both clients keep up). */
const PACE_US = 200;
/** No stage of a run may take longer than this; a stuck run fails with a clear error. */
const STAGE_TIMEOUT_MS = 60_000;
/** Longest stream one run sends: bounds the per-frame arrays. */
const MAX_STREAM_FRAMES = 1_000_000;

// ---------------------------------------------------------------------------------------
// The frame streams (pure).

/** Frames a client receives after its subscriptions are answered, each a book frame of one symbol. */
export interface BookStream {
  readonly venue: 'Kraken' | 'Coinbase';
  readonly symbols: readonly string[];
  /** Sent once before the book frames (Coinbase's subscriptions ack, sequence_num 0); empty for Kraken. */
  readonly preamble: readonly string[];
  readonly frames: readonly string[];
  /** Index into symbols of each frame's symbol. */
  readonly frameSymbol: Int32Array;
  /** 1 where the frame is a snapshot. */
  readonly frameSnapshot: Uint8Array;
}

/** RFC 3339 of a stream-clock millisecond with `fractionDigits` (6 for Kraken, 9 for Coinbase). */
export function streamTimestamp(index: number, fractionDigits: 6 | 9): string {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`frame index must be an integer >= 0, got ${index}`);
  const iso = new Date(STREAM_T0_MS + index).toISOString();
  return `${iso.slice(0, 23)}${'0'.repeat(fractionDigits - 3)}Z`;
}

/** The frame index a book timestamp (ms, as ccxt parses it) names. */
export function frameIndexOf(timestampMs: number): number {
  const index = timestampMs - STREAM_T0_MS;
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`timestamp ${timestampMs} is not on the stream clock (origin ${STREAM_T0_MS})`);
  return index;
}

const KRAKEN_BOOK_FRAME = /^\{"channel":"book","type":"(snapshot|update)","data":\[\{"symbol":"([^"]+)"/;
const KRAKEN_TIMESTAMP = /"timestamp":"[^"]*"/;

/**
 * One pass of Kraken frames from what the emulator sent a client that subscribed every
 * symbol before the replay began: an empty snapshot per symbol, then diffs whose first
 * for each symbol carries its whole top N. That first diff, applied to an empty book, is
 * the snapshot the emulator sends a client subscribing after it: it becomes the snapshot,
 * and the empty ones are dropped. Timestamps are left as recorded.
 */
export function krakenPass(recorded: readonly string[], symbols: readonly string[]): string[] {
  const emptySnapshots = new Set<string>();
  const seen = new Set<string>();
  const out: string[] = [];
  for (const frame of recorded) {
    const match = KRAKEN_BOOK_FRAME.exec(frame);
    if (match === null) throw new Error(`not a Kraken book frame: ${frame.slice(0, 120)}`);
    const [, type, symbol] = match;
    if (!symbols.includes(symbol)) throw new Error(`a Kraken frame for ${symbol}, which is not among ${symbols.join(', ')}`);
    if (type === 'snapshot') {
      if (emptySnapshots.has(symbol)) throw new Error(`a second snapshot for ${symbol}: the recording must be one replay`);
      if (!/"bids":\[\],"asks":\[\]/.test(frame)) throw new Error(`the recorded snapshot of ${symbol} is not empty: subscribe before the replay starts`);
      emptySnapshots.add(symbol);
      continue;
    }
    if (!seen.has(symbol)) {
      if (/"qty":0[,}]|"qty":0\.0*[,}]/.test(frame)) throw new Error(`the first diff of ${symbol} removes a level, so it is not a whole book`);
      seen.add(symbol);
      out.push(frame.replace('"type":"update"', '"type":"snapshot"'));
      continue;
    }
    out.push(frame);
  }
  return out;
}

/** `passes` copies of a pass of Kraken frames, each frame stamped with its stream index. */
export function krakenStream(pass: readonly string[], symbols: readonly string[], passes: number): BookStream {
  checkPasses(pass.length, passes);
  const frames: string[] = [];
  const frameSymbol = new Int32Array(pass.length * passes);
  const frameSnapshot = new Uint8Array(pass.length * passes);
  for (let p = 0; p < passes; p++) {
    for (const frame of pass) {
      const match = KRAKEN_BOOK_FRAME.exec(frame);
      if (match === null) throw new Error(`not a Kraken book frame: ${frame.slice(0, 120)}`);
      const index = frames.length;
      if (!KRAKEN_TIMESTAMP.test(frame)) throw new Error(`a Kraken frame without a timestamp: ${frame.slice(0, 120)}`);
      frames.push(frame.replace(KRAKEN_TIMESTAMP, `"timestamp":"${streamTimestamp(index, 6)}"`));
      frameSymbol[index] = symbolIndex(symbols, match[2]);
      frameSnapshot[index] = match[1] === 'snapshot' ? 1 : 0;
    }
  }
  return { venue: 'Kraken', symbols, preamble: [], frames, frameSymbol, frameSnapshot };
}

const COINBASE_ENVELOPE = /^\{"channel":"([a-z0-9_]+)","client_id":"","timestamp":"[^"]*","sequence_num":\d+,"events":/;
const COINBASE_EVENT = /^\[\{"type":"(snapshot|update)","product_id":"([^"]+)"/;

/**
 * `passes` copies of a pass of Coinbase l2_data frames (one product's event each), after
 * the subscriptions ack: sequence_num runs 0 (the ack), 1, 2, ... over the whole stream
 * and each book frame's timestamp is its stream index.
 */
export function coinbaseStream(ack: string, pass: readonly string[], symbols: readonly string[], passes: number): BookStream {
  checkPasses(pass.length, passes);
  const productIds = symbols.map(toProductId);
  const ackMatch = COINBASE_ENVELOPE.exec(ack);
  if (ackMatch === null || ackMatch[1] !== 'subscriptions') throw new Error(`not a Coinbase subscriptions frame: ${ack.slice(0, 120)}`);
  const frames: string[] = [];
  const frameSymbol = new Int32Array(pass.length * passes);
  const frameSnapshot = new Uint8Array(pass.length * passes);
  for (let p = 0; p < passes; p++) {
    for (const frame of pass) {
      const envelope = COINBASE_ENVELOPE.exec(frame);
      if (envelope === null || envelope[1] !== 'l2_data') throw new Error(`not a Coinbase l2_data frame: ${frame.slice(0, 120)}`);
      const events = frame.slice(envelope[0].length);
      const event = COINBASE_EVENT.exec(events);
      if (event === null) throw new Error(`an l2_data frame whose first event is not a book event: ${frame.slice(0, 160)}`);
      if (events.indexOf('"product_id"', event[0].length) >= 0) throw new Error(`an l2_data frame with more than one event: ${frame.slice(0, 160)}`);
      const index = frames.length;
      frames.push(`{"channel":"l2_data","client_id":"","timestamp":"${streamTimestamp(index, 9)}","sequence_num":${index + 1},"events":${events}`);
      frameSymbol[index] = symbolIndex(productIds, event[2]);
      frameSnapshot[index] = event[1] === 'snapshot' ? 1 : 0;
    }
  }
  const preamble = [ack.replace(/"sequence_num":\d+/, '"sequence_num":0')];
  return { venue: 'Coinbase', symbols, preamble, frames, frameSymbol, frameSnapshot };
}

function checkPasses(passFrames: number, passes: number): void {
  if (!Number.isSafeInteger(passes) || passes < 1) throw new RangeError(`passes must be an integer >= 1, got ${passes}`);
  if (passFrames === 0) throw new RangeError('a pass needs at least one frame');
  if (passFrames * passes > MAX_STREAM_FRAMES) throw new RangeError(`${passFrames * passes} frames exceed the ${MAX_STREAM_FRAMES} a stream may hold`);
}

function symbolIndex(names: readonly string[], name: string): number {
  const index = names.indexOf(name);
  if (index < 0) throw new Error(`a frame for ${name}, which is not among ${names.join(', ')}`);
  return index;
}

/**
 * Which frames a client has applied, and when. Our feeds call onBook once per frame, in
 * order; ccxt resolves watchOrderBook once per batch of frames it handled, with the
 * symbol's book, whose timestamp names the newest frame applied (undefined for ccxt's
 * Kraken book fresh from a snapshot: that resolution covers up to the symbol's next
 * snapshot). A covered frame's time is the time of the resolution that covered it.
 *
 * The clock is read only where a time is kept: at every report when each frame's time is
 * wanted (the latency runs), else only at the report that completes the stream (the
 * throughput runs, which need the last frame's time alone). A clock read (timeOrigin plus
 * now) costs 50 to 90 ns on this machine, several percent of our feed's work on a frame,
 * and our feeds report every frame where ccxt reports once per batch: reading it on every
 * report would charge the harness's cost to our side of the ratio.
 */
export class FrameCoverage {
  /** The clock at which each frame was covered; NaN until it is, and throughout when not stamping each. */
  readonly coveredAtMs: Float64Array;
  /** The clock at which the last frame was covered; NaN until then. */
  completedAtMs = NaN;
  covered = 0;
  private readonly bySymbol: Int32Array[];
  private readonly cursor: Int32Array;

  constructor(
    private readonly stream: BookStream,
    private readonly clockMs: () => number,
    /** Whether every frame's time is kept (coveredAtMs), or only the last one's (completedAtMs). */
    readonly stampEach: boolean,
  ) {
    const n = stream.frames.length;
    this.coveredAtMs = new Float64Array(n).fill(NaN);
    const counts = new Int32Array(stream.symbols.length);
    for (let i = 0; i < n; i++) counts[stream.frameSymbol[i]]++;
    this.bySymbol = [...counts].map((count) => new Int32Array(count));
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const s = stream.frameSymbol[i];
      this.bySymbol[s][counts[s]++] = i;
    }
    this.cursor = new Int32Array(stream.symbols.length);
  }

  get complete(): boolean {
    return this.covered === this.stream.frames.length;
  }

  /** The next frame, in stream order (our feeds). */
  next(): void {
    if (this.covered >= this.stream.frames.length) throw new Error(`a book update beyond the ${this.stream.frames.length} frames sent`);
    const frame = this.covered;
    const s = this.stream.frameSymbol[frame];
    if (this.bySymbol[s][this.cursor[s]] !== frame) throw new Error(`frame ${frame} was covered out of order`);
    this.cursor[s]++;
    this.covered++;
    if (this.stampEach) this.coveredAtMs[frame] = this.clockMs();
    this.stampIfComplete(frame);
  }

  /** A ccxt resolution for `symbol` whose book is at frame `frame` (or undefined: a fresh snapshot). */
  resolve(symbol: number, frame: number | undefined): void {
    const list = this.bySymbol[symbol];
    const first = this.cursor[symbol];
    let c = first;
    if (frame === undefined) {
      while (c < list.length && this.stream.frameSnapshot[list[c]] === 0) c++;
      if (c === list.length) throw new Error(`${this.stream.symbols[symbol]}: a fresh snapshot resolved, but no snapshot is left to cover`);
      c++;
    } else {
      if (frame >= this.stream.frames.length || this.stream.frameSymbol[frame] !== symbol) throw new Error(`${this.stream.symbols[symbol]}: resolved at frame ${frame}, which is not one of its frames`);
      while (c < list.length && list[c] <= frame) c++;
    }
    this.cursor[symbol] = c;
    this.covered += c - first;
    if (c === first) return;
    if (this.stampEach) {
      const atMs = this.clockMs();
      for (let k = first; k < c; k++) this.coveredAtMs[list[k]] = atMs;
    }
    this.stampIfComplete(list[c - 1]);
  }

  private stampIfComplete(frame: number): void {
    if (!this.complete) return;
    this.completedAtMs = this.stampEach ? this.coveredAtMs[frame] : this.clockMs();
  }
}

// ---------------------------------------------------------------------------------------
// Recording the emulators.

async function listen(onConnection: (ws: WebSocket) => void): Promise<{ url: string; server: WebSocketServer }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.on('connection', onConnection);
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function closeServer(server: WebSocketServer): Promise<void> {
  for (const ws of server.clients) ws.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function waitFor(what: string, condition: () => boolean): Promise<void> {
  const deadline = performance.now() + STAGE_TIMEOUT_MS;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`venue codec bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function openClient(url: string, frames: string[]): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.on('message', (data) => frames.push(String(data)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return ws;
}

/** The replay source needs no live market; the feed reads it only without a capture. */
const NO_LIVE_MARKET: PublicBookSource = {
  symbols: [],
  meta: (symbol) => {
    throw new Error(`no live market for ${symbol}: the Kraken emulator replays the capture`);
  },
  book: (symbol) => {
    throw new Error(`no live market for ${symbol}: the Kraken emulator replays the capture`);
  },
  subscribe: () => () => {},
};

/** The Kraken emulator replaying the capture at full speed to one client of every symbol at DEPTH: its book frames. */
async function recordKraken(capture: readonly CaptureFrame[], symbols: readonly string[]): Promise<string[]> {
  const emulator = new KrakenPublicFeed({ market: NO_LIVE_MARKET, replayFrames: capture, replaySpeed: 0, heartbeatIntervalMs: 3_600_000, maxBufferedBytes: 256 * 1024 * 1024 });
  const { url, server } = await listen((ws) => emulator.accept(ws));
  const received: string[] = [];
  const ws = await openClient(url, received);
  ws.send(JSON.stringify({ method: 'subscribe', params: { channel: 'book', symbol: symbols, depth: DEPTH, snapshot: true }, req_id: 1 }));
  await waitFor('the Kraken emulator to replay the capture', () => emulator.replayedFrames === capture.length);
  // The pong follows every book frame sent before it on this socket.
  ws.send(JSON.stringify({ method: 'ping', req_id: 2 }));
  await waitFor('the Kraken emulator pong', () => received.some((f) => f.startsWith('{"method":"pong"')));
  ws.terminate();
  emulator.close();
  await closeServer(server);
  return received.filter((f) => f.startsWith('{"channel":"book"'));
}

/** Price and qty decimals of each symbol, the most its frames print (Coinbase prints at the pair's precision). */
function precisions(pass: readonly string[], symbols: readonly string[]): Map<string, SymbolMeta> {
  const metas = new Map<string, SymbolMeta>();
  for (const symbol of symbols) metas.set(symbol, { tickSize1e9: 1, lotSize1e8: 1, minQty1e8: 1, minNotional1e9: 0, pricePrecision: 0, qtyPrecision: 0 });
  for (const frame of pass) {
    const meta = metas.get(KRAKEN_BOOK_FRAME.exec(frame)![2])!;
    for (const m of frame.matchAll(/"price":\d+(?:\.(\d+))?,"qty":\d+(?:\.(\d+))?/g)) {
      meta.pricePrecision = Math.max(meta.pricePrecision, m[1]?.length ?? 0);
      meta.qtyPrecision = Math.max(meta.qtyPrecision, m[2]?.length ?? 0);
    }
  }
  for (const meta of metas.values()) {
    meta.tickSize1e9 = 10 ** (9 - meta.pricePrecision);
    meta.lotSize1e8 = 10 ** (8 - meta.qtyPrecision);
    meta.minQty1e8 = meta.lotSize1e8;
  }
  return metas;
}

/**
 * The Coinbase emulator publishing the same books: each Kraken frame, verified and
 * applied by our decoder, is the market's next top 20. The snapshots go in before the
 * client subscribes, so its snapshots hold them; then one l2_data update per book change.
 */
async function recordCoinbase(pass: readonly string[], symbols: readonly string[]): Promise<{ ack: string; frames: string[] }> {
  const snapshots = symbols.length;
  for (let i = 0; i < pass.length; i++) {
    if ((i < snapshots) !== pass[i].startsWith('{"channel":"book","type":"snapshot"')) throw new Error('the Kraken pass must open with one snapshot per symbol and hold no other');
  }
  const metas = precisions(pass, symbols);
  const books = new Map(symbols.map((s) => [s, new L2Book(s)]));
  const listeners = new Set<{ onBook?(book: L2Book): void }>();
  const market: PublicFeedMarket = {
    symbols,
    meta: (symbol) => metas.get(symbol)!,
    book: (symbol) => books.get(symbol)!,
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const decoder = new KrakenBookDecoder(symbols, DEPTH, {
    onBook: (book) => {
      books.get(book.symbol)!.copyFrom(book);
      for (const listener of listeners) listener.onBook?.(book);
    },
  });
  const emulator = new CoinbasePublicFeed(market, { heartbeatIntervalMs: 3_600_000, subscribeTimeoutMs: STAGE_TIMEOUT_MS, maxBufferedBytes: 256 * 1024 * 1024, clock: () => STREAM_T0_MS * 1e6 });
  const { url, server } = await listen((ws) => emulator.accept(ws));
  for (let i = 0; i < snapshots; i++) decoder.applyFrame(pass[i]);
  const received: string[] = [];
  const ws = await openClient(url, received);
  ws.send(JSON.stringify({ type: 'subscribe', channel: 'level2', product_ids: symbols.map(toProductId) }));
  await waitFor('the Coinbase emulator snapshots', () => received.length === 1 + snapshots);
  for (let i = snapshots; i < pass.length; i++) decoder.applyFrame(pass[i]);
  if (decoder.checksumFailures !== 0) throw new Error(`${decoder.checksumFailures} Kraken frames failed their checksum while feeding the Coinbase emulator`);
  // The heartbeats ack follows every update sent before it on this socket.
  ws.send(JSON.stringify({ type: 'subscribe', channel: 'heartbeats' }));
  await waitFor('the Coinbase emulator heartbeats ack', () => received.length > 1 + snapshots && received[received.length - 1].includes('"heartbeats":['));
  ws.terminate();
  emulator.close();
  await closeServer(server);
  return { ack: received[0], frames: received.slice(1, -1) };
}

// ---------------------------------------------------------------------------------------
// The frame server, a child process (benchFrameServer.ts).

/** The forked frame server: streams are sent to it once, then runs one at a time. */
class FrameServerProcess {
  /** What the child reported going wrong, kept for the run to throw. */
  failure: Error | null = null;
  private readonly child: ChildProcess;
  private readonly waiting: ((message: FromFrameServer) => void)[] = [];

  private constructor() {
    this.child = fork(join(import.meta.dirname, 'benchFrameServer.ts'), [FRAME_SERVER_ARG], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (message: FromFrameServer) => {
      if (message.type === 'failure') this.failure ??= new Error(`frame server: ${message.message}`);
      else this.waiting.shift()?.(message);
    });
    this.child.on('exit', (code, signal) => {
      this.failure ??= new Error(`frame server exited (${code ?? signal})`);
    });
  }

  static async start(): Promise<FrameServerProcess> {
    const server = new FrameServerProcess();
    await server.reply('ready');
    return server;
  }

  addStream(name: string, stream: BookStream): void {
    const served: ServedStream = { venue: stream.venue, symbols: stream.symbols, depth: DEPTH, preamble: stream.preamble, frames: stream.frames };
    this.send({ type: 'stream', name, stream: served });
  }

  /** Opens a listening socket that serves the named stream to one client; its URL. */
  async run(name: string, mode: SendMode): Promise<string> {
    this.send({ type: 'run', name, mode });
    return (await this.reply('listening')).url;
  }

  /** Closes the run's socket; the shared-clock time of each frame's send. */
  async finish(): Promise<{ startMs: number; sentAtMs: number[] }> {
    this.send({ type: 'finish' });
    return this.reply('finished');
  }

  close(): void {
    this.child.disconnect();
  }

  private send(message: ToFrameServer): void {
    this.child.send(message);
  }

  private reply<T extends FromFrameServer['type']>(type: T): Promise<Extract<FromFrameServer, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`venue codec bench: the frame server did not answer "${type}" within ${STAGE_TIMEOUT_MS} ms`)), STAGE_TIMEOUT_MS);
      this.waiting.push((message) => {
        clearTimeout(timer);
        if (message.type === type) resolve(message as Extract<FromFrameServer, { type: T }>);
        else reject(new Error(`frame server answered "${message.type}", expected "${type}"`));
      });
    });
  }
}

// ---------------------------------------------------------------------------------------
// The clients.

interface ClientRun {
  /** Wall ns per frame from the first send to the last frame applied. */
  nsPerFrame: number;
  /** The client process's CPU time (user + system) per frame, ns. */
  cpuNsPerFrame: number;
  /** Per frame, µs from its send to the client's book holding it (paced runs; empty for a burst). */
  latencyUs: Float64Array;
}

interface ClientHandle {
  /** What went wrong inside a callback, where throwing would only reach the socket's emitter. */
  failure(): unknown;
  /** Stops the client and checks it took every frame. */
  stop(): Promise<void>;
}

type Client = (url: string, stream: BookStream, coverage: FrameCoverage) => Promise<ClientHandle>;

const ours: Client = async (url, stream, coverage) => {
  let failure: unknown = null;
  const onBook = () => {
    try {
      coverage.next();
    } catch (error) {
      failure ??= error;
    }
  };
  if (stream.venue === 'Kraken') {
    const feed = new KrakenBookFeed({ url, symbols: stream.symbols, depth: DEPTH, pingIntervalMs: STAGE_TIMEOUT_MS, handlers: { onBook } });
    feed.start();
    return {
      failure: () => failure,
      stop: async () => {
        const health = feed.health();
        await feed.stop();
        if (health.checksumFailures !== 0 || health.badFrames !== 0 || health.resyncs !== 0) throw new Error(`our Kraken feed did not verify every frame: ${JSON.stringify(health)}`);
      },
    };
  }
  const feed = new CoinbaseBookFeed({ url, symbols: stream.symbols, silenceTimeoutMs: STAGE_TIMEOUT_MS, handlers: { onBook, onConnection: () => {}, onNotice: () => {} } });
  feed.start();
  return {
    failure: () => failure,
    stop: async () => {
      const health = feed.health();
      await feed.stop();
      if (health.sequenceGaps !== 0 || health.badFrames !== 0 || health.reconnects !== 0) throw new Error(`our Coinbase feed did not take every frame: ${JSON.stringify(health)}`);
    },
  };
};

/** What a bare socket client sends on open and counts: the subscription, and the book frames' prefix. */
function bareSubscription(stream: BookStream): { subscribe: string; prefix: Buffer } {
  const subscribe =
    stream.venue === 'Kraken'
      ? JSON.stringify({ method: 'subscribe', params: { channel: 'book', symbol: stream.symbols, depth: DEPTH, snapshot: true }, req_id: 1 })
      : JSON.stringify({ type: 'subscribe', channel: 'level2', product_ids: stream.symbols.map(toProductId) });
  return { subscribe, prefix: Buffer.from(stream.venue === 'Kraken' ? '{"channel":"book"' : '{"channel":"l2_data"') };
}

/** The socket path alone, as our feeds use it: our WsClient subscribing and counting book frames, decoding nothing. */
const bareOurSocket: Client = async (url, stream, coverage) => {
  const { subscribe, prefix } = bareSubscription(stream);
  let failure: unknown = null;
  const ws: WsClient = new WsClient(url, {
    onOpen: () => ws.send(subscribe),
    onMessage: (data, start, end) => {
      if (end - start < prefix.length || data.compare(prefix, 0, prefix.length, start, start + prefix.length) !== 0) return;
      try {
        coverage.next();
      } catch (error) {
        failure ??= error;
      }
    },
    onClose: (code, reason) => {
      if (!coverage.complete) failure ??= new Error(`our socket closed early: ${code} ${reason}`);
    },
  });
  return {
    failure: () => failure,
    stop: async () => {
      ws.terminate();
    },
  };
};

/** The socket path alone with the `ws` package (what ccxt.pro and most Node clients use), for comparison. */
const bareWsPackage: Client = async (url, stream, coverage) => {
  const { subscribe, prefix } = bareSubscription(stream);
  const ws = new WebSocket(url, { perMessageDeflate: false });
  let failure: unknown = null;
  ws.on('message', (data: Buffer) => {
    if (data.length < prefix.length || data.compare(prefix, 0, prefix.length, 0, prefix.length) !== 0) return;
    try {
      coverage.next();
    } catch (error) {
      failure ??= error;
    }
  });
  ws.on('error', (error) => {
    failure ??= error;
  });
  ws.on('open', () => ws.send(subscribe));
  return {
    failure: () => failure,
    stop: async () => {
      ws.terminate();
    },
  };
};

function ccxtMarkets(stream: BookStream): Record<string, unknown>[] {
  return stream.symbols.map((symbol) => {
    const [base, quote] = symbol.split('/');
    const id = stream.venue === 'Kraken' ? symbol.replace('/', '') : toProductId(symbol);
    return {
      id,
      symbol,
      base,
      quote,
      baseId: base,
      quoteId: quote,
      type: 'spot',
      spot: true,
      active: true,
      precision: { amount: 1e-8, price: 1e-8 },
      limits: { amount: {}, price: {}, cost: {} },
      info: { wsname: symbol },
    };
  });
}

/** ccxt.pro as its users run it: one watchOrderBook loop per symbol. */
const ccxtPro: Client = async (url, stream, coverage) => {
  // Without enableRateLimit:false ccxt spaces its subscribe messages by the REST rate limit (seconds for 10 symbols).
  const exchange = stream.venue === 'Kraken' ? new ccxt.pro.kraken({ enableRateLimit: false }) : new ccxt.pro.coinbase({ enableRateLimit: false });
  if (stream.venue === 'Kraken') exchange.urls.api.ws.publicV2 = url;
  else exchange.urls.api.ws = url;
  exchange.setMarkets(ccxtMarkets(stream) as never);
  // ccxt refuses a plain ws:// URL until it holds an http.Agent for it.
  await exchange.loadHttpProxyAgent();
  let closing = false;
  let failure: unknown = null;
  const loops = stream.symbols.map(async (symbol, s) => {
    try {
      while (!closing) {
        const book = await exchange.watchOrderBook(symbol, stream.venue === 'Kraken' ? DEPTH : undefined);
        const timestamp = book.timestamp;
        coverage.resolve(s, timestamp === undefined ? undefined : frameIndexOf(timestamp));
      }
    } catch (error) {
      if (!closing) failure ??= error;
    }
  });
  return {
    failure: () => failure,
    stop: async () => {
      closing = true;
      await exchange.close();
      await Promise.all(loops);
    },
  };
};

async function runClient(client: Client, server: FrameServerProcess, name: string, stream: BookStream, mode: SendMode): Promise<ClientRun> {
  const url = await server.run(name, mode);
  // The throughput runs need the last frame's time alone; the paced runs every frame's.
  const coverage = new FrameCoverage(stream, sharedClockMs, mode.kind === 'paced');
  let handle: ClientHandle | null = null;
  let cpu: NodeJS.CpuUsage;
  try {
    const cpuStart = process.cpuUsage();
    const h = await client(url, stream, coverage);
    handle = h;
    await waitFor(`${stream.venue} frames to reach the client`, () => {
      if (h.failure() !== null) throw h.failure();
      if (server.failure !== null) throw server.failure;
      return coverage.complete;
    });
    cpu = process.cpuUsage(cpuStart);
  } finally {
    await handle?.stop();
  }
  const run = await server.finish();
  const n = stream.frames.length;
  const latencyUs = new Float64Array(coverage.stampEach ? n : 0);
  for (let i = 0; i < latencyUs.length; i++) latencyUs[i] = (coverage.coveredAtMs[i] - run.sentAtMs[i]) * 1000;
  return { nsPerFrame: ((coverage.completedAtMs - run.startMs) * 1e6) / n, cpuNsPerFrame: ((cpu.user + cpu.system) * 1e3) / n, latencyUs };
}

// ---------------------------------------------------------------------------------------
// The figures.

interface VenueData {
  /** One pass: a snapshot per symbol, then the updates, stamped. */
  readonly pass: BookStream;
  readonly stream: (passes: number) => BookStream;
}

async function venueData(): Promise<{ kraken: VenueData; coinbase: VenueData }> {
  const capture = readCaptureV1();
  const symbols = [...new Set(capture.map((f) => f.symbol))];
  const kPass = krakenPass(await recordKraken(capture, symbols), symbols);
  const { ack, frames: cPass } = await recordCoinbase(kPass, symbols);
  return {
    kraken: { pass: krakenStream(kPass, symbols, 1), stream: (passes) => krakenStream(kPass, symbols, passes) },
    coinbase: { pass: coinbaseStream(ack, cPass, symbols, 1), stream: (passes) => coinbaseStream(ack, cPass, symbols, passes) },
  };
}

const rate = (nsPerUpdate: number) => {
  const perSecond = 1e9 / nsPerUpdate;
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)}M/s` : `${(perSecond / 1e3).toFixed(0)}k/s`;
};

async function throughputAndLatency(data: VenueData, server: FrameServerProcess, quick: boolean): Promise<BenchFigure[]> {
  const stream = data.stream(quick ? 3 : 8);
  const venue = stream.venue;
  const paced = data.stream(quick ? 1 : 3);
  server.addStream(`${venue} burst`, stream);
  server.addStream(`${venue} paced`, paced);
  const wallNs = { ours: [] as number[], ccxt: [] as number[], bare: [] as number[], bareWs: [] as number[] };
  const cpuNs = { ours: [] as number[], ccxt: [] as number[], bare: [] as number[], bareWs: [] as number[] };
  const rounds = quick ? 3 : 10;
  const key = (client: Client) => (client === ours ? 'ours' : client === ccxtPro ? 'ccxt' : client === bareOurSocket ? 'bare' : 'bareWs');
  // Round 0 warms every client up (JIT, ccxt's lazy setup) and is not kept; the order alternates so drift hits all.
  for (let round = 0; round <= rounds; round++) {
    const order = round % 2 === 0 ? [ours, ccxtPro, bareOurSocket, bareWsPackage] : [bareWsPackage, bareOurSocket, ccxtPro, ours];
    for (const client of order) {
      const { nsPerFrame, cpuNsPerFrame } = await runClient(client, server, `${venue} burst`, stream, { kind: 'burst' });
      if (round === 0) continue;
      wallNs[key(client)].push(nsPerFrame);
      cpuNs[key(client)].push(cpuNsPerFrame);
    }
  }
  const pacedMode: SendMode = { kind: 'paced', intervalMs: PACE_US / 1000 };
  const oursUs: number[] = [];
  const ccxtUs: number[] = [];
  for (let round = 0; round < 2; round++) {
    oursUs.push(...(await runClient(ours, server, `${venue} paced`, paced, pacedMode)).latencyUs);
    ccxtUs.push(...(await runClient(ccxtPro, server, `${venue} paced`, paced, pacedMode)).latencyUs);
  }
  const wall = { ours: summarize(wallNs.ours), ccxt: summarize(wallNs.ccxt), bare: summarize(wallNs.bare), bareWs: summarize(wallNs.bareWs) };
  const cpu = { ours: summarize(cpuNs.ours), ccxt: summarize(cpuNs.ccxt), bare: summarize(cpuNs.bare), bareWs: summarize(cpuNs.bareWs) };
  const what = venue === 'Kraken' ? `Kraken book feed, depth ${DEPTH}, checksum verified` : 'Coinbase level2 book feed, sequence_num checked';
  const baselineName = `ccxt.pro ${venue.toLowerCase()} watchOrderBook`;
  return [
    {
      name:
        `${what}, frames from a server process over loopback WS (${stream.frames.length} frames a round), client wall time: ` +
        `${rate(wall.ours.median)} vs ccxt.pro ${rate(wall.ccxt.median)} updates; socket alone, no decoding: our WsClient ${rate(wall.bare.median)}, the ws package ${rate(wall.bareWs.median)}`,
      unit: 'ns',
      ours: wall.ours,
      baselineName,
      baseline: wall.ccxt,
      goal: '>= 5x ccxt.pro updates/s (ratio <= 0.20)',
    },
    {
      name: `${what}: client CPU time (process.cpuUsage) per update; socket alone: our WsClient ${cpu.bare.median.toFixed(0)} ns, the ws package ${cpu.bareWs.median.toFixed(0)} ns`,
      unit: 'ns',
      ours: cpu.ours,
      baselineName,
      baseline: cpu.ccxt,
      goal: '>= 5x ccxt.pro updates per CPU second (ratio <= 0.20)',
    },
    {
      name: `${venue} book latency, server process send to client book (shared clock: timeOrigin + now), ${1000 / PACE_US}k frames/s paced`,
      unit: 'us',
      ours: summarize(oursUs),
      baselineName: `ccxt.pro ${venue.toLowerCase()} watchOrderBook resolving`,
      baseline: summarize(ccxtUs),
      goal: 'p50 and p99 below ccxt.pro (no target set)',
    },
  ];
}

function decoderCost(pass: BookStream, quick: boolean): BenchFigure {
  const kraken = pass.venue === 'Kraken';
  const texts = pass.frames;
  // The frame's bytes, as a Buffer: what the feeds decode (in place in the socket read).
  const buffers = texts.map((t) => Buffer.from(t, 'utf8'));
  const krakenDecoder = new KrakenBookDecoder(pass.symbols, DEPTH);
  const coinbaseDecoder = new CoinbaseBookDecoder(pass.symbols.map(toProductId));
  let sink = 0;
  const decode = kraken
    ? () => {
        for (const frame of buffers) sink += krakenDecoder.applyFrame(frame);
      }
    : () => {
        for (const frame of buffers) sink += coinbaseDecoder.applyFrame(frame);
      };
  const parse = () => {
    for (const frame of texts) sink += (JSON.parse(frame) as { events?: unknown[]; data?: unknown[] }) === null ? 1 : 0;
  };
  const timePass = (op: () => void) => {
    const t0 = performance.now();
    op();
    return ((performance.now() - t0) * 1e6) / texts.length;
  };
  // Parts of ours, for where its time goes: the scan alone, and (Kraken) the checksum alone
  // on the final books, unchanged since their last checksum, so it is the cached path.
  const scan = kraken
    ? () => {
        for (const frame of buffers) sink += krakenDecoder.scanner.scan(frame) ? 1 : 0;
      }
    : () => {
        for (const frame of buffers) sink += coinbaseDecoder.scan(frame).eventCount;
      };
  const checksums = () => {
    for (let i = 0; i < texts.length; i++) sink += krakenDecoder.book(pass.symbols[pass.frameSymbol[i]]).checksum() & 1;
  };
  const samples = quick ? 30 : 200;
  for (let i = 0; i < samples / 5; i++) {
    timePass(decode);
    timePass(parse);
  }
  const oursNs: number[] = [];
  const parseNs: number[] = [];
  const scanNs: number[] = [];
  const checksumNs: number[] = [];
  for (let i = 0; i < samples; i++) {
    oursNs.push(timePass(decode));
    parseNs.push(timePass(parse));
    if (i % 5 === 0) {
      scanNs.push(timePass(scan));
      if (kraken) checksumNs.push(timePass(checksums));
    }
  }
  const scanMedian = summarize(scanNs).median.toFixed(0);
  if (kraken && krakenDecoder.checksumFailures !== 0) throw new Error(`${krakenDecoder.checksumFailures} Kraken frames failed their checksum in process`);
  if (sink === 0) throw new Error('the decoders applied nothing');
  return {
    name: kraken
      ? `Kraken decoder in process: scan, apply, CRC32 checksum, top 20 (ns/frame; of which scan alone ${scanMedian} ns, checksum of an unchanged book (cached) ${summarize(checksumNs).median.toFixed(0)} ns)`
      : `Coinbase decoder in process: scan and apply (ns/frame; of which scan alone ${scanMedian} ns)`,
    unit: 'ns',
    ours: summarize(oursNs),
    baselineName: 'JSON.parse of the same frames alone',
    baseline: summarize(parseNs),
    goal: 'where the time goes (no target)',
  };
}

/**
 * Kraken and Coinbase: client wall time and CPU time per update with a server process
 * sending over a loopback socket, and paced latency, ours against ccxt.pro's
 * watchOrderBook on the same frames; and our decoders' in-process cost.
 */
export async function benchVenueCodecs(quick: boolean): Promise<BenchFigure[]> {
  const { kraken, coinbase } = await venueData();
  const figures: BenchFigure[] = [];
  const server = await FrameServerProcess.start();
  try {
    for (const data of [kraken, coinbase]) figures.push(...(await throughputAndLatency(data, server, quick)));
  } finally {
    server.close();
  }
  figures.push(decoderCost(kraken.pass, quick), decoderCost(coinbase.pass, quick));
  return figures;
}
