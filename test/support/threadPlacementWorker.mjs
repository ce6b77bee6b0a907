// Worker for threadPlacement.test.ts: pins itself as the trading thread, reports the CPUs
// it may use then, gives them back and reports again. A worker, so that the test runner's
// own thread is never pinned. Workers do not inherit the tsx loader.
import { readlinkSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

const { cpusOfThisThread, pinTradingThread } = await tsImport('../../src/tui/threadPlacement.ts', import.meta.url);
const before = cpusOfThisThread();
const restore = pinTradingThread(workerData);
const pinned = cpusOfThisThread();
const task = readlinkSync('/proc/thread-self');
if (typeof restore === 'function') restore();
parentPort.postMessage({ before, problem: typeof restore === 'string' ? restore : null, pinned, restored: cpusOfThisThread(), task });
