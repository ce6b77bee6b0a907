/**
 * Wall-clock time in nanoseconds since the Unix epoch, as a JS number: exact to the
 * double's resolution at this magnitude (256 ns), which is below the clock's own accuracy.
 */
export function wallClockNs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1e6);
}
