import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Journal } from '../src/node/journal/journal.ts';
import { parseCpuList, placementForThisThread } from '../src/tui/threadPlacement.ts';
import { CLI, demoConfigIn, sequence } from './support/cli.ts';
import { tempDir } from './support/nodeHarness.ts';
import { NodeProcess } from './support/nodeProcess.ts';
import { TmuxSession } from './support/tmux.ts';

// The UI in a real terminal (tmux): keys sent with send-keys, the screen read with
// capture-pane, the node's own state read back through its control socket and journal.

const sessions: TmuxSession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.kill();
});

beforeAll(() => {
  const build = sequence(['build', '--if-stale'], { timeoutMs: 120_000 });
  expect(build.code, build.stderr).toBe(0);
});

function terminal(name: string, args: string, columns?: number, rows?: number): TmuxSession {
  const s = new TmuxSession(`${name}-${process.pid}`, `${process.execPath} ${CLI} ${args}; echo EXITED $?; sleep 120`, columns, rows);
  sessions.push(s);
  return s;
}

const SCHED_IDLE = 5;

function threadCpus(pid: number, task: number | string): number[] {
  return parseCpuList(/^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8'))![1]);
}

function threadPolicy(pid: number, task: string): number {
  const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[41 - 3]);
}

/** Client order ids the journal records after its first halt record. */
function ordersAfterHalt(dataDir: string): string[] {
  const journal = Journal.open(dataDir, { readOnly: true });
  let halted = false;
  const after: string[] = [];
  for (const r of journal.records()) {
    if (r.message.kind === 'halt') halted = true;
    else if (halted && r.message.kind === 'order') after.push(r.message.clientOrderId);
  }
  void journal.close();
  return after;
}

describe('sequence run in a terminal', () => {
  it('the kill-switch key with its confirmation halts the node: banner on screen, halted on the socket, no order after it', async () => {
    const dir = tempDir('tui');
    const config = demoConfigIn(dir);
    const tty = terminal('run', `run --config ${config}`);
    await tty.waitForScreen(/LEADER/);
    await tty.waitForScreen(/maker\s+sim_a\s+running/);
    tty.keys('k');
    await tty.waitForScreen(/KILL SWITCH/);
    tty.keys('y');
    const screen = await tty.waitForScreen(/TRADING HALTED/);
    expect(screen).toContain('kill switch pressed in the terminal UI');
    const status = JSON.parse(sequence(['status', '--json', '--config', config]).stdout);
    expect(status).toMatchObject({ halted: true, halt_by: expect.stringMatching(/^operator:/) });
    tty.keys('q');
    await tty.waitForScreen(/shut down the node\? y\/n/);
    tty.keys('y');
    await tty.waitForScreen(/EXITED 0/, 30_000);
    expect(ordersAfterHalt(join(dir, 'data'))).toEqual([]);
  });

  it('fits an 80x24 terminal with the panes, the footer and no line over 80 columns', async () => {
    const dir = tempDir('tui');
    const config = demoConfigIn(dir);
    const tty = terminal('small', `run --config ${config}`, 80, 24);
    const screen = await tty.waitForScreen(/Instances[\s\S]*k kill switch/);
    const lines = screen.replace(/\n$/, '').split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(80);
    expect(screen).toMatch(/Books/);
    if (process.platform === 'linux' && availableParallelism() >= 2) {
      // The node's threads, read from the kernel: trading on the last CPU, the UI (the one
      // thread in the idle class) on the others.
      const pid = JSON.parse(readFileSync(join(dir, 'data', 'lease.json'), 'utf8')).pid as number;
      const placement = placementForThisThread();
      if (typeof placement === 'string') throw new Error(placement);
      expect(threadCpus(pid, pid)).toEqual([placement.tradingCpu]);
      const idle = readdirSync(`/proc/${pid}/task`).filter((task) => threadPolicy(pid, task) === SCHED_IDLE);
      expect(idle.map((task) => threadCpus(pid, task))).toEqual([placement.uiCpus]);
    }
    tty.keys('q');
    await tty.waitForScreen(/shut down the node/);
    tty.keys('y');
    await tty.waitForScreen(/EXITED 0/, 30_000);
  });
});

describe('sequence tui attached to a daemon', () => {
  it('halts from the attached UI, detaches with q, and leaves the daemon running', async () => {
    const dir = tempDir('tui');
    const config = demoConfigIn(dir);
    const daemon = new NodeProcess(config);
    await daemon.waitFor((e) => e.type === 'node_role' && e.role === 'leader');
    const tty = terminal('attach', `tui --config ${config}`);
    await tty.waitForScreen(/LEADER/);
    tty.keys('k');
    await tty.waitForScreen(/KILL SWITCH/);
    tty.keys('y');
    await tty.waitForScreen(/TRADING HALTED[\s\S]*sequence tui/);
    await daemon.waitFor((e) => e.type === 'halt');
    tty.keys('q');
    await tty.waitForScreen(/detach\? y\/n/);
    tty.keys('y');
    await tty.waitForScreen(/EXITED 0/);

    const status = sequence(['status', '--json', '--config', config]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ role: 'leader', halted: true, phase: 'trading' });
    expect(daemon.child.exitCode).toBeNull();
    daemon.signal('SIGTERM');
    expect(await daemon.exited()).toBe(0);
    expect(ordersAfterHalt(join(dir, 'data'))).toEqual([]);
  });

  it('two viewers can attach at once', async () => {
    const config = demoConfigIn(tempDir('tui'));
    const daemon = new NodeProcess(config);
    await daemon.waitFor((e) => e.type === 'node_role' && e.role === 'leader');
    const a = terminal('viewer-a', `tui --config ${config}`);
    const b = terminal('viewer-b', `tui --config ${config}`);
    await a.waitForScreen(/maker\s+sim_a/);
    await b.waitForScreen(/maker\s+sim_a/);
    daemon.signal('SIGTERM');
    expect(await daemon.exited()).toBe(0);
    await a.waitForScreen(/EXITED 0/);
    await b.waitForScreen(/EXITED 0/);
  });
});
