/**
 * Snapshots waiting for one slow client, newest kept. A snapshot is the whole picture, so a
 * viewer that falls behind loses nothing by skipping to the newest; holding the older ones
 * would only let a client that never reads grow the node's memory. The buffers are shared
 * with every other client (serialised once per publish), so the cap bounds references, and
 * the node's memory per client is at most `capacity` snapshots.
 */
export class SnapshotOutbox {
  private readonly queued: Buffer[] = [];
  private droppedCount = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`snapshot outbox capacity must be a positive integer, got ${capacity}`);
  }

  /** Queues a snapshot, dropping the oldest one when full. */
  push(snapshot: Buffer): void {
    if (this.queued.length === this.capacity) {
      this.queued.shift();
      this.droppedCount++;
    }
    this.queued.push(snapshot);
  }

  /** The oldest queued snapshot, removed; undefined when empty. */
  take(): Buffer | undefined {
    return this.queued.shift();
  }

  /** Forgets everything queued (the client unsubscribed); already dropped stays counted. */
  clear(): void {
    this.queued.length = 0;
  }

  get length(): number {
    return this.queued.length;
  }

  /** Snapshots discarded because the client did not keep up. */
  get dropped(): number {
    return this.droppedCount;
  }
}
