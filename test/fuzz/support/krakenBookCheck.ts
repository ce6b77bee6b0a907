import { crc32 } from 'node:zlib';
import type { BookSide, KrakenBook } from '../../../src/venues/kraken/krakenBook.ts';

// Checks on a Kraken book made without the code under test's own checksum: the CRC is
// recomputed here from the levels' wire text by VENUES.md section 2, so a fuzz property can
// tell a decoder that calls a book valid when it is not.

function checksumText(side: BookSide): string {
  let text = '';
  for (let i = 0; i < Math.min(10, side.count); i++) {
    text += side.priceText(i).replace('.', '').replace(/^0+/, '') + side.qtyText(i).replace('.', '').replace(/^0+/, '');
  }
  return text;
}

/** Kraken's CRC-32 over the top 10 asks then bids, from the levels' text. */
export function independentChecksum(book: KrakenBook): number {
  return crc32(checksumText(book.asks) + checksumText(book.bids)) >>> 0;
}

/** Why a side is not a well-formed book side (unsorted, duplicated, empty levels, past depth), or null. */
export function sideProblem(side: BookSide, depth: number): string | null {
  if (side.count > depth) return `${side.count} levels at depth ${depth}`;
  for (let i = 0; i < side.count; i++) {
    if (!(side.px1e9(i) > 0) || !(side.qty1e8(i) > 0)) return `level ${i} has price ${side.px1e9(i)} qty ${side.qty1e8(i)}`;
    if (i > 0 && (side.descending ? side.px1e9(i) >= side.px1e9(i - 1) : side.px1e9(i) <= side.px1e9(i - 1))) return `levels ${i - 1} and ${i} out of order`;
  }
  return null;
}

export interface SideCopy {
  count: number;
  px1e9: number[];
  qty1e8: number[];
  text: string[];
}

/** A deep copy of what a side holds, to compare after a refused frame. */
export function copySide(side: BookSide): SideCopy {
  const copy: SideCopy = { count: side.count, px1e9: [], qty1e8: [], text: [] };
  for (let i = 0; i < side.count; i++) {
    copy.px1e9.push(side.px1e9(i));
    copy.qty1e8.push(side.qty1e8(i));
  }
  // The digit text of the top levels (what the checksum reads) is compared too.
  for (let i = 0; i < Math.min(10, side.count); i++) copy.text.push(`${side.priceText(i)}@${side.qtyText(i)}`);
  return copy;
}
