/**
 * Jittered exponential backoff for reconnects: the n-th wait in a row is drawn uniformly
 * from [ceiling/2, ceiling], where ceiling = min(maxMs, minMs * 2^n). The jitter spreads
 * many clients' retries apart (venues rate-limit connection attempts per IP); the bound
 * keeps a long outage from growing the wait without limit. reset() after a connection
 * has proved healthy.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    readonly minMs: number,
    readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {
    if (!(Number.isFinite(minMs) && minMs > 0)) throw new RangeError(`backoff minMs must be positive, got ${minMs}`);
    if (!(Number.isFinite(maxMs) && maxMs >= minMs)) throw new RangeError(`backoff maxMs must be >= minMs, got ${maxMs}`);
  }

  /** The next wait, in milliseconds; each call doubles the ceiling up to maxMs. */
  nextDelayMs(): number {
    const ceilingMs = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return ceilingMs / 2 + (this.random() * ceilingMs) / 2;
  }

  /** Consecutive failures since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
