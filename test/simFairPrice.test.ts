import { describe, expect, it } from 'vitest';
import { FairPriceBook } from '../src/venues/sim/fairPrice.ts';
import { Prng, seedFor } from '../src/venues/sim/prng.ts';

const PX = 1_000_000_000;
const STEP_NS = 50_000_000;
const T0_NS = 1_700_000_000_000_000_000;

function draws(prng: Prng, n: number): number[] {
  return Array.from({ length: n }, () => prng.nextU32());
}

describe('seeded PRNG', () => {
  it('the same seed draws the same sequence; another seed another', () => {
    expect(draws(new Prng(42), 100)).toEqual(draws(new Prng(42), 100));
    expect(draws(new Prng(42), 100)).not.toEqual(draws(new Prng(43), 100));
    expect(draws(new Prng(2 ** 40), 10)).not.toEqual(draws(new Prng(0), 10));
  });

  it('draws a pinned sequence, so a recorded seed replays after upgrades', () => {
    expect(draws(new Prng(1), 3)).toEqual([2442144158, 3238099751, 3819917871]);
    const values = draws(new Prng(0), 1000);
    expect(values.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32)).toBe(true);
    expect(new Set(values).size).toBe(1000);
  });

  it('floats lie in [0, 1) and intBelow in [0, n)', () => {
    const prng = new Prng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const f = prng.nextFloat();
      expect(f >= 0 && f < 1).toBe(true);
      seen.add(prng.intBelow(6));
    }
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('normal draws have mean 0 and standard deviation 1', () => {
    const prng = new Prng(3);
    const n = 20_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const z = prng.normal();
      sum += z;
      sumSq += z * z;
    }
    const mean = sum / n;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(Math.sqrt(sumSq / n - mean * mean) - 1)).toBeLessThan(0.05);
  });

  it('exponential waits have mean 1/rate, and a rate of 0 never arrives', () => {
    const prng = new Prng(9);
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += prng.exponential(4);
    expect(Math.abs(sum / 20_000 - 0.25)).toBeLessThan(0.01);
    expect(prng.exponential(0)).toBe(Infinity);
  });

  it('refuses bad arguments', () => {
    const prng = new Prng(1);
    expect(() => new Prng(1.5)).toThrow(RangeError);
    expect(() => prng.intBelow(0)).toThrow(RangeError);
    expect(() => prng.intBelow(2.5)).toThrow(RangeError);
    expect(() => prng.exponential(-1)).toThrow(RangeError);
    expect(() => prng.exponential(NaN)).toThrow(RangeError);
    expect(() => seedFor(NaN, 'x')).toThrow(RangeError);
  });

  it('seedFor separates streams by seed and by label', () => {
    expect(seedFor(1, 'BTC/USD')).toBe(seedFor(1, 'BTC/USD'));
    expect(seedFor(1, 'BTC/USD')).not.toBe(seedFor(1, 'ETH/USD'));
    expect(seedFor(1, 'BTC/USD')).not.toBe(seedFor(2, 'BTC/USD'));
    expect(seedFor(1, 'BTC/USD')).not.toBe(seedFor(1 + 2 ** 32, 'BTC/USD'));
  });
});

