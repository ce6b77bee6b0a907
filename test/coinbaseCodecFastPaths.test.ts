import { describe, expect, it } from 'vitest';
import { CoinbaseBook } from '../src/venues/coinbase/coinbaseBook.ts';
import { L2FrameScanner } from '../src/venues/coinbase/l2FrameScanner.ts';
import { nameHash } from '../src/venues/wireBytes.ts';

// The Coinbase codec's fast paths (the canonical frame and update layout, decimals read in
// the pass that finds their end, four-byte literal compares, the product id hash table,
// short moves in the book) must give exactly what the general paths give.

const TS = '2023-02-09T20:32:50.714964855Z';

type Level = [side: string, price: string, qty: string];

function l2Frame(seq: number, levels: Level[], productId = 'BTC-USD', eventTime = TS): string {
  const level = ([side, price, qty]: Level) => `{"side":"${side}","event_time":"${eventTime}","price_level":"${price}","new_quantity":"${qty}"}`;
  return `{"channel":"l2_data","client_id":"","timestamp":"${TS}","sequence_num":${seq},"events":[{"type":"update","product_id":"${productId}","updates":[${levels.map(level).join(',')}]}]}`;
}

/** Everything the scanner leaves for a frame, or the error it threw (without its offset, which differs with spacing). */
function read(s: L2FrameScanner, frame: string): unknown[] {
  try {
    s.scan(frame);
  } catch (error) {
    return [(error as Error).name, (error as Error).message.replace(/at offset \d+/, '')];
  }
  const out: unknown[] = [s.channel, s.sequenceNum, s.eventCount];
  for (let e = 0; e < s.eventCount; e++) {
    out.push(s.eventSnapshot[e], s.eventProductId[e], s.eventProductIndex[e]);
    for (let i = s.eventLevelStart[e]; i < s.eventLevelEnd[e]; i++) out.push(s.levelBid[i], s.levelPx1e9[i], s.levelQty1e8[i]);
  }
  return out;
}

