import type { HaltTriggers } from './configTypes.ts';
import { RateWindow } from './rateWindow.ts';

/** What the monitor needs to know about one venue. */
export interface VenueHealth {
  name: string;
  /** Wall ms of the newest book from it; 0 before any. */
  lastDataMs: number;
  openOrders: number;
}

/**
 * The automatic halt conditions that need watching over time: too many rejects in one
 * second, and market data gone stale on a venue where the node has open orders (orders
 * resting on a market the node can no longer see). Each returns the halt reason, or ''.
 */
export class HaltMonitor {
  private readonly rejects: RateWindow;

  constructor(private readonly triggers: HaltTriggers) {
    this.rejects = new RateWindow(triggers.maxRejectsPerSec);
  }

  /** Records a reject; returns a reason when this one goes over the limit. */
  onReject(nowMs: number): string {
    const over = this.rejects.full(nowMs);
    this.rejects.record(nowMs);
    return over ? `more than ${this.triggers.maxRejectsPerSec} rejects in one second` : '';
  }

  staleVenue(nowMs: number, venues: readonly VenueHealth[]): string {
    const limit = this.triggers.staleDataMs;
    if (limit === 0) return '';
    for (const v of venues) {
      if (v.openOrders === 0) continue;
      if (v.lastDataMs === 0) return `no market data from ${v.name} while it has ${v.openOrders} open orders`;
      const age = nowMs - v.lastDataMs;
      if (age > limit) return `market data from ${v.name} is ${age} ms old (limit ${limit} ms) while it has ${v.openOrders} open orders`;
    }
    return '';
  }
}
