import { describe, expect, it } from 'vitest';
import { L2Book } from '../src/venues/book.ts';
import { CoinbaseBook, CoinbaseBookError } from '../src/venues/coinbase/coinbaseBook.ts';
import { CoinbaseBookDecoder } from '../src/venues/coinbase/coinbaseBookDecoder.ts';
import { L2FrameError, L2FrameScanner } from '../src/venues/coinbase/l2FrameScanner.ts';
import { ProductIdError, toNodeSymbol, toProductId } from '../src/venues/coinbase/productId.ts';

const TS = '2023-02-09T20:32:50.714964855Z';

type Level = [side: string, price: string, qty: string];

function level([side, price, qty]: Level): string {
  return `{"side":"${side}","event_time":"${TS}","price_level":"${price}","new_quantity":"${qty}"}`;
}

function l2Frame(seq: number, type: 'snapshot' | 'update', levels: Level[], productId = 'BTC-USD'): string {
  return `{"channel":"l2_data","client_id":"","timestamp":"${TS}","sequence_num":${seq},"events":[{"type":"${type}","product_id":"${productId}","updates":[${levels.map(level).join(',')}]}]}`;
}

/** The scanned levels of event `e` as [isBid, px1e9, qty1e8] triples. */
function levelsOf(s: L2FrameScanner, e = 0): [boolean, number, number][] {
  const out: [boolean, number, number][] = [];
  for (let i = s.eventLevelStart[e]; i < s.eventLevelEnd[e]; i++) out.push([s.levelBid[i] === 1, s.levelPx1e9[i], s.levelQty1e8[i]]);
  return out;
}

function bids(book: CoinbaseBook): [number, number][] {
  return Array.from({ length: book.bidCount }, (_, r) => [book.bidPx1e9(r), book.bidQty1e8(r)]);
}

function asks(book: CoinbaseBook): [number, number][] {
  return Array.from({ length: book.askCount }, (_, r) => [book.askPx1e9(r), book.askQty1e8(r)]);
}

function scanError(text: string): L2FrameError {
  try {
    new L2FrameScanner().scan(text);
  } catch (error) {
    if (error instanceof L2FrameError) return error;
    throw error;
  }
  throw new Error('the frame was accepted');
}

describe('product ids', () => {
  it('maps node symbols to Coinbase product ids and back', () => {
    expect(toProductId('BTC/USD')).toBe('BTC-USD');
    expect(toNodeSymbol('ETH-USDC')).toBe('ETH/USDC');
    expect(toNodeSymbol(toProductId('1INCH/USD'))).toBe('1INCH/USD');
  });

  it.each(['BTCUSD', 'BTC-USD', 'btc/usd', 'BTC/USD/EUR', '/USD', 'BTC/', ''])('refuses the node symbol %j with a clear error', (bad) => {
    expect(() => toProductId(bad)).toThrow(ProductIdError);
    expect(() => toProductId(bad)).toThrow(`not a node symbol (BASE/QUOTE, upper case): "${bad}"`);
  });

  it.each(['BTCUSD', 'BTC/USD', 'btc-usd', 'BTC-USD-X', '-USD', ''])('refuses the product id %j with a clear error', (bad) => {
    expect(() => toNodeSymbol(bad)).toThrow(`not a Coinbase product id (BASE-QUOTE, upper case): "${bad}"`);
  });
});

