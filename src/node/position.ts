import type { Side } from '../venues/venue.ts';

// Average-cost position accounting on integer fixed point. The open position's cost is
// kept exactly as the sum of px_1e9 x qty_1e8 (units of 10^-17) in a BigInt, so realized
// PnL accumulates without rounding drift; only the values handed out are truncated to
// px_1e9 units. Fills are rare next to book updates, so BigInt here costs nothing that
// matters on the hot path.

const SCALE_1E8 = 100_000_000n;

/** A position's exact state, for core snapshots (BigInts as decimal strings). */
export interface PositionSnapshot {
  qty1e8: number;
  fillCount: number;
  fees1e9: number;
  cost: string;
  realizedGross: string;
}

export class Position {
  /** Signed: + long, - short. */
  qty1e8 = 0;
  fillCount = 0;
  /** Fees paid, quote currency, px_1e9 units (negative for net rebates). */
  fees1e9 = 0;
  private cost = 0n;
  private realizedGross = 0n;

  applyFill(side: Side, px1e9: number, qty1e8: number, fee1e9: number): void {
    const p = BigInt(px1e9);
    let remaining = qty1e8;
    this.fillCount++;
    this.fees1e9 += fee1e9;
    if (this.qty1e8 !== 0 && Math.sign(this.qty1e8) !== side) {
      const open = Math.abs(this.qty1e8);
      const closing = Math.min(remaining, open);
      const costRemoved = (this.cost * BigInt(closing)) / BigInt(open);
      const proceeds = p * BigInt(closing) * BigInt(Math.sign(this.qty1e8));
      this.realizedGross += proceeds - costRemoved;
      this.cost -= costRemoved;
      this.qty1e8 += side * closing;
      remaining -= closing;
      if (this.qty1e8 === 0) this.cost = 0n;
    }
    if (remaining > 0) {
      this.cost += p * BigInt(side * remaining);
      this.qty1e8 += side * remaining;
    }
  }

  /** Average entry price of the open position, px_1e9, truncated; 0 when flat. */
  avgEntry1e9(): number {
    if (this.qty1e8 === 0) return 0;
    const c = this.cost < 0n ? -this.cost : this.cost;
    return Number(c / BigInt(Math.abs(this.qty1e8)));
  }

  /** Realized PnL net of fees, px_1e9 units. */
  realizedPnl1e9(): number {
    return Number(this.realizedGross / SCALE_1E8) - this.fees1e9;
  }

  /** Unrealized PnL of the open position marked at `mark1e9`, px_1e9 units; 0 without a mark. */
  unrealizedPnl1e9(mark1e9: number): number {
    if (this.qty1e8 === 0 || mark1e9 <= 0) return 0;
    return Number((BigInt(mark1e9) * BigInt(this.qty1e8) - this.cost) / SCALE_1E8);
  }

  snapshot(): PositionSnapshot {
    return { qty1e8: this.qty1e8, fillCount: this.fillCount, fees1e9: this.fees1e9, cost: this.cost.toString(), realizedGross: this.realizedGross.toString() };
  }

  restore(s: PositionSnapshot): void {
    this.qty1e8 = s.qty1e8;
    this.fillCount = s.fillCount;
    this.fees1e9 = s.fees1e9;
    this.cost = BigInt(s.cost);
    this.realizedGross = BigInt(s.realizedGross);
  }
}
