import type { EngineTime } from '../node/engine.ts';

// The clock of a replay: the recording's receive times, advanced by the replay driver and
// never by the wall. It also runs what is due at a time: the engine's periodic checks
// (heartbeat, health) and the replay venue's order arrivals, in time order (ties in the
// order they were scheduled), each at its own time, so a run depends on its inputs only.

interface Task {
  dueNs: number;
  /** Scheduling order: breaks ties between tasks due at the same time. */
  seq: number;
  /** 0 for a one-shot task. */
  periodNs: number;
  fn: () => void;
  stopped: boolean;
}

/** One-shot tasks waiting at most; `at` refuses more (the caller rejects what it cannot schedule). */
export const MAX_PENDING_TASKS = 65_536;

export class ReplayClock implements EngineTime {
  readonly deterministic = true;
  private heap: Task[] = [];
  private seq = 0;
  private oneShots = 0;

  /** Nanoseconds since the Unix epoch, as the recording gives it. */
  constructor(public nowNs: number) {}

  readonly nowNsFn = (): number => this.nowNs;

  nowMs(): number {
    return Math.floor(this.nowNs / 1e6);
  }

  every(periodMs: number, fn: () => void): () => void {
    if (!(periodMs > 0)) throw new RangeError(`a period must be positive, got ${periodMs} ms`);
    const task: Task = { dueNs: this.nowNs + periodMs * 1e6, seq: this.seq++, periodNs: periodMs * 1e6, fn, stopped: false };
    this.push(task);
    return () => {
      task.stopped = true;
    };
  }

  /** Runs `fn` when the clock reaches `dueNs` (at once, on the next runNext, if it is already past). False when too many are waiting. */
  at(dueNs: number, fn: () => void): boolean {
    if (this.oneShots >= MAX_PENDING_TASKS) return false;
    this.oneShots++;
    this.push({ dueNs: Math.max(dueNs, this.nowNs), seq: this.seq++, periodNs: 0, fn, stopped: false });
    return true;
  }

  /** The due time of the next live task, or Infinity. */
  nextDueNs(): number {
    this.dropStopped();
    return this.heap.length === 0 ? Infinity : this.heap[0].dueNs;
  }

  /**
   * Runs the earliest task due at or before `untilNs`, with the clock at its due time, and
   * says whether one ran. The driver lets the work a task caused settle before the next.
   */
  runNext(untilNs: number): boolean {
    this.dropStopped();
    const task = this.heap[0];
    if (task === undefined || task.dueNs > untilNs) return false;
    this.pop();
    if (task.dueNs > this.nowNs) this.nowNs = task.dueNs;
    if (task.periodNs > 0) {
      task.dueNs += task.periodNs;
      task.seq = this.seq++;
      this.push(task);
    } else {
      this.oneShots--;
    }
    task.fn();
    return true;
  }

  /** Moves the clock to `tNs` once nothing before it is due; it never goes back (a recording's out-of-order stamp keeps the clock where it is). */
  advanceTo(tNs: number): void {
    if (tNs > this.nowNs) this.nowNs = tNs;
  }

  private dropStopped(): void {
    while (this.heap.length > 0 && this.heap[0].stopped) this.pop();
  }

  private push(task: Task): void {
    const h = this.heap;
    h.push(task);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop() as Task;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l], h[m])) m = l;
      if (r < h.length && before(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}

function before(a: Task, b: Task): boolean {
  return a.dueNs < b.dueNs || (a.dueNs === b.dueNs && a.seq < b.seq);
}