describe('Coinbase codec fast paths', () => {
  it('reads decimals of every form, and refuses bad ones with the same error, as the general path does', () => {
    const decimals = [
      '0', '7', '79944', '79944.1', '0.00000001', '0.000000001', '1.500000000', '2.000000000', '9007199.254740991', '9007199254740991',
      '1.234567891', '1.', '.5', '-1', '1e5', '', '00.5', '12345678901234567890',
    ];
    const compact = new L2FrameScanner({ productIds: ['BTC-USD'] });
    const spaced = new L2FrameScanner({ productIds: ['BTC-USD'] });
    for (const price of decimals) {
      for (const qty of decimals) {
        const frame = l2Frame(5, [['bid', price, qty], ['offer', qty === '0' ? '1' : qty, price === '0' ? '1' : price]]);
        expect(read(compact, frame)).toEqual(read(spaced, frame.replaceAll('":', '" :')));
      }
    }
  });

  it('reads timestamps and event times holding escapes, and refuses a product id holding one, as the general path does', () => {
    const compact = new L2FrameScanner({ productIds: ['BTC-USD'] });
    const spaced = new L2FrameScanner({ productIds: ['BTC-USD'] });
    const frames = [
      l2Frame(1, [['bid', '1.5', '2']], 'BTC-USD', '2023\\n02'),
      l2Frame(1, [['bid', '1.5', '2']], 'BTC-USD', 'ends in \\\\'),
      l2Frame(1, [['bid', '1.5', '2']], 'BTC-USD', 'quote \\" inside'),
      l2Frame(1, [['bid', '1.5', '2']]).replace(`"timestamp":"${TS}"`, '"timestamp":"a\\"b"'),
      l2Frame(1, [['bid', '1.5', '2']], 'BTC\\u002dUSD'),
    ];
    for (const frame of frames) expect(read(compact, frame)).toEqual(read(spaced, frame.replaceAll('":', '" :')));
    expect(read(compact, frames[2]).slice(0, 3)).toEqual(['l2_data', 1, 1]);
  });

  it('reads a frame at any offset of a shared buffer, and buffer after buffer, as its own copy', () => {
    const text = l2Frame(9, [['bid', '100.25', '1.5'], ['offer', '100.5', '0']], 'ETH-USD');
    const expected = read(new L2FrameScanner({ productIds: ['BTC-USD', 'ETH-USD'] }), text);
    const shared = new L2FrameScanner({ productIds: ['BTC-USD', 'ETH-USD'] });
    for (let offset = 0; offset < 8; offset++) {
      const pool = Buffer.alloc(offset + text.length + 5, 0x22);
      pool.write(text, offset, 'latin1');
      shared.scan(pool.subarray(offset, offset + text.length));
      expect(read(shared, text)).toEqual(expected);
      shared.scan(pool.subarray(offset, offset + text.length));
      expect(shared.levelPx1e9[0]).toBe(100_250_000_000);
    }
  });

  it('reads a frame in place inside a socket read (scanAt), between frame headers, as scan reads it alone, errors at the same offsets', () => {
    const canonical = l2Frame(9, [['bid', '100.25', '1.5'], ['offer', '100.5', '0']], 'ETH-USD');
    const general = canonical.replaceAll('":', '": ');
    const alone = new L2FrameScanner({ productIds: ['BTC-USD', 'ETH-USD'] });
    const inPlace = new L2FrameScanner({ productIds: ['BTC-USD', 'ETH-USD'] });
    const socketRead = (text: string) => Buffer.concat([Buffer.from([0x81, 126, 0, 0]), Buffer.from(text), Buffer.from([0x81, 0x05]), Buffer.from('hello')]);
    const outcome = (scan: () => void, s: L2FrameScanner): unknown[] => {
      try {
        scan();
      } catch (error) {
        return [(error as Error).name, (error as Error).message, (error as { offset?: number }).offset];
      }
      const out: unknown[] = [s.channel, s.sequenceNum, s.eventCount];
      for (let e = 0; e < s.eventCount; e++) {
        out.push(s.eventSnapshot[e], s.eventProductId[e], s.eventProductIndex[e]);
        for (let i = s.eventLevelStart[e]; i < s.eventLevelEnd[e]; i++) out.push(s.levelBid[i], s.levelPx1e9[i], s.levelQty1e8[i]);
      }
      return out;
    };
    for (const text of [canonical, general, canonical.slice(0, -2), general.slice(0, -3)]) {
      const expected = outcome(() => alone.scan(Buffer.from(text)), alone);
      expect(outcome(() => inPlace.scanAt(socketRead(text), 4, 4 + text.length), inPlace)).toEqual(expected);
    }
  });

  it('tells a product apart from a subscribed one filed under the same hash slot', () => {
    const slot = (id: string) => nameHash(Buffer.from(id), 0, id.length) & 15;
    let twin = '';
    for (let i = 0; twin === ''; i++) if (slot(`Q${i}-USD`) === slot('BTC-USD')) twin = `Q${i}-USD`;
    const s = new L2FrameScanner({ productIds: ['BTC-USD', 'ETH-USD'] });
    s.scan(l2Frame(1, [['bid', '1', '1']], twin));
    expect([s.eventProductId[0], s.eventProductIndex[0]]).toEqual([twin, -1]);
    s.scan(l2Frame(2, [['bid', '1', '1']], 'BTC-USD'));
    expect([s.eventProductId[0], s.eventProductIndex[0]]).toEqual(['BTC-USD', 0]);
  });

  it('keeps a deep book equal to a plain sorted model through changes near the touch and far from it', () => {
    let x = 99;
    const next = () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) / 2 ** 32;
    };
    const book = new CoinbaseBook();
    const model = { bid: new Map<number, number>(), ask: new Map<number, number>() };
    for (let i = 0; i < 20_000; i++) {
      const isBid = next() < 0.5;
      // Mostly near the touch (short moves), sometimes 40 to 200 levels deep (long moves).
      const depth = next() < 0.8 ? Math.floor(next() * 10) : 40 + Math.floor(next() * 160);
      const px1e9 = (isBid ? 10_000 - depth : 10_001 + depth) * 1e9;
      const qty1e8 = next() < 0.35 ? 0 : 1 + Math.floor(next() * 1e8);
      book.setLevel(isBid, px1e9, qty1e8);
      const side = isBid ? model.bid : model.ask;
      if (qty1e8 === 0) side.delete(px1e9);
      else side.set(px1e9, qty1e8);
    }
    const bids = Array.from({ length: book.bidCount }, (_, r) => [book.bidPx1e9(r), book.bidQty1e8(r)]);
    const asks = Array.from({ length: book.askCount }, (_, r) => [book.askPx1e9(r), book.askQty1e8(r)]);
    expect(bids).toEqual([...model.bid.entries()].sort((a, b) => b[0] - a[0]));
    expect(asks).toEqual([...model.ask.entries()].sort((a, b) => a[0] - b[0]));
    expect(book.bidCount).toBeGreaterThan(100);
  });
});
