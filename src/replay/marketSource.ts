import type { SymbolMeta } from '../venues/venue.ts';

// What a replay reads: one or more recorded venues and their frames, merged in receive
// order. Sources: the node's own recordings (recordingFile.ts) and the real Kraken v1
// capture (krakenCaptureSource.ts).

export interface RecordedVenue {
  /** The venue's `[venues.NAME]` when the node recorded it; '' for a capture from elsewhere. */
  name: string;
  kind: 'kraken' | 'coinbase';
  /** The book depth the frames were subscribed at (Kraken's checksum needs it); 0 when it does not matter. */
  depth: number;
  symbols: readonly string[];
  meta: ReadonlyMap<string, SymbolMeta>;
}

export interface RecordedFrame {
  /** Index into MarketSource.venues. */
  venue: number;
  /** Receive time, nanoseconds since the Unix epoch. */
  recvNs: number;
  /** The frame as received. */
  frame: Buffer | string;
}

export interface MarketSource {
  /** What the data is, for the report: a path and a format. */
  readonly description: string;
  readonly venues: readonly RecordedVenue[];
  /** The frames in receive order; each call starts from the beginning. */
  frames(): Iterable<RecordedFrame>;
}

/** A source that cannot be read, or does not fit the config it is replayed with. */
export class ReplaySourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplaySourceError';
  }
}
