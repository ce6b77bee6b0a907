import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BookFrameScanner } from '../src/venues/kraken/bookFrameScanner.ts';
import { bookChecksum, checksumText, crc32Append, crc32Ascii, crc32Byte, crc32Pair, crc32ShiftBy, digitsLength, TEXT_NOT_HELD } from '../src/venues/kraken/checksum.ts';
import { KrakenBook } from '../src/venues/kraken/krakenBook.ts';

// The v1 documentation's worked example (VENUES.md section 2).
const EXAMPLE_ASKS = ['0.05005', '0.05010', '0.05015', '0.05020', '0.05025', '0.05030', '0.05035', '0.05040', '0.05045', '0.05050'];
const EXAMPLE_BIDS = ['0.05000', '0.04995', '0.04990', '0.04980', '0.04975', '0.04970', '0.04965', '0.04960', '0.04955', '0.04950'];
const EXAMPLE_QTY = '0.00000500';

function snapshotFrame(bids: string[][], asks: string[][]): string {
  const level = ([p, q]: string[]) => `{"price":${p},"qty":${q}}`;
  return `{"channel":"book","type":"snapshot","data":[{"symbol":"X/Y","bids":[${bids.map(level).join(',')}],"asks":[${asks.map(level).join(',')}],"checksum":0}]}`;
}

function bookOf(bids: string[][], asks: string[][], depth = 10): KrakenBook {
  const scanner = new BookFrameScanner();
  scanner.scanText(snapshotFrame(bids, asks));
  const book = new KrakenBook('X/Y', depth);
  book.applySnapshot(scanner, scanner.bidStart[0], scanner.bidEnd[0], scanner.askStart[0], scanner.askEnd[0]);
  return book;
}

