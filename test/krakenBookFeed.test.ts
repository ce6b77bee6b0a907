import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { L2Book } from '../src/venues/book.ts';
import { EmulatorMarket } from '../src/venues/emulator/emulatorMarket.ts';
import { readCaptureV1 } from '../src/venues/kraken/captureV1.ts';
import { KrakenPublicFeed } from '../src/venues/kraken/emulator/krakenPublicFeed.ts';
import { KrakenBookFeed, type KrakenBookFeedOptions } from '../src/venues/kraken/krakenBookFeed.ts';
import type { ConnectionState, VenueStatus } from '../src/venues/venue.ts';

const BTC = { symbol: 'BTC/USD', startPrice1e9: 60_000e9, tickSize1e9: 100_000_000, lotSize1e8: 1, minQty1e8: 10_000 };
const WAIT_MS = 30_000;

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function waitFor(what: string, condition: () => boolean, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A loopback WebSocket server whose connections the public feed serves. */
async function serve(publicFeed: KrakenPublicFeed): Promise<{ url: string; server: WebSocketServer }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  server.on('connection', (ws) => publicFeed.accept(ws));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  cleanups.push(() => publicFeed.close());
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function liveMarket(): Promise<EmulatorMarket> {
  const market = new EmulatorMarket({ name: 'kraken-emulator', seed: 7, markets: [BTC], tickIntervalMs: 20 });
  await market.start();
  cleanups.push(() => market.stop());
  return market;
}

interface Recorder {
  books: Array<{ symbol: string; bidPx: number[]; bidSz: number[]; askPx: number[]; askSz: number[]; valid: boolean; recvNs: number }>;
  statuses: VenueStatus[];
  connections: Array<[ConnectionState, string]>;
  notices: string[];
}

interface Hooks {
  onBook?(book: L2Book): void;
  onNotice?(message: string): void;
}

function startFeed(options: Omit<KrakenBookFeedOptions, 'handlers'>, hooks: Hooks = {}): { feed: KrakenBookFeed; rec: Recorder } {
  const rec: Recorder = { books: [], statuses: [], connections: [], notices: [] };
  const feed = new KrakenBookFeed({
    backoffMinMs: 20,
    backoffMaxMs: 200,
    ...options,
    handlers: {
      onBook: (book) => {
        rec.books.push({
          symbol: book.symbol,
          bidPx: Array.from(book.bidPx.subarray(0, book.bidCount)),
          bidSz: Array.from(book.bidSz.subarray(0, book.bidCount)),
          askPx: Array.from(book.askPx.subarray(0, book.askCount)),
          askSz: Array.from(book.askSz.subarray(0, book.askCount)),
          valid: book.valid,
          recvNs: book.recvNs,
        });
        hooks.onBook?.(book);
      },
      onStatus: (status) => rec.statuses.push(status),
      onConnection: (state, reason) => rec.connections.push([state, reason]),
      onNotice: (message) => {
        rec.notices.push(message);
        hooks.onNotice?.(message);
      },
    },
  });
  feed.start();
  cleanups.push(() => feed.stop());
  return { feed, rec };
}

function sameTop(rec: Recorder, source: L2Book, levels: number): boolean {
  const last = rec.books.at(-1);
  if (last === undefined) return false;
  const n = Math.min(levels, source.bidCount);
  const m = Math.min(levels, source.askCount);
  return (
    last.bidPx.length >= n &&
    last.askPx.length >= m &&
    Array.from(source.bidPx.subarray(0, n)).every((px, i) => px === last.bidPx[i] && source.bidSz[i] === last.bidSz[i]) &&
    Array.from(source.askPx.subarray(0, m)).every((px, i) => px === last.askPx[i] && source.askSz[i] === last.askSz[i])
  );
}

describe('Kraken book feed against the emulator public feed', () => {
  it('a snapshot then updates give the same top levels as the source, at depth 10 and 100', async () => {
    const market = await liveMarket();
    const { url } = await serve(new KrakenPublicFeed({ market }));
    const shallow = startFeed({ url, symbols: ['BTC/USD'], depth: 10 });
    const deep = startFeed({ url, symbols: ['BTC/USD'], depth: 100 });
    await waitFor('20 verified books on each client', () => shallow.rec.books.length >= 20 && deep.rec.books.length >= 20);
    market.pauseFeed(true);
    const source = market.book('BTC/USD');
    await waitFor('depth 10 to match the source top 10', () => sameTop(shallow.rec, source, 10));
    await waitFor('depth 100 to match the source top 20', () => sameTop(deep.rec, source, 20));
    expect(shallow.feed.health()).toMatchObject({ checksumFailures: 0, invalidBooks: 0, connection: 'connected' });
    expect(deep.feed.health()).toMatchObject({ checksumFailures: 0, invalidBooks: 0 });
    expect(shallow.rec.books.every((b) => b.valid && b.recvNs > 1.6e18)).toBe(true);
    expect(shallow.rec.statuses[0]).toBe('online');
  });

  it('a corrupted checksum marks the book invalid, publishes nothing until a fresh snapshot verifies, and counts a resync', async () => {
    const market = await liveMarket();
    const publicFeed = new KrakenPublicFeed({ market });
    const { url } = await serve(publicFeed);
    const timeline: string[] = [];
    let invalidAtMismatch = -1;
    const { feed, rec } = startFeed(
      { url, symbols: ['BTC/USD'], depth: 10 },
      {
        onBook: () => timeline.push(`book resyncs=${feed.health().resyncs}`),
        onNotice: (message) => {
          if (!message.includes('checksum mismatch')) return;
          timeline.push('mismatch');
          invalidAtMismatch = feed.health().invalidBooks;
        },
      },
    );
    await waitFor('a first book', () => rec.books.length >= 3);
    publicFeed.corruptNextChecksum('BTC/USD');
    await waitFor('the rebuild', () => feed.health().resyncs === 1 && timeline.at(-1) !== 'mismatch');
    await waitFor('books after the rebuild', () => timeline.filter((t) => t === 'book resyncs=1').length >= 3);
    const mismatchAt = timeline.indexOf('mismatch');
    expect(mismatchAt).toBeGreaterThan(0);
    expect(invalidAtMismatch).toBe(1);
    expect(timeline.slice(mismatchAt + 1).every((t) => t === 'book resyncs=1')).toBe(true);
    expect(feed.health()).toMatchObject({ checksumFailures: 1, resyncs: 1, invalidBooks: 0, reconnects: 0 });
  });

  it('a frame with invalid UTF-8 bytes is counted as bad and the book rebuilt from a fresh snapshot, on the same connection', async () => {
    // Asks first, then bids, each level's price digits then qty digits (VENUES.md section 2).
    const snapshot = `{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[{"price":100.0,"qty":1.0}],"asks":[{"price":101.0,"qty":1.0}],"checksum":${crc32('1010' + '10' + '1000' + '10')}}]}`;
    const subscribes: number[] = [];
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    server.on('connection', (ws) => {
      ws.on('message', (data) => {
        const request = JSON.parse(String(data)) as { method: string; req_id: number };
        if (request.method !== 'subscribe') return;
        subscribes.push(request.req_id);
        ws.send(JSON.stringify({ method: 'subscribe', success: true, req_id: request.req_id, result: { channel: 'book', symbol: 'BTC/USD', depth: 10 } }));
        ws.send(snapshot);
        if (subscribes.length > 1) return;
        // A text frame whose price is the byte 0xFF: not UTF-8, not a number.
        const bad = Buffer.concat([Buffer.from('{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":'), Buffer.from([0xff]), Buffer.from(',"qty":1.0}],"asks":[],"checksum":1}]}')]);
        ws.send(bad, { binary: false });
      });
    });
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { feed, rec } = startFeed({ url, symbols: ['BTC/USD'], depth: 10 });
    await waitFor('the rebuild after the bad frame', () => feed.health().resyncs === 1);
    expect(feed.health()).toMatchObject({ badFrames: 1, resyncs: 1, reconnects: 0, invalidBooks: 0, checksumFailures: 0 });
    expect(subscribes).toHaveLength(2);
    expect(rec.notices.some((n) => n.includes('bad Kraken book frame') && n.includes('price is not a number'))).toBe(true);
    expect(rec.books.at(-1)).toMatchObject({ bidPx: [100e9], askPx: [101e9], valid: true });
  });

  it('a dropped connection reconnects, resubscribes and rebuilds the book from a fresh snapshot', async () => {
    const market = await liveMarket();
    const publicFeed = new KrakenPublicFeed({ market });
    const { url } = await serve(publicFeed);
    const { feed, rec } = startFeed({ url, symbols: ['BTC/USD'], depth: 25 });
    await waitFor('a first book', () => rec.books.length >= 3);
    publicFeed.dropConnections();
    await waitFor('the disconnect', () => rec.connections.some(([s]) => s === 'disconnected'));
    const booksAtDrop = rec.books.length;
    expect(feed.health().invalidBooks).toBe(1);
    await waitFor('books after reconnecting', () => feed.health().reconnects === 1 && rec.books.length >= booksAtDrop + 3);
    expect(rec.connections.map(([s]) => s)).toEqual(['connecting', 'connected', 'disconnected', 'connecting', 'connected']);
    expect(feed.health()).toMatchObject({ connection: 'connected', invalidBooks: 0, checksumFailures: 0 });
    market.pauseFeed(true);
    await waitFor('the rebuilt book to match the source', () => sameTop(rec, market.book('BTC/USD'), 20));
  });

  it('a status change to cancel_only reaches onStatus', async () => {
    const market = await liveMarket();
    const publicFeed = new KrakenPublicFeed({ market });
    const { url } = await serve(publicFeed);
    const { rec } = startFeed({ url, symbols: ['BTC/USD'], depth: 10 });
    await waitFor('the status on connect', () => rec.statuses.length === 1);
    publicFeed.sendStatus('cancel_only');
    await waitFor('cancel_only', () => rec.statuses.includes('cancel_only'));
    expect(rec.statuses).toEqual(['online', 'cancel_only']);
  });

  it('a rejected subscription is reported with the venue error, counted, and its symbol stays invalid', async () => {
    const market = await liveMarket();
    const { url } = await serve(new KrakenPublicFeed({ market }));
    const { feed, rec } = startFeed({ url, symbols: ['BTC/USD', 'DOGE/XYZ'], depth: 10 });
    await waitFor('the rejection', () => feed.health().subscribeRejects === 1);
    await waitFor('a BTC/USD book', () => rec.books.length > 0);
    expect(rec.notices.find((n) => n.includes('DOGE/XYZ'))).toContain('Currency pair not supported');
    expect(feed.isValid('DOGE/XYZ')).toBe(false);
    expect(feed.health().invalidBooks).toBe(1);
    expect(rec.books.every((b) => b.symbol === 'BTC/USD')).toBe(true);
  });

  it('silence past the pong timeout drops the socket and reconnects', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    let connections = 0;
    server.on('connection', (ws) => {
      connections++;
      cleanups.push(() => ws.terminate());
    });
    const { feed, rec } = startFeed({ url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, symbols: ['BTC/USD'], depth: 10, pingIntervalMs: 50 });
    await waitFor('a second connection', () => connections >= 2 && feed.health().reconnects >= 1);
    expect(rec.notices.some((n) => n.includes('no traffic'))).toBe(true);
  });

  it('refuses bad options with a clear error', () => {
    const handlers = { onBook: () => {} };
    expect(() => new KrakenBookFeed({ url: 'ws://x', symbols: ['BTC/USD'], depth: 20, handlers })).toThrow(/depth must be one of/);
    expect(() => new KrakenBookFeed({ url: 'ws://x', symbols: [], depth: 10, handlers })).toThrow(/at least one symbol/);
    expect(() => new KrakenBookFeed({ url: 'ws://x', symbols: ['BTCUSD'], depth: 10, handlers })).toThrow(/not a Kraken v2 symbol/);
    expect(() => new KrakenBookFeed({ url: 'ws://x', symbols: ['BTC/USD'], depth: 10, handlers, pingIntervalMs: 100, pongTimeoutMs: 50 })).toThrow(/pongTimeoutMs/);
  });

  it('replaying the real capture through the emulator verifies every checksum at depth 1000 and 10, publishing only changed tops', async () => {
    const market = await liveMarket();
    const frames = readCaptureV1();
    const publicFeed = new KrakenPublicFeed({ market, replayFrames: frames, replaySpeed: 0 });
    const { url } = await serve(publicFeed);
    const symbols = [...new Set(frames.map((f) => f.symbol))];
    let fullBookFrames = 0;
    // The tap sees each frame just before it is decoded, in the same turn: once it has seen them all, all are verified.
    const full = startFeed({ url, symbols, depth: 1000, onFrame: (frame) => (fullBookFrames += frame.toString('utf8', 0, 17) === '{"channel":"book"' ? 1 : 0) });
    const top10 = startFeed({ url, symbols, depth: 10 });
    await waitFor('the whole capture', () => publicFeed.replayedFrames === frames.length, 120_000);
    const updates = frames.filter((f) => f.type === 'update').length;
    // Every capture frame is a book frame for the depth-1000 client, after one (empty) snapshot a symbol.
    await waitFor('the depth-1000 client to verify every frame', () => fullBookFrames >= symbols.length + frames.length, 60_000);
    expect(updates).toBe(4269);
    expect(full.feed.health()).toMatchObject({ checksumFailures: 0, invalidBooks: 0, badFrames: 0, reconnects: 0 });
    // Updates below the top 20 of a depth-1000 book change nothing published.
    expect(full.rec.books.length).toBeGreaterThan(symbols.length);
    expect(full.rec.books.length).toBeLessThan(symbols.length + frames.length);
    expect(top10.feed.health()).toMatchObject({ checksumFailures: 0, invalidBooks: 0, badFrames: 0, reconnects: 0 });
    expect(top10.rec.books.length).toBeGreaterThan(1000);
  });
});

