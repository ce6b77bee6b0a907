// Runs in the UI thread: renders the UI on the terminal's own handles (fd 0 and 1) from
// the snapshots the node posts, and posts the keys' intents back. Nothing here shares the
// trading thread's event loop, so a render never delays a book or an order.

import { constants, setPriority } from 'node:os';
import { PassThrough, Writable } from 'node:stream';
import tty from 'node:tty';
import { parentPort, workerData } from 'node:worker_threads';
import { FramePacer, UI_CPU_BUDGET, UI_MAX_FPS } from './framePacer.ts';
import { scheduleThisThreadWhenIdle } from './idleScheduling.ts';
import { pinThisThread } from './threadPlacement.ts';
import { mountUi } from './mountUi.tsx';
import { SnapshotReceiver } from './snapshotPassing.ts';
import type { ToUiThread, UiThreadOptions } from './uiThreadMessages.ts';
import type { ViewModel } from './viewModel.ts';

const port = parentPort!;
const options = workerData as UiThreadOptions;

// The UI must never take a core from the trading thread: on Linux it runs in the idle
// scheduling class (idleScheduling.ts). Where that cannot be had, a lower nice value: on
// Linux it belongs to the calling thread, so this lowers this thread only; elsewhere it
// may lower the process, which is why it is a modest step and its failure is ignored.
if (scheduleThisThreadWhenIdle() !== null) {
  try {
    setPriority(constants.priority.PRIORITY_BELOW_NORMAL);
  } catch {
    // Not permitted here: the UI runs at the node's priority.
  }
}
// And on CPUs of its own, apart from the trading thread's (threadPlacement.ts). Where
// taskset cannot pin it, it runs where the scheduler puts it, as without placement.
if (options.placement !== undefined) pinThisThread(options.placement.uiCpus);

const stdout = (options.offscreen === undefined ? new tty.WriteStream(1) : offscreenTerminal(options.offscreen.columns, options.offscreen.rows)) as unknown as NodeJS.WriteStream;
const stdin = (options.offscreen === undefined ? new tty.ReadStream(0) : offscreenKeyboard()) as unknown as NodeJS.ReadStream;

/** A keyboard nobody types on; Ink reads keys only from a stream that can be put in raw mode. */
function offscreenKeyboard(): PassThrough {
  return Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined, ref: () => undefined, unref: () => undefined });
}

/** A terminal of the given size that nobody sees (benchmarks measure the UI's work with it). */
function offscreenTerminal(columns: number, rows: number): Writable {
  const out = new Writable({ write: (_chunk, _encoding, done) => done() });
  return Object.assign(out, { columns, rows, isTTY: true });
}
const listeners = new Set<(vm: ViewModel) => void>();
const snapshots = new SnapshotReceiver();
let latest: ViewModel | null = null;
let framesDrawn = 0;
const frames = new FramePacer({
  budget: UI_CPU_BUDGET,
  minIntervalMs: 1000 / UI_MAX_FPS,
  draw: () => {
    framesDrawn++;
    for (const l of listeners) l(latest as ViewModel);
  },
});

const ui = mountUi(
  {
    subscribe: (onSnapshot) => {
      listeners.add(onSnapshot);
      return () => listeners.delete(onSnapshot);
    },
  },
  {
    halt: (cancelAll) => port.postMessage({ type: 'halt', cancelAll }),
    resume: () => port.postMessage({ type: 'resume' }),
    quit: () => port.postMessage({ type: 'quit' }),
  },
  { mode: options.mode, stdout, stdin },
);

port.on('message', (message: ToUiThread) => {
  if (message.type === 'snapshot') {
    // Every snapshot is received (its rings arrive as deltas); only the newest is drawn.
    latest = snapshots.receive(message);
    frames.offer();
    return;
  }
  if (message.type === 'resize') {
    stdout.columns = message.columns;
    stdout.rows = message.rows;
    stdout.emit('resize');
    return;
  }
  frames.stop();
  ui.unmount();
  stdin.destroy();
  port.postMessage({ type: 'drawn', frames: framesDrawn });
  port.close();
});
