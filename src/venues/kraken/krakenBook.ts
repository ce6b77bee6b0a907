import type { L2Book } from '../book.ts';
import { CHECKSUM_LEVELS, crc32Digits, crc32Shift, crc32ShiftBy, crc32Zeros, digitsLength, TEXT_NOT_HELD } from './checksum.ts';
import { grownArray } from '../grownArray.ts';

// One symbol's Kraken book at a subscribed depth, kept the way Kraken's checksum rule
// needs it: every level in the message applied in wire order (qty 0 removes, a price may
// repeat, order inside an update is arbitrary), then each side cut to the depth, because
// Kraken never sends a removal for a level that merely falls out of scope. Each level keeps
// its price and qty as scaled integers and as digit values with decimal places, which is
// its exact wire text (see checksum.ts), and the CRC of its digit text as the scanner read
// it from the frame, so the checksum folds in a level with four table lookups
// (crc32Append). Pure: no I/O, no clock.
//
// Each side also keeps the CRC register after each of its top 10 levels, so a checksum
// runs only from the first level changed since the last one. Each side starts from a
// register of its own (the asks from -1, the bids from 0), so neither side's change
// reruns the other; the two are joined by one shift (crc32ShiftBy).

/**
 * Shifts of up to this many levels are a plain loop: ten copyWithin calls (one per array)
 * cost about 0.3 us whatever the length, several times a short loop (the depth-10 books the
 * node subscribes to shift under 10 levels); longer shifts use copyWithin.
 */
const SHORT_SHIFT = 32;
/** BookSide.changedFrom when no level changed. */
const NONE_CHANGED = 1 << 30;

export const KRAKEN_BOOK_DEPTHS: readonly number[] = [10, 25, 100, 500, 1000];

export function isKrakenBookDepth(depth: number): boolean {
  return KRAKEN_BOOK_DEPTHS.includes(depth);
}

/** Level entries as the frame scanner leaves them (BookFrameScanner satisfies this). */
export interface LevelEntries {
  readonly px1e9: Float64Array;
  readonly qty1e8: Float64Array;
  readonly pxDigits: Float64Array;
  readonly qtyDigits: Float64Array;
  readonly pxZeros: Uint8Array;
  readonly qtyZeros: Uint8Array;
  readonly pxDecimals: Uint8Array;
  readonly qtyDecimals: Uint8Array;
  /**
   * CRC-32 from a zero register of each entry's digit text (price digits then qty digits),
   * and that text's length, or TEXT_NOT_HELD where the CRC is not held. Absent, every
   * level set from these entries is checksummed from its digit values (the emulator's
   * live books, built from numbers).
   */
  readonly textCrc?: Int32Array;
  readonly textLength?: Uint8Array;
}

/** The wire text of a value held as digits, trailing zeros and decimal places: (5005, 0, 5) -> "0.05005". */
export function decimalText(digits: number, zeros: number, decimals: number): string {
  const text = (String(digits) + '0'.repeat(zeros)).padStart(decimals + 1, '0');
  return decimals === 0 ? text : text.slice(0, text.length - decimals) + '.' + text.slice(text.length - decimals);
}

/** One side, best level first. Arrays grow past the depth only inside one message. */
export class BookSide {
  px1e9: Float64Array;
  qty1e8: Float64Array;
  pxDigits: Float64Array;
  qtyDigits: Float64Array;
  pxZeros: Uint8Array;
  qtyZeros: Uint8Array;
  pxDecimals: Uint8Array;
  qtyDecimals: Uint8Array;
  textCrc: Int32Array;
  textLength: Uint8Array;
  count = 0;
  /** Lowest index whose level changed since markWritten(); NONE_CHANGED when none did. */
  changedFrom = 0;
  /** The CRC register after each of the top CHECKSUM_LEVELS levels, valid below crcStale when started from crcStart. */
  private readonly crcAfter = new Int32Array(CHECKSUM_LEVELS);
  /** The length of the digit text up to and including each of those levels, valid with crcAfter. */
  private readonly lengthAfter = new Int32Array(CHECKSUM_LEVELS);
  /** The length of the digit text the last checksumRegister() ran over. */
  checksumLength = 0;
  private crcStart = 0;
  /** Lowest index whose level changed since the last checksumRegister(). */
  private crcStale = 0;

