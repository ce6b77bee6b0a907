const DAY_MS = 86_400_000;

/**
 * An instance's loss since 00:00 UTC: the PnL (realized + unrealized, net of fees) at the
 * first check of each UTC day is the day's baseline, and the loss is how far below it the
 * PnL is now.
 */
export class DailyLoss {
  private day = -1;
  private baseline1e9 = 0;

  /** Returns the loss so far today, px_1e9 units (0 when up on the day). */
  update(nowMs: number, pnl1e9: number): number {
    const day = Math.floor(nowMs / DAY_MS);
    if (day !== this.day) {
      this.day = day;
      this.baseline1e9 = pnl1e9;
    }
    return Math.max(0, this.baseline1e9 - pnl1e9);
  }
}
