import { Prng, seedFor } from './prng.ts';

// The common fair price every sim venue in a run quotes around: one geometric random walk
// per symbol, advanced in fixed time steps. The walk's position depends only on the node
// seed, the symbol and the number of steps since the symbol was first priced, never on
// which venue asks or how often, so two venues that ask at the same time get the same
// price. Each venue's own flow adds its noise on top (see syntheticFlow.ts).

export const DEFAULT_FAIR_STEP_MS = 50;

/**
 * A query this many steps after the last one walks them one by one; a longer gap (the
 * process was suspended) is covered by one aggregate draw for the rest, with the same
 * distribution, so a query's cost stays bounded.
 */
const MAX_STEPS_PER_QUERY = 10_000;

/** Keeps the walk inside what a px_1e9 number holds exactly (price about 9,000,000). */
const MAX_FAIR_PX_1E9 = 9_000_000_000_000_000;

const NS_PER_MS = 1_000_000;
const BPS = 10_000;

interface Walk {
  readonly prng: Prng;
  /** Continuous fair value, px_1e9 units; callers see it rounded to their tick grid. */
  px1e9: number;
  /** Standard deviation of one step's log return. */
  readonly sigmaPerStep: number;
  /** Step index of the walk's position; NaN until the symbol is first priced. */
  step: number;
}

export interface FairPriceOptions {
  /** Length of one step of the walk; default 50 ms. */
  stepMs?: number;
}

export class FairPriceBook {
  private readonly walks = new Map<string, Walk>();
  private readonly stepNs: number;
  private readonly stepSeconds: number;

  constructor(
    readonly seed: number,
    options: FairPriceOptions = {},
  ) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`the fair-price seed must be a safe integer, got ${seed}`);
    const stepMs = options.stepMs ?? DEFAULT_FAIR_STEP_MS;
    if (!(stepMs > 0) || !Number.isFinite(stepMs)) throw new RangeError(`the fair-price step must be a positive number of ms, got ${stepMs}`);
    this.stepNs = stepMs * NS_PER_MS;
    this.stepSeconds = stepMs / 1000;
  }

  /**
   * Creates the symbol's walk. The first registration wins: a later venue that lists the
   * same symbol shares the walk as it is, whatever start price and volatility it brings,
   * because a second fair price for one symbol would defeat the point.
   */
  register(symbol: string, startPrice1e9: number, volatilityBps: number): void {
    if (this.walks.has(symbol)) return;
    if (!Number.isSafeInteger(startPrice1e9) || startPrice1e9 <= 0 || startPrice1e9 > MAX_FAIR_PX_1E9) {
      throw new RangeError(`${symbol}: the start price must be a positive integer px_1e9 up to ${MAX_FAIR_PX_1E9}, got ${startPrice1e9}`);
    }
    if (!(volatilityBps >= 0) || !Number.isFinite(volatilityBps)) {
      throw new RangeError(`${symbol}: volatility must be a finite number of bps >= 0, got ${volatilityBps}`);
    }
    this.walks.set(symbol, {
      prng: new Prng(seedFor(this.seed, symbol)),
      px1e9: startPrice1e9,
      sigmaPerStep: (volatilityBps / BPS) * Math.sqrt(this.stepSeconds),
      step: NaN,
    });
  }

  has(symbol: string): boolean {
    return this.walks.has(symbol);
  }

  /**
   * The fair price at `nowNs`, rounded to the nearest multiple of `tickSize1e9` and at
   * least one tick. A time earlier than the walk's position (a venue whose clock read came
   * a little before another's) gets the current price: the walk never goes back.
   */
  fairPrice1e9(symbol: string, nowNs: number, tickSize1e9: number): number {
    const walk = this.walks.get(symbol);
    if (walk === undefined) throw new Error(`no fair price for unregistered symbol "${symbol}"`);
    if (!Number.isSafeInteger(tickSize1e9) || tickSize1e9 <= 0) throw new RangeError(`tick size must be a positive integer px_1e9, got ${tickSize1e9}`);
    if (!Number.isFinite(nowNs)) throw new RangeError(`time must be a finite number of ns, got ${nowNs}`);
    this.advance(walk, Math.floor(nowNs / this.stepNs));
    const ticks = Math.max(1, Math.round(walk.px1e9 / tickSize1e9));
    return Math.min(ticks, Math.floor(MAX_FAIR_PX_1E9 / tickSize1e9)) * tickSize1e9;
  }

  private advance(walk: Walk, step: number): void {
    if (Number.isNaN(walk.step)) {
      walk.step = step;
      return;
    }
    const steps = step - walk.step;
    if (steps <= 0) return;
    const stepwise = Math.min(steps, MAX_STEPS_PER_QUERY);
    let logReturn = 0;
    for (let i = 0; i < stepwise; i++) logReturn += walk.sigmaPerStep * walk.prng.normal();
    if (steps > stepwise) logReturn += walk.sigmaPerStep * Math.sqrt(steps - stepwise) * walk.prng.normal();
    walk.px1e9 = Math.min(MAX_FAIR_PX_1E9, walk.px1e9 * Math.exp(logReturn));
    walk.step = step;
  }
}
