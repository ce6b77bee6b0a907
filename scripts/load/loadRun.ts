import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { socketPath } from '../../src/commands/controlCommands.ts';
import { ControlClient } from '../../src/control/controlClient.ts';
import { summarize, type Summary } from '../stats.ts';
import { isFlat, memoryTrend, type MemorySample, type MemoryTrend } from './memoryTrend.ts';

// The load soak (issue 9, "resource bounds under load"): the demo deployment on its sim
// venues with the market's message rate multiplied, for minutes, while the harness
// watches the node from outside as an operator would: memory and event-loop delay from
// its status events, a viewer attached through the control socket as `sequence tui` is
// (snapshot gaps: is the UI fed?), a `status` request every second (is the node
// answering?), and every event it writes (dropped events, trading message rate). First a
// short run at the demo's own rate gives the baseline the load is a multiple of.

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'sequence.js');

/** The bounds a run must stay within. */
export const LOAD_BOUNDS = {
  /** Fitted heap growth over the measured span (after a 20% warm-up). */
  heapGrowthMb: 16,
  /** Fitted growth of the process's own (anonymous) RSS. */
  rssGrowthMb: 32,
  /** The longest a viewer may wait for a snapshot (the node publishes every 33 ms). */
  snapshotGapMaxMs: 1000,
  /** The slowest `sequence status` answer. */
  statusRoundTripMaxMs: 1000,
} as const;

const TRADING_EVENTS = new Set(['order', 'cancel', 'ack', 'fill', 'canceled', 'reject', 'cancel_reject', 'mesh']);
const STATUS_POLL_MS = 1000;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

export interface LoadOptions {
  /** Length of the loaded run. */
  minutes: number;
  /** Multiple of the demo's market rate (book ticks and taker flow). */
  rate: number;
  /** Length of the run at the demo's own rate that measures the baseline message rate. */
  baselineMinutes: number;
  progress?: (line: string) => void;
}

export interface RunFigures {
  seconds: number;
  tradingMessagesPerS: number;
  heap: MemoryTrend;
  /** Anonymous RSS where the OS reports it (Linux), else the whole RSS. */
  rss: MemoryTrend;
  /** File-backed RSS: the journal's memory map, reported, not bounded. */
  rssFile: MemoryTrend;
  /** Per-status event-loop delay p99s (ms) over the run. */
  loopDelayP99Ms: Summary;
  snapshotGapMs: Summary;
  statusRoundTripMs: Summary;
  snapshots: number;
  eventsDropped: number;
  meshDropped: number;
  /** Halts and pauses during the run, each "by: reason": a halted or paused maker stops quoting, which lowers the rate. */
  stops: string[];
}

export interface LoadResult {
  options: Omit<LoadOptions, 'progress'>;
  baseline: RunFigures;
  loaded: RunFigures;
  /** Loaded trading message rate over the baseline's. */
  achievedRate: number;
  /** Each bound the loaded run broke, in words; empty when it held. */
  violations: string[];
}

