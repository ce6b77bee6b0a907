import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { L2Book } from '../../src/venues/book.ts';
import { BookFrameError } from '../../src/venues/kraken/bookFrameScanner.ts';
import { readCaptureV1 } from '../../src/venues/kraken/captureV1.ts';
import { KrakenBookDecoder, NOT_BOOK_FRAME } from '../../src/venues/kraken/krakenBookDecoder.ts';
import { KrakenBookFeed } from '../../src/venues/kraken/krakenBookFeed.ts';
import { KrakenEmulator } from '../../src/venues/kraken/emulator/krakenEmulator.ts';
import { captureFrames, waitFor } from './support/frameCapture.ts';
import { copySide, independentChecksum, sideProblem, type SideCopy } from './support/krakenBookCheck.ts';
import { fuzzRuns, mutatedJson, mutatedText } from './support/mutations.ts';

// Kraken WS v2 book frames from a stranger: whatever arrives, the decoder applies it or
// throws BookFrameError before touching any book; a book it calls valid always matches
// Kraken's checksum (recomputed independently here); and the feed around it counts and
// survives every frame, keeps serving the books once good frames come again.

const CAPTURE = readCaptureV1();
const CAPTURE_SYMBOLS = [...new Set(CAPTURE.map((f) => f.symbol))];
const CAPTURE_DEPTH = CAPTURE[0].depth;
const FIRST_SNAPSHOTS = CAPTURE_SYMBOLS.map((symbol) => CAPTURE.find((f) => f.symbol === symbol && f.type === 'snapshot')!.text);
/** Per symbol: its first snapshot and the updates after it, in capture order. */
const STREAMS = CAPTURE_SYMBOLS.map((symbol) => {
  const frames = CAPTURE.filter((f) => f.symbol === symbol);
  const start = frames.findIndex((f) => f.type === 'snapshot');
  return frames.slice(start, start + 40).map((f) => f.text);
}).filter((stream) => stream.length > 5);
/** Mutation seeds: real updates and the smallest real snapshot (a few KB), so edits land anywhere in a frame. */
const SMALL_SNAPSHOT = FIRST_SNAPSHOTS.reduce((a, b) => (a.length <= b.length ? a : b));
const CAPTURE_SAMPLES = [SMALL_SNAPSHOT, ...CAPTURE.filter((f) => f.type === 'update').slice(0, 300).map((f) => f.text)];

type BookCopy = { valid: boolean; bids: SideCopy; asks: SideCopy };

function copyBooks(decoder: KrakenBookDecoder): BookCopy[] {
  return decoder.symbols.map((symbol) => {
    const book = decoder.book(symbol);
    return { valid: decoder.isValid(symbol), bids: copySide(book.bids), asks: copySide(book.asks) };
  });
}

/**
 * Applies one frame and checks the decoder's contract: BookFrameError or nothing; after a
 * throw every book is as it was; every valid book is well formed and matches the checksum
 * Kraken declared for it last. Returns whether the frame was refused.
 */
/** A frame as the socket delivers it: in place in a read, with frame headers on either side. */
interface InSocketRead {
  read: Buffer;
  start: number;
  end: number;
}

function inSocketRead(frame: string): InSocketRead {
  const bytes = Buffer.from(frame, 'utf8');
  return { read: Buffer.concat([Buffer.from([0x81, 127, 0, 0, 0, 0, 0, 0, 0, 0]), bytes, Buffer.from([0x81, 0x02, 0x7b, 0x7d])]), start: 10, end: 10 + bytes.length };
}