describe('L2FrameScanner', () => {
  it('reads the channel and sequence_num of every frame, l2_data or not', () => {
    const s = new L2FrameScanner();
    s.scan(`{"channel":"heartbeats","client_id":"","timestamp":"${TS}","sequence_num":41,"events":[{"current_time":"x","heartbeat_counter":"3049"}]}`);
    expect([s.channel, s.sequenceNum, s.eventCount]).toEqual(['heartbeats', 41, 0]);
    s.scan(`{"channel":"subscriptions","client_id":"","timestamp":"${TS}","sequence_num":0,"events":[{"subscriptions":{"level2":["BTC-USD"]}}]}`);
    expect([s.channel, s.sequenceNum]).toEqual(['subscriptions', 0]);
    s.scan(`{"channel":"market_trades","client_id":"","timestamp":"${TS}","sequence_num":9007199254740991,"events":[]}`);
    expect([s.channel, s.sequenceNum]).toEqual(['market_trades', 9007199254740991]);
  });

  it('reads an error frame as type "error" with no channel and no sequence number', () => {
    const s = new L2FrameScanner();
    s.scan('{"type":"error","message":"Failed to subscribe"}');
    expect([s.channel, s.type, s.sequenceNum]).toEqual(['', 'error', -1]);
  });

  it('yields a snapshot event with its product and levels as exact integers; offer is the ask side', () => {
    const s = new L2FrameScanner();
    s.scan(l2Frame(3, 'snapshot', [['bid', '21921.74', '0.06317902'], ['offer', '21921.75', '1.5']]));
    expect([s.channel, s.sequenceNum, s.eventCount]).toEqual(['l2_data', 3, 1]);
    expect(s.eventSnapshot[0]).toBe(1);
    expect(s.eventProductId[0]).toBe('BTC-USD');
    expect(levelsOf(s)).toEqual([
      [true, 21_921_740_000_000, 6_317_902],
      [false, 21_921_750_000_000, 150_000_000],
    ]);
  });

  it('reads variable precision exactly, and zeros past the scale', () => {
    const s = new L2FrameScanner();
    s.scan(l2Frame(0, 'update', [['offer', '79944', '0'], ['offer', '79944.1', '0.00000001'], ['bid', '0.000000001', '12.000000000']]));
    expect(s.eventSnapshot[0]).toBe(0);
    expect(levelsOf(s)).toEqual([
      [false, 79_944_000_000_000, 0],
      [false, 79_944_100_000_000, 1],
      [true, 1, 1_200_000_000],
    ]);
  });

  it('yields every event of a frame, and a pretty-printed frame with events before channel reads the same', () => {
    const frame = `{
      "events": [
        { "updates": [ { "new_quantity": "2", "price_level": "100.5", "side": "bid", "extra": {"a": [1, "]"]} } ], "product_id": "ETH-USD", "type": "update" },
        { "type": "snapshot", "product_id": "BTC-USD", "updates": [] }
      ],
      "sequence_num": 7,
      "channel": "l2_data"
    }`;
    const s = new L2FrameScanner();
    s.scan(frame);
    expect([s.channel, s.sequenceNum, s.eventCount]).toEqual(['l2_data', 7, 2]);
    expect([s.eventProductId[0], s.eventSnapshot[0]]).toEqual(['ETH-USD', 0]);
    expect(levelsOf(s, 0)).toEqual([[true, 100_500_000_000, 200_000_000]]);
    expect([s.eventProductId[1], s.eventSnapshot[1]]).toEqual(['BTC-USD', 1]);
    expect(levelsOf(s, 1)).toEqual([]);
  });

  it('reads the compact layout Coinbase sends to the same events and levels as the same frame spaced out', () => {
    const read = (s: L2FrameScanner) => {
      const out: unknown[] = [s.channel, s.type, s.sequenceNum, s.eventCount];
      for (let e = 0; e < s.eventCount; e++) out.push(s.eventSnapshot[e], s.eventProductId[e], s.eventProductIndex[e], levelsOf(s, e));
      return out;
    };
    const twoEvents = l2Frame(3, 'update', [['bid', '1.5', '2']]).replace(']}]}', ']},{"type":"snapshot","product_id":"ÄÖ-USD","updates":[]}]}');
    const frames = [
      l2Frame(1, 'snapshot', [['bid', '100.25', '1.5'], ['offer', '100.5', '0.00000001'], ['offer', '100.75', '2.000000000']]),
      l2Frame(2, 'update', [['bid', '100.25', '0']], 'ETH-USD'),
      l2Frame(123456789012345, 'update', []),
      l2Frame(1234567890123456, 'update', [['offer', '7', '3']]),
      twoEvents,
      '{"channel":"l2_data","client_id":"","timestamp":"t","sequence_num":4,"events":[]}',
    ];
    const compact = new L2FrameScanner({ productIds: ['BTC-USD', 'ETH-USD'] });
    const spaced = new L2FrameScanner({ productIds: ['BTC-USD', 'ETH-USD'] });
    for (const frame of frames) {
      compact.scan(frame);
      spaced.scan(frame.replaceAll('":', '" :'));
      expect(read(compact)).toEqual(read(spaced));
    }
    expect(read(compact)).toEqual(['l2_data', '', 4, 0]);
  });

  it('reads an update whose keys come in another order, or with an extra key, the same as the usual layout', () => {
    const s = new L2FrameScanner();
    const reordered = '{"price_level":"1.5","side":"offer","new_quantity":"2","event_time":"x"}';
    const extra = `{"side":"bid","event_time":"${TS}","price_level":"1.25","new_quantity":"3","sequence":7}`;
    s.scan(`{"channel":"l2_data","sequence_num":0,"events":[{"type":"update","product_id":"BTC-USD","updates":[${reordered},${extra},${level(['bid', '1', '4'])}]}]}`);
    expect(levelsOf(s)).toEqual([
      [false, 1_500_000_000, 200_000_000],
      [true, 1_250_000_000, 300_000_000],
      [true, 1_000_000_000, 400_000_000],
    ]);
  });

  it('grows its level arrays for a snapshot of tens of thousands of levels', () => {
    const levels: Level[] = [];
    for (let i = 0; i < 30_000; i++) levels.push(['bid', `${30000 - i}.25`, '0.5'], ['offer', `${30001 + i}.75`, '0.25']);
    const s = new L2FrameScanner();
    s.scan(l2Frame(1, 'snapshot', levels));
    expect(s.levelCount).toBe(60_000);
    expect(levelsOf(s).at(-1)).toEqual([false, 60_000_750_000_000, 25_000_000]);
  });

  it.each<[string, string, string]>([
    ['not an object', '[1,2]', 'a frame must be a JSON object'],
    ['empty text', '', 'a frame must be a JSON object (the frame ends early)'],
    ['truncated', l2Frame(0, 'update', [['bid', '1', '1']]).slice(0, -2), 'expected "," or "]" in events (the frame ends early)'],
    ['text after the object', `${l2Frame(0, 'update', [])} x`, 'text after the frame object'],
    ['an unterminated string', '{"channel":"l2_data', 'unterminated string for channel'],
    ['a fractional sequence_num', '{"channel":"heartbeats","sequence_num":1.5,"events":[]}', 'sequence_num must be an integer'],
    ['a negative sequence_num', '{"channel":"heartbeats","sequence_num":-1,"events":[]}', 'sequence_num must be a non-negative integer'],
    ['l2_data without events', '{"channel":"l2_data","sequence_num":1}', 'an l2_data frame without events'],
    ['events that are not an array', '{"channel":"l2_data","sequence_num":1,"events":{}}', 'events must be an array'],
    ['an unknown event type', l2Frame(0, 'update', []).replace('"update"', '"delta"'), 'event type must be "snapshot" or "update", got "delta"'],
    ['an event without product_id', l2Frame(0, 'update', []).replace('"product_id":"BTC-USD",', ''), 'an l2_data event without a product_id'],
    ['an event without a type', l2Frame(0, 'update', []).replace('"type":"update",', ''), 'an l2_data event without a type'],
    ['an event without updates', l2Frame(0, 'update', []).replace(',"updates":[]', ''), 'an l2_data event without updates'],
    ['side "ask"', l2Frame(0, 'update', [['ask', '1', '1']]), 'side must be "bid" or "offer", got "ask"'],
    ['a numeric price_level', l2Frame(0, 'update', [['bid', '1', '1']]).replace('"price_level":"1"', '"price_level":1'), 'expected a string for price_level'],
    ['an update without new_quantity', l2Frame(0, 'update', [['bid', '1', '1']]).replace(',"new_quantity":"1"', ''), 'an update without a new_quantity'],
    ['an update without a side', l2Frame(0, 'update', [['bid', '1', '1']]).replace('"side":"bid",', ''), 'an update without a side'],
    ['a price with more than 9 decimals', l2Frame(0, 'update', [['bid', '1.0000000001', '1']]), 'price_level "1.0000000001" has more than 9 decimal places'],
    ['a quantity with more than 8 decimals', l2Frame(0, 'update', [['bid', '1', '0.000000001']]), 'new_quantity "0.000000001" has more than 8 decimal places'],
    ['a negative quantity', l2Frame(0, 'update', [['bid', '1', '-1']]), 'new_quantity must be a plain non-negative decimal string, got "-1"'],
    ['an exponent', l2Frame(0, 'update', [['bid', '1e5', '1']]), 'price_level must be a plain non-negative decimal string, got "1e5"'],
    ['an empty price', l2Frame(0, 'update', [['bid', '', '1']]), 'price_level must be a plain non-negative decimal string, got ""'],
    ['a bare decimal point', l2Frame(0, 'update', [['bid', '1.', '1']]), 'price_level must be a plain non-negative decimal string, got "1."'],
    ['a zero price', l2Frame(0, 'update', [['bid', '0.00', '1']]), 'price_level must be positive'],
    ['a price too large to hold exactly', l2Frame(0, 'update', [['bid', '90071992.55', '1']]), 'price_level "90071992.55" is too large for a 9-decimal fixed-point value'],
  ])('refuses %s with a typed error saying why', (_name, frame, reason) => {
    const error = scanError(frame);
    expect(error.name).toBe('L2FrameError');
    expect(error.reason).toContain(reason);
    expect(error.message).toMatch(/^bad Coinbase frame at offset \d+: /);
  });

  it('refuses a frame with more levels than its bound', () => {
    const s = new L2FrameScanner({ maxLevels: 2 });
    expect(() => s.scan(l2Frame(0, 'update', [['bid', '1', '1'], ['bid', '2', '1'], ['bid', '3', '1']]))).toThrow('more than 2 levels in one frame');
  });

  it('refuses bounds that are not positive integers', () => {
    expect(() => new L2FrameScanner({ maxLevels: 0 })).toThrow('maxLevels must be a positive integer, got 0');
    expect(() => new L2FrameScanner({ maxEvents: 1.5 })).toThrow('maxEvents must be a positive integer, got 1.5');
  });
});

