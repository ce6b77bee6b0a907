// Worker for idleScheduling.test.ts: puts itself in SCHED_IDLE, reports the outcome and
// its task, and stays alive until told to exit so the test can read its policy. Workers
// do not inherit the tsx loader, so the module loads through tsx's API.
import { readlinkSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

const { scheduleThisThreadWhenIdle } = await tsImport('../../src/tui/idleScheduling.ts', import.meta.url);
const problem = scheduleThisThreadWhenIdle();
parentPort.postMessage({ problem, task: readlinkSync('/proc/thread-self') });
parentPort.once('message', () => process.exit(0));
