import { describe, expect, it } from 'vitest';
import { OrderType } from '../src/wasm/abi.ts';
import { L2Book } from '../src/venues/book.ts';
import { MatchingEngine } from '../src/venues/sim/matchingEngine.ts';
import { Prng } from '../src/venues/sim/prng.ts';
import { SyntheticFlow } from '../src/venues/sim/syntheticFlow.ts';
import type { FlowParams } from '../src/venues/sim/syntheticFlow.ts';

const PX = 1_000_000_000;
const CENT = PX / 100;

function params(overrides: Partial<FlowParams> = {}): FlowParams {
  return { spreadBps: 10, depthLevels: 5, takerRateHz: 0, tickSize1e9: CENT, lotSize1e8: 1_000, minQty1e8: 10_000, refPrice1e9: 100 * PX, ...overrides };
}

function setup(overrides: Partial<FlowParams> = {}, seed = 1): { engine: MatchingEngine; flow: SyntheticFlow; book: L2Book } {
  const engine = new MatchingEngine();
  return { engine, flow: new SyntheticFlow(engine, params(overrides), new Prng(seed)), book: new L2Book('T') };
}

describe('synthetic flow', () => {
  it('quotes depthLevels levels a side, half the spread from the fair price, one tick apart', () => {
    const { engine, flow, book } = setup();
    flow.step(100 * PX, 0);
    engine.writeL2(book);
    expect(Array.from(book.bidPx.slice(0, book.bidCount))).toEqual([9995, 9994, 9993, 9992, 9991].map((c) => c * CENT));
    expect(Array.from(book.askPx.slice(0, book.askCount))).toEqual([10005, 10006, 10007, 10008, 10009].map((c) => c * CENT));
  });

  it('sizes quotes in units of about 1,000 of notional, on the lot grid', () => {
    const { engine, flow, book } = setup();
    flow.step(100 * PX, 0);
    engine.writeL2(book);
    // 1,000 at a price of 100 is 10 units of quantity.
    for (const sz of [...book.bidSz.slice(0, 5), ...book.askSz.slice(0, 5)]) {
      expect(sz % 1_000_000_000).toBe(0);
      expect(sz >= 1_000_000_000 && sz <= 10_000_000_000).toBe(true);
    }
  });

  it('a tiny spread still leaves at least one tick between bid and ask', () => {
    const { engine, flow, book } = setup({ spreadBps: 0 });
    flow.step(100 * PX, 0);
    engine.writeL2(book);
    expect(book.bestAsk() - book.bestBid()).toBe(CENT);
  });

  it('follows the fair price and keeps the ladder size constant', () => {
    const { engine, flow, book } = setup();
    flow.step(100 * PX, 0);
    flow.step(101 * PX, 0);
    engine.writeL2(book);
    expect([book.bestBid(), book.bestAsk(), engine.restingOrders]).toEqual([10094 * CENT, 10106 * CENT, 10]);
  });

  it('requoting against a user order the fair price moved through trades with it', () => {
    const { engine, flow } = setup();
    flow.step(100 * PX, 0);
    const user = engine.submit('user', -1, 10010 * CENT, 10_000, OrderType.Limit).id;
    engine.clearFills();
    flow.step(102 * PX, 0);
    expect(engine.fillCount).toBe(1);
    expect(engine.fillAt(0)).toMatchObject({ makerId: user, makerOwner: 'user', takerOwner: 'flow', px1e9: 10010 * CENT, makerRemaining1e8: 0 });
  });

  it('never leaves a crossed book while fair price and takers move it', () => {
    const { engine, flow, book } = setup({ takerRateHz: 20 });
    const prng = new Prng(99);
    let fair = 100 * PX;
    for (let i = 0; i < 2000; i++) {
      fair += (prng.intBelow(21) - 10) * CENT;
      flow.step(fair, 0.05);
      engine.clearFills();
      engine.writeL2(book);
      if (book.bidCount > 0 && book.askCount > 0) expect(book.bestBid()).toBeLessThan(book.bestAsk());
    }
    expect(engine.restingOrders).toBeLessThanOrEqual(10);
  });

  it('sends takers at about takerRateHz, some sweeping several levels', () => {
    const { engine, flow } = setup({ takerRateHz: 10 });
    let multiLevelTakers = 0;
    for (let i = 0; i < 2000; i++) {
      flow.step(100 * PX, 0.05);
      const prices = new Set<number>();
      let lastTaker = -1;
      for (let f = 0; f < engine.fillCount; f++) {
        const fill = engine.fillAt(f);
        if (fill.takerId !== lastTaker) {
          if (prices.size >= 2) multiLevelTakers++;
          prices.clear();
          lastTaker = fill.takerId;
        }
        prices.add(fill.px1e9);
      }
      if (prices.size >= 2) multiLevelTakers++;
      engine.clearFills();
    }
    // 100 simulated seconds at 10 Hz.
    expect(flow.stats.takerOrders).toBeGreaterThan(850);
    expect(flow.stats.takerOrders).toBeLessThan(1150);
    expect(multiLevelTakers).toBeGreaterThan(50);
  });

  it('a taker rate of 0 sends no takers', () => {
    const { flow } = setup({ takerRateHz: 0 });
    for (let i = 0; i < 100; i++) flow.step(100 * PX, 1);
    expect(flow.stats.takerOrders).toBe(0);
  });

  it('a long stall sends a bounded burst of takers, not the backlog', () => {
    const { flow } = setup({ takerRateHz: 100 });
    flow.step(100 * PX, 0);
    flow.step(100 * PX, 3600);
    expect(flow.stats.takerOrders).toBeLessThanOrEqual(32);
  });

  it('refuses parameters it cannot quote with', () => {
    const engine = new MatchingEngine();
    const bad: Partial<FlowParams>[] = [
      { depthLevels: 0 },
      { depthLevels: 2.5 },
      { spreadBps: -1 },
      { spreadBps: Infinity },
      { takerRateHz: -1 },
      { tickSize1e9: 0 },
      { lotSize1e8: 0.5 },
      { minQty1e8: -1 },
      { refPrice1e9: 0 },
    ];
    for (const overrides of bad) expect(() => new SyntheticFlow(engine, params(overrides), new Prng(1)), JSON.stringify(overrides)).toThrow(RangeError);
  });
});
