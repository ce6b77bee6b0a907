import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/node/config.ts';
import { krakenCaptureSource } from '../src/replay/krakenCaptureSource.ts';
import type { MarketSource } from '../src/replay/marketSource.ts';
import { runReplay } from '../src/replay/replayRun.ts';
import { defaultCapturePath } from '../src/venues/kraken/captureV1.ts';
import { KrakenBookDecoder } from '../src/venues/kraken/krakenBookDecoder.ts';
import type { BenchFigure } from './benchOnBook.ts';
import { summarize } from './stats.ts';

// `sequence replay` speed: the example maker on BTC/CHF replayed over the real Kraken
// capture (all ten pairs' frames go through the v2 decoder; BTC/CHF's reach the engine,
// the maker, the risk gate, the journal and the fill model). Each sample is one pass over
// the capture, as ns per recorded book update (frame). Baseline: the decoder alone on the
// same frames, the floor any replay of this data pays. The capture is played 40 times in a
// row per sample (5 with --quick) so the fixed costs (bundle load, journal, shutdown) are
// spread as over a long recording.

const ROOT = join(import.meta.dirname, '..');

/** The capture played `passes` times back to back, each pass shifted to follow the previous one. */
function looped(source: MarketSource, passes: number): MarketSource {
  const frames = [...source.frames()];
  const spanNs = frames[frames.length - 1].recvNs - frames[0].recvNs + 1e9;
  return {
    description: `${source.description} x${passes}`,
    venues: source.venues,
    *frames() {
      for (let p = 0; p < passes; p++) for (const f of frames) yield { ...f, recvNs: f.recvNs + p * spanNs };
    },
  };
}

export async function benchMarketReplay(quick: boolean): Promise<BenchFigure> {
  const capture = krakenCaptureSource(defaultCapturePath());
  const frames = [...capture.frames()];
  const dir = mkdtempSync(join(tmpdir(), 'sequence-bench-replay-'));
  const file = join(dir, 'Sequence.toml');
  writeFileSync(
    file,
    `[venues.kraken]\nkind = "kraken"\ndepth = 1000\n\n[deploy.maker]\nvenue = "kraken"\nlabel = "maker"\nsymbols = ["BTC/CHF"]\nbundle = "${join(ROOT, 'algos/maker/build/maker.wasm')}"\n\n[deploy.maker.params]\nspread_bps = 2\nquote_qty = "0.01"\n`,
  );
  const config = loadConfig(file);
  const runs = quick ? 3 : 7;
  const passes = quick ? 5 : 40;
  const ours: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    const summary = await runReplay(config, looped(capture, passes), { outDir: join(dir, `run${r}`), latencyMs: 5 });
    ours.push(Number(process.hrtime.bigint() - t0) / summary.frames);
  }
  const baseline: number[] = [];
  for (let r = 0; r < runs * 4; r++) {
    const decoder = new KrakenBookDecoder(['BTC/CHF'], capture.venues[0].depth);
    const t0 = process.hrtime.bigint();
    for (let p = 0; p < passes; p++) for (const f of frames) decoder.applyFrame(f.frame, f.recvNs);
    baseline.push(Number(process.hrtime.bigint() - t0) / (frames.length * passes));
  }
  const o = summarize(ours);
  const rate = 1e9 / o.median;
  return {
    name: `sequence replay, maker on the Kraken capture (start, journal, shutdown and report included): ${(rate / 1e3).toFixed(0)}k updates/s`,
    unit: 'ns/update',
    ours: o,
    baselineName: 'KrakenBookDecoder alone on the same frames',
    baseline: summarize(baseline),
    goal: '>= 200k updates/s (median <= 5000 ns)',
  };
}

if (process.argv[1] === import.meta.filename) {
  const f = await benchMarketReplay(process.argv.includes('--quick'));
  process.stdout.write(`${JSON.stringify(f, null, 2)}\n`);
}
