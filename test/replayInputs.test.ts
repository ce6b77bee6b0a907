import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSource } from '../src/commands/replayCommand.ts';
import { loadConfig } from '../src/node/config.ts';
import { krakenCaptureSource } from '../src/replay/krakenCaptureSource.ts';
import { blockChart } from '../src/replay/pnlChart.ts';
import { planVenues } from '../src/replay/replayRun.ts';
import { defaultCapturePath } from '../src/venues/kraken/captureV1.ts';
import { tempDir } from './support/nodeHarness.ts';

const MAKER = resolve('algos/maker/build/maker.wasm');

function config(venues: string, symbol: string, venue: string) {
  const dir = tempDir('replay-inputs');
  const file = join(dir, 'Sequence.toml');
  writeFileSync(file, `${venues}\n[deploy.maker]\nvenue = "${venue}"\nlabel = "maker"\nsymbols = ["${symbol}"]\nbundle = "${MAKER}"\n`);
  return loadConfig(file);
}

describe('replay inputs', () => {
  const capture = krakenCaptureSource(defaultCapturePath());

  it('feeds a kraken venue from the capture, which names no venue, and lists its symbols with XBT as BTC', () => {
    expect(capture.venues[0].symbols).toContain('BTC/CHF');
    expect(capture.venues[0].meta.get('BTC/CHF')?.tickSize1e9).toBe(10_000);
    const plan = planVenues(config('[venues.k]\nkind = "kraken"', 'BTC/CHF', 'k'), capture);
    expect(plan.map((p) => [p.name, p.symbols])).toEqual([['k', ['BTC/CHF']]]);
  });

  it('refuses a deployment on a sim venue, a symbol the data does not hold, and a venue kind it has no data for', () => {
    const sim = '[venues.s]\nkind = "sim"\n[venues.s.markets."BTC/USD"]\nstart_price = "100"';
    expect(() => planVenues(config(sim, 'BTC/USD', 's'), capture)).toThrow(/"s" is a sim venue .* replay needs recorded market data/);
    expect(() => planVenues(config('[venues.k]\nkind = "kraken"', 'BTC/USD', 'k'), capture)).toThrow(/has no BTC\/USD for venue "k"; it holds .*BTC\/CHF/);
    expect(() => planVenues(config('[venues.c]\nkind = "coinbase"', 'BTC/USD', 'c'), capture)).toThrow(/no data for venue "c" \(coinbase\)/);
  });

  it('tells a file that is neither a recording nor a Kraken capture', () => {
    const file = join(tempDir('replay-inputs'), 'x.txt');
    writeFileSync(file, 'hello');
    expect(() => openSource(file)).toThrow(/neither a node recording .* nor a Kraken v1 capture/);
    const broken = join(tempDir('replay-inputs'), 'cap');
    writeFileSync(broken, 'wss://ws.kraken.com <-> 1\nnot a line\n');
    expect(() => openSource(broken)).toThrow(/line 2: expected "<epoch>: <json>"/);
  });
});

describe('the PnL chart', () => {
  it('draws a rising series from the bottom-left to the top-right, labelled with its min and max', () => {
    const rows = blockChart([0, 1, 2, 3], { width: 4, height: 2, label: String });
    expect(rows).toEqual(['3 │  ▃█', '0 │▁▆██']);
  });

  it('buckets a long series to the width, keeping its last value', () => {
    const rows = blockChart(Array.from({ length: 100 }, (_, i) => (i === 99 ? -5 : 0)), { width: 10, height: 1, label: String });
    expect(rows[0]).toBe(' 0 │█████████▁');
    expect(rows[0].length).toBe(' 0 │'.length + 10);
  });

  it('says when there is nothing to draw, and refuses a chart without room', () => {
    expect(blockChart([], { width: 10, height: 2, label: String })).toEqual(['(no data)']);
    expect(() => blockChart([1], { width: 0, height: 2, label: String })).toThrow(/positive integer width and height/);
  });
});
