import { describe, expect, it } from 'vitest';
import { boundViolations, loadConfig, watchRun, type RunFigures } from '../scripts/load/loadRun.ts';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('load soak harness', () => {
  it('multiplies the demo market rate in the config it runs', () => {
    const toml = readFileSync(loadConfig(mkdtempSync(join(tmpdir(), 'load-config-')), 10), 'utf8');
    expect(toml.match(/^tick_interval_ms = 5$/gm)).toHaveLength(2);
    expect(toml).toMatch(/^taker_rate_hz = 50\b/m);
    expect(toml).toMatch(/^taker_rate_hz = 30\b/m);
    expect(toml).toMatch(/^volatility_bps = 20.00\b/m);
    expect(toml).toMatch(/^max_orders_per_sec = 500\b/m);
    expect(toml).toMatch(/^max_rejects_per_sec = 200\b/m);
    expect(toml).toMatch(/^max_daily_loss = "0"/m);
  });

  it('watches a real node under load from outside: memory samples, snapshots to a viewer, status answers and the trading rate', async () => {
    const f = await watchRun(10, 20, () => {});
    expect(f.heap.samples).toBeGreaterThanOrEqual(3);
    expect(f.heap.minMb).toBeGreaterThan(0);
    expect(f.rss.minMb).toBeGreaterThan(f.heap.minMb);
    expect(f.rssFile.minMb).toBeGreaterThan(0);
    expect(f.snapshots).toBeGreaterThan(20);
    expect(f.statusRoundTripMs.n).toBeGreaterThanOrEqual(10);
    expect(f.tradingMessagesPerS).toBeGreaterThan(0);
    expect(f.eventsDropped).toBe(0);
    expect(f.stops).toEqual([]);
  }, 120_000);

  it('names each broken bound in words', () => {
    const trend = (growthMb: number) => ({ samples: 10, mbPerMin: growthMb / 10, growthMb, minMb: 50, maxMb: 50 + growthMb });
    const summary = (max: number) => ({ n: 10, median: max / 2, p99: max, min: 0, max });
    const broken: RunFigures = {
      seconds: 600,
      tradingMessagesPerS: 700,
      heap: trend(40),
      rss: trend(10),
      rssFile: trend(60),
      loopDelayP99Ms: summary(20),
      snapshotGapMs: summary(2500),
      statusRoundTripMs: summary(40),
      snapshots: 1000,
      eventsDropped: 12,
      meshDropped: 0,
      stops: ['halt auto:reject-rate: more than 200 rejects in one second'],
    };
    expect(boundViolations(broken)).toEqual([
      'heap grew 40.0 MB over the run (4.00 MB/min); bound 16 MB',
      '12 events dropped: the event queue reached its limit',
      'a viewer waited 2500 ms for a snapshot; bound 1000 ms',
      'the load was not sustained: halt auto:reject-rate: more than 200 rejects in one second',
    ]);
    expect(boundViolations({ ...broken, heap: trend(1), eventsDropped: 0, snapshotGapMs: summary(100), stops: [] })).toEqual([]);
  });
});
