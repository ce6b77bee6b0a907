/** How one cancel asked by an operator action ended. */
export interface CancelOutcome {
  clientOrderId: string;
  label: string;
  venue: string;
  outcome: 'canceled' | 'filled' | 'rejected' | 'cancel_rejected' | 'timeout';
  reason: string;
}

interface Pending {
  remaining: Map<string, CancelOutcome>;
  done: CancelOutcome[];
  resolve: (outcomes: CancelOutcome[]) => void;
  timer: NodeJS.Timeout;
}

/**
 * Follows a batch of cancels to their ends (halt and cancel all reports each one): the
 * engine tells it how each order died, and the batch resolves when every order has an
 * outcome or the timeout passes (those left are reported as `timeout`).
 */
export class CancelTracker {
  private readonly batches = new Set<Pending>();

  track(orders: { clientOrderId: string; label: string; venue: string }[], timeoutMs: number): Promise<CancelOutcome[]> {
    return new Promise((resolve) => {
      const remaining = new Map(orders.map((o) => [o.clientOrderId, { ...o, outcome: 'timeout' as const, reason: '' }]));
      const batch: Pending = { remaining, done: [], resolve, timer: setTimeout(() => this.finish(batch), timeoutMs) };
      this.batches.add(batch);
      if (remaining.size === 0) this.finish(batch);
    });
  }

  /** An order ended (or its cancel was refused) with this outcome. */
  settle(clientOrderId: string, outcome: Exclude<CancelOutcome['outcome'], 'timeout'>, reason: string): void {
    for (const batch of this.batches) {
      const entry = batch.remaining.get(clientOrderId);
      if (entry === undefined) continue;
      batch.remaining.delete(clientOrderId);
      batch.done.push({ ...entry, outcome, reason });
      if (batch.remaining.size === 0) this.finish(batch);
    }
  }

  private finish(batch: Pending): void {
    if (!this.batches.delete(batch)) return;
    clearTimeout(batch.timer);
    batch.resolve([...batch.done, ...batch.remaining.values()]);
  }
}
