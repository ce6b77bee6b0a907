import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';

// The UI thread must not take CPU from the trading thread. A lower nice value only
// weights the share; on a 2-core machine a frame (several ms of layout) still runs while
// a book waits, and book-to-quote p99 stayed several times its value without the UI.
// Linux's SCHED_IDLE class runs a thread only on CPU time no normal thread wants, and a
// normal thread that wakes preempts it at once (measured: that p99 about 3x lower). Node
// has no call for it, so `chrt --idle` (util-linux) sets it for the calling thread, which
// /proc/thread-self names.

/** Puts the calling thread in SCHED_IDLE; null when done, else why not (the caller keeps its nice value). */
export function scheduleThisThreadWhenIdle(): string | null {
  if (process.platform !== 'linux') return `SCHED_IDLE is Linux's (this is ${process.platform})`;
  let tid: string;
  try {
    tid = readlinkSync('/proc/thread-self').split('/').pop() ?? '';
  } catch (error) {
    return `/proc/thread-self is not readable: ${(error as Error).message}`;
  }
  if (!/^[0-9]+$/.test(tid)) return `/proc/thread-self does not name a thread: ${tid}`;
  const chrt = spawnSync('chrt', ['--idle', '-p', '0', tid], { encoding: 'utf8', timeout: 5_000 });
  if (chrt.error !== undefined) return `chrt could not run: ${chrt.error.message}`;
  if (chrt.status !== 0) return `chrt --idle failed: ${chrt.stderr.trim()}`;
  return null;
}
