import { CoinbaseBook, type CoinbaseBookOptions } from './coinbaseBook.ts';
import { L2_CHANNEL, L2FrameScanner, type L2FrameScannerOptions } from './l2FrameScanner.ts';

// Frames in (the bytes ws delivers, or text), full-depth books out, with no socket: the feed client's pure core, and
// what the benchmark drives. A frame is scanned (and validated) completely before any book
// changes, so a bad frame throws and leaves every book as it was.

export interface CoinbaseBookDecoderOptions extends CoinbaseBookOptions, L2FrameScannerOptions {}

export class CoinbaseBookDecoder {
  readonly scanner: L2FrameScanner;
  private readonly books = new Map<string, CoinbaseBook>();
  /** The books in the order of the scanner's product ids, so an event finds its book by index. */
  private readonly byIndex: CoinbaseBook[] = [];

  /** `productIds`: the Coinbase products ('BTC-USD') to keep books for; others are ignored. */
  constructor(
    readonly productIds: readonly string[],
    options: CoinbaseBookDecoderOptions = {},
  ) {
    for (const id of productIds) this.books.set(id, new CoinbaseBook(options));
    const known = [...this.books.keys()];
    this.scanner = new L2FrameScanner({ ...options, productIds: known });
    for (const id of known) this.byIndex.push(this.books.get(id)!);
  }

  book(productId: string): CoinbaseBook {
    const book = this.books.get(productId);
    if (book === undefined) throw new RangeError(`no book for product "${productId}"`);
    return book;
  }

  /** Scans one frame without touching the books; throws L2FrameError for a bad frame. */
  scan(frame: Buffer | string): L2FrameScanner {
    this.scanner.scan(frame);
    return this.scanner;
  }

  /** scan() for a frame that is bytes [start, end) of a socket read (see WsFrameHandlers.onMessage). */
  scanAt(buffer: Buffer, start: number, end: number): L2FrameScanner {
    this.scanner.scanAt(buffer, start, end);
    return this.scanner;
  }

  /**
   * Applies the last scanned frame's l2_data events: a snapshot replaces its product's
   * book, an update changes a loaded one (an update before the product's snapshot is
   * dropped: it cannot be placed on a book that does not exist yet). Returns the number
   * of levels applied.
   */
  applyScanned(): number {
    const s = this.scanner;
    if (s.channel !== L2_CHANNEL) return 0;
    let applied = 0;
    for (let e = 0; e < s.eventCount; e++) {
      const index = s.eventProductIndex[e];
      // An id the scanner could not match by its bytes (not ASCII) is looked up by name.
      const book = index >= 0 ? this.byIndex[index] : this.books.get(s.eventProductId[e]);
      if (book === undefined) continue;
      const start = s.eventLevelStart[e];
      const end = s.eventLevelEnd[e];
      if (s.eventSnapshot[e] === 1) {
        book.loadSnapshot(s.levelBid, s.levelPx1e9, s.levelQty1e8, start, end);
      } else {
        if (!book.loaded) continue;
        book.applyUpdates(s.levelBid, s.levelPx1e9, s.levelQty1e8, start, end);
      }
      applied += end - start;
    }
    return applied;
  }

  /** Scans and applies one frame; returns the number of levels applied. */
  applyFrame(frame: Buffer | string): number {
    this.scanner.scan(frame);
    return this.applyScanned();
  }

  /** Forgets every book (a new connection will send fresh snapshots). */
  clearAll(): void {
    for (const book of this.books.values()) book.clear();
  }
}
