// What the terminal UI renders: a plain, serialisable snapshot the node publishes at
// about 30 Hz (in process, or over the control socket to `sequence tui`). Components
// render only this; they never touch the node's internals. Money is decimal text.

export type NodeRoleName = 'bootstrap' | 'follower' | 'leader';

export interface NodeView {
  id: string;
  role: NodeRoleName;
  /** Lease holder's node id, '' when unknown. */
  leaseHolder: string;
  term: number;
  journalSeq: number;
  /** Records replayed out of total while bootstrapping; null once done. */
  bootstrap: { done: number; total: number } | null;
  phase: 'starting' | 'trading' | 'shutdown' | 'stopped';
  uptimeS: number;
}

export interface HaltView {
  halted: boolean;
  reason: string;
  by: string;
  /** Wall-clock ms when the halt began; 0 when not halted. */
  sinceMs: number;
}

export interface VenueView {
  name: string;
  kind: string;
  connected: boolean;
  /** Age of the newest market data, ms; -1 before any. */
  dataAgeMs: number;
  booksValid: boolean;
  /** Remaining rate-limit budget as a fraction 0..1; null when the venue has none. */
  rateLimitHeadroom: number | null;
}

export interface BookLevelView {
  px: string;
  sz: string;
}

export interface BookView {
  venue: string;
  symbol: string;
  bids: BookLevelView[];
  asks: BookLevelView[];
  /** This venue holds the cross-venue best bid / best ask. */
  nbboBid: boolean;
  nbboAsk: boolean;
  /** Recent mids (numbers, only for the sparkline's shape), oldest first. */
  midHistory: number[];
}

export interface InstanceView {
  label: string;
  venue: string;
  status: 'running' | 'aborted' | 'paused';
  /** Why it is aborted or paused; '' when running. */
  reason: string;
  position: string;
  realizedPnl: string;
  unrealizedPnl: string;
  openOrders: number;
  fills: number;
  lastCallUs: number;
  maxCallUs: number;
}

export interface BlotterRow {
  tsMs: number;
  label: string;
  kind: 'order' | 'fill' | 'reject' | 'cancel' | 'canceled';
  text: string;
}

export interface MeshLinkView {
  from: string;
  to: string;
  sent: number;
  delivered: number;
  dropped: number;
}

export interface MeshMessageView {
  tsMs: number;
  from: string;
  to: string;
  bytes: number;
}

export interface LogLineView {
  tsMs: number;
  label: string;
  /** 0 trace .. 4 error. */
  level: number;
  line: string;
}

export interface ViewModel {
  /** Version of this shape; a UI refuses a model of another version. */
  version: 1;
  node: NodeView;
  halt: HaltView;
  venues: VenueView[];
  books: BookView[];
  instances: InstanceView[];
  /** Newest last, at most 200. */
  blotter: BlotterRow[];
  mesh: { links: MeshLinkView[]; recent: MeshMessageView[] };
  /** Newest last, at most 200. */
  logs: LogLineView[];
}

/** What the UI's keys ask the node to do. */
export interface UiIntents {
  halt(cancelAll: boolean): void;
  resume(): void;
  /** Graceful shutdown of the node (in process) or detach (attached viewer: `detach`). */
  quit(): void;
}

export const VIEW_MODEL_VERSION = 1;
