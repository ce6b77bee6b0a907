import { availableParallelism } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { cpusOfThisThread, parseCpuList, placementForThisThread, planPlacement } from '../src/tui/threadPlacement.ts';
import { startUiThread } from '../src/tui/uiThread.ts';

// Where the trading thread and the UI thread run: the CPU-list parsing and the split are
// pure; the pinning is read back from the kernel (/proc/<pid>/task/<tid>/status).

const SCHED_IDLE = 5;

function cpusOfTask(task: string): number[] {
  const line = /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync(`/proc/self/task/${task}/status`, 'utf8'));
  return parseCpuList(line![1]);
}

function policyOfTask(task: string): number {
  const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[41 - 3]);
}

describe('parseCpuList', () => {
  it('reads single CPUs and ranges, ascending and without repeats', () => {
    expect(parseCpuList('0-3,8,10-11\n')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('5')).toEqual([5]);
    expect(parseCpuList('3,1,1-2')).toEqual([1, 2, 3]);
  });

  it.each([
    ['', 'not a CPU list: "" (expected e.g. 0-3,8)'],
    ['0-', 'not a CPU list: "0-" (expected e.g. 0-3,8)'],
    ['a,1', 'not a CPU list: "a,1" (expected e.g. 0-3,8)'],
    ['3-1', 'not a CPU list: "3-1" (range 3-1 runs backwards)'],
  ])('refuses %j', (text, message) => {
    expect(() => parseCpuList(text)).toThrow(new RangeError(message));
  });
});

describe('planPlacement', () => {
  it('gives the trading thread the last CPU and the UI the others', () => {
    expect(planPlacement([0, 1])).toEqual({ tradingCpu: 1, uiCpus: [0] });
    expect(planPlacement([5, 2, 3])).toEqual({ tradingCpu: 5, uiCpus: [2, 3] });
  });

  it('places nothing apart on a single CPU', () => {
    expect(planPlacement([3])).toBeNull();
    expect(planPlacement([])).toBeNull();
  });
});

describe.runIf(process.platform === 'linux' && availableParallelism() >= 2)('pinning on this machine', () => {
  it('pins the trading thread to its CPU and gives back the CPUs it had, leaving other threads alone', async () => {
    const placement = placementForThisThread();
    if (typeof placement === 'string') throw new Error(placement);
    const worker = new Worker(new URL('./support/threadPlacementWorker.mjs', import.meta.url), { workerData: placement });
    const answer = await new Promise<{ before: number[]; problem: string | null; pinned: number[]; restored: number[]; task: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(answer.problem).toBeNull();
    expect(answer.pinned).toEqual([placement.tradingCpu]);
    expect(answer.restored).toEqual(answer.before);
    expect(cpusOfThisThread()).toEqual(answer.before);
  });

  it('runs the UI thread on the UI CPUs, in the idle class', async () => {
    const placement = placementForThisThread();
    if (typeof placement === 'string') throw new Error(placement);
    const tasksBefore = new Set(readdirSync('/proc/self/task'));
    const ui = startUiThread({ subscribe: () => () => {} }, { halt: () => {}, resume: () => {}, quit: () => {} }, { mode: 'local', offscreen: { columns: 80, rows: 24 }, placement });
    try {
      // The thread places itself as it starts (after loading the UI's modules).
      let idle: string[] = [];
      for (let waited = 0; idle.length === 0 && waited < 30_000; waited += 100) {
        await sleep(100);
        idle = readdirSync('/proc/self/task').filter((task) => !tasksBefore.has(task) && policyOfTask(task) === SCHED_IDLE);
      }
      expect(idle).toHaveLength(1);
      expect(cpusOfTask(idle[0])).toEqual(placement.uiCpus);
    } finally {
      await ui.unmount();
    }
  }, 40_000);
});
