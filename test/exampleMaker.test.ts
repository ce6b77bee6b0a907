import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAlgos } from '../src/build/buildAlgo.ts';
import { paramsText } from '../src/node/paramsText.ts';
import { L2Book } from '../src/venues/book.ts';
import { RejectCode } from '../src/wasm/abi.ts';
import { AlgoInstance } from '../src/wasm/algoInstance.ts';
import { loadBundle } from '../src/wasm/loader.ts';
import { writeBook, writeReject, writeState, type OpenOrderFields, type StateFields } from '../src/wasm/structs.ts';

// The example maker's own behaviour, through its real bundle and the node's encoding of
// books, state and rejects; the host clock is the test's.

const ALGOS = join(import.meta.dirname, '..', 'algos');
const TICK = 100_000_000;
const META = { tickSize1e9: TICK, lotSize1e8: 10_000, minQty1e8: 10_000, minNotional1e9: 0, pricePrecision: 1, qtyPrecision: 4 };
const FLAT: StateFields = { position1e8: 0, avgEntry1e9: 0, realizedPnl1e9: 0, unrealizedPnl1e9: 0, sessionPnl1e9: 0, totalFillCount: 0, nodeRole: 2, halted: false };

beforeAll(async () => {
  await buildAlgos(ALGOS, { onlyStale: true });
});

function makerAt(clock: { nowNs: number }, params: Record<string, string | number> = {}) {
  const bundle = loadBundle(join(ALGOS, 'maker', 'build', 'maker.wasm'), { memoryMaxMib: 64, callbackDeadlineMs: 1000 });
  const algo = new AlgoInstance('maker', bundle, 1000, { nowNs: () => clock.nowNs, log: () => {}, aborted: (_i, reason) => { throw new Error(reason); } });
  algo.init(paramsText({ spread_bps: 3, quote_qty: '0.01', requote_ticks: 10, ...params }));
  const book = new L2Book('BTC/USD');
  for (let i = 0; i < 5; i++) {
    book.bidPx[i] = 60_000_000_000_000 - (i + 1) * TICK;
    book.askPx[i] = 60_000_000_000_000 + (i + 1) * TICK;
    book.bidSz[i] = book.askSz[i] = 10_000_000;
  }
  book.bidCount = book.askCount = 5;
  /** The orders (not cancels) the maker places on a book, given its live orders (none by default). */
  const placed = (live: readonly OpenOrderFields[] = []) => {
    writeBook(algo.mem, algo.bookPtr, book, 0);
    writeState(algo.mem, algo.statePtr, FLAT, live, live.length, META);
    expect(algo.onBook()).toBe(true);
    let orders = 0;
    for (let i = 0; i < algo.actions.count; i++) if (algo.actions.isCancel[i] === 0) orders++;
    return orders;
  };
  const rejected = (code: RejectCode) => {
    writeReject(algo.mem, algo.rejectPtr, 1, 0, code);
    expect(algo.onReject()).toBe(true);
  };
  return { placed, rejected };
}

describe('the example maker', () => {
  it('quotes both sides of a book while it has no live orders', () => {
    const m = makerAt({ nowNs: 1e18 });
    expect(m.placed()).toBe(2);
    expect(m.placed()).toBe(2);
  });

  it('places nothing new for a second after an order is refused for its rate, then quotes again', () => {
    const clock = { nowNs: 1e18 };
    const m = makerAt(clock);
    m.rejected(RejectCode.RateLimit);
    expect(m.placed()).toBe(0);
    clock.nowNs += 999_000_000;
    expect(m.placed()).toBe(0);
    clock.nowNs += 1_000_000;
    expect(m.placed()).toBe(2);
  });

  it('with min_requote_ms, replaces a live quote that is off by requote_ticks only once that long has passed since it was placed', () => {
    const clock = { nowNs: 1e18 };
    const m = makerAt(clock, { min_requote_ms: 500 });
    expect(m.placed()).toBe(2);
    // Both quotes live, 100 ticks off where the maker wants them.
    const stale: OpenOrderFields[] = [
      { algoOrderId: 1, px1e9: 59_990_000_000_000, qty1e8: 1_000_000, filled1e8: 0, side: 1, status: 1 },
      { algoOrderId: 2, px1e9: 60_010_000_000_000, qty1e8: 1_000_000, filled1e8: 0, side: -1, status: 1 },
    ];
    clock.nowNs += 499_000_000;
    expect(m.placed(stale)).toBe(0);
    clock.nowNs += 1_000_000;
    expect(m.placed(stale)).toBe(2);
    clock.nowNs += 1_000_000;
    expect(m.placed(stale)).toBe(0);
  });

  it('without min_requote_ms, replaces a quote off by requote_ticks on the next book', () => {
    const clock = { nowNs: 1e18 };
    const m = makerAt(clock);
    expect(m.placed()).toBe(2);
    const stale: OpenOrderFields[] = [{ algoOrderId: 1, px1e9: 59_990_000_000_000, qty1e8: 1_000_000, filled1e8: 0, side: 1, status: 1 }];
    expect(m.placed(stale)).toBe(2);
  });

  it('refuses a negative min_requote_ms: its init traps, so the instance never starts', () => {
    expect(() => makerAt({ nowNs: 1e18 }, { min_requote_ms: -1 })).toThrow(/algo_init trapped/);
  });

  it('keeps quoting after a reject for any other reason', () => {
    const m = makerAt({ nowNs: 1e18 });
    m.rejected(RejectCode.InvalidParams);
    expect(m.placed()).toBe(2);
  });
});