  constructor(
    /** Bids are best when highest, asks when lowest. */
    readonly descending: boolean,
    capacity: number,
  ) {
    this.px1e9 = new Float64Array(capacity);
    this.qty1e8 = new Float64Array(capacity);
    this.pxDigits = new Float64Array(capacity);
    this.qtyDigits = new Float64Array(capacity);
    this.pxZeros = new Uint8Array(capacity);
    this.qtyZeros = new Uint8Array(capacity);
    this.pxDecimals = new Uint8Array(capacity);
    this.qtyDecimals = new Uint8Array(capacity);
    this.textCrc = new Int32Array(capacity);
    this.textLength = new Uint8Array(capacity);
  }

  /** Sets entry `i` of `e` as a level: its qty replaces the level's (0 removes it; removing an absent level does nothing). */
  setFrom(e: LevelEntries, i: number): void {
    const px1e9 = e.px1e9[i];
    const qty1e8 = e.qty1e8[i];
    const at = this.search(px1e9);
    const found = at < this.count && this.px1e9[at] === px1e9;
    if (qty1e8 === 0) {
      if (found) {
        this.removeAt(at);
        this.changed(at);
      }
      return;
    }
    if (!found) this.insertAt(at);
    this.changed(at);
    this.px1e9[at] = px1e9;
    this.qty1e8[at] = qty1e8;
    this.pxDigits[at] = e.pxDigits[i];
    this.qtyDigits[at] = e.qtyDigits[i];
    this.pxZeros[at] = e.pxZeros[i];
    this.qtyZeros[at] = e.qtyZeros[i];
    this.pxDecimals[at] = e.pxDecimals[i];
    this.qtyDecimals[at] = e.qtyDecimals[i];
    if (e.textLength === undefined) {
      this.textLength[at] = TEXT_NOT_HELD;
    } else {
      this.textCrc[at] = e.textCrc![i];
      this.textLength[at] = e.textLength[i];
    }
  }

  truncate(depth: number): void {
    if (this.count > depth) {
      this.count = depth;
      this.changed(depth);
    }
  }

  clear(): void {
    this.count = 0;
    this.changedFrom = 0;
    this.crcStale = 0;
  }

  /** Forgets the changes so far (they have been written out). */
  markWritten(): void {
    this.changedFrom = NONE_CHANGED;
  }

  /**
   * Continues a CRC register over the digit text of the top CHECKSUM_LEVELS levels, and
   * leaves that text's length in checksumLength.
   */
  checksumRegister(register: number): number {
    let from = this.crcStale;
    if (register !== this.crcStart) {
      from = 0;
      this.crcStart = register;
    }
    const levels = Math.min(this.count, CHECKSUM_LEVELS);
    if (from > levels) from = levels;
    let crc = from === 0 ? register : this.crcAfter[from - 1];
    let total = from === 0 ? 0 : this.lengthAfter[from - 1];
    for (let i = from; i < levels; i++) {
      const length = this.textLength[i];
      if (length !== TEXT_NOT_HELD) {
        crc = crc32Shift(crc, length) ^ this.textCrc[i];
        total += length;
      } else {
        crc = crc32Zeros(crc32Digits(crc, this.pxDigits[i]), this.pxZeros[i]);
        crc = crc32Zeros(crc32Digits(crc, this.qtyDigits[i]), this.qtyZeros[i]);
        total += digitsLength(this.pxDigits[i]) + this.pxZeros[i] + digitsLength(this.qtyDigits[i]) + this.qtyZeros[i];
      }
      this.crcAfter[i] = crc;
      this.lengthAfter[i] = total;
    }
    this.crcStale = CHECKSUM_LEVELS;
    this.checksumLength = total;
    return crc;
  }

  priceText(index: number): string {
    return decimalText(this.pxDigits[index], this.pxZeros[index], this.pxDecimals[index]);
  }

  qtyText(index: number): string {
    return decimalText(this.qtyDigits[index], this.qtyZeros[index], this.qtyDecimals[index]);
  }

