import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { wireFrames } from '../scripts/benchFrameServer.ts';
import { coinbaseStream, FrameCoverage, frameIndexOf, krakenPass, krakenStream, STREAM_T0_MS, streamTimestamp } from '../scripts/benchVenueCodecs.ts';

const SYMBOLS = ['BTC/USD', 'ETH/USD'];

function kraken(type: 'snapshot' | 'update', symbol: string, bids: string, asks: string, checksum = 1): string {
  return `{"channel":"book","type":"${type}","data":[{"symbol":"${symbol}","bids":[${bids}],"asks":[${asks}],"checksum":${checksum},"timestamp":"2025-01-01T00:00:00.000001Z"}]}`;
}

function coinbase(channel: string, seq: number, events: string): string {
  return `{"channel":"${channel}","client_id":"","timestamp":"2025-01-01T00:00:00.000000001Z","sequence_num":${seq},"events":${events}}`;
}

function l2Event(type: 'snapshot' | 'update', productId: string): string {
  return `[{"type":"${type}","product_id":"${productId}","updates":[{"side":"bid","event_time":"x","price_level":"1.5","new_quantity":"2"}]}]`;
}

const LEVEL = '{"price":1.5,"qty":2.00000000}';
const REMOVAL = '{"price":1.4,"qty":0.00000000}';

describe('stream clock', () => {
  it('stamps frame i at the origin plus i ms, at each venue\'s precision, and reads it back', () => {
    expect(streamTimestamp(0, 6)).toBe('2021-04-17T16:00:00.000000Z');
    expect(streamTimestamp(1234, 9)).toBe('2021-04-17T16:00:01.234000000Z');
    expect(frameIndexOf(Date.parse(streamTimestamp(1234, 6)))).toBe(1234);
  });

  it('refuses a negative or fractional index and a timestamp off the stream clock', () => {
    expect(() => streamTimestamp(-1, 6)).toThrow(/frame index must be an integer >= 0, got -1/);
    expect(() => streamTimestamp(1.5, 6)).toThrow(/frame index must be an integer >= 0, got 1.5/);
    expect(() => frameIndexOf(STREAM_T0_MS - 1)).toThrow(/not on the stream clock/);
  });
});

describe('Kraken pass from the emulator recording', () => {
  it('drops the empty snapshots and turns each symbol\'s first diff into its snapshot', () => {
    const recorded = [
      kraken('snapshot', 'BTC/USD', '', ''),
      kraken('snapshot', 'ETH/USD', '', ''),
      kraken('update', 'ETH/USD', LEVEL, ''),
      kraken('update', 'BTC/USD', LEVEL, LEVEL),
      kraken('update', 'ETH/USD', REMOVAL, ''),
    ];
    const pass = krakenPass(recorded, SYMBOLS);
    expect(pass).toEqual([recorded[2].replace('"update"', '"snapshot"'), recorded[3].replace('"update"', '"snapshot"'), recorded[4]]);
  });

  it('refuses a recording that is not one replay to fresh subscriptions', () => {
    expect(() => krakenPass(['{"channel":"heartbeat"}'], SYMBOLS)).toThrow(/not a Kraken book frame/);
    expect(() => krakenPass([kraken('snapshot', 'XRP/USD', '', '')], SYMBOLS)).toThrow(/XRP\/USD, which is not among BTC\/USD, ETH\/USD/);
    expect(() => krakenPass([kraken('snapshot', 'BTC/USD', LEVEL, '')], SYMBOLS)).toThrow(/snapshot of BTC\/USD is not empty/);
    expect(() => krakenPass([kraken('snapshot', 'BTC/USD', '', ''), kraken('snapshot', 'BTC/USD', '', '')], SYMBOLS)).toThrow(/a second snapshot for BTC\/USD/);
    expect(() => krakenPass([kraken('update', 'BTC/USD', REMOVAL, '')], SYMBOLS)).toThrow(/first diff of BTC\/USD removes a level/);
  });
});

