import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureNode, withDriver } from '../scripts/benchTickToTrade.ts';
import { percentile, summarize } from '../scripts/stats.ts';
import { benchNodeToml, instanceSymbols } from '../scripts/tickToTrade/nodeRunner.ts';
import { pairFramesToOrders } from '../scripts/tickToTrade/pairSamples.ts';
import { STAGE_SPANS, stageBreakdown } from '../scripts/tickToTrade/stageBreakdown.ts';
import { benchMarkets } from '../scripts/tickToTrade/tickDriver.ts';
import { loadConfig } from '../src/node/config.ts';
import { LatencyTrace, STAGE_NAMES, Stage, type LatencyTraceFile, type StageIndex } from '../src/node/latencyTrace.ts';
import { ROOT, sequence } from './support/cli.ts';

const f = (symbol: string, atNs: number) => ({ symbol, atNs });
const o = (symbol: string, arrivedNs: number) => ({ symbol, arrivedNs });
/** A trace file these tests never write (write() is not called): naming one turns the trace on. */
const UNWRITTEN = join(tmpdir(), 'seq-latency-trace-never-written.json');
const microtasks = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('tick-to-trade pairing of driven frames to AddOrders', () => {
  it('a frame is answered by the first order of its symbol after it; the other side and other instances are not samples', () => {
    const frames = [f('BTC/USD', 100), f('BTC/USD', 1_000)];
    const orders = [o('BTC/USD', 350), o('BTC/USD', 400), o('BTC/USD', 1_200), o('BTC/USD', 1_250)];
    expect(pairFramesToOrders(frames, orders)).toEqual({ latenciesNs: [250, 200], unanswered: 0 });
  });

  it('a frame nothing answered before the next frame of its symbol is unanswered, not paired with the later order', () => {
    const frames = [f('BTC/USD', 100), f('BTC/USD', 1_000)];
    const orders = [o('BTC/USD', 1_300)];
    expect(pairFramesToOrders(frames, orders)).toEqual({ latenciesNs: [1_300 - 1_000], unanswered: 1 });
  });

  it('orders before a frame, and orders of other symbols, do not answer it', () => {
    const frames = [f('BTC/USD', 100), f('ETH/USD', 110)];
    const orders = [o('BTC/USD', 50), o('ETH/USD', 105), o('ETH/USD', 500), o('BTC/USD', 900)];
    expect(pairFramesToOrders(frames, orders)).toEqual({ latenciesNs: [800, 390], unanswered: 0 });
  });

  it("each symbol's window closes at its own next frame, whatever the other symbols do", () => {
    const frames = [f('A/USD', 0), f('B/USD', 10), f('B/USD', 20), f('A/USD', 100)];
    const orders = [o('B/USD', 25), o('A/USD', 60)];
    expect(pairFramesToOrders(frames, orders)).toEqual({ latenciesNs: [60, 5], unanswered: 2 });
  });

  it('the last frame of a symbol stays open to the end of the run', () => {
    expect(pairFramesToOrders([f('BTC/USD', 0)], [o('BTC/USD', 5_000_000_000)])).toEqual({ latenciesNs: [5_000_000_000], unanswered: 0 });
  });

  it('frames or orders out of time order, or without a finite time, are refused with the index', () => {
    expect(() => pairFramesToOrders([f('BTC/USD', 5), f('BTC/USD', 4)], [])).toThrow('frame 1 is earlier than the one before it');
    expect(() => pairFramesToOrders([], [o('BTC/USD', 9), o('BTC/USD', 1)])).toThrow('order 1 is earlier than the one before it');
    expect(() => pairFramesToOrders([f('BTC/USD', Number.NaN)], [])).toThrow('frame 0 has no finite time (NaN)');
    expect(() => pairFramesToOrders([], [o('BTC/USD', Infinity)])).toThrow('order 0 has no finite time (Infinity)');
  });
});

describe('tick-to-trade percentiles', () => {
  it('p99.9 of 1..1000 is 999 by nearest rank, and of 1..100 the maximum', () => {
    const thousand = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(percentile(thousand, 0.999)).toBe(999);
    expect(percentile(thousand, 0.5)).toBe(500);
    expect(percentile(thousand.slice(0, 100), 0.999)).toBe(100);
  });

  it('summaries of latencies in ns converted to us keep their order statistics', () => {
    const ns = [3_000, 1_000, 2_000, 5_000, 4_000];
    expect(summarize(ns.map((v) => v / 1000))).toEqual({ n: 5, median: 3, p99: 5, min: 1, max: 5 });
  });
});

