import { spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync, stat } from 'node:fs';

// Where the trading thread and the UI thread run when `sequence run` draws the UI in the
// node's own process: on different CPUs. Left to the scheduler, the trading thread woke on
// whichever CPU was free, often the one the UI had just filled with its frame's data, and
// book-to-quote p99 with the UI drawing was 2 to 3 times its value without; with the
// trading thread on one CPU and the UI thread on the others it was 0.8 to 1.3 times, over
// six runs of the benchmark (BENCHMARKS.md). Without the UI the node pins nothing: a
// headless trading thread pinned to one CPU waited there behind the process's other
// threads (its p99 rose by more than half).
//
// The trading thread takes the last CPU the process may use (CPU 0 usually takes the
// machine's interrupts), the UI thread the rest. An affinity set from outside
// (`taskset -c 2,3 sequence run`) is kept: the split is made within it. Linux only; it
// needs taskset from util-linux, and where either is missing nothing is pinned.

export interface ThreadPlacement {
  tradingCpu: number;
  uiCpus: number[];
}

/** Parses a kernel CPU list ("0-3,8,10-11"), ascending and without repeats. */
export function parseCpuList(text: string): number[] {
  const cpus = new Set<number>();
  for (const part of text.trim().split(',')) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (range === null) throw new RangeError(`not a CPU list: "${text.trim()}" (expected e.g. 0-3,8)`);
    const first = Number(range[1]);
    const last = range[2] === undefined ? first : Number(range[2]);
    if (last < first) throw new RangeError(`not a CPU list: "${text.trim()}" (range ${part} runs backwards)`);
    for (let cpu = first; cpu <= last; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** The split for a process allowed on `allowed`: null when there is a single CPU to share. */
export function planPlacement(allowed: readonly number[]): ThreadPlacement | null {
  if (allowed.length < 2) return null;
  const sorted = [...allowed].sort((a, b) => a - b);
  return { tradingCpu: sorted[sorted.length - 1], uiCpus: sorted.slice(0, -1) };
}

/** The kernel's id of the calling thread (for taskset and chrt), or why it is not known. */
export function thisThreadId(): { tid: string } | { problem: string } {
  if (process.platform !== 'linux') return { problem: `thread ids are read from /proc, on Linux only (this is ${process.platform})` };
  let tid: string;
  try {
    tid = readlinkSync('/proc/thread-self').split('/').pop() ?? '';
  } catch (error) {
    return { problem: `/proc/thread-self is not readable: ${(error as Error).message}` };
  }
  return /^[0-9]+$/.test(tid) ? { tid } : { problem: `/proc/thread-self does not name a thread: ${tid}` };
}

/** The CPUs the calling thread may run on, or why they are not known. */
export function cpusOfThisThread(): number[] | string {
  if (process.platform !== 'linux') return `CPU affinity is read on Linux only (this is ${process.platform})`;
  try {
    const line = /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync('/proc/thread-self/status', 'utf8'));
    return line === null ? '/proc/thread-self/status has no Cpus_allowed_list' : parseCpuList(line[1]);
  } catch (error) {
    return (error as Error).message;
  }
}

/** Restricts the calling thread to `cpus`; null when done, else why not (nothing changed). */
export function pinThisThread(cpus: readonly number[]): string | null {
  const thread = thisThreadId();
  if ('problem' in thread) return thread.problem;
  const taskset = spawnSync('taskset', ['-p', '-c', cpus.join(','), thread.tid], { encoding: 'utf8', timeout: 5_000 });
  if (taskset.error !== undefined) return `taskset could not run: ${taskset.error.message}`;
  if (taskset.status !== 0) return `taskset failed: ${taskset.stderr.trim()}`;
  return null;
}

/**
 * Pins the calling (trading) thread to the placement's trading CPU; returns the function
 * that gives it back the CPUs it had, or why nothing was pinned.
 */
export function pinTradingThread(placement: ThreadPlacement): (() => void) | string {
  const before = cpusOfThisThread();
  if (typeof before === 'string') return before;
  // A new thread inherits the affinity of the thread that creates it, and libuv creates
  // its pool (file system, crypto, DNS) on the first request made to it: one request now
  // makes the pool before this thread is pinned, so that work never queues on this CPU.
  stat('.', () => {});
  const problem = pinThisThread([placement.tradingCpu]);
  if (problem !== null) return problem;
  return () => {
    pinThisThread(before);
  };
}

/** The split for the CPUs the calling thread may use (those the process was started with), or why there is none. */
export function placementForThisThread(): ThreadPlacement | string {
  const cpus = cpusOfThisThread();
  if (typeof cpus === 'string') return cpus;
  return planPlacement(cpus) ?? `one CPU to share (${cpus.join(',')}): nothing to place apart`;
}
