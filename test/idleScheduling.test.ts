import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

// The UI thread's scheduling class, read back from the kernel: SCHED_IDLE (policy 5 in
// /proc/<pid>/task/<tid>/stat) for the thread that asked, and the other threads untouched.

const SCHED_OTHER = 0;
const SCHED_IDLE = 5;

/** Field 41 of a task's stat line: its scheduling policy. */
function policyOf(statPath: string): number {
  const stat = readFileSync(statPath, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[41 - 3]);
}

describe.runIf(process.platform === 'linux')('scheduleThisThreadWhenIdle', () => {
  it('puts the calling thread in SCHED_IDLE and leaves the process main thread as it was', async () => {
    const worker = new Worker(new URL('./support/idleSchedulingWorker.mjs', import.meta.url));
    const answer = await new Promise<{ problem: string | null; task: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    try {
      expect(answer.problem).toBeNull();
      expect(policyOf(`/proc/${answer.task}/stat`)).toBe(SCHED_IDLE);
      expect(policyOf('/proc/thread-self/stat')).toBe(SCHED_OTHER);
    } finally {
      worker.postMessage('exit');
      await new Promise((resolve) => worker.once('exit', resolve));
    }
  });
});
