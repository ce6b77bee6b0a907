import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { DecimalError } from '../../src/node/fixedPoint.ts';
import { CoinbaseBookError } from '../../src/venues/coinbase/coinbaseBook.ts';
import { CoinbaseBookDecoder } from '../../src/venues/coinbase/coinbaseBookDecoder.ts';
import { CoinbaseUserFeed, userEvents, UserFrameError, type UserOrderUpdate } from '../../src/venues/coinbase/coinbaseUserFeed.ts';
import { CoinbaseEmulator } from '../../src/venues/coinbase/emulator/coinbaseEmulator.ts';
import { L2FrameError } from '../../src/venues/coinbase/l2FrameScanner.ts';
import { ProductIdError } from '../../src/venues/coinbase/productId.ts';
import { captureFrames, waitFor } from './support/frameCapture.ts';
import { fuzzRuns, mutatedJson, mutatedText } from './support/mutations.ts';

// Coinbase Advanced Trade frames from a stranger: an l2_data frame that cannot be read
// throws L2FrameError and leaves every book as it was; a frame that reads but holds a
// level a book refuses throws CoinbaseBookError and leaves that book unloaded (to be
// rebuilt from a snapshot), never half-applied and trusted. User-channel events become
// order updates or one of the three named errors, and the user feed survives any frame.

const PRODUCTS = ['BTC-USD', 'ETH-USD'];
const KEY_NAME = 'organizations/org-1/apiKeys/key-1';
const PEM = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();

type BookCopy = { loaded: boolean; bids: number[]; asks: number[] };

function copyBooks(decoder: CoinbaseBookDecoder): BookCopy[] {
  return PRODUCTS.map((id) => {
    const book = decoder.book(id);
    const bids: number[] = [];
    const asks: number[] = [];
    for (let r = 0; r < book.bidCount; r++) bids.push(book.bidPx1e9(r), book.bidQty1e8(r));
    for (let r = 0; r < book.askCount; r++) asks.push(book.askPx1e9(r), book.askQty1e8(r));
    return { loaded: book.loaded, bids, asks };
  });
}

function expectWellFormed(decoder: CoinbaseBookDecoder): void {
  for (const id of PRODUCTS) {
    const book = decoder.book(id);
    if (!book.loaded) continue;
    for (let r = 0; r < book.bidCount; r++) {
      expect(Number.isSafeInteger(book.bidPx1e9(r)) && book.bidPx1e9(r) > 0 && book.bidQty1e8(r) > 0).toBe(true);
      if (r > 0) expect(book.bidPx1e9(r)).toBeLessThan(book.bidPx1e9(r - 1));
    }
    for (let r = 0; r < book.askCount; r++) {
      expect(Number.isSafeInteger(book.askPx1e9(r)) && book.askPx1e9(r) > 0 && book.askQty1e8(r) > 0).toBe(true);
      if (r > 0) expect(book.askPx1e9(r)).toBeGreaterThan(book.askPx1e9(r - 1));
    }
  }
}

/**
 * Applies one frame under the decoder's contract; returns how it ended. In a socket read,
 * the frame is scanned in place between frame headers, as the feed scans it.
 */
function applyChecked(decoder: CoinbaseBookDecoder, frame: string, inSocketRead = false): 'applied' | 'unreadable' | 'refused' {
  const before = copyBooks(decoder);
  try {
    if (inSocketRead) {
      const bytes = Buffer.from(frame, 'utf8');
      const read = Buffer.concat([Buffer.from([0x81, 127, 0, 0, 0, 0, 0, 0, 0, 0]), bytes, Buffer.from([0x81, 0x02, 0x7b, 0x7d])]);
      decoder.scanAt(read, 10, 10 + bytes.length);
      decoder.applyScanned();
    } else {
      decoder.applyFrame(frame);
    }
  } catch (error) {
    if (error instanceof L2FrameError) {
      expect(copyBooks(decoder)).toEqual(before);
      return 'unreadable';
    }
    expect(error).toBeInstanceOf(CoinbaseBookError);
    // The refused level's product is no longer trusted; nothing that was unloaded became loaded.
    const after = copyBooks(decoder);
    expect(after.some((book, i) => before[i].loaded && !book.loaded)).toBe(true);
    after.forEach((book, i) => expect(book.loaded && !before[i].loaded).toBe(false));
    return 'refused';
  }
  expectWellFormed(decoder);
  return 'applied';
}

