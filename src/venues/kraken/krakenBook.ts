import type { L2Book } from '../book.ts';
import { CHECKSUM_LEVELS, type ChecksumSide, crc32Digits, crc32Shift, crc32ShiftBy, crc32Zeros, digitsLength, TEXT_NOT_HELD } from './checksum.ts';
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

/** BookSide.changedFrom when no level changed. */
const NONE_CHANGED = 1 << 30;

// A side's levels sit in one Float64Array, a level every LEVEL_STRIDE numbers (64 bytes,
// a cache line), so inserting or removing a level moves one array rather than ten: over
// the bench frames in a feed-like loop, about 4% of a frame's decoding.
const LEVEL_STRIDE = 8;
/** Level moves up to this long are a plain loop, longer ones copyWithin (see insertAt). */
const SHORT_MOVE = 16;
const PX = 0;
const QTY = 1;
const PX_DIGITS = 2;
const QTY_DIGITS = 3;
/** A value's form: its decimal places plus 256 times its trailing zeros (both at most 255). */
const PX_FORM = 4;
const QTY_FORM = 5;
const TEXT_CRC = 6;
const TEXT_LENGTH = 7;

function form(zeros: number, decimals: number): number {
  return zeros * 256 + decimals;
}

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

/**
 * One side, best level first: for each level its price and qty (px_1e9, qty_1e8), their
 * digit values and forms (the exact wire text; see decimalText), and the CRC and length of
 * its digit text. Room grows past the depth only inside one message.
 */
