import { PX_DECIMALS, POW10, QTY_DECIMALS } from '../node/fixedPoint.ts';
import { readCaptureV1, type CaptureFrame } from '../venues/kraken/captureV1.ts';
import type { SymbolMeta } from '../venues/venue.ts';
import { ReplaySourceError, type MarketSource, type RecordedFrame, type RecordedVenue } from './marketSource.ts';

// The real Kraken WS v1 capture (cryptofeed's KRAKEN.ws.50.0) as a replay source: captureV1
// turns it into the v2 frames Kraken sends today, with the wire's exact decimal text, so the
// replay goes through the live v2 decoder and verifies every checksum. The capture carries
// no market metadata: each symbol's tick and lot are the smallest steps its first snapshot
// prints (Kraken prints every price and quantity at the pair's fixed precision).

export function krakenCaptureSource(path: string): MarketSource {
  let captured: CaptureFrame[];
  try {
    captured = readCaptureV1(path);
  } catch (error) {
    throw new ReplaySourceError(`${path}: ${(error as Error).message}`);
  }
  if (captured.length === 0) throw new ReplaySourceError(`${path}: no book frames in this Kraken capture`);
  const depths = new Set(captured.map((f) => f.depth));
  if (depths.size !== 1) throw new ReplaySourceError(`${path}: books at several depths (${[...depths].join(', ')}); a replay needs one`);
  const meta = new Map<string, SymbolMeta>();
  for (const f of captured) if (f.type === 'snapshot' && !meta.has(f.symbol)) meta.set(f.symbol, metaFromSnapshot(f.text));
  const venue: RecordedVenue = { name: '', kind: 'kraken', depth: captured[0].depth, symbols: [...meta.keys()].sort(), meta };
  // Epoch milliseconds with microsecond digits: to nanoseconds, rounded, as a receive stamp.
  const frames: RecordedFrame[] = captured.map((f) => ({ venue: 0, recvNs: Math.round(f.recvEpochMs * 1e6), frame: f.text }));
  return {
    description: `Kraken v1 capture ${path}`,
    venues: [venue],
    frames: () => frames,
  };
}

/** The price and quantity grids a v2 snapshot's decimals show: 56119.00000 -> 5 decimals, tick 0.00001. */
export function metaFromSnapshot(text: string): SymbolMeta {
  const pricePrecision = maxDecimals(text, '"price":');
  const qtyPrecision = maxDecimals(text, '"qty":');
  const lot = POW10[QTY_DECIMALS - Math.min(qtyPrecision, QTY_DECIMALS)];
  return {
    tickSize1e9: POW10[PX_DECIMALS - Math.min(pricePrecision, PX_DECIMALS)],
    lotSize1e8: lot,
    minQty1e8: lot,
    minNotional1e9: 0,
    pricePrecision,
    qtyPrecision,
  };
}

function maxDecimals(text: string, key: string): number {
  let most = 0;
  for (let at = text.indexOf(key); at >= 0; at = text.indexOf(key, at + key.length)) {
    let i = at + key.length;
    while (i < text.length && text[i] !== '.' && text[i] !== ',' && text[i] !== '}') i++;
    if (text[i] !== '.') continue;
    let n = 0;
    for (i++; i < text.length && text[i] >= '0' && text[i] <= '9'; i++) n++;
    if (n > most) most = n;
  }
  return most;
}
