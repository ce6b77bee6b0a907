import { L2Book } from '../venues/book.ts';
import { CoinbaseBookDecoder } from '../venues/coinbase/coinbaseBookDecoder.ts';
import { toProductId } from '../venues/coinbase/productId.ts';
import { KrakenBookDecoder } from '../venues/kraken/krakenBookDecoder.ts';

// Recorded frames -> books, through the same decoders the live feeds use, so a replay
// reads the venue's wire exactly as the node did (a Kraken checksum that fails in the
// recording fails here too, and the book stays invalid until the next snapshot).

/** `continuous`: the book follows its previous state by an update (false for a snapshot). */
export type RecordedBookListener = (book: L2Book, continuous: boolean) => void;

export interface RecordedBooks {
  /** Applies one frame as received; calls back for each verified book it changed. Throws on an unreadable frame. */
  apply(frame: Buffer | string, recvNs: number, onBook: RecordedBookListener): void;
  /** Book messages that failed verification (a Kraken checksum mismatch). */
  readonly failures: number;
}

/** Kraken WS v2 `book` frames at the depth they were subscribed with (the checksum needs it). */
export class KrakenRecordedBooks implements RecordedBooks {
  private readonly decoder: KrakenBookDecoder;
  private onBook: RecordedBookListener = () => {};

  constructor(symbols: readonly string[], depth: number) {
    // The scanner holds the frame being applied when the decoder calls back.
    this.decoder = new KrakenBookDecoder(symbols, depth, { onBook: (book) => this.onBook(book, this.decoder.scanner.type === 'update') });
  }

  get failures(): number {
    return this.decoder.checksumFailures;
  }

  apply(frame: Buffer | string, recvNs: number, onBook: RecordedBookListener): void {
    this.onBook = onBook;
    this.decoder.applyFrame(frame, recvNs);
  }
}

/** Coinbase Advanced Trade `l2_data` frames; the node symbol BTC/USD is the product BTC-USD. */
export class CoinbaseRecordedBooks implements RecordedBooks {
  readonly failures = 0;
  private readonly decoder: CoinbaseBookDecoder;
  private readonly tops: { productId: string; top: L2Book; wasLoaded: boolean }[];

  constructor(symbols: readonly string[]) {
    this.tops = symbols.map((symbol) => ({ productId: toProductId(symbol), top: new L2Book(symbol), wasLoaded: false }));
    this.decoder = new CoinbaseBookDecoder(this.tops.map((t) => t.productId));
  }

  apply(frame: Buffer | string, recvNs: number, onBook: RecordedBookListener): void {
    const scanner = this.decoder.scan(typeof frame === 'string' ? frame : frame.toString('utf8'));
    let snapshot = false;
    for (let e = 0; e < scanner.eventCount; e++) if (scanner.eventSnapshot[e] === 1) snapshot = true;
    this.decoder.applyScanned();
    for (const t of this.tops) {
      const book = this.decoder.book(t.productId);
      if (!book.loaded || !book.topChanged) continue;
      book.writeTop(t.top);
      t.top.recvNs = recvNs;
      t.top.valid = true;
      onBook(t.top, t.wasLoaded && !snapshot);
      t.wasLoaded = true;
    }
  }
}
