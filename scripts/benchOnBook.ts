import { join } from 'node:path';
import { paramsText } from '../src/node/paramsText.ts';
import { L2Book } from '../src/venues/book.ts';
import { AlgoInstance } from '../src/wasm/algoInstance.ts';
import { loadBundle } from '../src/wasm/loader.ts';
import { writeBook, writeState, type StateFields } from '../src/wasm/structs.ts';
import { summarize, type Summary } from './stats.ts';
import { timeBatches } from './timeBatches.ts';

export interface BenchFigure {
  name: string;
  unit: string;
  /** Per-operation cost: each sample is the mean of one batch. */
  ours: Summary;
  baselineName: string;
  baseline: Summary;
  goal: string;
}

const BATCH = 200;

function book(shift: number): L2Book {
  const b = new L2Book('BTC/USD');
  for (let i = 0; i < 20; i++) {
    b.bidPx[i] = 60_000_000_000_000 + shift - i * 100_000_000;
    b.askPx[i] = 60_000_100_000_000 + shift + i * 100_000_000;
    b.bidSz[i] = 10_000_000 + i * 1_000_000;
    b.askSz[i] = 12_000_000 + i * 1_000_000;
  }
  b.bidCount = 20;
  b.askCount = 20;
  b.recvNs = 1_700_000_000_000_000_000;
  return b;
}

/**
 * One on_book round trip of the example maker: encode a 20-level book and the state into
 * its memory, call algo_on_book (fuel refill and deadline check included), decode the
 * actions it returns (two post-only quotes every call). Baseline: the bare wasm call into
 * the same module, with nothing encoded or decoded: the floor the runtime adds to.
 */
export function benchOnBook(root: string, quick: boolean): BenchFigure {
  const bundle = loadBundle(join(root, 'algos', 'maker', 'build', 'maker.wasm'), { memoryMaxMib: 64, callbackDeadlineMs: 50 });
  const algo = new AlgoInstance('maker', bundle, 50, { nowNs: () => 0, log: () => {}, aborted: (_i, reason) => { throw new Error(reason); } });
  algo.init(paramsText({ spread_bps: 3, quote_qty: '0.01', requote_ticks: 10 }));
  const books = [book(0), book(500_000_000)];
  const meta = { tickSize1e9: 100_000_000, lotSize1e8: 10_000, minQty1e8: 10_000, minNotional1e9: 0, pricePrecision: 1, qtyPrecision: 4 };
  const state: StateFields = { position1e8: 0, avgEntry1e9: 0, realizedPnl1e9: 0, unrealizedPnl1e9: 0, sessionPnl1e9: 0, totalFillCount: 0, nodeRole: 2, halted: false };
  const roundTrip = (i: number) => {
    writeBook(algo.mem, algo.bookPtr, books[i & 1], 0);
    writeState(algo.mem, algo.statePtr, state, [], 0, meta);
    if (!algo.onBook() || algo.actions.count !== 2) throw new Error('the maker did not quote');
  };
  const rawCall = (algo as unknown as { onBookFn: (b: number, s: number) => number }).onBookFn;
  const bare = () => {
    rawCall(algo.bookPtr, algo.statePtr);
  };
  const batches = quick ? 500 : 5000;
  timeBatches(batches / 5, BATCH, roundTrip);
  timeBatches(batches / 5, BATCH, bare);
  const ours: number[] = [];
  const base: number[] = [];
  // Interleaved so that both see the same machine conditions.
  for (let round = 0; round < 10; round++) {
    ours.push(...timeBatches(batches / 10, BATCH, roundTrip));
    base.push(...timeBatches(batches / 10, BATCH, bare));
  }
  return {
    name: 'on_book round trip (maker, 20-level book)',
    unit: 'ns',
    ours: summarize(ours),
    baselineName: 'bare wasm call, no encode/decode',
    baseline: summarize(base),
    goal: 'median < 1000 ns',
  };
}