describe('CoinbaseBook', () => {
  const px = (p: number) => p * 1e9;

  it('keeps a snapshot sorted best first whatever order it lists levels in; a repeated price keeps its last size', () => {
    const book = new CoinbaseBook();
    const decoder = new CoinbaseBookDecoder(['BTC-USD']);
    decoder.applyFrame(l2Frame(0, 'snapshot', [['bid', '99', '1'], ['offer', '103', '3'], ['bid', '100', '2'], ['offer', '101', '1'], ['bid', '98', '5'], ['bid', '100', '7'], ['offer', '102', '0']]));
    const s = decoder.scanner;
    book.loadSnapshot(s.levelBid, s.levelPx1e9, s.levelQty1e8, 0, s.levelCount);
    expect(bids(book)).toEqual([[px(100), 7e8], [px(99), 1e8], [px(98), 5e8]]);
    expect(asks(book)).toEqual([[px(101), 1e8], [px(103), 3e8]]);
    expect(book.loaded).toBe(true);
  });

  it('applies new_quantity as the absolute size, "0" removes the level, removing an absent level changes nothing', () => {
    const decoder = new CoinbaseBookDecoder(['BTC-USD']);
    const book = decoder.book('BTC-USD');
    decoder.applyFrame(l2Frame(0, 'snapshot', [['bid', '100', '1'], ['bid', '99', '2'], ['offer', '101', '3']]));
    decoder.applyFrame(l2Frame(1, 'update', [['bid', '100', '4'], ['bid', '99', '0'], ['offer', '100.5', '0.5'], ['offer', '105', '0']]));
    expect(bids(book)).toEqual([[px(100), 4e8]]);
    expect(asks(book)).toEqual([[px(100.5), 5e7], [px(101), 3e8]]);
  });

  it('a new snapshot replaces the whole book', () => {
    const decoder = new CoinbaseBookDecoder(['BTC-USD']);
    const book = decoder.book('BTC-USD');
    decoder.applyFrame(l2Frame(0, 'snapshot', [['bid', '100', '1'], ['offer', '101', '3']]));
    decoder.applyFrame(l2Frame(1, 'snapshot', [['bid', '50', '2']]));
    expect(bids(book)).toEqual([[px(50), 2e8]]);
    expect(asks(book)).toEqual([]);
  });

  it('writes the best 20 levels a side into an L2Book, best first, and clears the rest', () => {
    const levels: Level[] = [];
    for (let i = 0; i < 30; i++) levels.push(['bid', `${1000 - i}`, `${i + 1}`], ['offer', `${1001 + i}`, `${i + 1}`]);
    const decoder = new CoinbaseBookDecoder(['BTC-USD']);
    decoder.applyFrame(l2Frame(0, 'snapshot', levels));
    const out = new L2Book('BTC/USD');
    out.bidPx.fill(7);
    decoder.book('BTC-USD').writeTop(out);
    expect([out.bidCount, out.askCount]).toEqual([20, 20]);
    expect([out.bidPx[0], out.bidSz[0], out.bidPx[19]]).toEqual([px(1000), 1e8, px(981)]);
    expect([out.askPx[0], out.askSz[0], out.askPx[19]]).toEqual([px(1001), 1e8, px(1020)]);
    decoder.applyFrame(l2Frame(1, 'snapshot', [['bid', '10', '1']]));
    decoder.book('BTC-USD').writeTop(out);
    expect([out.bidCount, out.askCount, out.bestBid(), out.bidPx[1], out.askPx[0]]).toEqual([1, 0, px(10), 0, 0]);
  });

  it('writing only the changed levels of the top leaves the same L2Book as writing it whole, through random updates and resnapshots', () => {
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const decoder = new CoinbaseBookDecoder(['BTC-USD']);
    const book = decoder.book('BTC-USD');
    const partial = new L2Book('BTC/USD');
    let seq = 0;
    for (let round = 0; round < 3000; round++) {
      const levels: Level[] = [];
      if (round % 500 === 0) {
        const depth = random(30);
        for (let i = 0; i < depth; i++) levels.push(['bid', `${1000 - i}`, `${i + 1}`], ['offer', `${1001 + i}`, `${i + 1}`]);
        decoder.applyFrame(l2Frame(seq++, 'snapshot', levels));
      } else {
        for (let k = random(3) + 1; k > 0; k--) {
          const bid = random(2) === 0;
          levels.push([bid ? 'bid' : 'offer', `${bid ? 1000 - random(35) : 1001 + random(35)}`, `${random(3)}`]);
        }
        decoder.applyFrame(l2Frame(seq++, 'update', levels));
      }
      book.writeTopChanges(partial);
      const whole = new L2Book('BTC/USD');
      book.writeTop(whole);
      expect([partial.bidCount, partial.askCount, ...partial.bidPx, ...partial.bidSz, ...partial.askPx, ...partial.askSz]).toEqual([whole.bidCount, whole.askCount, ...whole.bidPx, ...whole.bidSz, ...whole.askPx, ...whole.askSz]);
    }
  });

  it('flags a change of the top 20 and not a change deeper in the book', () => {
    const levels: Level[] = [];
    for (let i = 0; i < 40; i++) levels.push(['bid', `${1000 - i}`, '1']);
    const decoder = new CoinbaseBookDecoder(['BTC-USD']);
    const book = decoder.book('BTC-USD');
    decoder.applyFrame(l2Frame(0, 'snapshot', levels));
    expect(book.topChanged).toBe(true);
    book.writeTop(new L2Book('BTC/USD'));
    expect(book.topChanged).toBe(false);
    decoder.applyFrame(l2Frame(1, 'update', [['bid', '970', '3'], ['bid', '500', '1'], ['bid', '965', '0']]));
    expect(book.topChanged).toBe(false);
    decoder.applyFrame(l2Frame(2, 'update', [['bid', '981', '2']]));
    expect(book.topChanged).toBe(true);
  });

  it('a bad frame throws and leaves every book as it was, even when its first levels were good', () => {
    const decoder = new CoinbaseBookDecoder(['BTC-USD']);
    const book = decoder.book('BTC-USD');
    decoder.applyFrame(l2Frame(0, 'snapshot', [['bid', '100', '1'], ['offer', '101', '1']]));
    expect(() => decoder.applyFrame(l2Frame(1, 'update', [['bid', '100', '0'], ['bid', '99', '1'], ['ask', '101', '0']]))).toThrow(L2FrameError);
    expect(bids(book)).toEqual([[px(100), 1e8]]);
    expect(asks(book)).toEqual([[px(101), 1e8]]);
  });

  it('drops an update that comes before its product snapshot, and ignores products it does not track', () => {
    const decoder = new CoinbaseBookDecoder(['BTC-USD']);
    expect(decoder.applyFrame(l2Frame(0, 'update', [['bid', '100', '1']]))).toBe(0);
    expect(decoder.book('BTC-USD').loaded).toBe(false);
    expect(decoder.applyFrame(l2Frame(1, 'snapshot', [['bid', '100', '1']], 'ETH-USD'))).toBe(0);
    expect(decoder.applyFrame(l2Frame(2, 'snapshot', [['bid', '100', '1'], ['offer', '101', '1']]))).toBe(2);
    expect(() => decoder.book('ETH-USD')).toThrow('no book for product "ETH-USD"');
  });

  it('decodes a snapshot of several MB and its updates', () => {
    const levels: Level[] = [];
    for (let i = 0; i < 25_000; i++) levels.push(['bid', (60_000 - i * 0.01).toFixed(2), '0.01000000'], ['offer', (60_000.01 + i * 0.01).toFixed(2), '0.02000000']);
    const snapshot = l2Frame(0, 'snapshot', levels);
    expect(snapshot.length).toBeGreaterThan(5_000_000);
    const decoder = new CoinbaseBookDecoder(['BTC-USD']);
    const book = decoder.book('BTC-USD');
    expect(decoder.applyFrame(snapshot)).toBe(50_000);
    expect([book.bidCount, book.askCount]).toEqual([25_000, 25_000]);
    expect([book.bidPx1e9(0), book.askPx1e9(0), book.bidPx1e9(24_999), book.askPx1e9(24_999)]).toEqual([px(60_000), 60_000_010_000_000, 59_750_010_000_000, 60_250_000_000_000]);
    decoder.applyFrame(l2Frame(1, 'update', [['bid', '60000.005', '1'], ['offer', '60000.01', '0'], ['bid', '59800', '0']]));
    expect([book.bidCount, book.askCount, book.bidPx1e9(0), book.askPx1e9(0)]).toEqual([25_000, 24_999, 60_000_005_000_000, 60_000_020_000_000]);
  });

  it('refuses bad levels with a clear error', () => {
    const book = new CoinbaseBook();
    expect(() => book.setLevel(true, 0, 1)).toThrow(CoinbaseBookError);
    expect(() => book.setLevel(true, -5, 1)).toThrow('a price must be a positive integer px_1e9, got -5');
    expect(() => book.setLevel(false, 1.5, 1)).toThrow('a price must be a positive integer px_1e9, got 1.5');
    expect(() => book.setLevel(false, 100, -1)).toThrow('a quantity must be a non-negative integer qty_1e8, got -1');
    expect(() => new CoinbaseBook({ maxLevelsPerSide: 0 })).toThrow('maxLevelsPerSide must be a positive integer, got 0');
  });

  it('refuses a level past the side limit and marks the book for a rebuild', () => {
    const decoder = new CoinbaseBookDecoder(['BTC-USD'], { maxLevelsPerSide: 2 });
    const book = decoder.book('BTC-USD');
    decoder.applyFrame(l2Frame(0, 'snapshot', [['bid', '100', '1'], ['bid', '99', '1']]));
    expect(() => decoder.applyFrame(l2Frame(1, 'update', [['bid', '98', '1']]))).toThrow('a book side may hold at most 2 levels');
    expect(book.loaded).toBe(false);
  });

  it('refuses a snapshot over the side limit before changing the book', () => {
    const decoder = new CoinbaseBookDecoder(['BTC-USD'], { maxLevelsPerSide: 2 });
    const book = decoder.book('BTC-USD');
    decoder.applyFrame(l2Frame(0, 'snapshot', [['offer', '101', '1']]));
    expect(() => decoder.applyFrame(l2Frame(1, 'snapshot', [['offer', '101', '1'], ['offer', '102', '1'], ['offer', '103', '1']]))).toThrow(
      'a snapshot listing 3 levels on one side is over the limit of 2',
    );
    expect(asks(book)).toEqual([[px(101), 1e8]]);
  });
});
