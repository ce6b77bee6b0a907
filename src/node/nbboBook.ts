import type { NbboFields } from '../wasm/structs.ts';

/** One source's best bid and offer for a symbol: a local venue, or a venue a mesh peer reports. */
export interface Top {
  bidPx1e9: number;
  bidSz1e8: number;
  askPx1e9: number;
  askSz1e8: number;
}

/**
 * The cross-venue best bid and offer per symbol. Sources (keyed by venue name, each with
 * its ABI venue id) report their top of book; `take()` hands out, once, each symbol whose
 * NBBO changed since the last take, so a burst of book updates gives one call with the
 * latest state.
 */
export class NbboBook {
  private readonly tops = new Map<string, Map<string, Top & { venueId: number }>>();
  private readonly current = new Map<string, NbboFields>();
  private readonly dirty = new Set<string>();

  /** Records a source's top; returns true when it differs from what that source last reported. */
  update(symbol: string, venue: string, venueId: number, top: Top): boolean {
    let bySource = this.tops.get(symbol);
    if (bySource === undefined) {
      bySource = new Map();
      this.tops.set(symbol, bySource);
    }
    const prev = bySource.get(venue);
    if (prev !== undefined && prev.bidPx1e9 === top.bidPx1e9 && prev.bidSz1e8 === top.bidSz1e8 && prev.askPx1e9 === top.askPx1e9 && prev.askSz1e8 === top.askSz1e8) return false;
    bySource.set(venue, { ...top, venueId });
    this.dirty.add(symbol);
    return true;
  }

  /** Forgets a source (a peer that left): its venues no longer count. */
  remove(venue: string): void {
    for (const [symbol, bySource] of this.tops) if (bySource.delete(venue)) this.dirty.add(symbol);
  }

  get pending(): boolean {
    return this.dirty.size > 0;
  }

  /** The symbols whose NBBO changed since the last take, with the new NBBO; clears them. */
  take(symbolId: (symbol: string) => number, recvNs: number): { symbol: string; nbbo: NbboFields }[] {
    const changed: { symbol: string; nbbo: NbboFields }[] = [];
    for (const symbol of this.dirty) {
      const next = this.compute(symbol, symbolId(symbol), recvNs);
      const prev = this.current.get(symbol);
      if (prev !== undefined && prev.bidPx1e9 === next.bidPx1e9 && prev.askPx1e9 === next.askPx1e9 && prev.bidSz1e8 === next.bidSz1e8 && prev.askSz1e8 === next.askSz1e8 && prev.venueCount === next.venueCount) continue;
      this.current.set(symbol, next);
      changed.push({ symbol, nbbo: next });
    }
    this.dirty.clear();
    return changed;
  }

  get(symbol: string): NbboFields | undefined {
    return this.current.get(symbol);
  }

  private compute(symbol: string, symbolId: number, recvNs: number): NbboFields {
    const n: NbboFields = { bidPx1e9: 0, bidSz1e8: 0, askPx1e9: 0, askSz1e8: 0, bidVenue: 0, askVenue: 0, symbolId, recvNs, venueCount: 0 };
    for (const top of this.tops.get(symbol)?.values() ?? []) {
      n.venueCount++;
      if (top.bidPx1e9 > n.bidPx1e9) {
        n.bidPx1e9 = top.bidPx1e9;
        n.bidSz1e8 = top.bidSz1e8;
        n.bidVenue = top.venueId;
      }
      if (top.askPx1e9 > 0 && (n.askPx1e9 === 0 || top.askPx1e9 < n.askPx1e9)) {
        n.askPx1e9 = top.askPx1e9;
        n.askSz1e8 = top.askSz1e8;
        n.askVenue = top.venueId;
      }
    }
    return n;
  }
}
