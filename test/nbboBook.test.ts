import { describe, expect, it } from 'vitest';
import { NbboBook } from '../src/node/nbboBook.ts';

const top = (bid: number, ask: number, sz = 1) => ({ bidPx1e9: bid, bidSz1e8: sz, askPx1e9: ask, askSz1e8: sz });

describe('cross-venue best bid and offer', () => {
  it('takes the highest bid and the lowest ask across venues, naming each side\'s venue', () => {
    const book = new NbboBook();
    book.update('BTC/USD', 'kraken', 1, top(100, 103, 5));
    book.update('BTC/USD', 'coinbase', 2, top(101, 104, 7));
    const [changed] = book.take(() => 3, 42);
    expect(changed).toEqual({ symbol: 'BTC/USD', nbbo: { bidPx1e9: 101, bidSz1e8: 7, askPx1e9: 103, askSz1e8: 5, bidVenue: 2, askVenue: 1, symbolId: 3, recvNs: 42, venueCount: 2 } });
  });

  it('a burst of updates is taken once, with the latest values', () => {
    const book = new NbboBook();
    for (let i = 0; i < 100; i++) book.update('BTC/USD', 'sim', 32, top(100 + i, 200));
    const taken = book.take(() => 0, 0);
    expect(taken).toHaveLength(1);
    expect(taken[0].nbbo.bidPx1e9).toBe(199);
    expect(book.take(() => 0, 0)).toEqual([]);
  });

  it('an identical top is not a change, and a change that leaves the NBBO as it was is not handed out', () => {
    const book = new NbboBook();
    book.update('BTC/USD', 'a', 1, top(100, 103));
    book.update('BTC/USD', 'b', 2, top(99, 104));
    book.take(() => 0, 0);
    expect(book.update('BTC/USD', 'a', 1, top(100, 103))).toBe(false);
    expect(book.update('BTC/USD', 'b', 2, top(98, 104))).toBe(true);
    expect(book.take(() => 0, 0)).toEqual([]);
  });

  it('a removed source no longer counts', () => {
    const book = new NbboBook();
    book.update('BTC/USD', 'a', 1, top(100, 103));
    book.update('BTC/USD', 'b', 2, top(101, 102));
    book.take(() => 0, 0);
    book.remove('b');
    const [changed] = book.take(() => 0, 0);
    expect(changed.nbbo).toMatchObject({ bidPx1e9: 100, askPx1e9: 103, venueCount: 1 });
  });

  it('an empty ask side does not win the offer', () => {
    const book = new NbboBook();
    book.update('BTC/USD', 'a', 1, top(100, 0));
    book.update('BTC/USD', 'b', 2, top(99, 105));
    expect(book.take(() => 0, 0)[0].nbbo).toMatchObject({ askPx1e9: 105, askVenue: 2 });
  });
});
