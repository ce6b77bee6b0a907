import { spawnSync } from 'node:child_process';
import { thisThreadId } from './threadPlacement.ts';

// The UI thread must not take CPU from the trading thread. A lower nice value only
// weights the share; on a 2-core machine a frame (several ms of layout) still runs while
// a book waits, and book-to-quote p99 stayed several times its value without the UI.
// Linux's SCHED_IDLE class runs a thread only on CPU time no normal thread wants, and a
// normal thread that wakes preempts it at once (measured: that p99 about 3x lower). Node
// has no call for it, so `chrt --idle` (util-linux) sets it for the calling thread, which
// /proc/thread-self names.

/** Puts the calling thread in SCHED_IDLE; null when done, else why not (the caller keeps its nice value). */
export function scheduleThisThreadWhenIdle(): string | null {
  const thread = thisThreadId();
  if ('problem' in thread) return thread.problem;
  const chrt = spawnSync('chrt', ['--idle', '-p', '0', thread.tid], { encoding: 'utf8', timeout: 5_000 });
  if (chrt.error !== undefined) return `chrt could not run: ${chrt.error.message}`;
  if (chrt.status !== 0) return `chrt --idle failed: ${chrt.stderr.trim()}`;
  return null;
}
