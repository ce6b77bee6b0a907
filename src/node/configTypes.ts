// The validated shape of Sequence.toml (see README.md, "Configuration"). Money-like values
// are fixed-point integers (px_1e9, qty_1e8); paths are absolute.

export interface NodeSection {
  id: string;
  /** Absolute path of the node's data directory. */
  dataDir: string;
  /** Seeds the sim venues' shared fair-price process. */
  seed: number;
  /** After on_shutdown, the node cancels any order an algorithm left open. */
  cancelOnShutdown: boolean;
  shutdownTimeoutMs: number;
  statusIntervalMs: number;
  /**
   * How long a Leader's lease lasts without renewal. It renews every fifth of this and
   * stops trading 30% before it can expire; a Follower takes over after it expires.
   */
  leaseTtlMs: number;
  /**
   * With the terminal UI in the node's process: the trading thread on one CPU and the UI
   * thread on the others (src/tui/threadPlacement.ts).
   */
  pinThreads: boolean;
}

export interface SimMarketConfig {
  symbol: string;
  startPrice1e9: number;
  tickSize1e9: number;
  lotSize1e8: number;
  minQty1e8: number;
}

export interface SimVenueConfig {
  kind: 'sim';
  name: string;
  seed: number;
  /** Standard deviation of the fair price's move per second, basis points. */
  volatilityBps: number;
  /** Full spread of the synthetic liquidity around the fair price, basis points. */
  spreadBps: number;
  /** Price levels of synthetic liquidity per side. */
  depthLevels: number;
  /** How often the synthetic flow moves the book. */
  tickIntervalMs: number;
  /** Synthetic taker orders per second. */
  takerRateHz: number;
  /** Fees charged on fills, basis points of notional (negative: a rebate). */
  makerFeeBps: number;
  takerFeeBps: number;
  markets: SimMarketConfig[];
}

/** Settings every live venue adapter shares. */
export interface LiveVenueSettings {
  /** The per-venue order limiter: requests at once, and refilled per second. */
  rateLimitBurst: number;
  rateLimitPerSec: number;
  /** Open venue orders the node has no intent for, found by reconciliation: reported, and cancelled when 'cancel'. */
  unknownOrders: 'cancel' | 'leave';
}

export interface KrakenVenueConfig extends LiveVenueSettings {
  kind: 'kraken';
  name: string;
  wsUrl: string;
  wsAuthUrl: string;
  restUrl: string;
  depth: number;
  /** The dead man's switch: CancelAllOrdersAfter with this timeout, re-armed every third of it while Leader; 0 disables. */
  deadManTimeoutSec: number;
  /** How orders and cancels travel: REST (AddOrder, CancelOrder) always, the default, or the private WebSocket's add_order and cancel_order while it is up (REST otherwise). */
  orderEntry: 'ws' | 'rest';
}

export interface CoinbaseVenueConfig extends LiveVenueSettings {
  kind: 'coinbase';
  name: string;
  wsUrl: string;
  wsUserUrl: string;
  restUrl: string;
}

export type VenueConfig = SimVenueConfig | KrakenVenueConfig | CoinbaseVenueConfig;

export interface RiskLimits {
  /** 0 means no limit. */
  maxOrderQty1e8: number;
  maxOrderNotional1e9: number;
  maxPosition1e8: number;
  maxOpenOrders: number;
  /** A limit price further than this from the venue's mid is PRICE_DEVIATION; 0 = no limit. */
  maxPriceDeviationBps: number;
  /** New and replace orders per instance in any one second; 0 = no limit. */
  maxOrdersPerSec: number;
  /** Loss (realized + unrealized, net of fees) since 00:00 UTC that pauses the instance; 0 = no limit. */
  maxDailyLoss1e9: number;
}

/** Node-wide conditions that halt trading by themselves; 0 turns one off. */
export interface HaltTriggers {
  /** Rejects (the node's and the venues') in any one second. */
  maxRejectsPerSec: number;
  /** Market data older than this on a venue where the node has open orders. */
  staleDataMs: number;
}

export type ParamValue = string | number | boolean;

export interface DeploymentConfig {
  /** The `[deploy.NAME]` table's name. */
  name: string;
  venue: string;
  label: string;
  symbols: string[];
  /** Absolute path of the .wasm bundle. */
  bundle: string;
  params: Record<string, ParamValue>;
  callbackDeadlineMs: number;
  memoryMaxMib: number;
  /** Per-deployment overrides of [risk]; unset fields inherit. */
  risk: RiskLimits;
}

/** How this node joins the mesh across processes and hosts (`[mesh]`); absent: in-process only. */
export type MeshConfig =
  | { role: 'coordinator'; host: string; port: number; secretEnv: string }
  | { role: 'edge'; url: string; secretEnv: string };

export interface NodeConfig {
  /** Absolute path of the file it was read from. */
  file: string;
  node: NodeSection;
  venues: VenueConfig[];
  risk: RiskLimits;
  haltTriggers: HaltTriggers;
  mesh: MeshConfig | null;
  deployments: DeploymentConfig[];
}
