import type { MeshNbbo, MeshTop } from './meshProtocol.ts';

/** (venue, symbol) tops one node may publish: bounds the coordinator's book per peer. */
export const MAX_TOPS_PER_SOURCE = 1024;

interface SourceTop {
  source: string;
  top: MeshTop;
}

/**
 * The cross-venue best bid and offer per symbol, from the tops of every venue a node sees
 * (the engine feeds its own venues; the mesh coordinator feeds every node's). Pure state:
 * callers feed tops and take the changes at their own pace, so a burst of updates becomes
 * one change per symbol. Each (source, venue) keeps its own entry, so two nodes on the same
 * venue do not overwrite each other, a node that leaves takes only its own tops with it,
 * and venues are counted by name (several sim venues share one ABI venue id).
 */
export class NbboAggregator {
  private readonly bySymbol = new Map<string, Map<string, SourceTop>>();
  private readonly countBySource = new Map<string, number>();
  private readonly published = new Map<string, MeshNbbo>();
  private readonly dirty = new Set<string>();
  /** Entry keys by source and venue, made once: setTop runs on every book update. */
  private readonly keys = new Map<string, Map<string, string>>();

  /**
   * Records a top (both sides zero withdraws it). Returns 'unchanged' when it is what the
   * source last said for that venue, 'full' when the source is at MAX_TOPS_PER_SOURCE and
   * this would be a new entry.
   */
  setTop(source: string, top: MeshTop): 'changed' | 'unchanged' | 'full' {
    const key = this.keyOf(source, top.venue);
    let entries = this.bySymbol.get(top.symbol);
    const empty = top.bidPx1e9 === 0 && top.askPx1e9 === 0;
    if (empty) {
      if (entries?.delete(key) === true) {
        this.countBySource.set(source, (this.countBySource.get(source) ?? 1) - 1);
        if (entries.size === 0) this.bySymbol.delete(top.symbol);
        this.dirty.add(top.symbol);
        return 'changed';
      }
      return 'unchanged';
    }
    if (entries === undefined) {
      entries = new Map();
      this.bySymbol.set(top.symbol, entries);
    }
    const stored = entries.get(key);
    if (stored === undefined) {
      const count = this.countBySource.get(source) ?? 0;
      if (count >= MAX_TOPS_PER_SOURCE) {
        if (entries.size === 0) this.bySymbol.delete(top.symbol);
        return 'full';
      }
      this.countBySource.set(source, count + 1);
      entries.set(key, { source, top: { ...top } });
    } else {
      const t = stored.top;
      if (t.bidPx1e9 === top.bidPx1e9 && t.bidSz1e8 === top.bidSz1e8 && t.askPx1e9 === top.askPx1e9 && t.askSz1e8 === top.askSz1e8 && t.venueId === top.venueId) return 'unchanged';
      // Updated in place: a book update allocates nothing here.
      t.venueId = top.venueId;
      t.bidPx1e9 = top.bidPx1e9;
      t.bidSz1e8 = top.bidSz1e8;
      t.askPx1e9 = top.askPx1e9;
      t.askSz1e8 = top.askSz1e8;
    }
    this.dirty.add(top.symbol);
    return 'changed';
  }

  /** Forgets every top a source published (it disconnected). */
  dropSource(source: string): void {
    for (const [symbol, entries] of this.bySymbol) {
      for (const [key, entry] of entries) {
        if (entry.source !== source) continue;
        entries.delete(key);
        this.dirty.add(symbol);
      }
      if (entries.size === 0) this.bySymbol.delete(symbol);
    }
    this.countBySource.delete(source);
    this.keys.delete(source);
  }

  private keyOf(source: string, venue: string): string {
    let byVenue = this.keys.get(source);
    if (byVenue === undefined) {
      byVenue = new Map();
      this.keys.set(source, byVenue);
    }
    let key = byVenue.get(venue);
    if (key === undefined) {
      key = source + '\u0000' + venue;
      byVenue.set(venue, key);
    }
    return key;
  }

  nbboOf(symbol: string): MeshNbbo | undefined {
    return this.published.get(symbol);
  }

  /** Every symbol's last-taken NBBO: what a newly joined node needs to start from. */
  snapshot(): [string, MeshNbbo][] {
    return [...this.published];
  }

  /**
   * The symbols whose NBBO differs from what the last call returned, with the new NBBO.
   * A symbol with no tops left comes back once as an empty NBBO (venueCount 0).
   */
  takeChanges(): [string, MeshNbbo][] {
    const changes: [string, MeshNbbo][] = [];
    for (const symbol of this.dirty) {
      const next = this.compute(symbol);
      const prev = this.published.get(symbol);
      if (prev !== undefined && sameNbbo(prev, next)) continue;
      if (prev === undefined && next.venueCount === 0) continue;
      if (next.venueCount === 0) this.published.delete(symbol);
      else this.published.set(symbol, next);
      changes.push([symbol, next]);
    }
    this.dirty.clear();
    return changes;
  }

  private compute(symbol: string): MeshNbbo {
    const n: MeshNbbo = { bidPx1e9: 0, bidSz1e8: 0, askPx1e9: 0, askSz1e8: 0, bidVenue: 0, askVenue: 0, venueCount: 0 };
    const entries = this.bySymbol.get(symbol);
    if (entries === undefined) return n;
    const venues = new Set<string>();
    for (const { top } of entries.values()) {
      venues.add(top.venue);
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
    n.venueCount = venues.size;
    return n;
  }
}

function sameNbbo(a: MeshNbbo, b: MeshNbbo): boolean {
  return a.bidPx1e9 === b.bidPx1e9 && a.bidSz1e8 === b.bidSz1e8 && a.askPx1e9 === b.askPx1e9 && a.askSz1e8 === b.askSz1e8 && a.bidVenue === b.bidVenue && a.askVenue === b.askVenue && a.venueCount === b.venueCount;
}
