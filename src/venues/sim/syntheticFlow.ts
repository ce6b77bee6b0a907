import { mulDiv, PX_SCALE, QTY_SCALE } from '../../node/fixedPoint.ts';
import { OrderType } from '../../wasm/abi.ts';
import type { Side } from '../venue.ts';
import type { MatchingEngine } from './matchingEngine.ts';
import type { Prng } from './prng.ts';

// Seeded synthetic order flow for one symbol on one sim venue: liquidity providers that
// keep a ladder of resting 'flow' orders around the fair price, and takers that arrive as
// a Poisson process and trade against the top of the book (user orders included). It only
// submits to the engine; the venue reads the resulting fills.

export interface FlowParams {
  /** Full spread of the ladder around the venue's quote centre, basis points. */
  spreadBps: number;
  /** Levels per side, each one tick further out than the one before. */
  depthLevels: number;
  /** Taker orders per second. */
  takerRateHz: number;
  tickSize1e9: number;
  lotSize1e8: number;
  minQty1e8: number;
  /** The price quote sizes are set from (see UNIT_NOTIONAL_1E9). */
  refPrice1e9: number;
}

/** Chance per step that a flow quote is pulled and re-queued at the back although its price still stands. */
const REQUOTE_PROBABILITY = 0.02;
/** Shares of takers that sweep two or three levels, and that are market orders; the rest are IOC at the best price. */
const SWEEP_PROBABILITY = 0.15;
const MARKET_PROBABILITY = 0.2;
/**
 * Quote sizes are 1..10 units, taker sizes 1..5 units. A unit is worth about 1,000 in the
 * quote currency at the reference price, rounded up to the lot and at least the minimum
 * quantity, so books of a 60,000 and a 3 price look alike.
 */
const UNIT_NOTIONAL_1E9 = 1_000 * PX_SCALE;
const MAX_QUOTE_UNITS = 10;
const MAX_TAKER_UNITS = 5;
/** Taker arrivals handled in one step; arrivals beyond it (after a stall) are dropped, not carried over. */
const MAX_TAKERS_PER_STEP = 32;
/**
 * The venue's quote centre wanders from the shared fair price as a mean-reverting process
 * with this reversion time and a standard deviation of a quarter of the spread: the
 * venue-local noise that gives cross-venue algorithms something to trade.
 */
const BASIS_REVERSION_S = 5;
const BPS = 10_000;
const MAX_PX_1E9 = Number.MAX_SAFE_INTEGER;

export interface FlowStats {
  quotesPlaced: number;
  quotesCanceled: number;
  takerOrders: number;
}

export class SyntheticFlow {
  private readonly depth: number;
  private readonly unit1e8: number;
  /** Engine ids (0 = empty) and prices of the ladder's quotes, index 0 nearest the centre. */
  private readonly bidIds: Float64Array;
  private readonly bidPx: Float64Array;
  private readonly askIds: Float64Array;
  private readonly askPx: Float64Array;
  private readonly scratchIds: Float64Array;
  private readonly scratchPx: Float64Array;
  private secondsToNextTaker: number;
  private basisBps = 0;
  readonly stats: FlowStats = { quotesPlaced: 0, quotesCanceled: 0, takerOrders: 0 };

  constructor(
    private readonly engine: MatchingEngine,
    private readonly params: FlowParams,
    private readonly prng: Prng,
  ) {
    const { depthLevels, spreadBps, takerRateHz, tickSize1e9, lotSize1e8, minQty1e8, refPrice1e9 } = params;
    if (!Number.isInteger(depthLevels) || depthLevels < 1 || depthLevels > 1000) throw new RangeError(`depthLevels must be an integer in [1, 1000], got ${depthLevels}`);
    if (!(spreadBps >= 0) || !Number.isFinite(spreadBps)) throw new RangeError(`spreadBps must be a finite number >= 0, got ${spreadBps}`);
    if (!(takerRateHz >= 0) || !Number.isFinite(takerRateHz)) throw new RangeError(`takerRateHz must be a finite number >= 0, got ${takerRateHz}`);
    if (!Number.isSafeInteger(tickSize1e9) || tickSize1e9 <= 0) throw new RangeError(`tickSize1e9 must be a positive integer, got ${tickSize1e9}`);
    if (!Number.isSafeInteger(lotSize1e8) || lotSize1e8 <= 0) throw new RangeError(`lotSize1e8 must be a positive integer, got ${lotSize1e8}`);
    if (!Number.isSafeInteger(minQty1e8) || minQty1e8 < 0) throw new RangeError(`minQty1e8 must be an integer >= 0, got ${minQty1e8}`);
    if (!Number.isSafeInteger(refPrice1e9) || refPrice1e9 <= 0) throw new RangeError(`refPrice1e9 must be a positive integer, got ${refPrice1e9}`);
    this.depth = depthLevels;
    const unitAtRef1e8 = mulDiv(UNIT_NOTIONAL_1E9, QTY_SCALE, refPrice1e9);
    this.unit1e8 = Math.ceil(Math.max(unitAtRef1e8, minQty1e8, lotSize1e8) / lotSize1e8) * lotSize1e8;
    this.bidIds = new Float64Array(depthLevels);
    this.bidPx = new Float64Array(depthLevels);
    this.askIds = new Float64Array(depthLevels);
    this.askPx = new Float64Array(depthLevels);
    this.scratchIds = new Float64Array(depthLevels);
    this.scratchPx = new Float64Array(depthLevels);
    this.secondsToNextTaker = prng.exponential(takerRateHz);
  }

