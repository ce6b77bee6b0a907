import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { L2Book } from '../src/venues/book.ts';
import { CoinbaseBookFeed, type CoinbaseBookFeedOptions } from '../src/venues/coinbase/coinbaseBookFeed.ts';
import { CoinbasePublicFeed, type CoinbasePublicFeedOptions } from '../src/venues/coinbase/emulator/coinbasePublicFeed.ts';
import { EmulatorMarket } from '../src/venues/emulator/emulatorMarket.ts';
import type { ConnectionState } from '../src/venues/venue.ts';
import { waitFor } from './support/meshHarness.ts';

const SYMBOL = 'BTC/USD';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen(onConnection: (ws: WebSocket) => void): Promise<string> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  wss.on('connection', onConnection);
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  );
  return `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
}

interface Emulator {
  market: EmulatorMarket;
  feed: CoinbasePublicFeed;
  url: string;
}

async function emulator(options: CoinbasePublicFeedOptions = {}): Promise<Emulator> {
  const market = new EmulatorMarket({
    name: 'coinbase-emulator',
    seed: 11,
    tickIntervalMs: 20,
    markets: [{ symbol: SYMBOL, startPrice1e9: 60_000e9, tickSize1e9: 10_000_000, lotSize1e8: 1, minQty1e8: 1 }],
  });
  await market.start();
  cleanups.push(() => market.stop());
  const feed = new CoinbasePublicFeed(market, options);
  cleanups.push(() => feed.close());
  const url = await listen((ws) => feed.accept(ws));
  return { market, feed, url };
}

type Logged =
  | { kind: 'book'; valid: boolean }
  /** invalidBooks and bookValid as the feed reported them at that moment. */
  | { kind: 'connection'; state: ConnectionState; reason: string; invalidBooks: number; bookValid: boolean }
  | { kind: 'notice'; message: string };

/** A feed client whose callbacks are logged in order. */
function client(url: string, options: Partial<CoinbaseBookFeedOptions> = {}): { feed: CoinbaseBookFeed; log: Logged[]; books: () => number } {
  const log: Logged[] = [];
  let books = 0;
  const feed = new CoinbaseBookFeed({
    url,
    symbols: [SYMBOL],
    silenceTimeoutMs: 3000,
    reconnectMinMs: 20,
    reconnectMaxMs: 200,
    handlers: {
      onBook: (book: L2Book) => {
        books++;
        log.push({ kind: 'book', valid: book.valid });
      },
      onConnection: (state, reason) => log.push({ kind: 'connection', state, reason, invalidBooks: feed.health().invalidBooks, bookValid: feed.book(feed.symbols[0]).valid }),
      onNotice: (message) => log.push({ kind: 'notice', message }),
    },
    ...options,
  });
  cleanups.push(() => feed.stop());
  return { feed, log, books: () => books };
}

function topOf(book: L2Book): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < book.bidCount; i++) rows.push([1, book.bidPx[i], book.bidSz[i]]);
  for (let i = 0; i < book.askCount; i++) rows.push([-1, book.askPx[i], book.askSz[i]]);
  return rows;
}

/** A raw socket that records every text frame. */
async function rawClient(url: string): Promise<{ ws: WebSocket; frames: string[]; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024 });
  const frames: string[] = [];
  ws.on('message', (data) => frames.push(String(data)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  cleanups.push(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, frames, closed };
}

describe('CoinbaseBookFeed against the emulator', () => {
  it('keeps a book that matches the market, with the node symbol, a receive time and valid set', async () => {
    const emu = await emulator();
    const c = client(emu.url);
    c.feed.start();
    await waitFor(() => c.books() >= 5, 'several books');
    emu.market.pauseFeed(true);
    const book = c.feed.book(SYMBOL);
    await waitFor(() => JSON.stringify(topOf(book)) === JSON.stringify(topOf(emu.market.book(SYMBOL))), 'the client book to match the market');
    expect(book.symbol).toBe(SYMBOL);
    expect(book.valid).toBe(true);
    expect(book.bidCount).toBe(20);
    expect(book.bestBid()).toBeLessThan(book.bestAsk());
    expect(Math.abs(book.recvNs - Date.now() * 1e6)).toBeLessThan(60e9);
    const { currentAtMs, ...counters } = c.feed.health();
    expect(counters).toEqual({ connection: 'connected', invalidBooks: 0, resyncs: 0, sequenceGaps: 0, reconnects: 0, badFrames: 0 });
    expect(currentAtMs).toBeGreaterThan(0);
    expect(c.log.filter((l) => l.kind === 'book').every((l) => l.kind === 'book' && l.valid)).toBe(true);
  });

  it('a skipped sequence number marks the book invalid, counts the gap and rebuilds from a fresh snapshot, with no onBook while invalid', async () => {
    const emu = await emulator();
    const c = client(emu.url);
    c.feed.start();
    await waitFor(() => c.books() >= 2, 'a first book');
    const before = c.log.length;
    emu.feed.skipSequence();
    await waitFor(() => c.feed.health().resyncs === 1 && c.feed.book(SYMBOL).valid, 'the book rebuilt');
    const health = c.feed.health();
    expect(health.sequenceGaps).toBe(1);
    expect(health.reconnects).toBe(1);
    expect(health.invalidBooks).toBe(0);
    const after = c.log.slice(before);
    expect(after.find((l) => l.kind === 'connection' && l.state === 'disconnected')).toMatchObject({ invalidBooks: 1, bookValid: false });
    const gap = after.findIndex((l) => l.kind === 'notice' && /sequence gap: expected \d+, got \d+/.test(l.message));
    const reconnected = after.findIndex((l) => l.kind === 'connection' && l.state === 'connected');
    expect(gap).toBeGreaterThanOrEqual(0);
    expect(reconnected).toBeGreaterThan(gap);
    expect(after.slice(gap, reconnected).filter((l) => l.kind === 'book')).toEqual([]);
    emu.market.pauseFeed(true);
    await waitFor(() => JSON.stringify(topOf(c.feed.book(SYMBOL))) === JSON.stringify(topOf(emu.market.book(SYMBOL))), 'the rebuilt book to match the market');
  });

  it('a dropped connection reconnects, resubscribes and rebuilds the book', async () => {
    const emu = await emulator();
    const c = client(emu.url);
    c.feed.start();
    await waitFor(() => c.books() >= 2, 'a first book');
    emu.feed.dropConnections();
    await waitFor(() => c.feed.health().reconnects === 1 && c.feed.book(SYMBOL).valid, 'a reconnect with a valid book');
    const states = c.log.filter((l) => l.kind === 'connection').map((l) => (l.kind === 'connection' ? l.state : ''));
    expect(states).toEqual(['connecting', 'connected', 'disconnected', 'connecting', 'connected']);
    expect(emu.feed.stats().connections).toBe(1);
    expect(c.feed.health()).toMatchObject({ sequenceGaps: 0, resyncs: 0, invalidBooks: 0 });
    emu.market.pauseFeed(true);
    await waitFor(() => JSON.stringify(topOf(c.feed.book(SYMBOL))) === JSON.stringify(topOf(emu.market.book(SYMBOL))), 'the book to match after the reconnect');
  });

  it('a feed that goes silent, heartbeats included, is reconnected', async () => {
    const emu = await emulator({ heartbeatIntervalMs: 100 });
    const c = client(emu.url, { silenceTimeoutMs: 600 });
    c.feed.start();
    await waitFor(() => c.books() >= 1, 'a first book');
    emu.feed.pause(true);
    await waitFor(() => c.log.some((l) => l.kind === 'notice' && /no frame for \d+ ms/.test(l.message)), 'the silence to be noticed');
    emu.feed.pause(false);
    await waitFor(() => c.feed.health().reconnects >= 1 && c.feed.book(SYMBOL).valid, 'a reconnect with a valid book');
  });

  it('accepts a 5 MB snapshot', async () => {
    const emu = await emulator({ snapshotPaddingLevels: 25_000 });
    await waitFor(() => emu.market.book(SYMBOL).bidCount > 0, 'the market to publish a book');
    const raw = await rawClient(emu.url);
    raw.ws.send(JSON.stringify({ type: 'subscribe', product_ids: ['BTC-USD'], channel: 'level2' }));
    await waitFor(() => raw.frames.some((f) => f.includes('"type":"snapshot"')), 'the raw snapshot');
    const snapshot = raw.frames.find((f) => f.includes('"type":"snapshot"')) as string;
    expect(snapshot.length).toBeGreaterThan(5 * 1024 * 1024);
    const c = client(emu.url);
    c.feed.start();
    await waitFor(() => c.books() >= 2, 'books from the padded feed');
    expect(c.feed.health()).toMatchObject({ badFrames: 0, invalidBooks: 0, reconnects: 0 });
    emu.market.pauseFeed(true);
    await waitFor(() => JSON.stringify(topOf(c.feed.book(SYMBOL))) === JSON.stringify(topOf(emu.market.book(SYMBOL))), 'the top 20 to match the market');
  });

  it('a snapshot over maxPayloadBytes is refused with a notice and the book stays invalid', async () => {
    const emu = await emulator({ snapshotPaddingLevels: 20_000 });
    await waitFor(() => emu.market.book(SYMBOL).bidCount > 0, 'the market to publish a book');
    const c = client(emu.url, { maxPayloadBytes: 1024 * 1024, reconnectMinMs: 1000, reconnectMaxMs: 1000 });
    c.feed.start();
    await waitFor(() => c.log.some((l) => l.kind === 'notice' && l.message.includes('exceeds maxPayloadBytes 1048576')), 'the payload notice');
    expect(c.books()).toBe(0);
    expect(c.feed.book(SYMBOL).valid).toBe(false);
    expect(c.feed.health().invalidBooks).toBe(1);
  });

  it('a venue error frame reaches onNotice', async () => {
    const emu = await emulator();
    const c = client(emu.url, { symbols: ['ETH/USD'] });
    c.feed.start();
    await waitFor(() => c.log.some((l) => l.kind === 'notice'), 'a notice');
    expect(c.log.find((l) => l.kind === 'notice')).toEqual({ kind: 'notice', message: 'coinbase error: Failed to subscribe: unknown product_ids ETH-USD' });
  });

  it('subscribes to level2 at once on open, then heartbeats, one channel per message, each with a fresh JWT', async () => {
    const received: unknown[] = [];
    const url = await listen((ws) => ws.on('message', (data) => received.push(JSON.parse(String(data)))));
    let n = 0;
    const c = client(url, { symbols: ['BTC/USD', 'ETH/USD'], jwt: () => `token-${++n}` });
    c.feed.start();
    await waitFor(() => received.length === 2, 'two subscribe messages');
    expect(received).toEqual([
      { type: 'subscribe', channel: 'level2', product_ids: ['BTC-USD', 'ETH-USD'], jwt: 'token-1' },
      { type: 'subscribe', channel: 'heartbeats', product_ids: [], jwt: 'token-2' },
    ]);
    expect(c.feed.health()).toMatchObject({ connection: 'connected', invalidBooks: 2 });
  });

  it('an unreadable frame is counted, noticed, and the books are rebuilt', async () => {
    let connections = 0;
    const url = await listen((ws) => {
      connections++;
      const frame = (seq: number, updates: string) =>
        `{"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:50.714964855Z","sequence_num":${seq},"events":[{"type":"snapshot","product_id":"BTC-USD","updates":[${updates}]}]}`;
      ws.send(frame(0, '{"side":"bid","event_time":"x","price_level":"100","new_quantity":"1"}'));
      if (connections === 1) ws.send(frame(1, '{"side":"ask","event_time":"x","price_level":"100","new_quantity":"1"}'));
    });
    const c = client(url);
    c.feed.start();
    await waitFor(() => c.feed.health().reconnects === 1 && c.feed.book(SYMBOL).valid, 'a rebuilt book');
    expect(c.feed.health()).toMatchObject({ badFrames: 1, resyncs: 1, sequenceGaps: 0 });
    expect(c.log.some((l) => l.kind === 'notice' && l.message.includes('side must be "bid" or "offer", got "ask"'))).toBe(true);
  });

  it('a frame with invalid UTF-8 bytes is counted as bad and the books are rebuilt from fresh snapshots', async () => {
    let connections = 0;
    const url = await listen((ws) => {
      connections++;
      ws.send(`{"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:50.714964855Z","sequence_num":0,"events":[{"type":"snapshot","product_id":"BTC-USD","updates":[{"side":"bid","event_time":"x","price_level":"100","new_quantity":"1"}]}]}`);
      if (connections > 1) return;
      // A text frame whose new_quantity holds the byte 0xFF: not UTF-8, not a decimal.
      const head = '{"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:50.714964855Z","sequence_num":1,"events":[{"type":"update","product_id":"BTC-USD","updates":[{"side":"bid","event_time":"x","price_level":"100","new_quantity":"';
      ws.send(Buffer.concat([Buffer.from(head), Buffer.from([0xff]), Buffer.from('"}]}]}')]), { binary: false });
    });
    const c = client(url);
    c.feed.start();
    await waitFor(() => c.feed.health().reconnects === 1 && c.feed.book(SYMBOL).valid, 'a rebuilt book');
    expect(c.feed.health()).toMatchObject({ badFrames: 1, resyncs: 1, sequenceGaps: 0 });
    expect(c.log.some((l) => l.kind === 'notice' && l.message.includes('new_quantity must be a plain non-negative decimal string'))).toBe(true);
  });

  it('refuses bad options with clear errors', () => {
    const handlers = { onBook: () => {}, onConnection: () => {}, onNotice: () => {} };
    expect(() => new CoinbaseBookFeed({ url: 'ws://127.0.0.1:1', symbols: [], handlers })).toThrow('a Coinbase book feed needs at least one symbol');
    expect(() => new CoinbaseBookFeed({ url: 'ws://127.0.0.1:1', symbols: ['BTCUSD'], handlers })).toThrow('not a node symbol (BASE/QUOTE, upper case): "BTCUSD"');
    expect(() => new CoinbaseBookFeed({ url: 'ws://127.0.0.1:1', symbols: ['BTC/USD', 'BTC/USD'], handlers })).toThrow('a symbol is listed twice');
    expect(() => new CoinbaseBookFeed({ url: 'ws://127.0.0.1:1', symbols: ['BTC/USD'], handlers, silenceTimeoutMs: 0 })).toThrow('silenceTimeoutMs must be a positive number of milliseconds, got 0');
    expect(() => new CoinbaseBookFeed({ url: 'ws://127.0.0.1:1', symbols: ['BTC/USD'], handlers, maxPayloadBytes: -1 })).toThrow('maxPayloadBytes must be a positive integer, got -1');
    const feed = new CoinbaseBookFeed({ url: 'ws://127.0.0.1:1', symbols: ['BTC/USD'], handlers });
    expect(() => feed.book('ETH/USD')).toThrow('not subscribed to "ETH/USD"');
  });
});

describe('CoinbasePublicFeed', () => {
  it('closes a socket that never subscribes', async () => {
    const emu = await emulator({ subscribeTimeoutMs: 300 });
    const raw = await rawClient(emu.url);
    expect(await raw.closed).toEqual({ code: 1008, reason: 'no subscribe within 300 ms' });
    await waitFor(() => emu.feed.stats().connections === 0, 'the server to forget the socket');
    expect(emu.feed.stats().subscribeTimeouts).toBe(1);
  });

  it('numbers every frame 0, 1, 2, … in the real envelope: ack, snapshot, updates and heartbeats with a string counter', async () => {
    const emu = await emulator({ heartbeatIntervalMs: 100 });
    const raw = await rawClient(emu.url);
    raw.ws.send(JSON.stringify({ type: 'subscribe', product_ids: ['BTC-USD'], channel: 'level2' }));
    raw.ws.send(JSON.stringify({ type: 'subscribe', channel: 'heartbeats' }));
    await waitFor(() => raw.frames.filter((f) => f.includes('"heartbeats"')).length >= 4 && raw.frames.some((f) => f.includes('"type":"update"')), 'heartbeats and updates');
    const frames = raw.frames.map((f) => JSON.parse(f));
    frames.forEach((f, i) => {
      expect(f.sequence_num).toBe(i);
      expect(f.client_id).toBe('');
      expect(f.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    });
    expect(frames[0]).toMatchObject({ channel: 'subscriptions', events: [{ subscriptions: { level2: ['BTC-USD'] } }] });
    expect(frames[1]).toMatchObject({ channel: 'l2_data', events: [{ type: 'snapshot', product_id: 'BTC-USD' }] });
    const level = frames[1].events[0].updates[0];
    expect(level.side).toBe('bid');
    expect(level.price_level).toMatch(/^\d+\.\d{2}$/);
    expect(level.new_quantity).toMatch(/^\d+\.\d{8}$/);
    expect(frames[1].events[0].updates.some((u: { side: string }) => u.side === 'offer')).toBe(true);
    const heartbeats = frames.filter((f) => f.channel === 'heartbeats');
    expect(heartbeats.map((h) => h.events[0].heartbeat_counter).slice(0, 3)).toEqual(['1', '2', '3']);
    expect(heartbeats[0].events[0].current_time).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} \+0000 UTC m=\+\d+\.\d{9}$/);
  });

  it('skipSequence makes the next frame on each connection skip one number', async () => {
    const emu = await emulator({ heartbeatIntervalMs: 50 });
    const raw = await rawClient(emu.url);
    raw.ws.send(JSON.stringify({ type: 'subscribe', channel: 'heartbeats' }));
    await waitFor(() => raw.frames.length >= 2, 'the ack and a heartbeat');
    emu.feed.skipSequence();
    const at = raw.frames.length;
    await waitFor(() => raw.frames.length >= at + 2, 'two more frames');
    const seqs = raw.frames.map((f) => JSON.parse(f).sequence_num as number);
    expect(seqs[at]).toBe(seqs[at - 1] + 2);
    expect(seqs[at + 1]).toBe(seqs[at] + 1);
  });

  it('unsubscribe stops the updates and is acknowledged with what remains', async () => {
    const emu = await emulator({ heartbeatIntervalMs: 50 });
    const raw = await rawClient(emu.url);
    raw.ws.send(JSON.stringify({ type: 'subscribe', product_ids: ['BTC-USD'], channel: 'level2' }));
    await waitFor(() => raw.frames.some((f) => f.includes('"type":"update"')), 'an update');
    raw.ws.send(JSON.stringify({ type: 'unsubscribe', product_ids: [], channel: 'level2' }));
    await waitFor(() => raw.frames.filter((f) => f.includes('"subscriptions"')).length === 2, 'the second ack');
    const ack = JSON.parse(raw.frames.filter((f) => f.includes('"subscriptions"'))[1]);
    expect(ack.events).toEqual([{ subscriptions: {} }]);
    // Heartbeats show time passing on the same connection; no l2_data may come with them.
    const at = raw.frames.length;
    raw.ws.send(JSON.stringify({ type: 'subscribe', channel: 'heartbeats' }));
    await waitFor(() => raw.frames.slice(at).filter((f) => f.includes('"channel":"heartbeats"')).length >= 5, 'five heartbeats');
    expect(raw.frames.slice(at).filter((f) => f.includes('"channel":"l2_data"'))).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    ['the user channel', { type: 'subscribe', channel: 'user', product_ids: ['BTC-USD'] }, 'Failed to subscribe: channel "user" is not served on this endpoint (level2, heartbeats)'],
    ['an unknown product', { type: 'subscribe', channel: 'level2', product_ids: ['DOGE-USD'] }, 'Failed to subscribe: unknown product_ids DOGE-USD'],
    ['level2 without products', { type: 'subscribe', channel: 'level2' }, 'Failed to subscribe: level2 needs product_ids'],
    ['a bad type', { type: 'sub', channel: 'level2', product_ids: ['BTC-USD'] }, 'unknown message type "sub": expected "subscribe" or "unsubscribe"'],
    ['product_ids that are not strings', { type: 'subscribe', channel: 'level2', product_ids: [1] }, 'product_ids must be an array of strings'],
    ['a jwt that is not a string', { type: 'subscribe', channel: 'heartbeats', jwt: 5 }, 'jwt must be a string'],
    ['not an object', [1], 'a message must be a JSON object'],
    ['malformed JSON', '{"type":', 'malformed JSON'],
  ])('answers %s with the venue error shape', async (_name, message, error) => {
    const emu = await emulator();
    const raw = await rawClient(emu.url);
    raw.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
    await waitFor(() => raw.frames.length === 1, 'the error frame');
    expect(JSON.parse(raw.frames[0])).toEqual({ type: 'error', message: error });
  });

  it('refuses bad options with clear errors', async () => {
    const market = new EmulatorMarket({ name: 'e', seed: 1, markets: [{ symbol: SYMBOL, startPrice1e9: 60_000e9, tickSize1e9: 10_000_000, lotSize1e8: 1, minQty1e8: 1 }] });
    expect(() => new CoinbasePublicFeed(market, { subscribeTimeoutMs: 0 })).toThrow('subscribeTimeoutMs must be positive, got 0');
    expect(() => new CoinbasePublicFeed(market, { heartbeatIntervalMs: -1 })).toThrow('heartbeatIntervalMs must be positive, got -1');
    expect(() => new CoinbasePublicFeed(market, { snapshotPaddingLevels: 1.5 })).toThrow('snapshotPaddingLevels must be an integer >= 0, got 1.5');
    expect(() => new CoinbasePublicFeed(market, { maxBufferedBytes: 0 })).toThrow('maxBufferedBytes must be positive, got 0');
  });
});
