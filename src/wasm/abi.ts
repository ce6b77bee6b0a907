// Layouts and codes of the algorithm ABI (../shared/ABI.md, version 1 plus extensions).
// Offsets are in bytes; structs are C layout, little-endian.

export const LEVEL_SIZE = 16;
export const BOOK_LEVELS = 20;

export const L2BOOK = {
  size: 656,
  bids: 0,
  asks: 320,
  bidCt: 640,
  askCt: 641,
  symbolId: 642,
  recvNs: 648,
} as const;

export const OPEN_ORDER = {
  size: 40,
  orderId: 0,
  px: 8,
  qty: 16,
  filled: 24,
  side: 32,
  status: 33,
} as const;

export const MAX_STATE_ORDERS = 32;

export const ALGO_STATE = {
  size: 1384,
  v1Size: 1320,
  position: 0,
  avgEntry: 8,
  realizedPnl: 16,
  unrealizedPnl: 24,
  orders: 32,
  orderCt: 1312,
  sessionPnl: 1320,
  totalFillCount: 1328,
  symbolMeta: 1336,
  nodeRole: 1376,
  halted: 1377,
} as const;

export const SYMBOL_META = {
  size: 40,
  tickSize: 0,
  lotSize: 8,
  minQty: 16,
  minNotional: 24,
  pricePrecision: 32,
  qtyPrecision: 33,
} as const;

export const FILL = {
  size: 40,
  orderId: 0,
  px: 8,
  qty: 16,
  recvNs: 24,
  side: 32,
} as const;

export const REJECT = {
  size: 16,
  orderId: 0,
  code: 8,
} as const;

export const ACTION = {
  size: 32,
  orderId: 0,
  px: 8,
  qty: 16,
  side: 24,
  isCancel: 25,
  orderType: 26,
} as const;

export const MAX_ACTIONS = 16;

export const WASM_ACTIONS = {
  size: 520,
  count: 0,
  actions: 8,
} as const;

export const NBBO = {
  size: 64,
  bidPx: 0,
  bidSz: 8,
  askPx: 16,
  askSz: 24,
  bidVenue: 32,
  askVenue: 33,
  symbolId: 34,
  recvNs: 40,
  venueCt: 48,
} as const;

export const OrderStatus = { Pending: 0, Acked: 1, Partial: 2, Dead: 3 } as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

export const OrderType = { Limit: 0, Market: 1, Ioc: 2, Fok: 3, PostOnly: 4 } as const;
export type OrderType = (typeof OrderType)[keyof typeof OrderType];

export const NodeRole = { Bootstrap: 0, Follower: 1, Leader: 2 } as const;
export type NodeRole = (typeof NodeRole)[keyof typeof NodeRole];

export const VenueId = { Kraken: 1, Coinbase: 2, Sim: 32 } as const;

export const RejectCode = {
  Unknown: 0,
  InsufficientBalance: 1,
  InvalidParams: 2,
  RateLimit: 3,
  ExchangeBusy: 4,
  Network: 5,
  Auth: 6,
  Risk: 100,
  PositionLimit: 101,
  KillSwitch: 102,
  PriceDeviation: 103,
  DailyLossLimit: 104,
} as const;
export type RejectCode = (typeof RejectCode)[keyof typeof RejectCode];

export const LogLevel = { Trace: 0, Debug: 1, Info: 2, Warn: 3, Error: 4 } as const;

/** __seq_send results. */
export const SendResult = { Queued: 0, PayloadTooLarge: -1, OutboxFull: -2, BadLabel: -3 } as const;
export const MAX_MESSAGE_BYTES = 256;
export const MAX_SENDS_PER_CALLBACK = 16;
export const MAX_LABEL_BYTES = 32;

/** The version-1 exports every bundle must have (the Rust SDK 0.1 set). */
export const REQUIRED_EXPORTS = ['algo_alloc', 'algo_on_book', 'algo_on_fill', 'algo_on_reject', 'algo_on_shutdown'] as const;

/**
 * Optional exports the node wires up when present. `algo_init` is this node's extension for
 * deployment parameters: called once, before any other callback, with the UTF-8 text of
 * `[deploy.X].params` as `key=value` lines.
 */
export const OPTIONAL_EXPORTS = [
  'algo_init',
  'algo_on_message',
  'algo_on_nbbo',
  'algo_on_heartbeat',
  'algo_on_node_status',
  'algo_on_kill_switch',
] as const;

/** The only imports a bundle may declare (module `env`). */
export const ALLOWED_IMPORTS = ['host_log_impl', '__seq_send', 'host_now_ns'] as const;

export const WASM_PAGE_BYTES = 65536;
export const DEFAULT_MEMORY_MAX_MIB = 64;
export const DEFAULT_CALLBACK_DEADLINE_MS = 50;
