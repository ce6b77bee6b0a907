// The node posts a snapshot to the UI thread about 30 times a second, and the structured
// clone of it is paid on the trading thread (measured: about 125 us for a full blotter and
// log, every frame). The blotter, the logs and the recent mesh messages are rings that
// only ever gain rows at the end and lose them at the front, by a row or two per frame; so
// only their new rows travel, and the UI thread rebuilds each ring from its own copy.

/** What travels for one ring: the rows after the last one sent, or all of them (reset). */
export interface RingPart<T> {
  rows: T[];
  /** The receiver starts over from `rows`: the sender's last row has left the ring. */
  reset: boolean;
  /** The ring's length at the sender; the receiver keeps this many of its newest rows. */
  length: number;
}

/**
 * The sending side, for one ring whose rows are kept as the same objects from snapshot to
 * snapshot (the publisher's rings are): the last row sent is found again by identity.
 */
export class RingSender<T extends object> {
  private last: T | undefined;

  part(rows: readonly T[]): RingPart<T> {
    const previous = this.last;
    this.last = rows[rows.length - 1];
    if (previous !== undefined) {
      for (let i = rows.length - 1; i >= 0; i--) {
        if (rows[i] === previous) return { rows: rows.slice(i + 1), reset: false, length: rows.length };
      }
    }
    return { rows: rows.slice(), reset: true, length: rows.length };
  }
}

/** The receiving side: the ring as the sender holds it, rebuilt from the parts in order. */
export class RingReceiver<T> {
  private rows: T[] = [];

  apply(part: RingPart<T>): T[] {
    const joined = part.reset ? part.rows : part.rows.length === 0 ? this.rows : this.rows.concat(part.rows);
    this.rows = joined.length > part.length ? joined.slice(joined.length - part.length) : joined;
    return this.rows;
  }
}