describe('the latency trace', () => {
  it('stamps each stage once per frame and keeps only samples that reached the gateway', async () => {
    const trace = new LatencyTrace(UNWRITTEN, 0, 8);
    trace.begin(performance.now());
    trace.mark(Stage.Parsed);
    trace.mark(Stage.Applied);
    trace.end();
    await microtasks();
    // A frame that caused no order: its sample never completes.
    expect(trace.snapshot().samples).toEqual([]);
    trace.begin(performance.now());
    for (const stage of [Stage.Parsed, Stage.Applied, Stage.Encoded, Stage.Called, Stage.Risked, Stage.Committed, Stage.Journaled]) trace.mark(stage);
    trace.mark(Stage.Journaled);
    trace.handed();
    const file = trace.snapshot();
    expect(file.stages).toEqual([...STAGE_NAMES]);
    expect(file.samples).toHaveLength(1);
    const row = file.samples[0] as number[];
    expect(row[0]).toBe(0);
    for (let i = 1; i < row.length; i++) expect(row[i]).toBeGreaterThanOrEqual(row[i - 1] as number);
  });

  it("stamps after the frame's macrotask (an ack, a fill) do not land in its sample", async () => {
    const trace = new LatencyTrace(UNWRITTEN, 0, 8);
    trace.begin(performance.now());
    trace.end();
    await microtasks();
    trace.mark(Stage.Journaled);
    trace.handed();
    expect(trace.snapshot().samples).toEqual([]);
  });

  it('an injected delay shows in the gateway handoff stage at least as large', () => {
    const trace = new LatencyTrace('', 3_000, 8);
    expect(trace.on).toBe(true);
    trace.begin(performance.now());
    trace.mark(Stage.Journaled);
    trace.handed();
    const row = trace.snapshot().samples[0] as number[];
    expect((row[Stage.Handed] as number) - (row[Stage.Journaled] as number)).toBeGreaterThanOrEqual(3_000_000);
  });

  it('a full ring drops the oldest samples and says how many', () => {
    const trace = new LatencyTrace(UNWRITTEN, 0, 2);
    for (let i = 0; i < 5; i++) {
      trace.begin(performance.now());
      trace.handed();
    }
    const file = trace.snapshot();
    expect(file.samples).toHaveLength(2);
    expect(file.overwritten).toBe(3);
  });

  it('is off with no file and no delay', () => {
    expect(new LatencyTrace('', 0).on).toBe(false);
    expect(new LatencyTrace(UNWRITTEN, 0).on).toBe(true);
  });

  it('refuses a delay that is not a number of microseconds, and a capacity that is not a whole number', () => {
    expect(() => new LatencyTrace('', Number.NaN)).toThrow('SEQUENCE_LATENCY_INJECT_US must be a number of microseconds >= 0, got NaN');
    expect(() => new LatencyTrace('', -1)).toThrow('SEQUENCE_LATENCY_INJECT_US must be a number of microseconds >= 0, got -1');
    expect(() => new LatencyTrace('/tmp/x', 0, 0)).toThrow('latency trace capacity must be a positive integer, got 0');
  });

  it('writes its samples to the named file as the breakdown reads them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seq-trace-test-'));
    try {
      const path = join(dir, 'trace.json');
      const trace = new LatencyTrace(path, 0, 4);
      trace.begin(performance.now());
      for (let stage = Stage.Parsed; stage < Stage.Handed; stage++) trace.mark(stage as StageIndex);
      trace.handed();
      trace.write();
      const file = JSON.parse(readFileSync(path, 'utf8')) as LatencyTraceFile;
      const breakdown = stageBreakdown(file);
      expect(breakdown.malformed).toBe(0);
      expect(breakdown.spansUs.map((s) => s.length)).toEqual([...STAGE_SPANS.map(() => 1), 1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the in-process breakdown', () => {
  const stamps = [0, 1_000, 3_000, 6_000, 10_000, 15_000, 21_000, 28_000, 36_000];

  it('each span is the difference of its two stamps in us, and the whole path is received to handed', () => {
    const b = stageBreakdown({ stages: [...STAGE_NAMES], overwritten: 0, samples: [stamps] });
    expect(b.spansUs.map((s) => s[0])).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 36]);
  });

  it('samples with a missing stamp or stamps out of order are counted and left out', () => {
    const missing = [...stamps];
    (missing as Array<number | null>)[4] = null;
    const backwards = [...stamps];
    backwards[3] = 500;
    const b = stageBreakdown({ stages: [...STAGE_NAMES], overwritten: 0, samples: [missing, backwards, stamps] });
    expect(b.malformed).toBe(2);
    expect(b.spansUs[0]).toEqual([1]);
  });

  it("a trace from a build with other stages is refused, naming both lists", () => {
    expect(() => stageBreakdown({ stages: ['received', 'handed'], overwritten: 0, samples: [] })).toThrow("the trace's stages (received, handed) are not this build's");
  });
});