function applyChecked(decoder: KrakenBookDecoder, frame: string | Buffer | InSocketRead, declared: Map<string, number>): boolean {
  const before = copyBooks(decoder);
  let result: number;
  try {
    result = typeof frame === 'string' || Buffer.isBuffer(frame) ? decoder.applyFrame(frame) : decoder.applyFrameAt(frame.read, frame.start, frame.end, 0);
  } catch (error) {
    expect(error).toBeInstanceOf(BookFrameError);
    expect((error as BookFrameError).reason.length).toBeGreaterThan(0);
    expect(copyBooks(decoder)).toEqual(before);
    return true;
  }
  if (result !== NOT_BOOK_FRAME) {
    const s = decoder.scanner;
    for (let m = 0; m < s.messageCount; m++) declared.set(s.symbols[m], s.checksums[m]);
  } else {
    expect(copyBooks(decoder)).toEqual(before);
  }
  for (const symbol of decoder.symbols) {
    if (!decoder.isValid(symbol)) continue;
    const book = decoder.book(symbol);
    expect(sideProblem(book.bids, decoder.depth)).toBeNull();
    expect(sideProblem(book.asks, decoder.depth)).toBeNull();
    expect(independentChecksum(book)).toBe(declared.get(symbol));
  }
  return false;
}

function warmDecoder(): { decoder: KrakenBookDecoder; declared: Map<string, number> } {
  const decoder = new KrakenBookDecoder(CAPTURE_SYMBOLS, CAPTURE_DEPTH);
  const declared = new Map<string, number>();
  for (const snapshot of FIRST_SNAPSHOTS) applyChecked(decoder, snapshot, declared);
  return { decoder, declared };
}

function expectSnapshotsRestoreEveryBook(decoder: KrakenBookDecoder, declared: Map<string, number>): void {
  for (const snapshot of FIRST_SNAPSHOTS) applyChecked(decoder, snapshot, declared);
  expect(decoder.invalidCount()).toBe(0);
}

const anyFrame = fc.oneof(
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 4, arbitrary: mutatedText(CAPTURE_SAMPLES) },
  { weight: 2, arbitrary: mutatedJson(CAPTURE_SAMPLES.slice(0, 40).map((t) => JSON.parse(t) as unknown)) },
);

describe('Kraken book frames from a stranger', () => {
  it('any frame either applies or throws BookFrameError leaving every book unchanged, and snapshots still restore every book', () => {
    const { decoder, declared } = warmDecoder();
    fc.assert(
      fc.property(anyFrame, fc.constantFrom('string', 'buffer', 'socket read'), (frame, as) => {
        applyChecked(decoder, as === 'buffer' ? Buffer.from(frame, 'utf8') : as === 'socket read' ? inSocketRead(frame) : frame, declared);
        expectSnapshotsRestoreEveryBook(decoder, declared);
      }),
      fuzzRuns(80),
    );
  });

  it('random bytes (invalid UTF-8 included) are refused or ignored, never anything else', () => {
    const { decoder, declared } = warmDecoder();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        applyChecked(decoder, Buffer.from(bytes), declared);
      }),
      fuzzRuns(300),
    );
  });

  it('one mutated frame inside a real snapshot-then-updates stream never yields a valid book that fails its checksum', () => {
    const mutatedStream = fc
      .constantFrom(...STREAMS)
      .chain((stream) => fc.tuple(fc.constant(stream), fc.nat({ max: stream.length - 1 }), mutatedText(stream)));
    fc.assert(
      fc.property(mutatedStream, ([stream, at, replacement]) => {
        const decoder = new KrakenBookDecoder(CAPTURE_SYMBOLS, CAPTURE_DEPTH);
        const declared = new Map<string, number>();
        stream.forEach((frame, index) => applyChecked(decoder, index === at ? replacement : frame, declared));
        expectSnapshotsRestoreEveryBook(decoder, declared);
      }),
      fuzzRuns(60),
    );
  });

  it('a frame that drops one level from a real update makes the book invalid, never silently wrong', () => {
    // The checksum is the only gap detector Kraken offers: a lost level must be caught by it.
    const stream = STREAMS[0];
    const updatesWithLevels = stream.map((text, index) => ({ text, index })).filter(({ text, index }) => index > 0 && /"price":/.test(text));
    fc.assert(
      fc.property(fc.constantFrom(...updatesWithLevels), ({ text, index }) => {
        const decoder = new KrakenBookDecoder(CAPTURE_SYMBOLS, CAPTURE_DEPTH);
        const declared = new Map<string, number>();
        for (let i = 0; i < index; i++) applyChecked(decoder, stream[i], declared);
        const symbol = decoder.scanner.symbols[0];
        const dropped = text.replace(/\{"price":[^}]*\},?/, '').replace(',]', ']');
        applyChecked(decoder, dropped, declared);
        if (decoder.isValid(symbol)) expect(independentChecksum(decoder.book(symbol))).toBe(declared.get(symbol));
      }),
      fuzzRuns(30),
    );
  });
});