describe('Kraken stream', () => {
  it('repeats the pass, stamping every frame with its index and noting its symbol and kind', () => {
    const pass = [kraken('snapshot', 'ETH/USD', LEVEL, ''), kraken('update', 'ETH/USD', REMOVAL, '')];
    const stream = krakenStream(pass, SYMBOLS, 2);
    expect(stream.frames).toHaveLength(4);
    expect(stream.frames[3]).toContain(`"timestamp":"${streamTimestamp(3, 6)}"`);
    expect(stream.frames[3].replace(streamTimestamp(3, 6), '2025-01-01T00:00:00.000001Z')).toBe(pass[1]);
    expect([...stream.frameSymbol]).toEqual([1, 1, 1, 1]);
    expect([...stream.frameSnapshot]).toEqual([1, 0, 1, 0]);
    expect(stream.preamble).toEqual([]);
  });

  it('refuses no passes, an empty pass and a frame without a timestamp', () => {
    const pass = [kraken('snapshot', 'ETH/USD', LEVEL, '')];
    expect(() => krakenStream(pass, SYMBOLS, 0)).toThrow(/passes must be an integer >= 1, got 0/);
    expect(() => krakenStream([], SYMBOLS, 1)).toThrow(/a pass needs at least one frame/);
    expect(() => krakenStream(pass, SYMBOLS, 2_000_000)).toThrow(/2000000 frames exceed the 1000000 a stream may hold/);
    expect(() => krakenStream([pass[0].replace(/,"timestamp":"[^"]*"/, '')], SYMBOLS, 1)).toThrow(/without a timestamp/);
  });
});

describe('Coinbase stream', () => {
  const ack = coinbase('subscriptions', 0, '[{"subscriptions":{"level2":["BTC-USD","ETH-USD"]}}]');

  it('numbers the ack 0 and the book frames 1, 2, ... across passes, each stamped with its index', () => {
    const pass = [coinbase('l2_data', 1, l2Event('snapshot', 'BTC-USD')), coinbase('l2_data', 2, l2Event('update', 'BTC-USD'))];
    const stream = coinbaseStream(ack, pass, SYMBOLS, 2);
    expect(stream.preamble).toEqual([ack]);
    expect(stream.frames.map((f) => /"sequence_num":(\d+)/.exec(f)![1])).toEqual(['1', '2', '3', '4']);
    expect(stream.frames[2]).toBe(coinbase('l2_data', 3, l2Event('snapshot', 'BTC-USD')).replace('2025-01-01T00:00:00.000000001Z', streamTimestamp(2, 9)));
    expect([...stream.frameSymbol]).toEqual([0, 0, 0, 0]);
    expect([...stream.frameSnapshot]).toEqual([1, 0, 1, 0]);
  });

  it('refuses a wrong ack, a frame of another channel, an unknown product and a frame with two events', () => {
    const good = coinbase('l2_data', 1, l2Event('snapshot', 'BTC-USD'));
    expect(() => coinbaseStream(good, [good], SYMBOLS, 1)).toThrow(/not a Coinbase subscriptions frame/);
    expect(() => coinbaseStream(ack, [coinbase('heartbeats', 1, '[{}]')], SYMBOLS, 1)).toThrow(/not a Coinbase l2_data frame/);
    expect(() => coinbaseStream(ack, [coinbase('l2_data', 1, l2Event('update', 'XRP-USD'))], SYMBOLS, 1)).toThrow(/XRP-USD, which is not among BTC-USD, ETH-USD/);
    const twoEvents = coinbase('l2_data', 1, `${l2Event('update', 'BTC-USD').slice(0, -1)},${l2Event('update', 'ETH-USD').slice(1)}`);
    expect(() => coinbaseStream(ack, [twoEvents], SYMBOLS, 1)).toThrow(/more than one event/);
  });
});

describe('frame coverage', () => {
  // BTC: frames 0 (snapshot), 2, 4; ETH: frames 1 (snapshot), 3; then a second pass from frame 5.
  const pass = [
    kraken('snapshot', 'BTC/USD', LEVEL, ''),
    kraken('snapshot', 'ETH/USD', LEVEL, ''),
    kraken('update', 'BTC/USD', REMOVAL, ''),
    kraken('update', 'ETH/USD', REMOVAL, ''),
    kraken('update', 'BTC/USD', LEVEL, ''),
  ];
  const stream = krakenStream(pass, SYMBOLS, 2);

  /** A clock that answers 100, 101, 102, ... and counts its reads. */
  function countingClock(): { clockMs: () => number; reads: () => number } {
    let reads = 0;
    return { clockMs: () => 100 + reads++, reads: () => reads };
  }

  it('covers frames one by one in stream order for a client that reports each, stamping each', () => {
    const clock = countingClock();
    const coverage = new FrameCoverage(stream, clock.clockMs, true);
    for (let i = 0; i < stream.frames.length; i++) coverage.next();
    expect(coverage.complete).toBe(true);
    expect(coverage.coveredAtMs[7]).toBe(107);
    expect(coverage.completedAtMs).toBe(109);
    expect(() => coverage.next()).toThrow(/beyond the 10 frames sent/);
  });

  it('without stamping each, reads the clock once: when the last frame is covered', () => {
    const clock = countingClock();
    const coverage = new FrameCoverage(stream, clock.clockMs, false);
    for (let i = 0; i < stream.frames.length - 1; i++) coverage.next();
    expect(clock.reads()).toBe(0);
    expect(coverage.completedAtMs).toBeNaN();
    coverage.next();
    expect(clock.reads()).toBe(1);
    expect(coverage.completedAtMs).toBe(100);
    expect([...coverage.coveredAtMs].every(Number.isNaN)).toBe(true);
  });

  it('a resolution at a frame covers every earlier frame of that symbol not yet covered, at its time', () => {
    const clock = countingClock();
    const coverage = new FrameCoverage(stream, clock.clockMs, true);
    coverage.resolve(0, 4);
    expect([...coverage.coveredAtMs].slice(0, 5)).toEqual([100, NaN, 100, NaN, 100]);
    coverage.resolve(1, 3);
    expect(coverage.covered).toBe(5);
    expect(coverage.complete).toBe(false);
    expect(clock.reads()).toBe(2);
  });

  it('a resolution that covers nothing new keeps no time', () => {
    const clock = countingClock();
    const coverage = new FrameCoverage(stream, clock.clockMs, true);
    coverage.resolve(0, 4);
    coverage.resolve(0, 2);
    expect(coverage.covered).toBe(3);
    expect(clock.reads()).toBe(1);
  });

  it('without stamping each, the resolution that covers the last frames gives the completion time', () => {
    const clock = countingClock();
    const coverage = new FrameCoverage(stream, clock.clockMs, false);
    coverage.resolve(0, 9);
    expect(clock.reads()).toBe(0);
    coverage.resolve(1, 8);
    expect(coverage.complete).toBe(true);
    expect(clock.reads()).toBe(1);
    expect(coverage.completedAtMs).toBe(100);
  });

  it('a resolution without a timestamp (a fresh snapshot) covers up to and including the symbol\'s next snapshot', () => {
    const clock = countingClock();
    const coverage = new FrameCoverage(stream, clock.clockMs, true);
    coverage.resolve(0, undefined);
    expect(coverage.coveredAtMs[0]).toBe(100);
    coverage.resolve(0, 4);
    coverage.resolve(0, undefined);
    expect(coverage.coveredAtMs[5]).toBe(102);
    expect(coverage.covered).toBe(4);
  });

  it('refuses a resolution at another symbol\'s frame and a snapshot resolution with no snapshot left', () => {
    const coverage = new FrameCoverage(stream, countingClock().clockMs, true);
    expect(() => coverage.resolve(0, 1)).toThrow(/BTC\/USD: resolved at frame 1, which is not one of its frames/);
    coverage.resolve(1, 8);
    expect(() => coverage.resolve(1, undefined)).toThrow(/ETH\/USD: a fresh snapshot resolved, but no snapshot is left to cover/);
  });
});

describe('frame server wire framing', () => {
  it('frames texts of 7-bit, 16-bit and 64-bit lengths as unmasked text frames that a ws receiver reads back in order', async () => {
    const texts = ['{"a":1}', 'x'.repeat(200), 'é'.repeat(40_000), ''];
    const wire = wireFrames(texts);
    expect(wire.offsets[texts.length]).toBe(wire.bytes.length);
    expect([...wire.bytes.subarray(wire.offsets[1], wire.offsets[1] + 4)]).toEqual([0x81, 126, 0, 200]);
    expect([...wire.bytes.subarray(wire.offsets[2], wire.offsets[2] + 2)]).toEqual([0x81, 127]);
    // Written straight to an upgraded socket, as the frame server's burst mode does, and read by a ws client.
    const server = createServer();
    const wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (request, socket, head) => wss.handleUpgrade(request, socket, head, () => socket.write(wire.bytes)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const received: string[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      await new Promise<void>((resolve, reject) => {
        ws.on('message', (data) => {
          received.push(String(data));
          if (received.length === texts.length) resolve();
        });
        ws.on('error', reject);
      });
    } finally {
      ws.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(received).toEqual(texts);
  });
});
