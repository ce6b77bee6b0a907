import type { L2Book } from './book.ts';
import type { OrderType, RejectCode } from '../wasm/abi.ts';

// The seam between the node and a trading venue. The sim venue, and the Kraken and
// Coinbase adapters, implement it; the node knows nothing else about a venue.

export type Side = 1 | -1;

export type VenueKind = 'sim' | 'kraken' | 'coinbase';

/** A venue's market metadata for one symbol; 0 means unknown. */
export interface SymbolMeta {
  tickSize1e9: number;
  lotSize1e8: number;
  minQty1e8: number;
  minNotional1e9: number;
  pricePrecision: number;
  qtyPrecision: number;
}

/** A venue could not start (unreachable, a refused key, a symbol it does not list); the message names the venue. */
export class VenueStartError extends Error {}

/** The metadata of a symbol the venue has not loaded (yet): all zeros, "unknown" to algorithms and the risk gate. */
export const UNKNOWN_META: SymbolMeta = Object.freeze({ tickSize1e9: 0, lotSize1e8: 0, minQty1e8: 0, minNotional1e9: 0, pricePrecision: 0, qtyPrecision: 0 });

export interface OrderRequest {
  /** Unique per intent, derived from journaled data; travels to the venue. */
  clientOrderId: string;
  symbol: string;
  side: Side;
  /** Limit price; ignored for market orders. */
  px1e9: number;
  /** Always positive. */
  qty1e8: number;
  type: OrderType;
}

export type VenueOrderEvent =
  | { kind: 'ack'; clientOrderId: string; venueOrderId: string; tsNs: number }
  | { kind: 'reject'; clientOrderId: string; code: RejectCode; reason: string; tsNs: number }
  | {
      kind: 'fill';
      clientOrderId: string;
      /** Unique per venue; fills are applied once per fillId. */
      fillId: string;
      px1e9: number;
      /** Positive; the order's side gives the direction. */
      qty1e8: number;
      /** Fee paid, in quote currency, px_1e9 units (negative for a rebate). */
      fee1e9: number;
      liquidity: 'maker' | 'taker';
      tsNs: number;
    }
  /** The order is dead with its remaining quantity: cancelled on request, IOC/FOK remainder, post-only that would cross. */
  | { kind: 'canceled'; clientOrderId: string; reason: string; tsNs: number }
  | { kind: 'cancelReject'; clientOrderId: string; reason: string; tsNs: number };

/** A venue's trading status, as Kraken reports it (`system` in its status channel). */
export type VenueStatus = 'online' | 'cancel_only' | 'post_only' | 'maintenance';

/** The venue's link as the adapter sees it. An embedded venue is always 'connected'. */
export type ConnectionState = 'connecting' | 'connected' | 'disconnected';

/** A venue's health for the operator's screens; read at the UI's pace, never on the hot path. */
export interface VenueHealth {
  connection: ConnectionState;
  /** Subscribed symbols whose book cannot be trusted right now (no on_book fires for them). */
  invalidBooks: number;
  /** Books rebuilt from a fresh snapshot after a checksum mismatch or a sequence gap. */
  resyncs: number;
  checksumFailures: number;
  sequenceGaps: number;
  /** Successful connections after the first. */
  reconnects: number;
  /** Order requests the per-venue limiter would still let through right now, of rateCapacity (0: no limiter). */
  rateHeadroom: number;
  rateCapacity: number;
  /** Venue rate-limit answers turned into RATE_LIMIT rejects. */
  rateLimited: number;
  /**
   * Wall ms of the latest market-data frame (an update, a heartbeat, a pong) received while
   * every book was valid: the books were current then even if nothing in them changed. 0
   * when the venue does not track it (the sim venue: its books are its own).
   */
  currentAtMs: number;
}

/** One order resting at the venue, as reconciliation sees it. */
export interface VenueOpenOrder {
  /** '' when the venue order carries no client order id (placed by hand or by another program). */
  clientOrderId: string;
  venueOrderId: string;
  symbol: string;
}

/** What the venue holds for this node now, for reconciliation after (re)connecting. */
export interface VenueSnapshot {
  openOrders: VenueOpenOrder[];
  /** Fills of this node's orders from the venue's recent history (at least since the previous snapshot), oldest first. */
  recentFills: Extract<VenueOrderEvent, { kind: 'fill' }>[];
}

export interface VenueListener {
  /** A new top-of-book for a subscribed symbol. The book object is reused: copy what you keep. */
  onBook(book: L2Book): void;
  onOrderEvent(event: VenueOrderEvent): void;
  /** The venue's trading status changed. */
  onStatus(status: VenueStatus): void;
  /**
   * The link went up or down. After every 'connected' but the first the node reconciles
   * (snapshot()) before it trusts its view of the venue's orders again.
   */
  onConnection(state: ConnectionState, reason: string): void;
  /** Something the operator should know that is not an order event: a refused subscription, a book rebuilt, a failed dead man's switch re-arm. */
  onNotice(message: string): void;
}

export interface Venue {
  /** The name of the `[venues.NAME]` table. */
  readonly name: string;
  readonly kind: VenueKind;
  /** ABI venue id: KRAKEN 1, COINBASE 2, SIM 32. */
  readonly venueId: number;
  readonly symbols: readonly string[];
  symbolMeta(symbol: string): SymbolMeta;
  start(listener: VenueListener): Promise<void>;
  /** Sends an order. The outcome arrives later through onOrderEvent, never synchronously. */
  place(request: OrderRequest): void;
  /** Requests a cancel; the outcome arrives later as `canceled` or `cancelReject`. */
  cancel(clientOrderId: string, symbol: string): void;
  /**
   * Optional: the node calls holdWrites() before a turn's requests and releaseWrites()
   * after them, so a venue that sends on a socket can let them leave in one write (a
   * replace's cancel and new order together) rather than one write, and one wake-up of
   * the venue, each.
   */
  holdWrites?(): void;
  releaseWrites?(): void;
  /** Cancels an open venue order the node has no intent for (found by snapshot()). */
  cancelForeign(order: VenueOpenOrder): Promise<void>;
  /**
   * The venue's open orders and recent fills, for reconciliation. `known` lists the client
   * order ids the node holds open: an adapter whose venue limits client id length maps its
   * wire ids back through these.
   */
  snapshot(known: readonly string[]): Promise<VenueSnapshot>;
  health(): VenueHealth;
  stop(): Promise<void>;
}