describe('Kraken emulator public feed protocol', () => {
  async function rawClient(url: string): Promise<{ ws: WebSocket; frames: string[] }> {
    const ws = new WebSocket(url);
    const frames: string[] = [];
    ws.on('message', (data) => frames.push(String(data)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    cleanups.push(() => ws.terminate());
    return { ws, frames };
  }

  it('rejects an unsupported depth with Kraken error shape and keeps the socket open', async () => {
    const market = await liveMarket();
    const { url } = await serve(new KrakenPublicFeed({ market }));
    const { ws, frames } = await rawClient(url);
    await waitFor('the status frame', () => frames.length >= 1);
    expect(JSON.parse(frames[0])).toMatchObject({ channel: 'status', type: 'update', data: [{ system: 'online', api_version: 'v2' }] });
    ws.send(JSON.stringify({ method: 'subscribe', params: { channel: 'book', symbol: ['BTC/USD'], depth: 7 }, req_id: 9 }));
    await waitFor('the rejection', () => frames.some((f) => f.includes('depth not supported')));
    expect(JSON.parse(frames.find((f) => f.includes('depth not supported'))!)).toMatchObject({ error: 'Subscription depth not supported', method: 'subscribe', success: false, req_id: 9 });
    ws.send(JSON.stringify({ method: 'ping' }));
    await waitFor('a pong without req_id', () => frames.some((f) => JSON.parse(f).method === 'pong'));
    expect(JSON.parse(frames.find((f) => JSON.parse(f).method === 'pong')!)).not.toHaveProperty('req_id');
  });

  it('acks each symbol echoing req_id, sends the snapshot, heartbeats when idle, and unsubscribes', async () => {
    const market = await liveMarket();
    const publicFeed = new KrakenPublicFeed({ market, heartbeatIntervalMs: 50 });
    const { url } = await serve(publicFeed);
    const { ws, frames } = await rawClient(url);
    ws.send(JSON.stringify({ method: 'subscribe', params: { channel: 'book', symbol: ['BTC/USD'], depth: 10, snapshot: true }, req_id: 4 }));
    await waitFor('the snapshot', () => frames.some((f) => f.includes('"type":"snapshot"')));
    const ack = JSON.parse(frames.find((f) => f.includes('"method":"subscribe"'))!);
    expect(ack).toMatchObject({ method: 'subscribe', success: true, req_id: 4, result: { channel: 'book', depth: 10, snapshot: true, symbol: 'BTC/USD' } });
    expect(frames.find((f) => f.includes('"type":"snapshot"'))).toMatch(/"price":\d+\.\d,"qty":\d+\.\d{8}\}/);
    publicFeed.pause(true);
    const pausedAt = frames.length;
    await waitFor('a heartbeat while idle', () => frames.slice(pausedAt).includes('{"channel":"heartbeat"}'));
    expect(frames.slice(pausedAt).some((f) => f.includes('"channel":"book"'))).toBe(false);
    ws.send(JSON.stringify({ method: 'unsubscribe', params: { channel: 'book', symbol: ['BTC/USD'], depth: 25 }, req_id: 5 }));
    await waitFor('the unsubscribe error for the wrong depth', () => frames.some((f) => f.includes('Subscription Not Found')));
    ws.send(JSON.stringify({ method: 'unsubscribe', params: { channel: 'book', symbol: ['BTC/USD'], depth: 10 }, req_id: 6 }));
    await waitFor('the unsubscribe ack', () => frames.some((f) => f.includes('"method":"unsubscribe"') && f.includes('"success":true')));
  });
});