describe('Kraken book checksum', () => {
  it('reproduces the documented v1 example, 974947235', () => {
    const book = bookOf(
      EXAMPLE_BIDS.map((p) => [p, EXAMPLE_QTY]),
      EXAMPLE_ASKS.map((p) => [p, EXAMPLE_QTY]),
    );
    expect(book.checksum()).toBe(974947235);
    expect(bookChecksum(book.asks, book.bids)).toBe(974947235);
  });

  it('equals zlib crc32 of the documented input text', () => {
    const text = [...EXAMPLE_ASKS, ...EXAMPLE_BIDS].map((p) => checksumText(p) + checksumText(EXAMPLE_QTY)).join('');
    expect(text.startsWith('5005500501050050155005020500')).toBe(true);
    expect(crc32Ascii(text)).toBe(974947235);
    expect(crc32(text)).toBe(974947235);
  });

  it('table CRC agrees with zlib on assorted texts', () => {
    for (const text of ['', '0', '123456789', '4528350000000010000000', 'x'.repeat(1000)]) expect(crc32Ascii(text)).toBe(crc32(text));
  });

  it('strips the dot and leading zeros to form the digit text', () => {
    expect(checksumText('0.05005')).toBe('5005');
    expect(checksumText('0.00000500')).toBe('500');
    expect(checksumText('45281.0')).toBe('452810');
  });

  it('covers only the top 10 of each side: an 11th level changes nothing', () => {
    const bids = EXAMPLE_BIDS.map((p) => [p, EXAMPLE_QTY]);
    const asks = EXAMPLE_ASKS.map((p) => [p, EXAMPLE_QTY]);
    const deeper = bookOf([...bids, ['0.04900', '1.00000000']], [...asks, ['0.05100', '1.00000000']], 25);
    expect(deeper.bids.count).toBe(11);
    expect(deeper.checksum()).toBe(974947235);
  });

  it('uses the levels a short side has', () => {
    const book = bookOf([['0.05000', EXAMPLE_QTY]], [['0.05005', EXAMPLE_QTY], ['0.05010', EXAMPLE_QTY]]);
    expect(book.checksum()).toBe(crc32('5005500' + '5010500' + '5000500'));
  });

  it('checksums digit texts longer than 2^53 exactly (the capture has 99999997.00000000)', () => {
    const book = bookOf([['1.0', '1.0']], [['99999997.00000000', '0.10000000']], 10);
    expect(book.asks.pxZeros(0)).toBeGreaterThan(0);
    expect(book.checksum()).toBe(crc32('9999999700000000' + '10000000' + '10' + '10'));
  });

  it('folds a text by its own CRC and length: appending it equals running the CRC over both texts', () => {
    const crcFromZero = (text: string) => [...text].reduce((crc, c) => crc32Byte(crc, c.charCodeAt(0)), 0);
    const crcOf = (text: string) => [...text].reduce((crc, c) => crc32Byte(crc, c.charCodeAt(0)), -1);
    for (const [head, tail] of [['', ''], ['5005', '500'], ['', '9999999700000000'], ['452850', ''], ['1', '9'.repeat(64)]]) {
      expect((crc32Append(crcOf(head), crcFromZero(tail), tail.length) ^ -1) >>> 0).toBe(crc32(head + tail));
    }
  });

  it('takes two bytes in one step as two byte steps do, for every pair of bytes from assorted registers', () => {
    const registers = [0, -1, 0x12345678, 0xedb88320 | 0, 1, 0x80000000 | 0];
    const mismatches: string[] = [];
    for (const register of registers) {
      for (let first = 0; first < 256; first++) {
        for (let second = 0; second < 256; second++) {
          if (crc32Pair(register, first, second) !== crc32Byte(crc32Byte(register, first), second)) mismatches.push(`${register}:${first},${second}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('refuses to fold a text longer than 64 bytes or of a negative length', () => {
    expect(() => crc32Append(-1, 0, 65)).toThrow(/a folded text is 0 to 64 bytes long, got 65/);
    expect(() => crc32Append(-1, 0, -1)).toThrow(/got -1/);
  });

  it('checksums a level from its digit values when its text is too long to fold or has an exponent', () => {
    const longQty = '1.' + '0'.repeat(40);
    const book = bookOf([['45283.5', longQty]], [['45285.0', '5.1e-05']], 10);
    expect(book.bids.textLength(0)).toBe(TEXT_NOT_HELD);
    expect(book.asks.textLength(0)).toBe(TEXT_NOT_HELD);
    expect(book.checksum()).toBe(crc32('452850' + '51' + '452835' + '1' + '0'.repeat(40)));
  });

  it('shifts a register over any number of zero bytes as the byte loop does: short, one table, and in steps', () => {
    for (const register of [-1, 0, 0x12345678, 974947235]) {
      let crc = register;
      for (let length = 0; length <= 1400; length++) {
        expect(crc32ShiftBy(register, length)).toBe(crc);
        crc = crc32Byte(crc, 0);
      }
    }
  });

  it('counts the digits crc32Digits renders, none for 0', () => {
    expect([0, 5, 10, 99, 100, 99_999_999, 2 ** 53].map(digitsLength)).toEqual([0, 1, 2, 2, 3, 8, 16]);
  });

  it('joins the bids to the asks over the bids\' text length when it runs past ten levels of 64 bytes', () => {
    const qty = '1.' + '0'.repeat(80);
    const bids = EXAMPLE_BIDS.map((p) => [p, qty]);
    const book = bookOf(bids, [['0.05005', EXAMPLE_QTY]]);
    expect(book.bids.textLength(0)).toBe(TEXT_NOT_HELD);
    expect(book.checksum()).toBe(crc32('5005500' + EXAMPLE_BIDS.map((p) => checksumText(p) + '1' + '0'.repeat(80)).join('')));
    expect(book.bids.checksumLength).toBeGreaterThan(640);
  });

  it('after any run of changes to either side, the checksum is the one of a book built afresh from its levels', () => {
    const level = (offset: number, n: number) => [(0.05 + offset / 1e5).toFixed(5), (n % 7 === 0 ? 0 : n / 1e4).toFixed(8)];
    let seed = 11;
    const random = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
    const book = bookOf(EXAMPLE_BIDS.map((p) => [p, EXAMPLE_QTY]), EXAMPLE_ASKS.map((p) => [p, EXAMPLE_QTY]));
    expect(book.checksum()).toBe(974947235);
    const scanner = new BookFrameScanner();
    for (let step = 0; step < 300; step++) {
      // One side or both, a level or two each: asks above 0.05000, bids at or below it.
      const asks = random(3) === 0 ? [] : Array.from({ length: 1 + random(2) }, () => level(1 + random(60), random(100)));
      const bids = random(3) === 0 ? [] : Array.from({ length: 1 + random(2) }, () => level(-random(60), random(100)));
      scanner.scanText(snapshotFrame(bids, asks).replace('"snapshot"', '"update"'));
      book.applyUpdate(scanner, scanner.bidStart[0], scanner.bidEnd[0], scanner.askStart[0], scanner.askEnd[0]);
      const sideLevels = (side: typeof book.asks) => Array.from({ length: side.count }, (_, i) => [side.priceText(i), side.qtyText(i)]);
      expect(book.checksum()).toBe(bookOf(sideLevels(book.bids), sideLevels(book.asks)).checksum());
    }
  });

  it('a book built from numbers, with no text CRCs, gives the same checksum as one read from a frame', () => {
    const scanner = new BookFrameScanner();
    scanner.scanText(snapshotFrame(EXAMPLE_BIDS.map((p) => [p, EXAMPLE_QTY]), EXAMPLE_ASKS.map((p) => [p, EXAMPLE_QTY])));
    const numbersOnly = { ...scanner, textCrc: undefined, textLength: undefined };
    const copy = new KrakenBook('X/Y', 10);
    copy.applySnapshot(numbersOnly, scanner.bidStart[0], scanner.bidEnd[0], scanner.askStart[0], scanner.askEnd[0]);
    expect(copy.asks.textLength(0)).toBe(TEXT_NOT_HELD);
    expect(copy.bids.textLength(0)).toBe(TEXT_NOT_HELD);
    expect(copy.checksum()).toBe(974947235);
  });
});
