import { RejectCode } from '../../wasm/abi.ts';
import type { VenueOrderEvent } from '../venue.ts';
import type { WireFill } from './coinbaseGateway.ts';
import type { UserOrderUpdate } from './coinbaseUserFeed.ts';

// Turns what Coinbase says about this node's orders, from sources that race (the REST
// answer to the create, the user channel, and an order's status read after a refused
// cancel), into the node's per-order event contract: at most one ack (or a reject
// instead), then each fill once, then at most one canceled.
// The user channel reports only cumulative quantities, so when one grows the order's fills
// are read from the fills endpoint and each trade_id not seen before becomes a `fill`.
// Updates of one order are handled one after another (a chain per order), so a terminal
// status waits for the fills that precede it.

interface TrackedOrder {
  readonly clientOrderId: string;
  readonly symbol: string;
  venueOrderId: string;
  acked: boolean;
  /** A reject or canceled was emitted, or the order filled completely: nothing more to say. */
  done: boolean;
  /** Sum of the fills emitted (or reported by a snapshot). */
  reported1e8: number;
  readonly seenFills: Set<string>;
  chain: Promise<void>;
  /** cancel() came before the venue order id was known; sent once it is. */
  cancelWanted: boolean;
}

export interface OrderTrackerDeps {
  emit(event: VenueOrderEvent): void;
  /** The fills of one venue order. */
  fetchFills(venueOrderId: string): Promise<WireFill[]>;
  /** Sends a cancel that was asked for before the order's venue id was known. */
  sendCancel(clientOrderId: string, venueOrderId: string): void;
  notice(message: string): void;
  clockNs(): number;
}

/** Finished orders remembered (so late duplicates are dropped) before the oldest is forgotten. */
const MAX_FINISHED = 10_000;
/** The fills endpoint can trail the user channel; reads of one update before giving up until the next. */
const FILL_READS = 3;
const FILL_RETRY_MS = 200;
const TERMINAL = new Set(['CANCELLED', 'EXPIRED', 'FAILED']);

export class CoinbaseOrderTracker {
  private readonly byClientId = new Map<string, TrackedOrder>();
  private readonly byVenueId = new Map<string, TrackedOrder>();
  private readonly finished: string[] = [];

  constructor(private readonly deps: OrderTrackerDeps) {}

  /** A new order is about to be sent. */
  track(clientOrderId: string, symbol: string): void {
    this.byClientId.set(clientOrderId, { clientOrderId, symbol, venueOrderId: '', acked: false, done: false, reported1e8: 0, seenFills: new Set(), chain: Promise.resolve(), cancelWanted: false });
  }

  /** An order found open at the venue by reconciliation, which this tracker did not place. */
  adopt(clientOrderId: string, symbol: string, venueOrderId: string): void {
    if (this.byClientId.has(clientOrderId)) return;
    this.track(clientOrderId, symbol);
    const order = this.byClientId.get(clientOrderId) as TrackedOrder;
    order.acked = true;
    this.setVenueId(order, venueOrderId);
  }

  has(clientOrderId: string): boolean {
    return this.byClientId.has(clientOrderId);
  }

  clientOrderIdOf(venueOrderId: string): string | undefined {
    return this.byVenueId.get(venueOrderId)?.clientOrderId;
  }

  /** The venue id, '' while unknown, undefined for an order not tracked. */
  venueOrderIdOf(clientOrderId: string): string | undefined {
    return this.byClientId.get(clientOrderId)?.venueOrderId;
  }

  isDone(clientOrderId: string): boolean {
    return this.byClientId.get(clientOrderId)?.done ?? false;
  }

  /** The REST answer accepted the order. */
  accepted(clientOrderId: string, venueOrderId: string): void {
    const order = this.byClientId.get(clientOrderId);
    if (order === undefined) return;
    this.setVenueId(order, venueOrderId);
    this.ack(order);
  }

  /** The REST answer refused the order (or none came after the resend). */
  rejected(clientOrderId: string, code: RejectCode, reason: string): void {
    const order = this.byClientId.get(clientOrderId);
    if (order === undefined || order.acked || order.done) return;
    this.finish(order);
    this.deps.emit({ kind: 'reject', clientOrderId, code, reason, tsNs: this.deps.clockNs() });
  }

  /** The order died at once (a post-only that would cross). */
  canceledAtOnce(clientOrderId: string, reason: string): void {
    const order = this.byClientId.get(clientOrderId);
    if (order === undefined || order.done) return;
    this.finish(order);
    this.deps.emit({ kind: 'canceled', clientOrderId, reason, tsNs: this.deps.clockNs() });
  }

  /** Asks for a cancel; false when the venue id is not known yet (it is sent on ack). */
  wantCancel(clientOrderId: string): boolean {
    const order = this.byClientId.get(clientOrderId);
    if (order === undefined || order.venueOrderId !== '') return true;
    order.cancelWanted = true;
    return false;
  }

