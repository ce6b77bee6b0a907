// The UI thread draws the newest snapshot at most ~30 times a second and, on a machine
// where a frame costs more, less often: after each frame it waits until the thread's own
// busy time since the previous frame is within its CPU budget. On a 2-core box a frame of
// Ink layout and output costs several ms; drawn 30 times a second that took a third of a
// core from a node whose trading thread needs one. Snapshots are never queued: a newer one
// replaces the one waiting, and keys are not paced (they render at once through React).

import { performance } from 'node:perf_hooks';

/** The share of one core a UI process or thread may spend drawing, and its fastest frame rate. */
export const UI_CPU_BUDGET = 0.2;
export const UI_MAX_FPS = 30;

export interface FramePacerOptions {
  /** Share of one core the thread may spend, e.g. 0.2. */
  budget: number;
  /** The fastest frame rate's interval. */
  minIntervalMs: number;
  /** Draws one frame. */
  draw: () => void;
  /** Monotonic ms, and this thread's busy ms so far (performance.eventLoopUtilization().active). */
  nowMs?: () => number;
  activeMs?: () => number;
  /** Runs fn after ms; returns its cancel (default setTimeout). */
  after?: (fn: () => void, ms: number) => () => void;
}

function afterTimeout(fn: () => void, ms: number): () => void {
  const timer = setTimeout(fn, ms);
  return () => clearTimeout(timer);
}

/**
 * When the next frame may be drawn: after the fastest interval, and after as long as it
 * takes for the busy time since the last frame to fall within the budget.
 */
export function nextFrameAtMs(lastFrameAtMs: number, busyMsSinceLastFrame: number, budget: number, minIntervalMs: number): number {
  return lastFrameAtMs + Math.max(minIntervalMs, busyMsSinceLastFrame / budget);
}

export class FramePacer {
  private readonly nowMs: () => number;
  private readonly activeMs: () => number;
  private lastFrameAtMs = -Infinity;
  private activeAtLastFrameMs = 0;
  private pending = false;
  private readonly after: (fn: () => void, ms: number) => () => void;
  private cancelTimer: (() => void) | null = null;
  private stopped = false;

  constructor(private readonly options: FramePacerOptions) {
    if (!(options.budget > 0 && options.budget <= 1)) throw new RangeError(`the UI's CPU budget must be in (0, 1], got ${options.budget}`);
    this.nowMs = options.nowMs ?? (() => performance.now());
    this.activeMs = options.activeMs ?? (() => performance.eventLoopUtilization().active);
    this.after = options.after ?? afterTimeout;
  }

  /** A new snapshot is waiting: drawn now if the budget allows, else when it does. */
  offer(): void {
    if (this.stopped) return;
    this.pending = true;
    if (this.cancelTimer === null) this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  /** Draws if the budget allows, else waits; the budget is checked again when the wait ends, since the last frame's rendering may have gone on after it was drawn. */
  private schedule(): void {
    const dueMs = nextFrameAtMs(this.lastFrameAtMs, this.activeMs() - this.activeAtLastFrameMs, this.options.budget, this.options.minIntervalMs);
    const waitMs = dueMs - this.nowMs();
    if (waitMs <= 0) this.drawNow();
    else this.cancelTimer = this.after(this.onTimer, Math.ceil(waitMs));
  }

  private readonly onTimer = (): void => {
    this.cancelTimer = null;
    if (this.pending && !this.stopped) this.schedule();
  };

  private drawNow(): void {
    this.pending = false;
    this.lastFrameAtMs = this.nowMs();
    this.activeAtLastFrameMs = this.activeMs();
    this.options.draw();
  }
}
