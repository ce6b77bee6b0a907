/**
 * Counts events in the last second with a fixed ring of timestamps: `full(now)` is true
 * when `limit` events already happened within the past 1000 ms. Allocates nothing after
 * construction; a limit of 0 means unlimited.
 */
export class RateWindow {
  private readonly times: Float64Array;
  private head = 0;
  private size = 0;

  constructor(readonly limit: number) {
    this.times = new Float64Array(Math.max(1, limit));
  }

  /** True when one more event now would exceed the limit. */
  full(nowMs: number): boolean {
    if (this.limit === 0 || this.size < this.limit) return false;
    return nowMs - this.times[this.head] < 1000;
  }

  record(nowMs: number): void {
    if (this.limit === 0) return;
    this.times[this.head] = nowMs;
    this.head = (this.head + 1) % this.limit;
    if (this.size < this.limit) this.size++;
  }
}
