import { describe, expect, it } from 'vitest';
import { L2Book } from '../src/venues/book.ts';
import { BookFrameError, BookFrameScanner } from '../src/venues/kraken/bookFrameScanner.ts';
import { readCaptureV1, v2Symbol } from '../src/venues/kraken/captureV1.ts';
import { decimalText, KrakenBook } from '../src/venues/kraken/krakenBook.ts';
import { KrakenBookDecoder, NOT_BOOK_FRAME } from '../src/venues/kraken/krakenBookDecoder.ts';
import { scannedEntries } from './support/scannedEntries.ts';

type Level = [price: string, qty: string];

function frame(type: string, symbol: string, bids: Level[], asks: Level[], checksum: number | string = 0): string {
  const level = ([p, q]: Level) => `{"price":${p},"qty":${q}}`;
  return `{"channel":"book","type":"${type}","data":[{"symbol":"${symbol}","bids":[${bids.map(level).join(',')}],"asks":[${asks.map(level).join(',')}],"checksum":${checksum},"timestamp":"2023-10-06T17:35:55.440295Z"}]}`;
}

/** Applies a frame to a book the way the decoder does, without checksum checks. */
function apply(book: KrakenBook, text: string): void {
  const s = new BookFrameScanner();
  expect(s.scanText(text)).toBe(true);
  if (s.type === 'snapshot') book.applySnapshot(s, s.bidStart[0], s.bidEnd[0], s.askStart[0], s.askEnd[0]);
  else book.applyUpdate(s, s.bidStart[0], s.bidEnd[0], s.askStart[0], s.askEnd[0]);
}

function prices(book: KrakenBook, side: 'bids' | 'asks'): string[] {
  const s = book[side];
  return Array.from({ length: s.count }, (_, i) => `${s.priceText(i)}@${s.qtyText(i)}`);
}

const CAPTURE = readCaptureV1();
const CAPTURE_SYMBOLS = [...new Set(CAPTURE.map((f) => f.symbol))];