  /** A fill that reconciliation returned to the node: the live channel must not report it again. */
  markReported(fill: WireFill): void {
    const order = this.byVenueId.get(fill.venueOrderId);
    if (order === undefined || order.seenFills.has(fill.fillId)) return;
    order.seenFills.add(fill.fillId);
    order.reported1e8 += fill.qty1e8;
  }

  /** Reconciliation found the order no longer open at the venue: the node closes it; nothing more is said about it. */
  closedAtVenue(clientOrderId: string): void {
    const order = this.byClientId.get(clientOrderId);
    if (order !== undefined && order.acked && !order.done) this.finish(order);
  }

  /** Acked, unfinished orders with their venue ids. */
  liveOrders(): { clientOrderId: string; venueOrderId: string }[] {
    const live: { clientOrderId: string; venueOrderId: string }[] = [];
    for (const o of this.byClientId.values()) if (o.acked && !o.done && o.venueOrderId !== '') live.push({ clientOrderId: o.clientOrderId, venueOrderId: o.venueOrderId });
    return live;
  }

  /** One order as the user channel reports it, or as its status lookup does. */
  onUpdate(update: UserOrderUpdate): void {
    const order = this.byClientId.get(update.clientOrderId);
    if (order === undefined) return;
    order.chain = order.chain.then(() => this.apply(order, update)).catch((err: unknown) => this.deps.notice(`coinbase order ${order.clientOrderId}: ${(err as Error).message}`));
  }

  private async apply(order: TrackedOrder, update: UserOrderUpdate): Promise<void> {
    if (order.done && order.reported1e8 >= update.cumulative1e8) return;
    if (update.venueOrderId !== '') this.setVenueId(order, update.venueOrderId);
    if (!order.acked && !order.done) {
      if (update.status === 'FAILED') {
        this.finish(order);
        this.deps.emit({ kind: 'reject', clientOrderId: order.clientOrderId, code: RejectCode.InvalidParams, reason: update.rejectReason || 'order failed at the venue', tsNs: this.deps.clockNs() });
        return;
      }
      this.ack(order);
    }
    if (update.cumulative1e8 > order.reported1e8) await this.readFills(order, update.cumulative1e8);
    if (order.done) return;
    if (TERMINAL.has(update.status)) {
      this.finish(order);
      this.deps.emit({ kind: 'canceled', clientOrderId: order.clientOrderId, reason: update.cancelReason || update.status.toLowerCase(), tsNs: this.deps.clockNs() });
    } else if (update.status === 'FILLED') {
      this.finish(order);
    }
  }

  private async readFills(order: TrackedOrder, cumulative1e8: number): Promise<void> {
    for (let read = 0; read < FILL_READS && order.reported1e8 < cumulative1e8; read++) {
      if (read > 0) await new Promise((resolve) => setTimeout(resolve, FILL_RETRY_MS));
      const fills = await this.deps.fetchFills(order.venueOrderId);
      // The venue lists newest first; the node gets them oldest first.
      for (let i = fills.length - 1; i >= 0; i--) {
        const fill = fills[i];
        if (order.seenFills.has(fill.fillId)) continue;
        order.seenFills.add(fill.fillId);
        order.reported1e8 += fill.qty1e8;
        this.deps.emit({ kind: 'fill', clientOrderId: order.clientOrderId, fillId: fill.fillId, px1e9: fill.px1e9, qty1e8: fill.qty1e8, fee1e9: fill.fee1e9, liquidity: fill.liquidity, tsNs: fill.tsNs });
      }
    }
    if (order.reported1e8 < cumulative1e8) this.deps.notice(`coinbase order ${order.clientOrderId}: the fills endpoint shows less than the user channel's cumulative quantity; reconciliation will pick up the rest`);
  }

  private ack(order: TrackedOrder): void {
    if (order.acked || order.done) return;
    order.acked = true;
    this.deps.emit({ kind: 'ack', clientOrderId: order.clientOrderId, venueOrderId: order.venueOrderId, tsNs: this.deps.clockNs() });
  }

  private setVenueId(order: TrackedOrder, venueOrderId: string): void {
    if (order.venueOrderId === venueOrderId || venueOrderId === '') return;
    order.venueOrderId = venueOrderId;
    this.byVenueId.set(venueOrderId, order);
    if (order.cancelWanted) {
      order.cancelWanted = false;
      this.deps.sendCancel(order.clientOrderId, venueOrderId);
    }
  }

  private finish(order: TrackedOrder): void {
    order.done = true;
    this.finished.push(order.clientOrderId);
    if (this.finished.length <= MAX_FINISHED) return;
    const old = this.byClientId.get(this.finished.shift() as string);
    if (old === undefined) return;
    this.byClientId.delete(old.clientOrderId);
    if (old.venueOrderId !== '') this.byVenueId.delete(old.venueOrderId);
  }
}
