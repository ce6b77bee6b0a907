import { describe, expect, it } from 'vitest';
import { BookFrameScanner } from '../src/venues/kraken/bookFrameScanner.ts';
import { KnownNames, nameHash } from '../src/venues/wireBytes.ts';
import { scannedEntries } from './support/scannedEntries.ts';
import { bookChecksum } from '../src/venues/kraken/checksum.ts';
import { KrakenBook } from '../src/venues/kraken/krakenBook.ts';

// The Kraken codec's fast paths (the canonical frame layout, four-byte literal compares,
// the symbol hash table, the per-level checksum cache) must give exactly what the general
// paths give.

type Level = [price: string, qty: string];

function frame(type: string, symbol: string, bids: Level[], asks: Level[], checksum = 0): string {
  const level = ([p, q]: Level) => `{"price":${p},"qty":${q}}`;
  return `{"channel":"book","type":"${type}","data":[{"symbol":"${symbol}","bids":[${bids.map(level).join(',')}],"asks":[${asks.map(level).join(',')}],"checksum":${checksum},"timestamp":"2023-10-06T17:35:55.440295Z"}]}`;
}

/** A deterministic pseudo-random sequence (xorshift32), so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('Kraken codec fast paths', () => {
  it('reads numbers of every digit count, leading zeros and fraction length as the general path does', () => {
    const numbers = [
      '0', '0.0', '7', '10', '100.5', '0.000022890', '0.00000001', '0.10000000', '45281.0', '123456789', '1234567890', '12345678.9',
      '123456789.12345', '999999999999999', '0.000000000000001', '000.50', '1.000000000', '12.3456789012345', '1234567890123456', '0.1234567890123456',
    ];
    const compact = new BookFrameScanner({ symbols: ['BTC/USD'] });
    const spaced = new BookFrameScanner({ symbols: ['BTC/USD'] });
    for (const price of numbers.filter((n) => /[1-9]/.test(n))) {
      for (const qty of numbers) {
        const text = frame('update', 'BTC/USD', [[price, qty]], [[qty === '0' ? '1' : qty, price]]);
        let compactError = '';
        let spacedError = '';
        try {
          compact.scanText(text);
        } catch (error) {
          compactError = String(error);
        }
        try {
          spaced.scanText(text.replaceAll(':', ' : '));
        } catch (error) {
          spacedError = String(error).replace(/at \d+/, '');
        }
        if (compactError !== '') {
          expect(compactError.replace(/at \d+/, '')).toBe(spacedError);
          continue;
        }
        expect(spacedError).toBe('');
        expect(scannedEntries(compact)).toEqual(scannedEntries(spaced));
      }
    }
  });

  it('reads a frame at any offset of a shared buffer, and buffer after buffer, as its own copy', () => {
    const texts = [
      frame('snapshot', 'BTC/USD', [['45283.5', '0.10000000'], ['45283.4', '1.5']], [['45285.0', '2.00000000']], 123),
      frame('update', 'ETH/USD', [['3000.25', '0']], [['3001.5', '7.25']], 456),
    ];
    const reference = new BookFrameScanner({ symbols: ['BTC/USD', 'ETH/USD'] });
    const shared = new BookFrameScanner({ symbols: ['BTC/USD', 'ETH/USD'] });
    for (const text of texts) {
      reference.scan(Buffer.from(text));
      const expected = scannedEntries(reference);
      for (let offset = 0; offset < 8; offset++) {
        const pool = Buffer.alloc(offset + text.length + 5, 0x7b);
        pool.write(text, offset, 'latin1');
        expect(shared.scan(pool.subarray(offset, offset + text.length))).toBe(true);
        expect(scannedEntries(shared)).toEqual(expected);
      }
    }
  });

  it('reads a frame in place inside a socket read (scanAt), between frame headers, as scan reads it alone, errors at the same positions', () => {
    const canonical = frame('update', 'ETH/USD', [['3000.25', '0']], [['3001.5', '7.25']], 456);
    const texts = [
      frame('snapshot', 'BTC/USD', [['45283.5', '0.10000000'], ['45283.4', '1.5']], [['45285.0', '2.00000000']], 123),
      canonical,
      // The general path: spaces after the colons.
      canonical.replaceAll('":', '": '),
    ];
    const alone = new BookFrameScanner({ symbols: ['BTC/USD', 'ETH/USD'] });
    const inPlace = new BookFrameScanner({ symbols: ['BTC/USD', 'ETH/USD'] });
    const read = (text: string) => Buffer.concat([Buffer.from([0x81, 126, 0, 0]), Buffer.from(text), Buffer.from([0x81, 0x05]), Buffer.from('hello')]);
    for (const text of texts) {
      expect(alone.scan(Buffer.from(text))).toBe(true);
      expect(inPlace.scanAt(read(text), 4, 4 + text.length)).toBe(true);
      expect(scannedEntries(inPlace)).toEqual(scannedEntries(alone));
    }
    for (const cut of [canonical.slice(0, -2), canonical.replaceAll('":', '": ').slice(0, -3)]) {
      const error = (scan: () => boolean) => {
        try {
          scan();
        } catch (e) {
          return e;
        }
        throw new Error('no error');
      };
      const expected = error(() => alone.scan(Buffer.from(cut)));
      expect(error(() => inPlace.scanAt(read(cut), 4, 4 + cut.length))).toEqual(expected);
    }
  });

  it('tells a symbol apart from a subscribed one filed under the same hash slot, and reports the first of a name listed twice', () => {
    const slot = (name: string) => nameHash(Buffer.from(name), 0, name.length) & 15;
    let twin = '';
    for (let i = 0; twin === ''; i++) if (slot(`Q${i}/USD`) === slot('BTC/USD') && `Q${i}/USD`.length === 7) twin = `Q${i}/USD`;
    const s = new BookFrameScanner({ symbols: ['BTC/USD', 'ETH/USD', 'BTC/USD'] });
    expect(s.scanText(frame('update', twin, [['1', '1']], []))).toBe(true);
    expect([s.symbols[0], s.symbolIndex[0]]).toEqual([twin, -1]);
    expect(s.scanText(frame('update', 'BTC/USD', [['1', '1']], []))).toBe(true);
    expect(s.symbolIndex[0]).toBe(0);
    const names = new KnownNames(['a"b', 'ok']);
    const text = Buffer.from('a"b');
    expect(names.find(text, 0, 3, nameHash(text, 0, 3))).toBe(-1);
  });

  it('keeps the checksum equal to one computed from scratch through updates to either side, removals, truncation and resnapshots', () => {
    const next = random(42);
    const price = () => (1000 + Math.floor(next() * 40) * 0.5).toFixed(1);
    const qty = () => (next() < 0.3 ? '0.00000000' : (next() * 20).toFixed(8));
    for (const depth of [10, 25]) {
      const book = new KrakenBook('BTC/USD', depth);
      const scanner = new BookFrameScanner();
      for (let message = 0; message < 3_000; message++) {
        const snapshot = message % 500 === 0;
        const touch = next();
        const bids: Level[] = [];
        const asks: Level[] = [];
        const count = snapshot ? 30 : 1 + Math.floor(next() * 3);
        for (let i = 0; i < count; i++) {
          if (snapshot || touch < 0.4) bids.push([price(), snapshot ? '1.00000000' : qty()]);
          if (snapshot || touch >= 0.6) asks.push([(Number(price()) + 20).toFixed(1), snapshot ? '2.00000000' : qty()]);
          if (!snapshot && touch >= 0.4 && touch < 0.6) bids.push([price(), qty()]);
        }
        expect(scanner.scanText(frame(snapshot ? 'snapshot' : 'update', 'BTC/USD', bids, asks))).toBe(true);
        if (snapshot) book.applySnapshot(scanner, scanner.bidStart[0], scanner.bidEnd[0], scanner.askStart[0], scanner.askEnd[0]);
        else book.applyUpdate(scanner, scanner.bidStart[0], scanner.bidEnd[0], scanner.askStart[0], scanner.askEnd[0]);
        expect(book.checksum()).toBe(bookChecksum(book.asks, book.bids));
        if (message % 700 === 699) book.clear();
      }
    }
  });
});