export class BookSide implements ChecksumSide {
  private levels: Float64Array;
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
    this.levels = new Float64Array(capacity * LEVEL_STRIDE);
  }

  px1e9(index: number): number {
    return this.levels[index * LEVEL_STRIDE + PX];
  }

  qty1e8(index: number): number {
    return this.levels[index * LEVEL_STRIDE + QTY];
  }

  pxDigits(index: number): number {
    return this.levels[index * LEVEL_STRIDE + PX_DIGITS];
  }

  qtyDigits(index: number): number {
    return this.levels[index * LEVEL_STRIDE + QTY_DIGITS];
  }

  pxZeros(index: number): number {
    return this.levels[index * LEVEL_STRIDE + PX_FORM] >> 8;
  }

  qtyZeros(index: number): number {
    return this.levels[index * LEVEL_STRIDE + QTY_FORM] >> 8;
  }

  pxDecimals(index: number): number {
    return this.levels[index * LEVEL_STRIDE + PX_FORM] & 0xff;
  }

  qtyDecimals(index: number): number {
    return this.levels[index * LEVEL_STRIDE + QTY_FORM] & 0xff;
  }

  /** The length of the level's digit text, or TEXT_NOT_HELD when its CRC is not held. */
  textLength(index: number): number {
    return this.levels[index * LEVEL_STRIDE + TEXT_LENGTH];
  }

  /** Sets entry `i` of `e` as a level: its qty replaces the level's (0 removes it; removing an absent level does nothing). */
  setFrom(e: LevelEntries, i: number): void {
    const px1e9 = e.px1e9[i];
    const qty1e8 = e.qty1e8[i];
    const at = this.place(px1e9, qty1e8);
    if (at < 0) return;
    const levels = this.levels;
    const base = at * LEVEL_STRIDE;
    levels[base + PX] = px1e9;
    levels[base + QTY] = qty1e8;
    levels[base + PX_DIGITS] = e.pxDigits[i];
    levels[base + QTY_DIGITS] = e.qtyDigits[i];
    levels[base + PX_FORM] = form(e.pxZeros[i], e.pxDecimals[i]);
    levels[base + QTY_FORM] = form(e.qtyZeros[i], e.qtyDecimals[i]);
    if (e.textLength === undefined) {
      levels[base + TEXT_LENGTH] = TEXT_NOT_HELD;
    } else {
      levels[base + TEXT_CRC] = e.textCrc![i];
      levels[base + TEXT_LENGTH] = e.textLength[i];
    }
  }

  /** setFrom for level `i` of another side: copies it whole (its qty 0 cannot occur there). */
  copyLevel(from: BookSide, i: number): void {
    const at = this.place(from.px1e9(i), from.qty1e8(i));
    if (at < 0) return;
    for (let k = 0; k < LEVEL_STRIDE; k++) this.levels[at * LEVEL_STRIDE + k] = from.levels[i * LEVEL_STRIDE + k];
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
    const count = Math.min(this.count, CHECKSUM_LEVELS);
    if (from > count) from = count;
    let crc = from === 0 ? register : this.crcAfter[from - 1];
    let total = from === 0 ? 0 : this.lengthAfter[from - 1];
    const levels = this.levels;
    for (let i = from; i < count; i++) {
      const base = i * LEVEL_STRIDE;
      const length = levels[base + TEXT_LENGTH];
      if (length !== TEXT_NOT_HELD) {
        crc = crc32Shift(crc, length) ^ levels[base + TEXT_CRC];
        total += length;
      } else {
        crc = crc32Zeros(crc32Digits(crc, this.pxDigits(i)), this.pxZeros(i));
        crc = crc32Zeros(crc32Digits(crc, this.qtyDigits(i)), this.qtyZeros(i));
        total += digitsLength(this.pxDigits(i)) + this.pxZeros(i) + digitsLength(this.qtyDigits(i)) + this.qtyZeros(i);
      }
      this.crcAfter[i] = crc;
      this.lengthAfter[i] = total;
    }
    this.crcStale = CHECKSUM_LEVELS;
    this.checksumLength = total;
    return crc;
  }

  priceText(index: number): string {
    return decimalText(this.pxDigits(index), this.pxZeros(index), this.pxDecimals(index));
  }

  qtyText(index: number): string {
    return decimalText(this.qtyDigits(index), this.qtyZeros(index), this.qtyDecimals(index));
  }

  /**
   * Makes room for a level at px1e9 with a non-zero qty, or removes it for qty 0: the index
   * to write the level at, or -1 when there is nothing to write.
   */
  private place(px1e9: number, qty1e8: number): number {
    const at = this.search(px1e9);
    const found = at < this.count && this.levels[at * LEVEL_STRIDE + PX] === px1e9;
    if (qty1e8 === 0) {
      if (found) {
        this.removeAt(at);
        this.changed(at);
      }
      return -1;
    }
    if (!found) this.insertAt(at);
    this.changed(at);
    return at;
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
    const levels = this.levels;
    if (this.descending) {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (levels[mid * LEVEL_STRIDE + PX] > px1e9) lo = mid + 1;
        else hi = mid;
      }
    } else {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (levels[mid * LEVEL_STRIDE + PX] < px1e9) lo = mid + 1;
        else hi = mid;
      }
    }
    return lo;
  }

  /**
   * Moves levels [at, count) one level down: a plain loop for up to SHORT_MOVE levels, the
   * depth-10 books the node subscribes to (one copyWithin call measured slower there in a
   * feed-like loop), copyWithin for the long moves of deep books.
   */
  private insertAt(at: number): void {
    if ((this.count + 1) * LEVEL_STRIDE > this.levels.length) this.levels = grownArray(this.levels, this.levels.length * 2);
    const levels = this.levels;
    if (this.count - at > SHORT_MOVE) {
      levels.copyWithin((at + 1) * LEVEL_STRIDE, at * LEVEL_STRIDE, this.count * LEVEL_STRIDE);
    } else {
      for (let k = this.count * LEVEL_STRIDE - 1; k >= at * LEVEL_STRIDE; k--) levels[k + LEVEL_STRIDE] = levels[k];
    }
    this.count++;
  }

  /** Moves levels (at, count) one level up, as insertAt does. */
  private removeAt(at: number): void {
    const levels = this.levels;
    if (this.count - at > SHORT_MOVE) {
      levels.copyWithin(at * LEVEL_STRIDE, (at + 1) * LEVEL_STRIDE, this.count * LEVEL_STRIDE);
    } else {
      const last = (this.count - 1) * LEVEL_STRIDE;
      for (let k = at * LEVEL_STRIDE; k < last; k++) levels[k] = levels[k + LEVEL_STRIDE];
    }
    this.count--;
  }

  /**
   * Writes this side's changed levels into an L2Book side that holds what it last wrote
   * (`written` levels): from the first changed level to the end of the top, zeroing levels
   * the side no longer has. Returns whether any of the top changed.
   */
  writeChanges(px: Float64Array, sz: Float64Array, written: number): boolean {
    const count = Math.min(this.count, px.length);
    const from = this.changedFrom;
    this.markWritten();
    if (from >= px.length) return false;
    const levels = this.levels;
    for (let i = from; i < count; i++) {
      px[i] = levels[i * LEVEL_STRIDE + PX];
      sz[i] = levels[i * LEVEL_STRIDE + QTY];
    }
    for (let i = Math.max(from, count); i < written; i++) {
      px[i] = 0;
      sz[i] = 0;
    }
    return from < count || from < written;
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
      book.bidPx[i] = i < bidCount ? this.bids.px1e9(i) : 0;
      book.bidSz[i] = i < bidCount ? this.bids.qty1e8(i) : 0;
    }
    for (let i = 0; i < book.askPx.length; i++) {
      book.askPx[i] = i < askCount ? this.asks.px1e9(i) : 0;
      book.askSz[i] = i < askCount ? this.asks.qty1e8(i) : 0;
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
    const bids = this.bids.writeChanges(book.bidPx, book.bidSz, book.bidCount);
    const asks = this.asks.writeChanges(book.askPx, book.askSz, book.askCount);
    book.bidCount = Math.min(this.bids.count, book.bidPx.length);
    book.askCount = Math.min(this.asks.count, book.askPx.length);
    return bids || asks;
  }
}

function applyRange(side: BookSide, e: LevelEntries, start: number, end: number): void {
  for (let i = start; i < end; i++) side.setFrom(e, i);
}


