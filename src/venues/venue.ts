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

export interface VenueListener {
  /** A new top-of-book for a subscribed symbol. The book object is reused: copy what you keep. */
  onBook(book: L2Book): void;
  onOrderEvent(event: VenueOrderEvent): void;
  /** The venue's trading status changed. */
  onStatus(status: VenueStatus): void;
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
  /** Client order ids of this node's orders open at the venue now, for reconciliation. */
  openOrders(): Promise<string[]>;
  stop(): Promise<void>;
}
