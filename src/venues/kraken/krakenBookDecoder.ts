import { latencyTrace, Stage } from '../../node/latencyTrace.ts';
import { L2Book } from '../book.ts';
import { BookFrameScanner, type BookFrameScannerOptions } from './bookFrameScanner.ts';
import { KrakenBook } from './krakenBook.ts';

// Frame text -> verified books, for a set of symbols at one depth: scans a v2 frame, applies
// each book message to its symbol's KrakenBook, verifies the checksum and publishes the top
// 20. A book is valid only from a snapshot that verified until a checksum fails; while
// invalid its updates are dropped (they cannot be trusted) and nothing is published for it.
// Pure (no I/O): the feed client wraps it around a socket, the benchmark calls applyFrame.
// Frames come as a range of the socket read they arrived in (applyFrameAt, fastest), a
// Buffer or a string.

/** applyFrame's answer for a frame of another channel (status, heartbeat, acks, pong). */
export const NOT_BOOK_FRAME = -1;

export interface BookDecoderListener {
  /** A verified book's top 20 changed (or it just became valid); the L2Book object is reused per symbol: copy what you keep. */
  onBook?(book: L2Book): void;
  /** A message's checksum did not match the book it produced; the book is now invalid. */
  onChecksumMismatch?(symbol: string, expected: number, computed: number): void;
}

interface SymbolBook {
  readonly book: KrakenBook;
  readonly top: L2Book;
  valid: boolean;
}

export class KrakenBookDecoder {
  readonly scanner: BookFrameScanner;
  /** Book messages whose checksum did not match. */
  checksumFailures = 0;
  /** Book messages for symbols this decoder does not hold, ignored. */
  unknownSymbolMessages = 0;
  private readonly books = new Map<string, SymbolBook>();
  /** The books in the order of the scanner's symbols, so a message finds its book by index. */
  private readonly byIndex: SymbolBook[] = [];
  /** Books not valid now, kept by setValid: the feed asks after every frame. */
  private invalid = 0;

  constructor(
    symbols: readonly string[],
    readonly depth: number,
    private readonly listener: BookDecoderListener = {},
    scannerOptions: BookFrameScannerOptions = {},
  ) {
    for (const symbol of symbols) {
      const top = new L2Book(symbol);
      top.valid = false;
      this.books.set(symbol, { book: new KrakenBook(symbol, depth), top, valid: false });
    }
    this.invalid = this.books.size;
    const known = [...this.books.keys()];
    this.scanner = new BookFrameScanner({ ...scannerOptions, symbols: known });
    for (const symbol of known) this.byIndex.push(this.books.get(symbol)!);
  }

  get symbols(): string[] {
    return [...this.books.keys()];
  }

  /**
   * Applies one frame. Returns the number of book messages applied (a snapshot, or an
   * update to a valid book), or NOT_BOOK_FRAME. Throws BookFrameError for an unreadable
   * book frame, before any book is touched.
   */
  applyFrame(frame: Buffer | string, recvNs = 0): number {
    const s = this.scanner;
    return (typeof frame === 'string' ? s.scanText(frame) : s.scan(frame)) ? this.applyScanned(recvNs) : NOT_BOOK_FRAME;
  }

  /** applyFrame() for a frame that is bytes [start, end) of a socket read (see WsFrameHandlers.onMessage). */
  applyFrameAt(buffer: Buffer, start: number, end: number, recvNs: number): number {
    return this.scanner.scanAt(buffer, start, end) ? this.applyScanned(recvNs) : NOT_BOOK_FRAME;
  }

  private applyScanned(recvNs: number): number {
    const s = this.scanner;
    if (latencyTrace.on) latencyTrace.mark(Stage.Parsed);
    const snapshot = s.type === 'snapshot';
    let applied = 0;
    for (let m = 0; m < s.messageCount; m++) {
      const index = s.symbolIndex[m];
      // A symbol the scanner could not match by its bytes (not ASCII) is looked up by name.
      const entry = index >= 0 ? this.byIndex[index] : this.books.get(s.symbols[m]);
      if (entry === undefined) {
        this.unknownSymbolMessages++;
        continue;
      }
      if (snapshot) entry.book.applySnapshot(s, s.bidStart[m], s.bidEnd[m], s.askStart[m], s.askEnd[m]);
      else if (entry.valid) entry.book.applyUpdate(s, s.bidStart[m], s.bidEnd[m], s.askStart[m], s.askEnd[m]);
      else continue;
      applied++;
      const computed = entry.book.checksum();
      const expected = s.checksums[m];
      if (computed !== expected) {
        this.checksumFailures++;
        this.setValid(entry, false);
        this.listener.onChecksumMismatch?.(entry.book.symbol, expected, computed);
        continue;
      }
      const wasValid = entry.valid;
      this.setValid(entry, true);
      // Only a changed top is published (as the sim venue does): at depths past 20 most
      // updates land below it, and the copy covers the changed levels alone.
      if (!entry.book.writeTopChanges(entry.top) && wasValid) continue;
      entry.top.recvNs = recvNs;
      if (latencyTrace.on) latencyTrace.mark(Stage.Applied);
      this.listener.onBook?.(entry.top);
    }
    return applied;
  }

  isValid(symbol: string): boolean {
    return this.books.get(symbol)?.valid ?? false;
  }

  /** Marks a symbol's book untrusted until its next snapshot verifies. */
  invalidate(symbol: string): void {
    const entry = this.books.get(symbol);
    if (entry !== undefined) this.setValid(entry, false);
  }

  invalidateAll(): void {
    for (const entry of this.books.values()) this.setValid(entry, false);
  }

  /** Symbols whose book cannot be trusted now. */
  invalidCount(): number {
    return this.invalid;
  }

  /** The full book of a symbol (for tests and diagnostics). */
  book(symbol: string): KrakenBook {
    const entry = this.books.get(symbol);
    if (entry === undefined) throw new Error(`no Kraken book for ${symbol}`);
    return entry.book;
  }

  private setValid(entry: SymbolBook, valid: boolean): void {
    if (entry.valid !== valid) this.invalid += valid ? -1 : 1;
    entry.valid = valid;
    entry.top.valid = valid;
    if (!valid) entry.book.clear();
  }
}
