// The node's clock. During journal replay it returns the replayed record's time, so an
// algorithm that reads time only through here replays deterministically.

import { host_now_ns } from "./host";

/** Nanoseconds since the Unix epoch. */
export function nowNs(): u64 {
  return <u64>host_now_ns();
}