describe('Kraken v2 book frame scanner', () => {
  it('reads prices and quantities as exact scaled integers and keeps their digit text', () => {
    const s = new BookFrameScanner();
    expect(s.scanText(frame('snapshot', 'BTC/USD', [['45283.5', '0.10000000']], [['45285.0', '5.1e-05']], 2114181697))).toBe(true);
    expect(s.type).toBe('snapshot');
    expect(s.messageCount).toBe(1);
    expect(s.symbols[0]).toBe('BTC/USD');
    expect(s.checksums[0]).toBe(2114181697);
    const bid = s.bidStart[0];
    expect(s.px1e9[bid]).toBe(45_283_500_000_000);
    expect(s.qty1e8[bid]).toBe(10_000_000);
    expect(s.qtyDigits[bid]).toBe(10000000);
    expect(decimalText(s.qtyDigits[bid], s.qtyZeros[bid], s.qtyDecimals[bid])).toBe('0.10000000');
    const ask = s.askStart[0];
    expect(s.pxDigits[ask]).toBe(452850);
    expect(s.qty1e8[ask]).toBe(5100);
    expect(s.qtyDigits[ask]).toBe(51);
  });

  it('reads every entry of data, and data placed before channel', () => {
    const s = new BookFrameScanner();
    const text = '{"type":"update","data":[{"symbol":"A/B","bids":[{"price":1.5,"qty":2}],"asks":[],"checksum":1},{"symbol":"C/D","asks":[{"price":3,"qty":0}],"checksum":2}],"channel":"book"}';
    expect(s.scanText(text)).toBe(true);
    expect(s.messageCount).toBe(2);
    expect([s.symbols[0], s.symbols[1]]).toEqual(['A/B', 'C/D']);
    expect(s.bidEnd[0] - s.bidStart[0]).toBe(1);
    expect(s.askEnd[1] - s.askStart[1]).toBe(1);
    expect(s.bidEnd[1] - s.bidStart[1]).toBe(0);
    expect(s.qty1e8[s.askStart[1]]).toBe(0);
  });

  it('reads the compact layout Kraken sends to the same entries as the same frame spaced out, for every capture frame and edge numbers', () => {
    const edges = [
      frame('update', 'BTC/USD', [['99999997.00000000', '0.00000000'], ['123456789012345', '1.000000000000']], [['5.1e-05', '007.50']]),
      frame('snapshot', 'ÄÖ/USD', [['0.000000001', '0']], [['100000000000000.5', '1']]),
      frame('update', 'ADA/BTC', [], []).replace(',"timestamp":"2023-10-06T17:35:55.440295Z"', ''),
    ];
    const compact = new BookFrameScanner({ symbols: CAPTURE_SYMBOLS });
    const spaced = new BookFrameScanner({ symbols: CAPTURE_SYMBOLS });
    for (const text of [...CAPTURE.map((f) => f.text), ...edges]) {
      expect(compact.scanText(text)).toBe(true);
      expect(spaced.scanText(text.replaceAll(':', ' : '))).toBe(true);
      expect(scannedEntries(compact)).toEqual(scannedEntries(spaced));
    }
  });

  it('reads a Buffer as ws delivers it', () => {
    const s = new BookFrameScanner();
    expect(s.scan(Buffer.from(frame('update', 'BTC/USD', [['1.25', '3']], [])))).toBe(true);
    expect(s.px1e9[0]).toBe(1_250_000_000);
  });

  it('leaves other channels to JSON.parse', () => {
    const s = new BookFrameScanner();
    expect(s.scanText('{"channel":"status","type":"update","data":[{"version":"2.0.10","system":"online","api_version":"v2","connection_id":15113583034416118705}]}')).toBe(false);
    expect(s.scanText('{"channel":"heartbeat"}')).toBe(false);
    expect(s.scanText('{"method":"pong","req_id":101,"time_in":"x","time_out":"y"}')).toBe(false);
    expect(s.scanText('{"error":"Subscription depth not supported","method":"subscribe","success":false}')).toBe(false);
    expect(s.scanText('{}')).toBe(false);
  });

  const bad: Array<[string, string, string]> = [
    ['a frame that is not an object', '[1,2]', 'must be a JSON object'],
    ['a truncated frame', '{"channel":"book","type":"update","data":[{"symbol":"A/B","bids":[{"price":1,"qty":1', 'frame ends early'],
    ['a truncated key', '{"channel":"book","type":"update","data":[{"sym', 'unterminated'],
    ['a missing checksum', '{"channel":"book","type":"update","data":[{"symbol":"A/B","bids":[]}]}', 'has no "checksum"'],
    ['a missing symbol', '{"channel":"book","type":"update","data":[{"bids":[],"checksum":1}]}', 'has no "symbol"'],
    ['a checksum beyond 32 bits', frame('update', 'A/B', [], [], 4294967296), 'exceeds 32 bits'],
    ['a fractional checksum', frame('update', 'A/B', [], [], '1.5'), 'not an unsigned integer'],
    ['a negative qty', frame('update', 'A/B', [['1', '-1']], []), 'negative qty'],
    ['a quoted price', frame('update', 'A/B', [['"1.0"', '1']], []), 'price is not a number'],
    ['a qty finer than 8 decimals', frame('update', 'A/B', [['1', '0.000000001']], []), 'more than 8 decimal places'],
    ['a price of zero', frame('update', 'A/B', [['0.0', '1']], []), 'price of zero'],
    ['a level without qty', '{"channel":"book","type":"update","data":[{"symbol":"A/B","bids":[{"price":1}],"checksum":1}]}', 'has no "qty"'],
    ['an unknown type', frame('delta', 'A/B', [], []), 'neither "snapshot" nor "update"'],
    ['a missing type', '{"channel":"book","data":[]}', 'without "type"'],
    ['missing data', '{"channel":"book","type":"update"}', 'without "data"'],
    ['text after the frame', frame('update', 'A/B', [], []) + 'x', 'text after the frame'],
    ['too many significant digits', frame('update', 'A/B', [['1.23456789012345678', '1']], []), 'more significant digits'],
    ['an empty exponent', frame('update', 'A/B', [['1e', '1']], []), 'empty exponent'],
  ];
  for (const [what, text, reason] of bad) {
    it(`rejects ${what} with a BookFrameError naming the reason`, () => {
      const s = new BookFrameScanner();
      let caught: unknown;
      try {
        s.scanText(text);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(BookFrameError);
      expect((caught as BookFrameError).reason).toContain(reason);
    });
  }

  it('refuses a frame with more levels than its bound', () => {
    const s = new BookFrameScanner({ maxEntries: 2 });
    expect(() => s.scanText(frame('update', 'A/B', [['1', '1'], ['2', '1'], ['3', '1']], []))).toThrow(/more than 2 levels/);
  });

  it('a bad frame leaves the decoder books as they were', () => {
    const decoder = new KrakenBookDecoder(['A/B'], 10);
    const book = new KrakenBook('A/B', 10);
    apply(book, frame('snapshot', 'A/B', [['1.0', '1.0']], [['2.0', '1.0']]));
    expect(decoder.applyFrame(frame('snapshot', 'A/B', [['1.0', '1.0']], [['2.0', '1.0']], book.checksum()))).toBe(1);
    const before = decoder.book('A/B').checksum();
    expect(() => decoder.applyFrame(frame('update', 'A/B', [['1.0', '5.0']], [['2.0', '-1']], 0))).toThrow(BookFrameError);
    expect(decoder.book('A/B').checksum()).toBe(before);
    expect(decoder.isValid('A/B')).toBe(true);
  });

  it('answers NOT_BOOK_FRAME for other channels', () => {
    expect(new KrakenBookDecoder(['A/B'], 10).applyFrame('{"channel":"heartbeat"}')).toBe(NOT_BOOK_FRAME);
  });
});

describe('Kraken book', () => {
  it('refuses a depth Kraken does not offer', () => {
    expect(() => new KrakenBook('A/B', 7)).toThrow(/10, 25, 100, 500, 1000/);
  });

  it('truncates each side to the depth after every message', () => {
    const book = new KrakenBook('A/B', 10);
    const bids: Level[] = Array.from({ length: 10 }, (_, i) => [`${100 - i}.0`, '1.0']);
    apply(book, frame('snapshot', 'A/B', bids, [['200.0', '1.0']]));
    apply(book, frame('update', 'A/B', [['100.5', '2.0']], []));
    expect(book.bids.count).toBe(10);
    expect(prices(book, 'bids').at(-1)).toBe('92.0@1.0');
    // The level that fell out of scope does not come back when another one goes.
    apply(book, frame('update', 'A/B', [['100.0', '0.0']], []));
    expect(book.bids.count).toBe(9);
    expect(prices(book, 'bids').at(-1)).toBe('92.0@1.0');
  });

  it('truncates only once the whole message is applied', () => {
    const book = new KrakenBook('A/B', 10);
    const bids: Level[] = Array.from({ length: 10 }, (_, i) => [`${100 - i}.0`, '1.0']);
    apply(book, frame('snapshot', 'A/B', bids, []));
    apply(book, frame('update', 'A/B', [['100.5', '2.0'], ['99.0', '0.0']], []));
    expect(book.bids.count).toBe(10);
    expect(prices(book, 'bids').at(-1)).toBe('91.0@1.0');
  });

  it('grows a side past its room within one message, so levels that rise into the depth later in it are kept', () => {
    // A depth-10 side has room for 26 levels. The update adds 50 worse levels, then removes
    // the 10 it had and the best 30 new ones: the 10 left were at indices 40 to 49.
    const book = new KrakenBook('A/B', 10);
    const level = (price: number, qty: string): Level => [`${price}.0`, qty];
    apply(book, frame('snapshot', 'A/B', Array.from({ length: 10 }, (_, i) => level(100 - i, '1.0')), []));
    const added = Array.from({ length: 50 }, (_, i) => level(90 - i, `0.${String(i + 1).padStart(8, '0')}`));
    const removed = [...Array.from({ length: 10 }, (_, i) => level(100 - i, '0.0')), ...added.slice(0, 30).map(([p]) => [p, '0.0'] as Level)];
    apply(book, frame('update', 'A/B', [...added, ...removed], []));
    expect(prices(book, 'bids')).toEqual(added.slice(30, 40).map(([p, q]) => `${p}@${q}`));
  });

  it('moves long runs of levels in a deep book as it moves short ones: random inserts and removals anywhere in 200-level sides match a sorted model', () => {
    const book = new KrakenBook('A/B', 1000);
    const model = { bids: new Map<number, string>(), asks: new Map<number, string>() };
    const text = (price: number): string => `${Math.floor(price / 100)}.${String(price % 100).padStart(2, '0')}`;
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const initial = (offset: number): Level[] => Array.from({ length: 200 }, (_, i) => [text(offset + 2 * i), '1.0']);
    apply(book, frame('snapshot', 'A/B', initial(100), initial(1000)));
    for (const [side, offset] of [['bids', 100], ['asks', 1000]] as const) for (let i = 0; i < 200; i++) model[side].set(offset + 2 * i, '1.0');
    for (let step = 0; step < 300; step++) {
      const side = random(2) === 0 ? 'bids' : 'asks';
      const price = (side === 'bids' ? 100 : 1000) + random(420);
      const qty = random(3) === 0 ? '0.0' : `${1 + random(9)}.0`;
      if (qty === '0.0') model[side].delete(price);
      else model[side].set(price, qty);
      apply(book, frame('update', 'A/B', side === 'bids' ? [[text(price), qty]] : [], side === 'asks' ? [[text(price), qty]] : []));
    }
    const expected = (side: 'bids' | 'asks') =>
      [...model[side].entries()].sort(([a], [b]) => (side === 'bids' ? b - a : a - b)).map(([price, qty]) => `${text(price)}@${qty}`);
    expect(prices(book, 'bids')).toEqual(expected('bids'));
    expect(prices(book, 'asks')).toEqual(expected('asks'));
  });

  it('applies a price repeated in one update in wire order', () => {
    const book = new KrakenBook('A/B', 10);
    apply(book, frame('snapshot', 'A/B', [['10.0', '1.0']], []));
    apply(book, frame('update', 'A/B', [['11.0', '1.0'], ['11.0', '3.0'], ['10.0', '0.0'], ['10.0', '4.0'], ['12.0', '1.0'], ['12.0', '0.0']], []));
    expect(prices(book, 'bids')).toEqual(['11.0@3.0', '10.0@4.0']);
  });

  it('gives the same book whatever the order of levels inside an update', () => {
    const levels: Level[] = [['10.5', '1.0'], ['9.5', '2.0'], ['10.0', '0.0'], ['11.0', '3.0'], ['8.0', '1.5']];
    const sorted = new KrakenBook('A/B', 10);
    const shuffled = new KrakenBook('A/B', 10);
    const snapshot = frame('snapshot', 'A/B', [['10.0', '1.0'], ['9.0', '1.0']], [['12.0', '1.0']]);
    apply(sorted, snapshot);
    apply(shuffled, snapshot);
    apply(sorted, frame('update', 'A/B', [...levels].sort((a, b) => Number(b[0]) - Number(a[0])), []));
    apply(shuffled, frame('update', 'A/B', [levels[3], levels[0], levels[4], levels[2], levels[1]], []));
    expect(prices(shuffled, 'bids')).toEqual(prices(sorted, 'bids'));
    expect(prices(sorted, 'bids')).toEqual(['11.0@3.0', '10.5@1.0', '9.5@2.0', '9.0@1.0', '8.0@1.5']);
    expect(shuffled.checksum()).toBe(sorted.checksum());
  });

  it('writes the top 20 into an L2Book and zeroes the rest', () => {
    const book = new KrakenBook('A/B', 25);
    const bids: Level[] = Array.from({ length: 25 }, (_, i) => [`${100 - i}.0`, '1.0']);
    apply(book, frame('snapshot', 'A/B', bids, [['101.0', '0.5']]));
    const top = new L2Book('A/B');
    top.askPx[3] = 7;
    book.writeTop(top);
    expect(top.bidCount).toBe(20);
    expect(top.bidPx[19]).toBe(81_000_000_000);
    expect(top.askCount).toBe(1);
    expect(top.askSz[0]).toBe(50_000_000);
    expect(top.askPx[3]).toBe(0);
  });
});

describe('the real v1 capture through our codec', () => {
  it('maps v1 pair names to v2 symbols', () => {
    expect(v2Symbol('XBT/CHF')).toBe('BTC/CHF');
    expect(v2Symbol('XDG/USD')).toBe('DOGE/USD');
    expect(CAPTURE_SYMBOLS).toContain('KSM/BTC');
  });

  it('verifies all 4,269 checksums Kraken sent', () => {
    let verified = 0;
    const mismatches: string[] = [];
    const decoder = new KrakenBookDecoder(CAPTURE_SYMBOLS, 1000, {
      onBook: () => verified++,
      onChecksumMismatch: (symbol, expected, computed) => mismatches.push(`${symbol} ${expected} ${computed}`),
    });
    const updates = CAPTURE.filter((f) => f.type === 'update');
    for (const f of CAPTURE) expect(decoder.applyFrame(f.text)).toBe(1);
    expect(mismatches).toEqual([]);
    expect(decoder.checksumFailures).toBe(0);
    expect(updates.length).toBe(4269);
    // At depth 1000 an update below the top 20 publishes nothing: fewer books than frames.
    expect(verified).toBeGreaterThan(CAPTURE.length - updates.length);
    expect(verified).toBeLessThan(CAPTURE.length);
  });

  it('publishes a book exactly when its top 20 changed, and the published top always equals the full book top', () => {
    const published = new Map<string, L2Book>();
    const decoder = new KrakenBookDecoder(CAPTURE_SYMBOLS, 1000, { onBook: (book) => published.set(book.symbol, book) });
    let silent = 0;
    for (const f of CAPTURE) {
      const before = new L2Book(f.symbol);
      decoder.book(f.symbol).writeTop(before);
      published.clear();
      decoder.applyFrame(f.text);
      const after = new L2Book(f.symbol);
      decoder.book(f.symbol).writeTop(after);
      const same = before.bidCount === after.bidCount && before.askCount === after.askCount && [before.bidPx, before.bidSz, before.askPx, before.askSz].every((a, k) => a.every((v, i) => v === [after.bidPx, after.bidSz, after.askPx, after.askSz][k][i]));
      const out = published.get(f.symbol);
      if (f.type === 'update' && same) {
        expect(out).toBeUndefined();
        silent++;
        continue;
      }
      expect(out).toBeDefined();
      expect([out!.bidCount, out!.askCount, ...out!.bidPx, ...out!.bidSz, ...out!.askPx, ...out!.askSz]).toEqual([after.bidCount, after.askCount, ...after.bidPx, ...after.bidSz, ...after.askPx, ...after.askSz]);
    }
    expect(silent).toBeGreaterThan(0);
  });

  it('keeps every decimal of the capture as its wire text', () => {
    const first = CAPTURE.find((f) => f.symbol === 'ADA/BTC')!;
    expect(first.text).toContain('{"price":0.000022890,"qty":31.75709827}');
  });

  it('fails the message when any one top-10 level of it has a corrupted price or qty, for every such level in the capture', () => {
    const books = new Map(CAPTURE_SYMBOLS.map((symbol) => [symbol, new KrakenBook(symbol, 1000)]));
    const bump = (text: string) => text.slice(0, -1) + String((Number(text.at(-1)) + 1) % 10);
    let corrupted = 0;
    const passedUnnoticed: string[] = [];
    for (const f of CAPTURE) {
      const book = books.get(f.symbol)!;
      if (f.type === 'update') {
        const before = cloneBook(book);
        const after = cloneBook(book);
        apply(after, f.text);
        const inScope = new Set([...topPrices(before), ...topPrices(after)]);
        for (const m of f.text.matchAll(/\{"price":([0-9.]+),"qty":([0-9.]+)\}/g)) {
          if (!inScope.has(m[1])) continue;
          for (const replaced of [`{"price":${bump(m[1])},"qty":${m[2]}}`, `{"price":${m[1]},"qty":${bump(m[2])}}`]) {
            const text = f.text.slice(0, m.index) + replaced + f.text.slice(m.index + m[0].length);
            const trial = cloneBook(before);
            apply(trial, text);
            corrupted++;
            if (trial.checksum() === f.checksum) passedUnnoticed.push(text);
          }
        }
      }
      apply(book, f.text);
      expect(book.checksum()).toBe(f.checksum);
    }
    expect(passedUnnoticed).toEqual([]);
    expect(corrupted).toBeGreaterThan(4269);
  });
});

function cloneBook(book: KrakenBook): KrakenBook {
  const copy = new KrakenBook(book.symbol, book.depth);
  for (const side of ['bids', 'asks'] as const) for (let i = 0; i < book[side].count; i++) copy[side].copyLevel(book[side], i);
  return copy;
}

/** Price texts of the levels the checksum covers. */
function topPrices(book: KrakenBook): string[] {
  const out: string[] = [];
  for (const side of ['bids', 'asks'] as const) for (let i = 0; i < Math.min(10, book[side].count); i++) out.push(book[side].priceText(i));
  return out;
}
