import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dump } from '../src/commands/journalCommand.ts';
import { replay } from '../src/commands/replayCommand.ts';
import { loadConfig } from '../src/node/config.ts';
import { Journal } from '../src/node/journal/journal.ts';
import { krakenCaptureSource } from '../src/replay/krakenCaptureSource.ts';
import { runReplay } from '../src/replay/replayRun.ts';
import type { ReplaySummary } from '../src/replay/replayReport.ts';
import { defaultCapturePath } from '../src/venues/kraken/captureV1.ts';
import { tempDir } from './support/nodeHarness.ts';

// The example maker replayed on the real 2021 Kraken capture (BTC/CHF, book-1000), through
// the real engine, journal and WASM runtime.

const MAKER = resolve('algos/maker/build/maker.wasm');

function makerConfig(dir: string): string {
  const file = join(dir, 'Sequence.toml');
  writeFileSync(
    file,
    `
[node]
data_dir = "${join(dir, 'data')}"

[venues.kraken]
kind = "kraken"
depth = 1000

[deploy.maker]
venue = "kraken"
label = "maker"
symbols = ["BTC/CHF"]
bundle = "${MAKER}"

[deploy.maker.params]
spread_bps = 2
quote_qty = "0.01"
`,
  );
  return file;
}

function journalDump(outDir: string): string {
  let text = '';
  dump(outDir, 1, true, (line) => (text += line));
  return text;
}

/** A report decimal string as a scaled BigInt. */
function dec(text: string, places: number): bigint {
  const [whole, frac = ''] = text.replace('-', '').split('.');
  const v = BigInt(whole + frac.padEnd(places, '0'));
  return text.startsWith('-') ? -v : v;
}

/** Total PnL from the fills alone: cash flow plus the position at the mark, exact in BigInt (units of 1e-17), then px_1e9. */
function pnlFromFills(instance: ReturnType<typeof jsonInstance>): bigint {
  let cash = 0n;
  let qty = 0n;
  let fees = 0n;
  for (const f of instance.fills_list) {
    const sign = f.side === 'buy' ? 1n : -1n;
    cash -= sign * dec(f.px, 9) * dec(f.qty, 8);
    qty += sign * dec(f.qty, 8);
    fees += dec(f.fee, 9);
  }
  const mark = dec(instance.positions[0].mark, 9);
  return (cash + qty * mark) / 100_000_000n - fees;
}

function jsonInstance(report: { instances: unknown[] }) {
  return report.instances[0] as {
    orders: number;
    fills: number;
    fill_ratio: number;
    total_pnl: string;
    realized_pnl: string;
    unrealized_pnl: string;
    fees: string;
    positions: { qty: string; mark: string }[];
    fills_list: { side: string; px: string; qty: string; fee: string; ts_ns: number }[];
  };
}

describe('replay of the example maker on the real Kraken capture', () => {
  let dir: string;
  let first: ReplaySummary;
  let firstJson: string;

  beforeAll(async () => {
    dir = tempDir('replay-capture');
    const config = loadConfig(makerConfig(dir));
    first = await runReplay(config, krakenCaptureSource(defaultCapturePath()), { outDir: join(dir, 'a'), latencyMs: 5 });
    let out = '';
    await replay({ config: makerConfig(dir), data: defaultCapturePath(), out: join(dir, 'b'), latencyMs: 5, json: true }, (t) => (out += t));
    firstJson = out;
  }, 120_000);

  it('plays every frame of the capture, verified by the live decoder, and the maker orders and fills', () => {
    expect(first.frames).toBe(4279);
    // BTC/CHF has 290 frames in the capture, each checksum-verified; a book is published
    // only when its top 20 changed, which all but one of them (a change deeper down) do.
    expect(first.books).toBe(289);
    const maker = first.instances[0];
    expect(maker.label).toBe('maker');
    expect(maker.orders).toBeGreaterThan(0);
    expect(maker.fills).toBeGreaterThan(0);
    expect(maker.fillRatio).toBeGreaterThan(0);
    expect(maker.fillRatio).toBeLessThanOrEqual(1);
    expect(maker.fees1e9).toBeGreaterThan(0);
  });

  it("reports a PnL equal to the PnL recomputed from the report's own fills", () => {
    const report = JSON.parse(readFileSync(join(dir, 'b', 'report.json'), 'utf8')) as { instances: unknown[] };
    const maker = jsonInstance(report);
    expect(maker.fills_list.length).toBe(maker.fills);
    const reported = dec(maker.total_pnl, 9);
    // The engine truncates realized and unrealized to px_1e9 separately: at most one unit each.
    const diff = reported - pnlFromFills(maker);
    expect(diff >= -2n && diff <= 2n).toBe(true);
  });

  it('gives the same journal and the same report when run again on the same inputs', async () => {
    const again = join(dir, 'c');
    let out = '';
    await replay({ config: join(dir, 'Sequence.toml'), data: defaultCapturePath(), out: again, latencyMs: 5, json: true }, (t) => (out += t));
    expect(out).toBe(firstJson);
    expect(journalDump(again)).toBe(journalDump(join(dir, 'b')));
    expect(journalDump(again)).toBe(journalDump(join(dir, 'a')));
  }, 120_000);

  it('stamps the journal with the recording clock, never the wall clock', () => {
    const journal = Journal.open(join(dir, 'a'), { readOnly: true });
    try {
      for (const record of journal.records(1)) {
        expect(record.tsNs).toBeGreaterThanOrEqual(first.startNs);
        expect(record.tsNs).toBeLessThanOrEqual(first.endNs);
      }
    } finally {
      void journal.close();
    }
  });

  it('prints a table with the instance and a PnL chart', async () => {
    let out = '';
    await replay({ config: join(dir, 'Sequence.toml'), data: defaultCapturePath(), out: join(dir, 'd'), latencyMs: 5, json: false }, (t) => (out += t));
    expect(out).toMatch(/instance\s+venue\s+orders\s+fills\s+fill %/);
    expect(out).toMatch(/^maker\s+kraken\s+\d+\s+\d+/m);
    expect(out).toContain('maker: total PnL over time');
    expect(out).toMatch(/│[ ▁▂▃▄▅▆▇█]+/);
  }, 120_000);
});
