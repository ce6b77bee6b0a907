import type { OrderType, RejectCode } from '../wasm/abi.ts';
import type { Side, VenueOrderEvent } from '../venues/venue.ts';

// The messages that change trading state. The OMS and the node's halt, pause and role
// state change only by applying these, in order; the journal records exactly these, so a
// replay of the journal rebuilds the same state.

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

/** Trading halted: new and replace orders are rejected until an explicit resume. */
export interface HaltMessage {
  kind: 'halt';
  tsNs: number;
  /** Who: an operator ("operator:<user>") or an automatic trigger ("auto:<trigger>"). */
  by: string;
  reason: string;
  /** Halt and also cancel every open order of every instance. */
  cancelAll: boolean;
}

export interface ResumeMessage {
  kind: 'resume';
  tsNs: number;
  by: string;
  reason: string;
}

/** One instance paused (or unpaused) alone, for a breach scoped to it. */
export interface PauseMessage {
  kind: 'pause';
  tsNs: number;
  label: string;
  paused: boolean;
  /** The reject code its orders get while paused (DAILY_LOSS_LIMIT, POSITION_LIMIT), 0 when unpausing. */
  code: RejectCode | 0;
  reason: string;
}

/** A mesh message as delivered (journaled so a replay delivers the same messages). */
export interface MeshMessage {
  kind: 'mesh';
  tsNs: number;
  from: string;
  to: string;
  payload: Uint8Array;
}

export interface DeploymentMessage {
  kind: 'deployment';
  tsNs: number;
  label: string;
  venue: string;
  symbols: string[];
  /** sha256 of the bundle, hex. */
  bundleSha256: string;
  action: 'start' | 'stop' | 'restart';
}

/** The node's role changed; a new Leader stamps its term here. */
export interface RoleMessage {
  kind: 'role';
  tsNs: number;
  nodeId: string;
  role: 'leader' | 'follower';
  term: number;
}

/** How a Leader's graceful shutdown ended: what it left open and whether it waited in vain. */
export interface ShutdownMessage {
  kind: 'shutdown';
  tsNs: number;
  reason: string;
  /** Orders still open at the node when it stopped waiting. */
  openOrders: number;
  /** It stopped waiting for cancel confirmations at the timeout. */
  timedOut: boolean;
}

export type NodeMessage = HaltMessage | ResumeMessage | PauseMessage | MeshMessage | DeploymentMessage | RoleMessage | ShutdownMessage;

export type TradingMessage = OrderRequestMessage | CancelRequestMessage | NodeRejectMessage | VenueOrderEvent | NodeMessage;
