import type { ThreadPlacement } from './threadPlacement.ts';
import type { PassedSnapshot } from './snapshotPassing.ts';

/** From the node to the UI thread. */
export type ToUiThread =
  | ({ type: 'snapshot' } & PassedSnapshot)
  /** The terminal was resized: signals (SIGWINCH) reach only the main thread. */
  | { type: 'resize'; columns: number; rows: number }
  | { type: 'unmount' };

/** From the UI thread to the node: the keys' intents. */
export type FromUiThread =
  | { type: 'halt'; cancelAll: boolean }
  | { type: 'resume' }
  | { type: 'quit' }
  /** Sent as the thread ends: how many frames it drew (benchmarks report the frame rate). */
  | { type: 'drawn'; frames: number };

export interface UiThreadOptions {
  mode: 'local' | 'attached';
  /** Render into an invisible terminal of this size instead of the process's own (benchmarks). */
  offscreen?: { columns: number; rows: number };
  /** Run the thread on the placement's UI CPUs, apart from the trading thread's (threadPlacement.ts). */
  placement?: ThreadPlacement;
}