  /** Moves the flow on by `dtSeconds` with the shared fair price at `fair1e9`: requotes the ladder, then sends the takers that arrived. */
  step(fair1e9: number, dtSeconds: number): void {
    const dt = dtSeconds > 0 ? dtSeconds : 0;
    this.driftBasis(dt);
    const tick = this.params.tickSize1e9;
    const centre = fair1e9 * (1 + this.basisBps / BPS);
    const halfSpread = this.params.spreadBps / 2 / BPS;
    const topBid = Math.floor((centre * (1 - halfSpread)) / tick) * tick;
    let topAsk = Math.ceil((centre * (1 + halfSpread)) / tick) * tick;
    if (topAsk <= topBid) topAsk = topBid + tick;

    // Pull stale quotes on both sides before placing any, so the new ladder never meets the old one.
    this.keepStanding(this.bidIds, this.bidPx, 1, topBid);
    this.keepStanding(this.askIds, this.askPx, -1, topAsk);
    this.fillLadder(this.bidIds, this.bidPx, 1, topBid);
    this.fillLadder(this.askIds, this.askPx, -1, topAsk);
    this.sendTakers(dt);
  }

  private driftBasis(dt: number): void {
    if (dt === 0) return;
    const stationarySd = this.params.spreadBps / 4;
    const decay = Math.exp(-dt / BASIS_REVERSION_S);
    this.basisBps = this.basisBps * decay + stationarySd * Math.sqrt(1 - decay * decay) * this.prng.normal();
  }

  /** Keeps each live quote whose price is still on the new ladder (moved to its new slot), cancels the rest. */
  private keepStanding(ids: Float64Array, pxs: Float64Array, side: Side, top: number): void {
    const tick = this.params.tickSize1e9;
    this.scratchIds.fill(0);
    for (let i = 0; i < this.depth; i++) {
      const id = ids[i];
      if (id === 0 || this.engine.remaining(id) === 0) continue;
      const slot = (side === 1 ? top - pxs[i] : pxs[i] - top) / tick;
      const stands = Number.isInteger(slot) && slot >= 0 && slot < this.depth && this.scratchIds[slot] === 0;
      if (stands && this.prng.nextFloat() >= REQUOTE_PROBABILITY) {
        this.scratchIds[slot] = id;
        this.scratchPx[slot] = pxs[i];
      } else {
        this.engine.cancel(id);
        this.stats.quotesCanceled++;
      }
    }
    ids.set(this.scratchIds);
    pxs.set(this.scratchPx);
  }

  private fillLadder(ids: Float64Array, pxs: Float64Array, side: Side, top: number): void {
    const tick = this.params.tickSize1e9;
    for (let slot = 0; slot < this.depth; slot++) {
      if (ids[slot] !== 0) continue;
      const px = side === 1 ? top - slot * tick : top + slot * tick;
      if (px <= 0 || px > MAX_PX_1E9) continue;
      const qty = this.unit1e8 * (1 + this.prng.intBelow(MAX_QUOTE_UNITS));
      const result = this.engine.submit('flow', side, px, qty, OrderType.Limit);
      this.stats.quotesPlaced++;
      // A new quote can trade with a user order the fair price has moved through; it rests with what is left.
      ids[slot] = result.status === 'rested' ? result.id : 0;
      pxs[slot] = px;
    }
  }

  private sendTakers(dt: number): void {
    this.secondsToNextTaker -= dt;
    let sent = 0;
    while (this.secondsToNextTaker <= 0 && sent < MAX_TAKERS_PER_STEP) {
      this.sendTaker();
      sent++;
      this.secondsToNextTaker += this.prng.exponential(this.params.takerRateHz);
    }
    if (this.secondsToNextTaker <= 0) this.secondsToNextTaker = this.prng.exponential(this.params.takerRateHz);
  }

  private sendTaker(): void {
    const side: Side = (this.prng.nextU32() & 1) === 0 ? 1 : -1;
    const bookSide: Side = side === 1 ? -1 : 1;
    const levels = this.engine.levelCount(bookSide);
    if (levels === 0) return;
    this.stats.takerOrders++;
    const u = this.prng.nextFloat();
    const smallQty = this.unit1e8 * (1 + this.prng.intBelow(MAX_TAKER_UNITS));
    if (u < SWEEP_PROBABILITY) {
      const sweep = Math.min(levels, 2 + this.prng.intBelow(2));
      const limit = this.engine.levelPx(bookSide, sweep - 1);
      this.engine.submit('flow', side, limit, this.engine.depthQty(bookSide, sweep), OrderType.Ioc);
    } else if (u < SWEEP_PROBABILITY + MARKET_PROBABILITY) {
      this.engine.submit('flow', side, 0, smallQty, OrderType.Market);
    } else {
      this.engine.submit('flow', side, this.engine.levelPx(bookSide, 0), smallQty, OrderType.Ioc);
    }
  }
}
