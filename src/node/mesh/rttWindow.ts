/** Round trips kept per link: enough for a stable p99, small enough to sort on every stats() call. */
export const RTT_WINDOW_SIZE = 256;

/** The last RTT_WINDOW_SIZE ping/pong round trips of one link, in microseconds. */
export class RttWindow {
  private readonly samples = new Float64Array(RTT_WINDOW_SIZE);
  private count = 0;
  private next = 0;

  add(rttUs: number): void {
    this.samples[this.next] = rttUs;
    this.next = (this.next + 1) % RTT_WINDOW_SIZE;
    if (this.count < RTT_WINDOW_SIZE) this.count++;
  }

  /** Nearest-rank percentile (0 < q <= 1) in whole microseconds; 0 before the first sample. */
  percentileUs(q: number): number {
    if (this.count === 0) return 0;
    const sorted = this.samples.slice(0, this.count).sort();
    return Math.round(sorted[Math.min(this.count - 1, Math.ceil(q * this.count) - 1)]);
  }
}

/** A process-local monotonic clock in whole microseconds: the `t` a ping carries and its pong echoes. */
export function monotonicUs(): number {
  return Math.round(performance.now() * 1000);
}
