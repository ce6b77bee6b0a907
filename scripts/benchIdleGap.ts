import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '../src/node/journal/journal.ts';
import { readCaptureV1 } from '../src/venues/kraken/captureV1.ts';
import { KrakenBookDecoder } from '../src/venues/kraken/krakenBookDecoder.ts';
import { journalMessage, TURN_RECORDS } from './benchJournal.ts';
import type { BenchFigure } from './benchOnBook.ts';
import { summarize } from './stats.ts';

// Two pieces of the tick-to-trade path timed one call at a time after the thread sat idle
// (issue 8's in-process breakdown): a tick-to-trade sample is a frame the node waited for,
// while the per-area figures time the same code in back-to-back batches. Each is measured
// three ways in interleaved blocks: back to back (the baseline); after GAP_MS asleep in the
// event loop (setTimeout, as the node waits for its socket); and after GAP_MS spinning on
// the CPU without yielding, which keeps the thread on its CPU, so what remains of the
// slowdown there is not the CPU waking from idle.

/** How the thread spends the gap before each timed call. */
export type Idle = 'none' | 'asleep' | 'spinning';

/** The gap a tick-to-trade step leaves between frames, at least (scripts/benchTickToTrade.ts: settle plus the round trip). */
export const GAP_MS = 10;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Times `count` calls of `op`, each on its own, each after the thread idled `gapMs` as `idle` says; ns per call. */
export async function timeAfterIdle(count: number, idle: Idle, gapMs: number, op: () => void): Promise<number[]> {
  const samples: number[] = [];
  for (let k = 0; k < count; k++) {
    if (idle === 'asleep') {
      await sleep(gapMs);
    } else if (idle === 'spinning') {
      const until = performance.now() + gapMs;
      while (performance.now() < until);
    }
    const t0 = process.hrtime.bigint();
    op();
    samples.push(Number(process.hrtime.bigint() - t0));
  }
  return samples;
}

interface IdleRuns {
  none: number[];
  asleep: number[];
  spinning: number[];
}

/** `rounds` rounds of a block of each kind, so drift on the machine hits all three. */
async function interleaved(rounds: number, perBlock: number, op: () => void): Promise<IdleRuns> {
  const runs: IdleRuns = { none: [], asleep: [], spinning: [] };
  await timeAfterIdle(perBlock, 'none', 0, op);
  for (let round = 0; round < rounds; round++) {
    runs.none.push(...(await timeAfterIdle(perBlock, 'none', 0, op)));
    runs.asleep.push(...(await timeAfterIdle(perBlock, 'asleep', GAP_MS, op)));
    runs.spinning.push(...(await timeAfterIdle(perBlock, 'spinning', GAP_MS, op)));
  }
  return runs;
}

function figure(what: string, runs: IdleRuns, reading: string): BenchFigure {
  const us = (ns: readonly number[]) => ns.map((v) => v / 1000);
  const spinning = summarize(us(runs.spinning));
  return {
    name: `${what}, one call after ${GAP_MS} ms asleep in the event loop (after ${GAP_MS} ms spinning instead: median ${spinning.median.toFixed(1)} us, p99 ${spinning.p99.toFixed(1)} us; ${runs.asleep.length} calls each)`,
    unit: 'us',
    ours: summarize(us(runs.asleep)),
    baselineName: 'the same calls back to back, one at a time',
    baseline: summarize(us(runs.none)),
    goal: reading,
  };
}

/**
 * The Kraken capture's updates through one KrakenBookDecoder, a frame a call. The whole
 * capture is decoded once first (compiled code, books built), then the books are set back
 * to the capture's snapshots, so the timed calls apply its updates to valid books.
 */
function decodeNextUpdate(): () => void {
  const capture = readCaptureV1();
  const frames = capture.map((f) => Buffer.from(f.text));
  const symbols = [...new Set(capture.map((f) => f.symbol))];
  const decoder = new KrakenBookDecoder(symbols, capture[0].depth);
  for (const frame of frames) decoder.applyFrame(frame);
  let next = 0;
  while (capture[next]?.type === 'snapshot') decoder.applyFrame(frames[next++]);
  return () => {
    if (next === frames.length) throw new Error(`idle-gap bench: more calls than the capture's ${frames.length - symbols.length} updates`);
    decoder.applyFrame(frames[next++]);
  };
}

export async function benchIdleGap(quick: boolean): Promise<BenchFigure[]> {
  const rounds = quick ? 2 : 5;
  const perBlock = quick ? 30 : 60;
  const dir = mkdtempSync(join(tmpdir(), 'sequence-bench-idle-'));
  const journal = Journal.open(dir);
  journal.beginTerm(1);
  let i = 0;
  const turn = () => {
    const messages = [];
    for (let k = 0; k < TURN_RECORDS; k++) messages.push(journalMessage(i++));
    journal.appendBatch(1, messages);
  };
  try {
    const decode = await interleaved(rounds, perBlock, decodeNextUpdate());
    const append = await interleaved(rounds, perBlock, turn);
    return [
      figure('Kraken decoder, one update of the capture (scan, apply, checksum)', decode, 'data: the decode stages of tick-to-trade run this cold'),
      figure(`journal append of a ${TURN_RECORDS}-record turn in one transaction`, append, 'data: the journal stage of tick-to-trade runs this cold'),
    ];
  } finally {
    await journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
