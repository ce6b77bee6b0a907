import { BOOK_LEVELS } from '../wasm/abi.ts';

/**
 * The top of one symbol's book as the node hands it to algorithms: at most 20 levels a
 * side, best first, prices px_1e9 and sizes sz_1e8 held as integer-valued numbers in
 * preallocated typed arrays so a book update allocates nothing.
 */
export class L2Book {
  readonly bidPx = new Float64Array(BOOK_LEVELS);
  readonly bidSz = new Float64Array(BOOK_LEVELS);
  readonly askPx = new Float64Array(BOOK_LEVELS);
  readonly askSz = new Float64Array(BOOK_LEVELS);
  bidCount = 0;
  askCount = 0;
  /** Receive time, nanoseconds since the Unix epoch (a double: 256 ns resolution). */
  recvNs = 0;
  /** False while the book cannot be trusted (gap, checksum mismatch, resync); never shown to algorithms then. */
  valid = true;

  constructor(readonly symbol: string) {}

  bestBid(): number {
    return this.bidCount > 0 ? this.bidPx[0] : 0;
  }

  bestAsk(): number {
    return this.askCount > 0 ? this.askPx[0] : 0;
  }

  /** Mid price in px_1e9, truncated; 0 when either side is empty. */
  mid(): number {
    if (this.bidCount === 0 || this.askCount === 0) return 0;
    return Math.floor((this.bidPx[0] + this.askPx[0]) / 2);
  }

  copyFrom(other: L2Book): void {
    this.bidPx.set(other.bidPx);
    this.bidSz.set(other.bidSz);
    this.askPx.set(other.askPx);
    this.askSz.set(other.askSz);
    this.bidCount = other.bidCount;
    this.askCount = other.askCount;
    this.recvNs = other.recvNs;
    this.valid = other.valid;
  }
}