/** The demo config with its sim venues' market rate times faster: book ticks, taker flow and price moves. */
export function loadConfig(dir: string, rate: number): string {
  let toml = readFileSync(join(ROOT, 'Sequence.toml'), 'utf8')
    .replace(/^data_dir = .*$/m, `data_dir = "${join(dir, 'data')}"`)
    .replace(/bundle = "algos\//g, `bundle = "${join(ROOT, 'algos')}/`)
    .replace(/^taker_rate_hz = (\d+(?:\.\d+)?)/gm, (_, hz: string) => `taker_rate_hz = ${Number(hz) * rate}`)
    // The maker requotes when the mid has moved its requote_ticks, so the price must move
    // faster too; the harness measures the trading message rate this reaches against the
    // baseline's and reports the multiple (achievedRate) rather than assuming it.
    .replace(/^volatility_bps = (\d+(?:\.\d+)?)/gm, (_, bps: string) => `volatility_bps = ${(Number(bps) * rate).toFixed(2)}`)
    // The risk limits are the demo's, scaled with the flow, so that the load is sustained:
    // at 10x the hedger's daily loss limit and the reject rate halt would stop it in a minute.
    .replace(/^max_orders_per_sec = \d+/m, `max_orders_per_sec = ${50 * rate}`)
    .replace(/^max_rejects_per_sec = \d+/m, `max_rejects_per_sec = ${20 * rate}`)
    .replace(/^max_daily_loss = "\d+"/m, 'max_daily_loss = "0"');
  toml = toml.replace(/^kind = "sim"$/gm, `kind = "sim"\ntick_interval_ms = ${Math.max(1, Math.round(50 / rate))}`);
  const file = join(dir, 'Sequence.toml');
  writeFileSync(file, toml);
  return file;
}

function startNode(config: string): { child: ChildProcess; events: Record<string, any>[]; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, 'run', '--daemon', '--config', config], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, any>[] = [];
  let buffered = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line.trim() === '') continue;
      const event = JSON.parse(line) as Record<string, any>;
      // Trading messages are only counted: a 10-minute run at 10x writes millions.
      if (TRADING_EVENTS.has(String(event.type))) events.push({ type: event.type, atMs: Date.now() });
      else events.push({ ...event, atMs: Date.now() });
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return { child, events, stderr: () => stderr };
}

async function until(what: string, done: () => boolean, timeoutMs: number, failed: () => string | null): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    const failure = failed();
    if (failure !== null) throw new Error(`${what}: ${failure}`);
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** The Leader opens its control socket once it leads: connects as soon as it is there. */
async function connectWhenOpen(path: string, failed: () => string | null): Promise<ControlClient> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      return await ControlClient.connect(path);
    } catch (error) {
      const failure = failed();
      if (failure !== null) throw new Error(failure);
      if (Date.now() > deadline) throw new Error(`the control socket ${path} did not open: ${(error as Error).message}`);
      await sleep(100);
    }
  }
}

/** One node run at `rate` for `seconds`, watched from outside. */
export async function watchRun(rate: number, seconds: number, progress: (line: string) => void): Promise<RunFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'sequence-load-'));
  const node = startNode(loadConfig(dir, rate));
  const exited = () => (node.child.exitCode !== null ? `the node exited (${node.child.exitCode}): ${node.stderr()}` : null);
  let viewer: ControlClient | null = null;
  try {
    await until('the node leading', () => node.events.some((e) => e.type === 'node_role' && e.role === 'leader'), START_TIMEOUT_MS, exited);
    viewer = await connectWhenOpen(socketPath(join(dir, 'data')), exited);
    const snapshotAt: number[] = [];
    await viewer.subscribe(() => snapshotAt.push(performance.now()));
    const roundTrips: number[] = [];
    const startMs = Date.now();
    const endMs = startMs + seconds * 1000;
    let nextReportMs = startMs + 60_000;
    while (Date.now() < endMs) {
      const failure = exited();
      if (failure !== null) throw new Error(failure);
      const t0 = performance.now();
      await viewer.request('status');
      roundTrips.push(performance.now() - t0);
      if (Date.now() >= nextReportMs) {
        nextReportMs += 60_000;
        const last = node.events.filter((e) => e.type === 'status').at(-1);
        progress(`  ${Math.round((Date.now() - startMs) / 1000)} s: rss ${last?.resources?.rss_mb} MB heap ${last?.resources?.heap_used_mb} MB`);
      }
      await sleep(Math.min(STATUS_POLL_MS, Math.max(0, endMs - Date.now())));
    }
    viewer.close();
    viewer = null;
    const inRun = node.events.filter((e) => e.atMs >= startMs && e.atMs <= endMs);
    const statuses = inRun.filter((e) => e.type === 'status' && e.resources !== undefined);
    const sample = (pick: (r: Record<string, number>) => number): MemorySample[] => statuses.map((e) => ({ atMs: e.atMs, mb: pick(e.resources) }));
    const gaps = snapshotAt.slice(1).map((t, i) => t - snapshotAt[i]);
    return {
      seconds,
      tradingMessagesPerS: inRun.filter((e) => TRADING_EVENTS.has(e.type)).length / seconds,
      heap: memoryTrend(sample((r) => r.heap_used_mb)),
      // The process's own memory: file-backed pages are mostly the journal's map, which
      // grows with the journal by design (and the kernel reclaims), so they are not a leak.
      rss: memoryTrend(sample((r) => r.rss_anon_mb ?? r.rss_mb)),
      rssFile: memoryTrend(sample((r) => r.rss_file_mb ?? 0)),
      loopDelayP99Ms: summarize(statuses.map((e) => e.resources.loop_delay_p99_ms)),
      snapshotGapMs: summarize(gaps),
      statusRoundTripMs: summarize(roundTrips),
      snapshots: snapshotAt.length,
      eventsDropped: node.events.filter((e) => e.type === 'events_dropped').reduce((n, e) => n + Number(e.count), 0),
      meshDropped: Math.max(0, ...statuses.flatMap((e) => (e.mesh ?? []).map((l: Record<string, number>) => Number(l.dropped ?? 0)))),
      stops: inRun.filter((e) => e.type === 'halt' || (e.type === 'pause' && e.paused === true)).map((e) => `${e.type} ${e.by ?? e.label}: ${e.reason}`),
    };
  } finally {
    viewer?.close();
    if (node.child.exitCode === null) {
      node.child.kill('SIGTERM');
      const stopped = await Promise.race([once(node.child, 'exit').then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
      if (!stopped) node.child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bounds the loaded run broke, each in words. */
export function boundViolations(f: RunFigures): string[] {
  const out: string[] = [];
  if (!isFlat(f.heap, LOAD_BOUNDS.heapGrowthMb)) out.push(`heap grew ${f.heap.growthMb.toFixed(1)} MB over the run (${f.heap.mbPerMin.toFixed(2)} MB/min); bound ${LOAD_BOUNDS.heapGrowthMb} MB`);
  if (!isFlat(f.rss, LOAD_BOUNDS.rssGrowthMb)) out.push(`own RSS grew ${f.rss.growthMb.toFixed(1)} MB over the run (${f.rss.mbPerMin.toFixed(2)} MB/min); bound ${LOAD_BOUNDS.rssGrowthMb} MB`);
  if (f.eventsDropped > 0) out.push(`${f.eventsDropped} events dropped: the event queue reached its limit`);
  if (f.meshDropped > 0) out.push(`${f.meshDropped} mesh messages dropped`);
  if (f.snapshotGapMs.max > LOAD_BOUNDS.snapshotGapMaxMs) out.push(`a viewer waited ${f.snapshotGapMs.max.toFixed(0)} ms for a snapshot; bound ${LOAD_BOUNDS.snapshotGapMaxMs} ms`);
  if (f.stops.length > 0) out.push(`the load was not sustained: ${f.stops.join('; ')}`);
  if (f.statusRoundTripMs.max > LOAD_BOUNDS.statusRoundTripMaxMs) out.push(`a status request took ${f.statusRoundTripMs.max.toFixed(0)} ms; bound ${LOAD_BOUNDS.statusRoundTripMaxMs} ms`);
  return out;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const progress = options.progress ?? (() => {});
  progress(`baseline: the demo's own rate for ${options.baselineMinutes} min`);
  const baseline = await watchRun(1, options.baselineMinutes * 60, progress);
  progress(`load: ${options.rate}x the demo's rate for ${options.minutes} min`);
  const loaded = await watchRun(options.rate, options.minutes * 60, progress);
  const { progress: _, ...rest } = options;
  return {
    options: rest,
    baseline,
    loaded,
    achievedRate: baseline.tradingMessagesPerS === 0 ? 0 : loaded.tradingMessagesPerS / baseline.tradingMessagesPerS,
    violations: boundViolations(loaded),
  };
}