describe('Coinbase l2_data frames from a stranger', () => {
  let emulator: CoinbaseEmulator;
  let frames: string[];
  let snapshots: string[];

  beforeAll(async () => {
    emulator = new CoinbaseEmulator({ credentials: { keyName: KEY_NAME, keyPem: PEM }, seed: 9 });
    const urls = await emulator.start();
    frames = await captureFrames(urls.wsUrl, [{ type: 'subscribe', product_ids: PRODUCTS, channel: 'level2' }, { type: 'subscribe', product_ids: [], channel: 'heartbeats' }, { type: 'subscribe', product_ids: ['NOPE-USD'], channel: 'level2' }], 30);
    snapshots = frames.filter((f) => f.includes('"type":"snapshot"'));
  });

  afterAll(async () => {
    await emulator.stop();
  });

  function loadedDecoder(): CoinbaseBookDecoder {
    const decoder = new CoinbaseBookDecoder(PRODUCTS);
    for (const frame of frames) applyChecked(decoder, frame);
    expect(PRODUCTS.every((id) => decoder.book(id).loaded)).toBe(true);
    return decoder;
  }

  it('any frame applies, throws L2FrameError leaving the books unchanged, or throws CoinbaseBookError unloading the book it hit', () => {
    const decoder = loadedDecoder();
    const updates = frames.filter((f) => f.includes('"type":"update"'));
    const anyFrame = fc.oneof(
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
      { weight: 4, arbitrary: mutatedText(updates.length > 0 ? updates : frames) },
      { weight: 1, arbitrary: mutatedText(frames) },
      { weight: 2, arbitrary: mutatedJson(frames.map((f) => JSON.parse(f) as unknown)) },
    );
    const outcomes = new Map<string, number>();
    fc.assert(
      fc.property(anyFrame, fc.boolean(), (frame, inSocketRead) => {
        const outcome = applyChecked(decoder, frame, inSocketRead);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        for (const snapshot of snapshots) applyChecked(decoder, snapshot);
        expect(PRODUCTS.every((id) => decoder.book(id).loaded)).toBe(true);
      }),
      fuzzRuns(400),
    );
    expect(outcomes.get('unreadable') ?? 0).toBeGreaterThan(0);
    expect(outcomes.get('applied') ?? 0).toBeGreaterThan(0);
  });
});

const VALID_EVENTS: unknown[] = [
  [{ type: 'snapshot', orders: [] }],
  [
    {
      type: 'update',
      orders: [
        { order_id: 'b1', client_order_id: 'node.1.1', cumulative_quantity: '0.001', leaves_quantity: '0', avg_price: '60000.01', total_fees: '0.24', status: 'FILLED', product_id: 'BTC-USD', order_side: 'BUY', order_type: 'Limit', cancel_reason: '', reject_reason: '' },
        { order_id: 'b2', client_order_id: 'node.1.2', cumulative_quantity: '0', status: 'CANCELLED', product_id: 'ETH-USD', cancel_reason: 'User requested cancel' },
      ],
    },
  ],
];

describe('Coinbase user-channel events from a stranger', () => {
  it('any events array becomes order updates or a UserFrameError, DecimalError or ProductIdError', () => {
    const anyEvents = fc.oneof(fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 4 }), mutatedJson(VALID_EVENTS).map((t) => JSON.parse(t) as unknown));
    fc.assert(
      fc.property(anyEvents, (events) => {
        if (!Array.isArray(events)) return;
        let updates: { kind: string; orders: UserOrderUpdate[] }[];
        try {
          updates = userEvents(events);
        } catch (error) {
          expect(error instanceof UserFrameError || error instanceof DecimalError || error instanceof ProductIdError).toBe(true);
          return;
        }
        for (const u of updates) for (const o of u.orders) expect(Number.isSafeInteger(o.cumulative1e8)).toBe(true);
      }),
      fuzzRuns(500),
    );
  });

  it('a user event or order that is null is a UserFrameError (shrunk counterexamples)', () => {
    expect(() => userEvents([null])).toThrow(UserFrameError);
    expect(() => userEvents([{ type: 'update', orders: [null] }])).toThrow(/a user order is not an object/);
    expect(() => userEvents([{ type: 'update', orders: 'x' }])).toThrow(/orders is not an array/);
  });

  it('the user feed counts a frame that is JSON but not an object, reconnects, and reads the next snapshot', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    let connections = 0;
    const hostile = ['null', '[1]', '{"channel":"user","sequence_num":0,"events":[null]}', '{"channel":"user","sequence_num":0,"events":[{"type":"update","orders":[7]}]}'];
    wss.on('connection', (ws) => {
      const n = connections++;
      let subscribes = 0;
      ws.on('message', () => {
        if (++subscribes < 2) return;
        ws.send(n < hostile.length ? hostile[n] : '{"channel":"user","client_id":"","timestamp":"2024-01-01T00:00:00Z","sequence_num":0,"events":[{"type":"snapshot","orders":[]}]}');
      });
    });
    const snapshots: string[] = [];
    const feed = new CoinbaseUserFeed({
      url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
      symbols: ['BTC/USD'],
      jwt: () => 'unchecked',
      handlers: { onOrders: (_orders, kind) => snapshots.push(kind), onConnection: () => undefined, onNotice: () => undefined },
      reconnectMinMs: 5,
      reconnectMaxMs: 20,
    });
    feed.start();
    try {
      await waitFor(() => snapshots.includes('snapshot'), 'the snapshot after the hostile frames');
      expect(feed.health()).toMatchObject({ connection: 'connected', badFrames: hostile.length });
    } finally {
      await feed.stop();
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});
