import type { BookFrameScanner } from '../../src/venues/kraken/bookFrameScanner.ts';

/** Everything the Kraken scanner leaves for a frame, to compare two reads of it. */
export function scannedEntries(s: BookFrameScanner): unknown[] {
  const out: unknown[] = [s.type, s.messageCount];
  for (let m = 0; m < s.messageCount; m++) out.push(s.symbols[m], s.symbolIndex[m], s.checksums[m], s.bidStart[m], s.bidEnd[m], s.askStart[m], s.askEnd[m]);
  for (let i = 0; i < s.entryCount; i++) {
    out.push(s.px1e9[i], s.qty1e8[i], s.pxDigits[i], s.qtyDigits[i], s.pxZeros[i], s.qtyZeros[i], s.pxDecimals[i], s.qtyDecimals[i], s.textLength[i]);
    if (s.textLength[i] !== 255) out.push(s.textCrc[i]);
  }
  return out;
}