describe('the benchmark node', () => {
  beforeAll(() => {
    const build = sequence(['build', '--if-stale'], { timeoutMs: 120_000 });
    expect(build.code, build.stderr).toBe(0);
  });

  it('makers are spread over the symbols, or share them round robin when there are more makers', () => {
    const symbols = benchMarkets(10).map((m) => m.symbol);
    expect(instanceSymbols(4, symbols)).toEqual([symbols[0], symbols[2], symbols[5], symbols[7]]);
    expect(instanceSymbols(3, ['A/USD', 'B/USD'])).toEqual(['A/USD', 'B/USD', 'A/USD']);
    expect(() => instanceSymbols(0, symbols)).toThrow('instances must be a whole number >= 1, got 0');
    expect(() => instanceSymbols(1, [])).toThrow('at least one symbol is needed');
    expect(() => benchMarkets(0)).toThrow('market count must be a whole number in 1..999, got 0');
  });

  it('the generated config is one the node accepts: its order entry, a maker per instance, the other symbols on a listener', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seq-bench-config-'));
    try {
      const symbols = benchMarkets(10).map((m) => m.symbol);
      const path = join(dir, 'Sequence.toml');
      const urls = { restUrl: 'http://127.0.0.1:9', wsUrl: 'ws://127.0.0.1:9/v2', wsAuthUrl: 'ws://127.0.0.1:9/auth/v2' };
      writeFileSync(path, benchNodeToml({ dir, ...urls, instances: 4, symbols, maker: { spreadBps: 20, quoteQty: '0.01', requoteTicks: 10 }, orderEntry: 'rest' }));
      const config = loadConfig(path);
      expect(config.venues[0]).toMatchObject({ kind: 'kraken', orderEntry: 'rest' });
      const labels = config.deployments.map((d) => d.label);
      expect(labels).toEqual(['maker0', 'maker1', 'maker2', 'maker3', 'listener']);
      const subscribed = config.deployments.flatMap((d) => d.symbols);
      expect([...subscribed].sort()).toEqual([...symbols].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the ccxt.pro baseline script', () => {
  const runBot = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'tickToTrade', 'ccxtBot.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

  it('without a config it prints its usage and exits 1', () => {
    const r = runBot([]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('usage: ccxtBot.ts <json config');
  });

  it('a config with a field of the wrong type is refused by name', () => {
    const good = { restUrl: 'http://127.0.0.1:9', wsUrl: 'ws://127.0.0.1:9/v2', symbol: 'BTC/USD', spreadBps: 20, quoteQty: '0.01', requoteTicks: 10 };
    const wrongUrl = runBot([JSON.stringify({ ...good, restUrl: 7 })]);
    expect(wrongUrl.status).toBe(1);
    expect(wrongUrl.stderr).toContain('bot config: restUrl must be a string');
    const negative = runBot([JSON.stringify({ ...good, requoteTicks: -1 })]);
    expect(negative.status).toBe(1);
    expect(negative.stderr).toContain('bot config: requoteTicks must be a number >= 0');
  });
});

describe('a real tick-to-trade run with a delay injected at the gateway handoff', () => {
  const INJECT_US = 30_000;
  let dir: string;
  beforeAll(() => {
    const build = sequence(['build', '--if-stale'], { timeoutMs: 120_000 });
    expect(build.code, build.stderr).toBe(0);
    dir = mkdtempSync(join(tmpdir(), 'seq-tick-to-trade-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports every delayed sample at least the delay higher, the median nearly all of it, and the breakdown puts it in the gateway stage', async () => {
    const plan = { warmupSteps: 3, steps: 20 };
    const tracePath = join(dir, 'trace.json');
    const { plain, delayed } = await withDriver(1, async (driver, urls) => ({
      plain: await measureNode(driver, urls, { instances: 1, plan }),
      delayed: await measureNode(driver, urls, { instances: 1, plan, injectUs: INJECT_US, tracePath }),
    }));
    expect(plain.latenciesNs.length).toBeGreaterThanOrEqual(plan.steps / 2);
    expect(delayed.latenciesNs.length).toBeGreaterThanOrEqual(plan.steps / 2);
    const delayNs = INJECT_US * 1000;
    expect(Math.min(...delayed.latenciesNs)).toBeGreaterThanOrEqual(delayNs);
    // The replaced quote's cancel leaves before the wait, so the emulator handles it during
    // the wait rather than before the order arrives: that part of the plain run (about a
    // millisecond, under a tenth of the delay) overlaps the delay instead of adding to it.
    expect(summarize(delayed.latenciesNs).median).toBeGreaterThanOrEqual(summarize(plain.latenciesNs).median + 0.9 * delayNs);
    const breakdown = stageBreakdown(JSON.parse(readFileSync(tracePath, 'utf8')) as LatencyTraceFile);
    const gateway = breakdown.spansUs[STAGE_SPANS.length - 1] as number[];
    expect(gateway.length).toBeGreaterThan(0);
    expect(Math.min(...gateway)).toBeGreaterThanOrEqual(INJECT_US);
    expect(plain.rssBytes.every((b) => b > 0)).toBe(true);
  }, 300_000);
});