describe('the Kraken book feed on a socket sending hostile frames', () => {
  let emulator: KrakenEmulator;
  let emulatorFrames: string[];
  let btcSnapshot: string;

  beforeAll(async () => {
    emulator = new KrakenEmulator({ credentials: { apiKey: 'fuzzKey', secret: Buffer.alloc(64, 3).toString('base64') }, seed: 5 });
    const urls = await emulator.start();
    emulatorFrames = await captureFrames(
      urls.wsUrl,
      [
        { method: 'ping', req_id: 1 },
        { method: 'subscribe', params: { channel: 'book', symbol: ['BTC/USD'], depth: 10 }, req_id: 2 },
        { method: 'subscribe', params: { channel: 'book', symbol: ['NOPE/USD'], depth: 10 }, req_id: 3 },
        { method: 'subscribe', params: { channel: 'book', symbol: ['ETH/USD'], depth: 7 }, req_id: 4 },
      ],
      24,
    );
    btcSnapshot = emulatorFrames.find((f) => f.includes('"type":"snapshot"') && f.includes('BTC/USD'))!;
  });

  afterAll(async () => {
    await emulator.stop();
  });

  it('the emulator frames mutated never break a decoder', () => {
    const decoder = new KrakenBookDecoder(['BTC/USD', 'ETH/USD'], 10);
    const declared = new Map<string, number>();
    for (const frame of emulatorFrames) applyChecked(decoder, frame, declared);
    expect(decoder.isValid('BTC/USD')).toBe(true);
    fc.assert(
      fc.property(fc.oneof(mutatedText(emulatorFrames), mutatedJson(emulatorFrames.map((f) => JSON.parse(f) as unknown))), (frame) => {
        applyChecked(decoder, frame, declared);
        applyChecked(decoder, btcSnapshot, declared);
        expect(decoder.isValid('BTC/USD')).toBe(true);
      }),
      fuzzRuns(150),
    );
  });

  it('counts every frame it cannot read, survives all of them, and serves the book again from the next snapshot', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    let peer: WebSocket | null = null;
    wss.on('connection', (ws) => {
      peer = ws;
      ws.on('message', (data) => {
        const request = JSON.parse(String(data)) as { method: string; req_id: number };
        if (request.method === 'ping') ws.send(JSON.stringify({ method: 'pong', req_id: request.req_id }));
        if (request.method === 'subscribe') {
          ws.send(JSON.stringify({ method: 'subscribe', result: { channel: 'book', depth: 10, snapshot: true, symbol: 'BTC/USD' }, success: true, req_id: request.req_id }));
          ws.send(btcSnapshot);
        }
      });
    });
    const books: L2Book[] = [];
    const notices: string[] = [];
    const feed = new KrakenBookFeed({
      url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
      symbols: ['BTC/USD'],
      depth: 10,
      handlers: { onBook: (book) => books.push(book), onNotice: (message) => notices.push(message) },
      backoffMinMs: 5,
      backoffMaxMs: 20,
    });
    feed.start();
    try {
      await waitFor(() => books.length > 0, 'the first book');
      const hostile = fc.oneof(
        fc.string({ unit: 'binary', maxLength: 120 }),
        mutatedText(emulatorFrames),
        mutatedJson(emulatorFrames.map((f) => JSON.parse(f) as unknown)),
      );
      await fc.assert(
        fc.asyncProperty(hostile, async (frame) => {
          const seen = books.length;
          peer!.send(frame);
          peer!.send(btcSnapshot);
          await waitFor(() => books.length > seen && feed.isValid('BTC/USD'), 'the book after a hostile frame');
          expect(feed.health().connection).toBe('connected');
        }),
        fuzzRuns(60),
      );
      expect(feed.health().reconnects).toBe(0);
      expect(feed.health().badFrames).toBeGreaterThan(0);
    } finally {
      await feed.stop();
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});