describe('shared fair price', () => {
  function book(seed = 1, volatilityBps = 5): FairPriceBook {
    const fair = new FairPriceBook(seed);
    fair.register('BTC/USD', 60_000 * PX, volatilityBps);
    return fair;
  }

  it('is a function of seed, symbol and time, whatever the query pattern', () => {
    const everyStep = book();
    const everyTenth = book();
    for (let i = 0; i <= 1000; i++) {
      const t = T0_NS + i * STEP_NS;
      const a = everyStep.fairPrice1e9('BTC/USD', t, PX / 100);
      if (i % 10 === 0) expect(everyTenth.fairPrice1e9('BTC/USD', t, PX / 100)).toBe(a);
    }
  });

  it('two readers at the same time see the same price', () => {
    const fair = book();
    const t = T0_NS + 37 * STEP_NS;
    fair.fairPrice1e9('BTC/USD', T0_NS, PX / 100);
    expect(fair.fairPrice1e9('BTC/USD', t, PX / 100)).toBe(fair.fairPrice1e9('BTC/USD', t, PX / 100));
  });

  it('moves, and moves differently under another seed', () => {
    const prices = (seed: number): number[] => {
      const fair = book(seed);
      return Array.from({ length: 200 }, (_, i) => fair.fairPrice1e9('BTC/USD', T0_NS + i * STEP_NS, PX / 100));
    };
    const a = prices(1);
    expect(new Set(a).size).toBeGreaterThan(50);
    expect(prices(2)).not.toEqual(a);
  });

  it('starts at the start price and rounds the same walk to each caller’s tick grid', () => {
    const fair = book();
    expect(fair.fairPrice1e9('BTC/USD', T0_NS, PX / 100)).toBe(60_000 * PX);
    for (let i = 1; i < 100; i++) {
      const t = T0_NS + i * STEP_NS;
      const fine = fair.fairPrice1e9('BTC/USD', t, PX / 100);
      const coarse = fair.fairPrice1e9('BTC/USD', t, 5 * PX);
      expect(fine % (PX / 100)).toBe(0);
      expect(coarse % (5 * PX)).toBe(0);
      expect(Math.abs(fine - coarse)).toBeLessThanOrEqual(2.5 * PX + PX / 100);
    }
  });

  it('stays positive and on the grid under extreme volatility and a tick near the price', () => {
    const fair = new FairPriceBook(4);
    fair.register('X', 3 * PX, 5_000);
    for (let i = 0; i < 2000; i++) {
      const px = fair.fairPrice1e9('X', T0_NS + i * STEP_NS, PX);
      expect(px >= PX && px % PX === 0 && Number.isSafeInteger(px)).toBe(true);
    }
  });

  it('a volatility of 0 keeps the price fixed', () => {
    const fair = book(1, 0);
    expect(fair.fairPrice1e9('BTC/USD', T0_NS + 10_000 * STEP_NS, PX / 100)).toBe(60_000 * PX);
  });

  it('a time before the walk’s position returns the current price', () => {
    const fair = book();
    fair.fairPrice1e9('BTC/USD', T0_NS, PX / 100);
    const later = fair.fairPrice1e9('BTC/USD', T0_NS + 100 * STEP_NS, PX / 100);
    expect(fair.fairPrice1e9('BTC/USD', T0_NS + 50 * STEP_NS, PX / 100)).toBe(later);
  });

  it('a very long gap is covered in bounded work and stays a valid price', () => {
    const fair = book();
    fair.fairPrice1e9('BTC/USD', T0_NS, PX / 100);
    const px = fair.fairPrice1e9('BTC/USD', T0_NS + 1e9 * STEP_NS, PX / 100);
    expect(Number.isSafeInteger(px) && px > 0 && px % (PX / 100) === 0).toBe(true);
  });

  it('the first registration of a symbol wins', () => {
    const fair = book();
    fair.register('BTC/USD', 1 * PX, 500);
    expect(fair.fairPrice1e9('BTC/USD', T0_NS, PX / 100)).toBe(60_000 * PX);
    expect(fair.has('BTC/USD')).toBe(true);
  });

  it('refuses bad arguments', () => {
    const fair = book();
    expect(() => fair.fairPrice1e9('ETH/USD', T0_NS, PX)).toThrow(/unregistered symbol "ETH\/USD"/);
    expect(() => fair.fairPrice1e9('BTC/USD', T0_NS, 0)).toThrow(RangeError);
    expect(() => fair.fairPrice1e9('BTC/USD', NaN, PX)).toThrow(RangeError);
    expect(() => fair.register('A', 0, 1)).toThrow(/start price/);
    expect(() => fair.register('B', 1.5, 1)).toThrow(/start price/);
    expect(() => fair.register('C', PX, -1)).toThrow(/volatility/);
    expect(() => new FairPriceBook(1, { stepMs: 0 })).toThrow(RangeError);
    expect(() => new FairPriceBook(0.5)).toThrow(RangeError);
  });
});
