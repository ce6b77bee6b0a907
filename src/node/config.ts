// Reads and validates Sequence.toml into a NodeConfig. Every problem in the file is
// collected, each with its line and dotted key, and reported together, so a trader fixes the
// whole file in one pass instead of one error per restart. Unknown keys are errors: a
// misspelt risk limit that is silently ignored is a limit that is not enforced.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { DecimalError, parseDecimal, PX_DECIMALS, QTY_DECIMALS } from './fixedPoint.ts';
import { locateToml } from './tomlLocator.ts';
import type { TomlLocator } from './tomlLocator.ts';
import type {
  CoinbaseVenueConfig,
  DeploymentConfig,
  KrakenVenueConfig,
  LiveVenueSettings,
  NodeConfig,
  NodeSection,
  ParamValue,
  RiskLimits,
  HaltTriggers,
  MeshConfig,
  SimMarketConfig,
  SimVenueConfig,
  VenueConfig,
} from './configTypes.ts';

export interface ConfigIssue {
  /** The config file's path as it was given. */
  file: string;
  /** 1-based; 0 when the file could not be read at all. */
  line: number;
  /** Dotted key path, e.g. `deploy.maker.bundle`; empty for a file-level problem. */
  key: string;
  message: string;
}

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** `Sequence.toml:14: deploy.maker.bundel: unknown key; expected one of ...` */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}` : issue.file;
  return issue.key === '' ? `${where}: ${issue.message}` : `${where}: ${issue.key}: ${issue.message}`;
}

export interface ConfigOptions {
  /** Whether every deployment's bundle must exist on disk (default true). */
  checkBundles?: boolean;
}

export function loadConfig(path: string, options: ConfigOptions = {}): NodeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw new ConfigError([{ file: path, line: 0, key: '', message: `cannot read the config file: ${reason}` }]);
  }
  return parseConfig(text, path, options);
}

/**
 * Validates TOML text read from `file`. Relative paths in it resolve against the file's
 * directory. Pure apart from the check that each bundle exists (see ConfigOptions).
 */
export function parseConfig(text: string, file: string, options: ConfigOptions = {}): NodeConfig {
  let doc: Table;
  try {
    doc = parse(text, { integersAsBigInt: true, unsafeKeyBehaviour: 'throw' }) as Table;
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    const reason = err.message.replace(/^Invalid TOML document: /, '').split('\n')[0];
    throw new ConfigError([{ file, line: err.line, key: '', message: `TOML syntax error at column ${err.column}: ${reason}` }]);
  }
  const ctx = new Context(file, locateToml(text), dirname(resolve(file)), options.checkBundles ?? true);
  const config = readConfig(ctx, doc);
  if (ctx.issues.length > 0) {
    throw new ConfigError([...ctx.issues].sort((a, b) => a.line - b.line));
  }
  return config;
}

type Table = { [key: string]: unknown };
type Path = readonly string[];

class Context {
  readonly issues: ConfigIssue[] = [];

  constructor(
    readonly file: string,
    readonly locator: TomlLocator,
    readonly baseDir: string,
    readonly checkBundles: boolean,
  ) {}

  report(path: Path, message: string): void {
    this.issues.push({ file: this.file, line: this.locator.lineOf(path), key: dottedKey(path), message });
  }

  /** Tables written in the file keep the file's order (object keys would sort numeric names first). */
  keysInFileOrder(path: Path, table: Table): string[] {
    return Object.keys(table)
      .map((key, index) => ({ key, index, line: this.locator.lineOf([...path, key]) }))
      .sort((a, b) => a.line - b.line || a.index - b.index)
      .map((entry) => entry.key);
  }
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

function dottedKey(path: Path): string {
  return path.map((part) => (BARE_KEY.test(part) ? part : JSON.stringify(part))).join('.');
}

// ---- Value parsers: each returns the typed value or throws Invalid with what was expected.

class Invalid extends Error {}

type Parser<T> = (value: unknown) => T;

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `a string (${JSON.stringify(value)})`;
  if (typeof value === 'bigint') return `an integer (${value})`;
  if (typeof value === 'number') return `a float (${value})`;
  if (typeof value === 'boolean') return `a boolean (${value})`;
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  return 'a table';
}

const string: Parser<string> = (value) => {
  if (typeof value !== 'string') throw new Invalid(`expected a string, got ${describe(value)}`);
  return value;
};

const nonEmptyString: Parser<string> = (value) => {
  const text = string(value);
  if (text === '') throw new Invalid('must not be empty');
  return text;
};

const boolean: Parser<boolean> = (value) => {
  if (typeof value !== 'boolean') throw new Invalid(`expected a boolean (true or false), got ${describe(value)}`);
  return value;
};

function integer(min: number, max: number): Parser<number> {
  return (value) => {
    // TOML integers arrive as bigint, so 5.0 (a float) is told apart from 5.
    if (typeof value !== 'bigint') throw new Invalid(`expected an integer, got ${describe(value)}`);
    if (value < BigInt(min) || value > BigInt(max)) throw new Invalid(`must be between ${min} and ${max}, got ${value}`);
    return Number(value);
  };
}

const anyInteger = integer(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);

function integerIn(allowed: readonly number[]): Parser<number> {
  return (value) => {
    const n = anyInteger(value);
    if (!allowed.includes(n)) throw new Invalid(`must be one of ${allowed.join(', ')}, got ${n}`);
    return n;
  };
}

/** A TOML integer or float. Parameters like basis points are not money, so a float is fine here. */
function number(bound: { min?: number; above?: number } = {}): Parser<number> {
  return (value) => {
    if (typeof value !== 'bigint' && typeof value !== 'number') throw new Invalid(`expected a number, got ${describe(value)}`);
    const n = Number(value);
    if (!Number.isFinite(n)) throw new Invalid(`expected a finite number, got ${n}`);
    if (bound.min !== undefined && n < bound.min) throw new Invalid(`must be at least ${bound.min}, got ${n}`);
    if (bound.above !== undefined && n <= bound.above) throw new Invalid(`must be greater than ${bound.above}, got ${n}`);
    return n;
  };
}

function oneOf<T extends string>(allowed: readonly T[]): Parser<T> {
  return (value) => {
    const listed = allowed.map((v) => JSON.stringify(v)).join(', ');
    if (typeof value !== 'string') throw new Invalid(`expected one of ${listed}, got ${describe(value)}`);
    if (!(allowed as readonly string[]).includes(value)) throw new Invalid(`expected one of ${listed}, got ${JSON.stringify(value)}`);
    return value as T;
  };
}

function url(protocols: readonly string[]): Parser<string> {
  return (value) => {
    const text = string(value);
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw new Invalid(`not a valid URL: ${JSON.stringify(text)}`);
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new Invalid(`expected a ${protocols.map((p) => p.slice(0, -1)).join(' or ')} URL, got ${JSON.stringify(text)}`);
    }
    return text;
  };
}

/**
 * A price or quantity, scaled to an integer with `decimals` places. Written as a string
 * ("60000.5") it is exact; a TOML number is accepted when its shortest text is a plain
 * decimal, and refused (rather than rounded) when it is not.
 */
function decimal(decimals: number, sign: 'nonNegative' | 'positive'): Parser<number> {
  return (value) => {
    let text: string;
    if (typeof value === 'string') text = value.trim();
    else if (typeof value === 'bigint') text = String(value);
    else if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new Invalid(`expected a finite decimal, got ${value}`);
      text = String(value);
      if (/e/i.test(text)) {
        throw new Invalid(`the number ${text} cannot be read exactly; write it as a quoted decimal, e.g. "0.00000001"`);
      }
    } else throw new Invalid(`expected a decimal (a quoted string like "0.01" or a number), got ${describe(value)}`);
    let scaled: number;
    try {
      scaled = parseDecimal(text, decimals);
    } catch (err) {
      if (err instanceof DecimalError) throw new Invalid(err.message);
      throw err;
    }
    if (scaled < 0) throw new Invalid(`must not be negative, got ${text}`);
    if (sign === 'positive' && scaled === 0) throw new Invalid(`must be greater than 0, got ${text}`);
    return scaled;
  };
}

const price = decimal(PX_DECIMALS, 'positive');
const size = decimal(QTY_DECIMALS, 'positive');
const qtyLimit = decimal(QTY_DECIMALS, 'nonNegative');
const notionalLimit = decimal(PX_DECIMALS, 'nonNegative');

// ---- Table readers: record each problem and carry on with a default so later checks still run.

function optional<T>(ctx: Context, path: Path, table: Table, key: string, parser: Parser<T>, fallback: T): T {
  if (!(key in table)) return fallback;
  return parseField(ctx, [...path, key], table[key], parser) ?? fallback;
}

function required<T>(ctx: Context, path: Path, table: Table, key: string, parser: Parser<T>, hint = ''): T | undefined {
  if (!(key in table)) {
    ctx.report([...path, key], `missing required key${hint}`);
    return undefined;
  }
  return parseField(ctx, [...path, key], table[key], parser);
}

function parseField<T>(ctx: Context, path: Path, value: unknown, parser: Parser<T>): T | undefined {
  try {
    return parser(value);
  } catch (err) {
    if (!(err instanceof Invalid)) throw err;
    ctx.report(path, err.message);
    return undefined;
  }
}

function rejectUnknownKeys(ctx: Context, path: Path, table: Table, allowed: readonly string[], what = 'unknown key'): void {
  for (const key of Object.keys(table)) {
    if (!allowed.includes(key)) ctx.report([...path, key], `${what}; expected one of ${allowed.join(', ')}`);
  }
}

/** A sub-table, or undefined (reported) when the key holds something else. */
function subTable(ctx: Context, path: Path, value: unknown): Table | undefined {
  if (isTable(value)) return value;
  ctx.report(path, `expected a table, got ${describe(value)}`);
  return undefined;
}

function namedTables(ctx: Context, path: Path, value: unknown, noun: string): Array<{ name: string; table: Table }> {
  const parent = subTable(ctx, path, value);
  if (parent === undefined) return [];
  const out: Array<{ name: string; table: Table }> = [];
  for (const name of ctx.keysInFileOrder(path, parent)) {
    if (!BARE_KEY.test(name)) {
      ctx.report([...path, name], `${noun} names may only contain letters, digits, _ and -`);
      continue;
    }
    const table = subTable(ctx, [...path, name], parent[name]);
    if (table !== undefined) out.push({ name, table });
  }
  return out;
}

// ---- The schema.

const TOP_LEVEL = ['node', 'venues', 'risk', 'mesh', 'deploy'] as const;

function readConfig(ctx: Context, doc: Table): NodeConfig {
  for (const key of Object.keys(doc)) {
    if (!(TOP_LEVEL as readonly string[]).includes(key)) {
      ctx.report([key], 'unknown top-level key; expected one of [node], [venues.NAME], [risk], [mesh], [deploy.NAME]');
    }
  }
  const node = readNode(ctx, doc.node);
  const venues = readVenues(ctx, doc.venues);
  const riskTable = doc.risk === undefined ? {} : subTable(ctx, ['risk'], doc.risk) ?? {};
  const risk = readRisk(ctx, ['risk'], riskTable);
  const haltTriggers = readHaltTriggers(ctx, ['risk'], riskTable);
  const deployments = readDeployments(ctx, doc.deploy, venues, risk);
  const mesh = doc.mesh === undefined ? null : readMesh(ctx, subTable(ctx, ['mesh'], doc.mesh));
  return {
    file: resolve(ctx.file),
    node,
    venues: [...venues.parsed.values()],
    risk,
    haltTriggers,
    mesh,
    deployments,
  };
}

const NODE_KEYS = ['id', 'data_dir', 'seed', 'cancel_on_shutdown', 'shutdown_timeout_ms', 'status_interval_ms', 'lease_ttl_ms', 'pin_threads'];

function readNode(ctx: Context, value: unknown): NodeSection {
  const path = ['node'];
  const table = value === undefined ? {} : subTable(ctx, path, value) ?? {};
  rejectUnknownKeys(ctx, path, table, NODE_KEYS);
  return {
    id: optional(ctx, path, table, 'id', nonEmptyString, 'sequence'),
    dataDir: resolve(ctx.baseDir, optional(ctx, path, table, 'data_dir', nonEmptyString, '.sequence')),
    seed: optional(ctx, path, table, 'seed', anyInteger, 1),
    cancelOnShutdown: optional(ctx, path, table, 'cancel_on_shutdown', boolean, true),
    shutdownTimeoutMs: optional(ctx, path, table, 'shutdown_timeout_ms', integer(1, 600_000), 15_000),
    statusIntervalMs: optional(ctx, path, table, 'status_interval_ms', integer(100, 60_000), 1_000),
    leaseTtlMs: optional(ctx, path, table, 'lease_ttl_ms', integer(500, 60_000), 5_000),
    pinThreads: optional(ctx, path, table, 'pin_threads', boolean, true),
  };
}

const VENUE_KINDS = ['sim', 'kraken', 'coinbase'] as const;
const SIM_KEYS = [
  'kind',
  'seed',
  'volatility_bps',
  'spread_bps',
  'depth_levels',
  'tick_interval_ms',
  'taker_rate_hz',
  'maker_fee_bps',
  'taker_fee_bps',
  'markets',
];
const LIVE_VENUE_KEYS = ['rate_limit_burst', 'rate_limit_per_sec', 'unknown_orders'];
const KRAKEN_KEYS = ['kind', 'ws_url', 'ws_auth_url', 'rest_url', 'depth', 'dead_man_timeout_sec', 'order_entry', ...LIVE_VENUE_KEYS];
const COINBASE_KEYS = ['kind', 'ws_url', 'ws_user_url', 'rest_url', ...LIVE_VENUE_KEYS];
const MARKET_KEYS = ['start_price', 'tick_size', 'lot_size', 'min_qty'];
const WS = ['ws:', 'wss:'];
const HTTP = ['http:', 'https:'];

interface Venues {
  /** Every [venues.NAME] written, valid or not, so deployments are not also blamed for a bad venue. */
  declared: string[];
  parsed: Map<string, VenueConfig>;
}

function readVenues(ctx: Context, value: unknown): Venues {
  const venues: Venues = { declared: [], parsed: new Map() };
  if (value === undefined) {
    ctx.report(['venues'], 'at least one venue is required; add a [venues.NAME] table with kind = "sim", "kraken" or "coinbase"');
    return venues;
  }
  for (const { name, table } of namedTables(ctx, ['venues'], value, 'venue')) {
    venues.declared.push(name);
    const venue = readVenue(ctx, name, table);
    if (venue !== undefined) venues.parsed.set(name, venue);
  }
  if (venues.declared.length === 0 && isTable(value)) ctx.report(['venues'], 'at least one venue is required; add a [venues.NAME] table');
  return venues;
}

function readVenue(ctx: Context, name: string, table: Table): VenueConfig | undefined {
  const path = ['venues', name];
  const kind = required(ctx, path, table, 'kind', oneOf(VENUE_KINDS), `; expected one of ${VENUE_KINDS.map((k) => `"${k}"`).join(', ')}`);
  // Without a valid kind the allowed keys are unknown, so the rest of the table is not checked.
  if (kind === undefined) return undefined;
  switch (kind) {
    case 'sim':
      return readSimVenue(ctx, path, name, table);
    case 'kraken':
      return readKrakenVenue(ctx, path, name, table);
    case 'coinbase':
      return readCoinbaseVenue(ctx, path, name, table);
  }
}

function readSimVenue(ctx: Context, path: Path, name: string, table: Table): SimVenueConfig {
  rejectUnknownKeys(ctx, path, table, SIM_KEYS, 'unknown key for a sim venue');
  return {
    kind: 'sim',
    name,
    seed: optional(ctx, path, table, 'seed', anyInteger, 1),
    volatilityBps: optional(ctx, path, table, 'volatility_bps', number({ min: 0 }), 2),
    spreadBps: optional(ctx, path, table, 'spread_bps', number({ above: 0 }), 4),
    depthLevels: optional(ctx, path, table, 'depth_levels', integer(1, 20), 10),
    tickIntervalMs: optional(ctx, path, table, 'tick_interval_ms', integer(1, 10_000), 50),
    takerRateHz: optional(ctx, path, table, 'taker_rate_hz', number({ min: 0 }), 5),
    makerFeeBps: optional(ctx, path, table, 'maker_fee_bps', number(), 0),
    takerFeeBps: optional(ctx, path, table, 'taker_fee_bps', number(), 5),
    markets: readMarkets(ctx, [...path, 'markets'], table.markets),
  };
}

function readMarkets(ctx: Context, path: Path, value: unknown): SimMarketConfig[] {
  const hint = `at least one market is required, e.g. [${dottedKey([...path, 'BTC/USD'])}] with start_price = "60000"`;
  if (value === undefined) {
    ctx.report(path, hint);
    return [];
  }
  const table = subTable(ctx, path, value);
  if (table === undefined) return [];
  const markets: SimMarketConfig[] = [];
  for (const symbol of ctx.keysInFileOrder(path, table)) {
    const market = subTable(ctx, [...path, symbol], table[symbol]);
    if (market !== undefined) markets.push(readMarket(ctx, [...path, symbol], symbol, market));
  }
  if (Object.keys(table).length === 0) ctx.report(path, hint);
  return markets;
}

function readMarket(ctx: Context, path: Path, symbol: string, table: Table): SimMarketConfig {
  rejectUnknownKeys(ctx, path, table, MARKET_KEYS);
  if (symbol.trim() === '') ctx.report(path, 'a market symbol must not be empty');
  const startPrice1e9 = required(ctx, path, table, 'start_price', price) ?? 0;
  const tickSize1e9 = optional(ctx, path, table, 'tick_size', price, 10_000_000);
  const lotSize1e8 = optional(ctx, path, table, 'lot_size', size, 1);
  const minQty1e8 = optional(ctx, path, table, 'min_qty', size, lotSize1e8);
  if (startPrice1e9 > 0 && startPrice1e9 % tickSize1e9 !== 0) {
    ctx.report([...path, 'start_price'], 'must be a multiple of tick_size');
  }
  if (minQty1e8 % lotSize1e8 !== 0) ctx.report([...path, 'min_qty'], 'must be a multiple of lot_size');
  return { symbol, startPrice1e9, tickSize1e9, lotSize1e8, minQty1e8 };
}

function readKrakenVenue(ctx: Context, path: Path, name: string, table: Table): KrakenVenueConfig {
  rejectUnknownKeys(ctx, path, table, KRAKEN_KEYS, 'unknown key for a kraken venue');
  return {
    kind: 'kraken',
    name,
    wsUrl: optional(ctx, path, table, 'ws_url', url(WS), 'wss://ws.kraken.com/v2'),
    wsAuthUrl: optional(ctx, path, table, 'ws_auth_url', url(WS), 'wss://ws-auth.kraken.com/v2'),
    restUrl: optional(ctx, path, table, 'rest_url', url(HTTP), 'https://api.kraken.com'),
    depth: optional(ctx, path, table, 'depth', integerIn([10, 25, 100, 500, 1000]), 10),
    deadManTimeoutSec: optional(ctx, path, table, 'dead_man_timeout_sec', integer(0, 86_399), 60),
    orderEntry: optional(ctx, path, table, 'order_entry', oneOf(['ws', 'rest'] as const), 'ws'),
    ...readLiveVenueSettings(ctx, path, table, { burst: 60, perSec: 1 }),
  };
}

function readCoinbaseVenue(ctx: Context, path: Path, name: string, table: Table): CoinbaseVenueConfig {
  rejectUnknownKeys(ctx, path, table, COINBASE_KEYS, 'unknown key for a coinbase venue');
  return {
    kind: 'coinbase',
    name,
    wsUrl: optional(ctx, path, table, 'ws_url', url(WS), 'wss://advanced-trade-ws.coinbase.com'),
    wsUserUrl: optional(ctx, path, table, 'ws_user_url', url(WS), 'wss://advanced-trade-ws-user.coinbase.com'),
    restUrl: optional(ctx, path, table, 'rest_url', url(HTTP), 'https://api.coinbase.com'),
    ...readLiveVenueSettings(ctx, path, table, { burst: 30, perSec: 25 }),
  };
}

/** Defaults follow each venue's documented limits: Kraken's Starter tier decays its order counter by 1/s; Coinbase allows 30 private requests/s. */
function readLiveVenueSettings(ctx: Context, path: Path, table: Table, defaults: { burst: number; perSec: number }): LiveVenueSettings {
  return {
    rateLimitBurst: optional(ctx, path, table, 'rate_limit_burst', integer(1, 10_000), defaults.burst),
    rateLimitPerSec: optional(ctx, path, table, 'rate_limit_per_sec', number({ above: 0 }), defaults.perSec),
    unknownOrders: optional(ctx, path, table, 'unknown_orders', oneOf(['cancel', 'leave'] as const), 'leave'),
  };
}

const MESH_KEYS = ['listen', 'coordinator', 'secret_env'];
const HOST_PORT = /^(?<host>[A-Za-z0-9.:[\]-]+):(?<port>\d{1,5})$/;

/** `[mesh]`: run the coordinator here (`listen = "host:port"`) or join one (`coordinator = "ws://host:port"`). */
function readMesh(ctx: Context, table: Table | undefined): MeshConfig | null {
  if (table === undefined) return null;
  const path = ['mesh'];
  rejectUnknownKeys(ctx, path, table, MESH_KEYS);
  const secretEnv = optional(ctx, path, table, 'secret_env', nonEmptyString, 'SEQUENCE_MESH_SECRET');
  const listen = optional(ctx, path, table, 'listen', nonEmptyString, '');
  const coordinator = optional(ctx, path, table, 'coordinator', url(WS), '');
  if ((listen === '') === (coordinator === '')) {
    ctx.report(path, 'set exactly one of listen = "host:port" (this node runs the coordinator) or coordinator = "ws://host:port" (this node joins one)');
    return null;
  }
  if (coordinator !== '') return { role: 'edge', url: coordinator, secretEnv };
  const m = HOST_PORT.exec(listen);
  const port = Number(m?.groups?.port);
  if (m === null || !(port > 0 && port < 65536)) {
    ctx.report([...path, 'listen'], `expected "host:port" with a port 1..65535, got "${listen}"`);
    return null;
  }
  return { role: 'coordinator', host: (m.groups as { host: string }).host.replace(/^\[|\]$/g, ''), port, secretEnv };
}

const RISK_KEYS = ['max_order_qty', 'max_order_notional', 'max_position', 'max_open_orders', 'max_price_deviation_bps', 'max_orders_per_sec', 'max_daily_loss'];
const HALT_TRIGGER_KEYS = ['max_rejects_per_sec', 'stale_data_ms'];
const MAX_OPEN_ORDERS = 32;
const NO_LIMITS: RiskLimits = {
  maxOrderQty1e8: 0,
  maxOrderNotional1e9: 0,
  maxPosition1e8: 0,
  maxOpenOrders: MAX_OPEN_ORDERS,
  maxPriceDeviationBps: 0,
  maxOrdersPerSec: 0,
  maxDailyLoss1e9: 0,
};

/** Reads the risk keys of `table` over `base`; unknown keys are the caller's to check. */
function readRiskKeys(ctx: Context, path: Path, table: Table, base: RiskLimits): RiskLimits {
  return {
    maxOrderQty1e8: optional(ctx, path, table, 'max_order_qty', qtyLimit, base.maxOrderQty1e8),
    maxOrderNotional1e9: optional(ctx, path, table, 'max_order_notional', notionalLimit, base.maxOrderNotional1e9),
    maxPosition1e8: optional(ctx, path, table, 'max_position', qtyLimit, base.maxPosition1e8),
    maxOpenOrders: optional(ctx, path, table, 'max_open_orders', integer(1, MAX_OPEN_ORDERS), base.maxOpenOrders),
    maxPriceDeviationBps: optional(ctx, path, table, 'max_price_deviation_bps', number({ min: 0 }), base.maxPriceDeviationBps),
    maxOrdersPerSec: optional(ctx, path, table, 'max_orders_per_sec', integer(0, 1_000_000), base.maxOrdersPerSec),
    maxDailyLoss1e9: optional(ctx, path, table, 'max_daily_loss', notionalLimit, base.maxDailyLoss1e9),
  };
}

function readRisk(ctx: Context, path: Path, table: Table): RiskLimits {
  rejectUnknownKeys(ctx, path, table, [...RISK_KEYS, ...HALT_TRIGGER_KEYS]);
  return readRiskKeys(ctx, path, table, NO_LIMITS);
}

function readHaltTriggers(ctx: Context, path: Path, table: Table): HaltTriggers {
  return {
    maxRejectsPerSec: optional(ctx, path, table, 'max_rejects_per_sec', integer(0, 1_000_000), 20),
    staleDataMs: optional(ctx, path, table, 'stale_data_ms', integer(0, 3_600_000), 5000),
  };
}

const DEPLOY_KEYS = ['venue', 'label', 'symbols', 'bundle', 'params', 'callback_deadline_ms', 'memory_max_mib', ...RISK_KEYS];
const LABEL = /^[A-Za-z0-9_.-]+$/;
const MAX_LABEL_BYTES = 32;
const PARAM_NAME = /^[A-Za-z0-9_]+$/;
const MAX_PARAMS = 64;
const MAX_PARAM_STRING_CHARS = 256;

function readDeployments(ctx: Context, value: unknown, venues: Venues, risk: RiskLimits): DeploymentConfig[] {
  if (value === undefined) {
    ctx.report(['deploy'], 'at least one deployment is required; add a [deploy.NAME] table with venue, label, symbols and bundle');
    return [];
  }
  const deployments: DeploymentConfig[] = [];
  const labelOwners = new Map<string, string>();
  const written = namedTables(ctx, ['deploy'], value, 'deployment');
  for (const { name, table } of written) {
    const deployment = readDeployment(ctx, name, table, venues, risk);
    const path = ['deploy', name];
    if (deployment.label !== '') {
      const owner = labelOwners.get(deployment.label);
      if (owner === undefined) labelOwners.set(deployment.label, name);
      else ctx.report([...path, 'label'], `label ${JSON.stringify(deployment.label)} is already used by [${dottedKey(['deploy', owner])}]; labels must be unique`);
    }
    deployments.push(deployment);
  }
  if (written.length === 0 && isTable(value)) ctx.report(['deploy'], 'at least one deployment is required; add a [deploy.NAME] table');
  return deployments;
}

function readDeployment(ctx: Context, name: string, table: Table, venues: Venues, risk: RiskLimits): DeploymentConfig {
  const path = ['deploy', name];
  rejectUnknownKeys(ctx, path, table, DEPLOY_KEYS);
  const venue = required(ctx, path, table, 'venue', nonEmptyString);
  if (venue !== undefined && !venues.declared.includes(venue)) {
    const declared = venues.declared.length > 0 ? venues.declared.join(', ') : 'none';
    ctx.report([...path, 'venue'], `unknown venue ${JSON.stringify(venue)}; declared venues: ${declared}`);
  }
  const symbols = required(ctx, path, table, 'symbols', symbolList) ?? [];
  const simVenue = venue === undefined ? undefined : venues.parsed.get(venue);
  if (simVenue?.kind === 'sim') {
    const markets = simVenue.markets.map((m) => m.symbol);
    for (const symbol of symbols) {
      if (!markets.includes(symbol)) {
        ctx.report([...path, 'symbols'], `${JSON.stringify(symbol)} is not a market of venue ${venue}; its markets: ${markets.join(', ') || 'none'}`);
      }
    }
  }
  return {
    name,
    venue: venue ?? '',
    label: required(ctx, path, table, 'label', label) ?? '',
    symbols,
    bundle: readBundle(ctx, path, table),
    params: table.params === undefined ? {} : readParams(ctx, [...path, 'params'], table.params),
    callbackDeadlineMs: optional(ctx, path, table, 'callback_deadline_ms', integer(1, 10_000), 50),
    memoryMaxMib: optional(ctx, path, table, 'memory_max_mib', integer(1, 4096), 64),
    risk: readRiskKeys(ctx, path, table, risk),
  };
}

const label: Parser<string> = (value) => {
  const text = nonEmptyString(value);
  if (Buffer.byteLength(text, 'utf8') > MAX_LABEL_BYTES) throw new Invalid(`must be at most ${MAX_LABEL_BYTES} bytes, got ${Buffer.byteLength(text, 'utf8')}`);
  if (!LABEL.test(text)) throw new Invalid(`may only contain letters, digits, _, . and -, got ${JSON.stringify(text)}`);
  return text;
};

const symbolList: Parser<string[]> = (value) => {
  if (!Array.isArray(value)) throw new Invalid(`expected an array of symbols like ["BTC/USD"], got ${describe(value)}`);
  if (value.length === 0) throw new Invalid('must list at least one symbol');
  const seen = new Set<string>();
  for (const item of value) {
    if (typeof item !== 'string' || item === '') throw new Invalid(`each symbol must be a non-empty string, got ${describe(item)}`);
    if (seen.has(item)) throw new Invalid(`${JSON.stringify(item)} is listed twice`);
    seen.add(item);
  }
  return [...seen];
};

function readBundle(ctx: Context, path: Path, table: Table): string {
  const text = required(ctx, path, table, 'bundle', nonEmptyString);
  if (text === undefined) return '';
  if (!text.endsWith('.wasm')) {
    ctx.report([...path, 'bundle'], `expected a path to a .wasm file, got ${JSON.stringify(text)}`);
  }
  const bundle = resolve(ctx.baseDir, text);
  if (ctx.checkBundles && !(existsSync(bundle) && statSync(bundle).isFile())) {
    ctx.report([...path, 'bundle'], `file not found: ${bundle}`);
  }
  return bundle;
}

const paramValue: Parser<ParamValue> = (value) => {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'bigint') {
    if (value < BigInt(Number.MIN_SAFE_INTEGER) || value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new Invalid(`integer ${value} is too large; write it as a string`);
    }
    return Number(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Invalid(`expected a finite number, got ${value}`);
    return value;
  }
  if (typeof value === 'string') {
    if (value.length > MAX_PARAM_STRING_CHARS) throw new Invalid(`must be at most ${MAX_PARAM_STRING_CHARS} characters, got ${value.length}`);
    if (/[\r\n]/.test(value)) throw new Invalid('must not contain a newline');
    return value;
  }
  throw new Invalid(`expected a string, number or boolean, got ${describe(value)}`);
};

function readParams(ctx: Context, path: Path, value: unknown): Record<string, ParamValue> {
  const table = subTable(ctx, path, value);
  if (table === undefined) return {};
  const keys = Object.keys(table);
  if (keys.length > MAX_PARAMS) ctx.report(path, `has ${keys.length} parameters; at most ${MAX_PARAMS} are allowed`);
  const params: Record<string, ParamValue> = {};
  for (const key of keys) {
    if (!PARAM_NAME.test(key)) {
      ctx.report([...path, key], 'parameter names may only contain letters, digits and _');
      continue;
    }
    const parsed = parseField(ctx, [...path, key], table[key], paramValue);
    if (parsed !== undefined) params[key] = parsed;
  }
  return params;
}
