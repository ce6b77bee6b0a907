import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenOnLoopback } from './listenOnLoopback.ts';

// An emulator's outage as a harness sees a venue's gateway restart: the listener closes,
// every connection (HTTP and WebSocket) drops, new connections are refused for a while,
// then the same port listens again. The exchange behind it (the market, its resting
// orders, its fills) keeps running throughout, as a real venue's matching engine does.

export class ServerOutage {
  private pending: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  private underWay = false;
  private cancelled = false;

  /** `dropSockets` cuts the connections the server no longer tracks itself (upgraded WebSockets). */
  constructor(
    private readonly server: Server,
    private readonly dropSockets: () => void,
  ) {}

  get active(): boolean {
    return this.underWay;
  }

  /** Throws a RangeError naming what is wrong with `ms`, or when an outage is already under way. */
  check(ms: unknown): number {
    if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`outage needs "ms": a whole number of milliseconds >= 0, got ${JSON.stringify(ms)}`);
    if (this.underWay) throw new RangeError('an outage is already under way');
    return ms;
  }

  /** Goes down for `ms`, then listens again on the same address; resolves once back (or once cancelled). */
  async run(ms: number): Promise<void> {
    this.check(ms);
    const address = this.server.address() as AddressInfo | null;
    if (address === null) throw new RangeError('the emulator is not listening');
    this.underWay = true;
    try {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.dropSockets();
      this.server.closeAllConnections();
      await closed;
      if (this.cancelled) return;
      await new Promise<void>((resolve) => {
        this.pending = { timer: setTimeout(resolve, ms), resolve };
      });
      this.pending = null;
      if (this.cancelled) return;
      await listenOnLoopback(this.server, address.port, address.address);
    } finally {
      this.underWay = false;
    }
  }

  /** The emulator is stopping: an outage under way ends without listening again. */
  cancel(): void {
    this.cancelled = true;
    if (this.pending === null) return;
    clearTimeout(this.pending.timer);
    this.pending.resolve();
  }
}
