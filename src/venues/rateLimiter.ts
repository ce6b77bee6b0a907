/**
 * A token bucket in front of a venue's order gateway: `capacity` requests at once, refilled
 * at `refillPerSec`. A request without a token is refused at once (the caller turns it
 * into a RATE_LIMIT reject) rather than queued, so a burst never becomes a backlog of
 * stale orders or a retry storm at the venue.
 */
export class RateLimiter {
  private tokens: number;
  private lastMs: number;

  constructor(
    readonly capacity: number,
    readonly refillPerSec: number,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    if (!(Number.isFinite(capacity) && capacity >= 1)) throw new RangeError(`rate limiter capacity must be >= 1, got ${capacity}`);
    if (!(Number.isFinite(refillPerSec) && refillPerSec > 0)) throw new RangeError(`rate limiter refill must be positive, got ${refillPerSec}`);
    this.tokens = capacity;
    this.lastMs = nowMs();
  }

  /** Takes one token when there is one. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Whole requests that would pass right now. */
  headroom(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  private refill(): void {
    const now = this.nowMs();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.lastMs) * this.refillPerSec) / 1000);
    this.lastMs = now;
  }
}