  /** Notes that the level at `index` and those after it changed. */
  private changed(index: number): void {
    if (index < this.changedFrom) this.changedFrom = index;
    if (index < this.crcStale) this.crcStale = index;
  }

  /** First index whose price is not better than px1e9. */
  private search(px1e9: number): number {
    let lo = 0;
    let hi = this.count;
    const prices = this.px1e9;
    if (this.descending) {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (prices[mid] > px1e9) lo = mid + 1;
        else hi = mid;
      }
    } else {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (prices[mid] < px1e9) lo = mid + 1;
        else hi = mid;
      }
    }
    return lo;
  }

  private insertAt(at: number): void {
    if (this.count === this.px1e9.length) this.grow();
    const n = this.count;
    if (n - at > SHORT_SHIFT) {
      this.textCrc.copyWithin(at + 1, at, n);
      this.textLength.copyWithin(at + 1, at, n);
      this.px1e9.copyWithin(at + 1, at, n);
      this.qty1e8.copyWithin(at + 1, at, n);
      this.pxDigits.copyWithin(at + 1, at, n);
      this.qtyDigits.copyWithin(at + 1, at, n);
      this.pxZeros.copyWithin(at + 1, at, n);
      this.qtyZeros.copyWithin(at + 1, at, n);
      this.pxDecimals.copyWithin(at + 1, at, n);
      this.qtyDecimals.copyWithin(at + 1, at, n);
    } else {
      for (let i = n; i > at; i--) this.move(i - 1, i);
    }
    this.count = n + 1;
  }

  private removeAt(at: number): void {
    const n = this.count;
    if (n - at > SHORT_SHIFT) {
      this.textCrc.copyWithin(at, at + 1, n);
      this.textLength.copyWithin(at, at + 1, n);
      this.px1e9.copyWithin(at, at + 1, n);
      this.qty1e8.copyWithin(at, at + 1, n);
      this.pxDigits.copyWithin(at, at + 1, n);
      this.qtyDigits.copyWithin(at, at + 1, n);
      this.pxZeros.copyWithin(at, at + 1, n);
      this.qtyZeros.copyWithin(at, at + 1, n);
      this.pxDecimals.copyWithin(at, at + 1, n);
      this.qtyDecimals.copyWithin(at, at + 1, n);
    } else {
      for (let i = at + 1; i < n; i++) this.move(i, i - 1);
    }
    this.count = n - 1;
  }

  /** Copies level `from` over level `to`. */
  private move(from: number, to: number): void {
    this.px1e9[to] = this.px1e9[from];
    this.qty1e8[to] = this.qty1e8[from];
    this.pxDigits[to] = this.pxDigits[from];
    this.qtyDigits[to] = this.qtyDigits[from];
    this.pxZeros[to] = this.pxZeros[from];
    this.qtyZeros[to] = this.qtyZeros[from];
    this.pxDecimals[to] = this.pxDecimals[from];
    this.qtyDecimals[to] = this.qtyDecimals[from];
    this.textCrc[to] = this.textCrc[from];
    this.textLength[to] = this.textLength[from];
  }

  private grow(): void {
    const size = this.px1e9.length * 2;
    this.textCrc = grownArray(this.textCrc, size);
    this.textLength = grownArray(this.textLength, size);
    this.px1e9 = grownArray(this.px1e9, size);
    this.qty1e8 = grownArray(this.qty1e8, size);
    this.pxDigits = grownArray(this.pxDigits, size);
    this.qtyDigits = grownArray(this.qtyDigits, size);
    this.pxZeros = grownArray(this.pxZeros, size);
    this.qtyZeros = grownArray(this.qtyZeros, size);
    this.pxDecimals = grownArray(this.pxDecimals, size);
    this.qtyDecimals = grownArray(this.qtyDecimals, size);
  }
}

export class KrakenBook {
  readonly bids: BookSide;
  readonly asks: BookSide;

  constructor(
    readonly symbol: string,
    readonly depth: number,
  ) {
    if (!isKrakenBookDepth(depth)) throw new RangeError(`Kraken book depth must be one of ${KRAKEN_BOOK_DEPTHS.join(', ')}, got ${depth}`);
    // Room for the depth plus a message's worth of new levels before truncation.
    this.bids = new BookSide(true, depth + 16);
    this.asks = new BookSide(false, depth + 16);
  }

