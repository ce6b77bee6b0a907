import type { OrderType, RejectCode } from '../wasm/abi.ts';
import type { Side, VenueOrderEvent } from '../venues/venue.ts';

// The messages that change trading state. The OMS changes only by applying these, in
// order, through Oms.apply; the journal (write ahead) records exactly these.

export interface OrderRequestMessage {
  kind: 'order';
  tsNs: number;
  /** Deployment label of the instance that asked. */
  label: string;
  venue: string;
  symbol: string;
  algoOrderId: number;
  clientOrderId: string;
  side: Side;
  px1e9: number;
  qty1e8: number;
  orderType: OrderType;
  /** The client order id this request replaces (its cancel is requested alongside), or ''. */
  replaces: string;
}

export interface CancelRequestMessage {
  kind: 'cancelRequest';
  tsNs: number;
  clientOrderId: string;
}

/** A request the node refused before it reached the venue (risk, halt, bad parameters). */
export interface NodeRejectMessage {
  kind: 'nodeReject';
  tsNs: number;
  label: string;
  algoOrderId: number;
  code: RejectCode;
  reason: string;
}

export type TradingMessage = OrderRequestMessage | CancelRequestMessage | NodeRejectMessage | VenueOrderEvent;
