import { Worker } from 'node:worker_threads';
import { SnapshotSender } from './snapshotPassing.ts';
import { pinTradingThread, placementForThisThread } from './threadPlacement.ts';
import type { SnapshotSource } from './snapshotSource.ts';
import type { FromUiThread, ToUiThread, UiThreadOptions } from './uiThreadMessages.ts';
import type { UiIntents } from './viewModel.ts';

/**
 * The UI for `sequence run` in a terminal, on its own thread: rendering a frame takes
 * milliseconds of React and layout work, which on the trading thread would sit in front of
 * books and orders (measured: book-to-quote p99 from under 1 ms to tens of ms). The node
 * posts each snapshot to the thread and gets the keys' intents back.
 */
export function startUiThread(source: SnapshotSource, intents: UiIntents, options: UiThreadOptions): { unmount(): Promise<void>; framesDrawn(): number } {
  const worker = new Worker(new URL('./uiThreadEntry.mjs', import.meta.url), { workerData: options });
  const post = (message: ToUiThread) => worker.postMessage(message);
  const sender = new SnapshotSender();
  const unsubscribe = source.subscribe((vm) => post({ type: 'snapshot', ...sender.pass(vm) }));
  const onResize = () => post({ type: 'resize', columns: process.stdout.columns, rows: process.stdout.rows });
  process.stdout.on('resize', onResize);
  let framesDrawn = 0;
  worker.on('message', (message: FromUiThread) => {
    if (message.type === 'drawn') framesDrawn = message.frames;
    else if (message.type === 'halt') intents.halt(message.cancelAll);
    else if (message.type === 'resume') intents.resume();
    else intents.quit();
  });
  worker.on('error', (error) => process.stderr.write(`sequence: the terminal UI failed: ${error.message}\n`));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    unmount: async () => {
      unsubscribe();
      process.stdout.off('resize', onResize);
      post({ type: 'unmount' });
      await exited;
    },
    /** Frames the thread drew, known once it has been unmounted. */
    framesDrawn: () => framesDrawn,
  };
}

/**
 * startUiThread for the node's own terminal (`sequence run`), the calling thread being the
 * trading thread. With `pinThreads` (config node.pin_threads), the two are placed apart
 * (threadPlacement.ts): the UI thread is created with this thread's CPUs and moves itself
 * to the UI's, then this thread takes the trading CPU until the UI is unmounted.
 */
export function startUiBesideTrading(source: SnapshotSource, intents: UiIntents, pinThreads: boolean): () => Promise<void> {
  const found = pinThreads ? placementForThisThread() : null;
  const placement = typeof found === 'string' ? null : found;
  const ui = startUiThread(source, intents, { mode: 'local', ...(placement === null ? {} : { placement }) });
  const unpin = placement === null ? null : pinTradingThread(placement);
  return async () => {
    await ui.unmount();
    if (typeof unpin === 'function') unpin();
  };
}