  /** Replaces the book with a snapshot's levels (entries [start, end) of each side). */
  applySnapshot(entries: LevelEntries, bidStart: number, bidEnd: number, askStart: number, askEnd: number): void {
    this.bids.clear();
    this.asks.clear();
    this.applyUpdate(entries, bidStart, bidEnd, askStart, askEnd);
  }

  /** Applies an update's levels in wire order, then cuts each side to the depth. */
  applyUpdate(entries: LevelEntries, bidStart: number, bidEnd: number, askStart: number, askEnd: number): void {
    applyRange(this.bids, entries, bidStart, bidEnd);
    applyRange(this.asks, entries, askStart, askEnd);
    this.truncate();
  }

  truncate(): void {
    this.bids.truncate(this.depth);
    this.asks.truncate(this.depth);
  }

  clear(): void {
    this.bids.clear();
    this.asks.clear();
  }

  /**
   * Kraken's CRC-32 over the top 10 asks then the top 10 bids. The bids' register runs
   * from zero and is joined to the asks' by a shift over the bids' text length, so a
   * change among the asks does not rerun the bids' levels (on the capture at depth 10,
   * 3.7 ask and 8.6 bid levels a message when the bids ran on from the asks' register).
   */
  checksum(): number {
    const asks = this.asks.checksumRegister(-1);
    const bids = this.bids.checksumRegister(0);
    return ((crc32ShiftBy(asks, this.bids.checksumLength) ^ bids ^ -1) >>> 0);
  }

  /** Copies the top 20 levels (or fewer) into an L2Book; leaves its recvNs and valid alone. */
  writeTop(book: L2Book): void {
    this.bids.markWritten();
    this.asks.markWritten();
    const bidCount = Math.min(this.bids.count, book.bidPx.length);
    const askCount = Math.min(this.asks.count, book.askPx.length);
    // Plain loops: subarray() would allocate a view per side on every message.
    for (let i = 0; i < book.bidPx.length; i++) {
      book.bidPx[i] = i < bidCount ? this.bids.px1e9[i] : 0;
      book.bidSz[i] = i < bidCount ? this.bids.qty1e8[i] : 0;
    }
    for (let i = 0; i < book.askPx.length; i++) {
      book.askPx[i] = i < askCount ? this.asks.px1e9[i] : 0;
      book.askSz[i] = i < askCount ? this.asks.qty1e8[i] : 0;
    }
    book.bidCount = bidCount;
    book.askCount = askCount;
  }

  /**
   * writeTop for the L2Book this book last wrote with writeTop or writeTopChanges (and
   * nothing else wrote since): copies only the levels from the first one changed since,
   * as most updates touch a level or two. Returns whether the top changed at all.
   */
  writeTopChanges(book: L2Book): boolean {
    const bids = writeSideChanges(this.bids, book.bidPx, book.bidSz, book.bidCount);
    const asks = writeSideChanges(this.asks, book.askPx, book.askSz, book.askCount);
    book.bidCount = Math.min(this.bids.count, book.bidPx.length);
    book.askCount = Math.min(this.asks.count, book.askPx.length);
    return bids || asks;
  }
}

/**
 * Writes one side's changed levels into an L2Book side that holds what this side last
 * wrote (`written` levels): from the first changed level to the end of the top, zeroing
 * levels the side no longer has. Returns whether any of the top changed.
 */
function writeSideChanges(side: BookSide, px: Float64Array, sz: Float64Array, written: number): boolean {
  const count = Math.min(side.count, px.length);
  const from = side.changedFrom;
  side.markWritten();
  if (from >= px.length) return false;
  for (let i = from; i < count; i++) {
    px[i] = side.px1e9[i];
    sz[i] = side.qty1e8[i];
  }
  for (let i = Math.max(from, count); i < written; i++) {
    px[i] = 0;
    sz[i] = 0;
  }
  return from < count || from < written;
}

function applyRange(side: BookSide, e: LevelEntries, start: number, end: number): void {
  for (let i = start; i < end; i++) side.setFrom(e, i);
}


