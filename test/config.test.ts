import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../src/node/config.ts';
import type { ConfigIssue } from '../src/node/config.ts';
import { locateToml } from '../src/node/tomlLocator.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sequence-config-'));
  mkdirSync(join(dir, 'algos'));
  writeFileSync(join(dir, 'algos', 'maker.wasm'), new Uint8Array([0, 97, 115, 109]));
  writeFileSync(join(dir, 'algos', 'hedger.wasm'), new Uint8Array([0, 97, 115, 109]));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const VENUES = `
[venues.sim_a]
kind = "sim"

[venues.sim_a.markets."BTC/USD"]
start_price = "60000"
`;

const MAKER = `
[deploy.maker]
venue = "sim_a"
label = "maker"
symbols = ["BTC/USD"]
bundle = "algos/maker.wasm"
`;

const MINIMAL = VENUES + MAKER;

function writeConfig(text: string): string {
  const path = join(dir, 'Sequence.toml');
  writeFileSync(path, text);
  return path;
}

function load(text: string) {
  return loadConfig(writeConfig(text));
}

/** The issues loadConfig reports for `text`; fails the test when it loads cleanly. */
function issuesOf(text: string): ConfigIssue[] {
  try {
    load(text);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError, but the config loaded');
}

/** The single issue for `text`, checked to carry the file and the line holding `marker`. */
function onlyIssue(text: string, marker: string): ConfigIssue {
  const issues = issuesOf(text);
  expect(issues).toHaveLength(1);
  expect(issues[0].file).toBe(join(dir, 'Sequence.toml'));
  expect(issues[0].line).toBe(lineContaining(text, marker));
  return issues[0];
}

function lineContaining(text: string, marker: string): number {
  const matches = text.split('\n').flatMap((line, i) => (line.includes(marker) ? [i + 1] : []));
  if (matches.length !== 1) throw new Error(`marker ${JSON.stringify(marker)} found ${matches.length} times`);
  return matches[0];
}

describe('a valid config', () => {
  it('the demo Sequence.toml parses, with both venues, the risk limits and both deployments', () => {
    const path = join(import.meta.dirname, '..', 'Sequence.toml');
    const config = parseConfig(readFileSync(path, 'utf8'), path, { checkBundles: false });
    expect(config.node.id).toBe('demo');
    expect(config.node.seed).toBe(7);
    expect(config.venues.map((v) => v.name)).toEqual(['sim_a', 'sim_b']);
    for (const venue of config.venues) {
      expect(venue.kind).toBe('sim');
      if (venue.kind !== 'sim') continue;
      expect(venue.markets).toEqual([
        { symbol: 'BTC/USD', startPrice1e9: 60_000_000_000_000, tickSize1e9: 100_000_000, lotSize1e8: 10_000, minQty1e8: 10_000 },
      ]);
    }
    expect(config.risk).toEqual({ maxOrderQty1e8: 50_000_000, maxOrderNotional1e9: 50_000_000_000_000, maxPosition1e8: 100_000_000, maxOpenOrders: 32, maxPriceDeviationBps: 50, maxOrdersPerSec: 50, maxDailyLoss1e9: 250_000_000_000 });
    expect(config.haltTriggers).toEqual({ maxRejectsPerSec: 20, staleDataMs: 5000 });
    expect(config.deployments.map((d) => [d.name, d.venue, d.label])).toEqual([
      ['maker', 'sim_a', 'maker'],
      ['hedger', 'sim_b', 'hedger'],
    ]);
    expect(config.deployments[0].bundle).toBe(join(import.meta.dirname, '..', 'algos', 'maker', 'build', 'maker.wasm'));
    expect(config.deployments[0].params).toEqual({ spread_bps: 3, quote_qty: '0.01', skew_bps_per_unit: 40, requote_ticks: 10, min_requote_ms: 0, hedger: 'hedger' });
    expect(config.deployments[1].params).toEqual({ max_slippage_bps: 20 });
  });

  it('fills every omitted key with its default', () => {
    const config = load(MINIMAL);
    expect(config.file).toBe(join(dir, 'Sequence.toml'));
    expect(config.node).toEqual({
      id: 'sequence',
      dataDir: join(dir, '.sequence'),
      seed: 1,
      cancelOnShutdown: true,
      shutdownTimeoutMs: 15_000,
      statusIntervalMs: 1_000,
      leaseTtlMs: 5_000,
      pinThreads: true,
    });
    expect(config.venues).toEqual([
      {
        kind: 'sim',
        name: 'sim_a',
        seed: 1,
        volatilityBps: 2,
        spreadBps: 4,
        depthLevels: 10,
        tickIntervalMs: 50,
        takerRateHz: 5,
        makerFeeBps: 0,
        takerFeeBps: 5,
        markets: [{ symbol: 'BTC/USD', startPrice1e9: 60_000_000_000_000, tickSize1e9: 10_000_000, lotSize1e8: 1, minQty1e8: 1 }],
      },
    ]);
    const noLimits = { maxOrderQty1e8: 0, maxOrderNotional1e9: 0, maxPosition1e8: 0, maxOpenOrders: 32, maxPriceDeviationBps: 0, maxOrdersPerSec: 0, maxDailyLoss1e9: 0 };
    expect(config.risk).toEqual(noLimits);
    expect(config.deployments).toEqual([
      {
        name: 'maker',
        venue: 'sim_a',
        label: 'maker',
        symbols: ['BTC/USD'],
        bundle: join(dir, 'algos', 'maker.wasm'),
        params: {},
        callbackDeadlineMs: 50,
        memoryMaxMib: 64,
        risk: noLimits,
      },
    ]);
  });

  it('fills the kraken and coinbase defaults', () => {
    const config = load(`${MINIMAL}
[venues.kr]
kind = "kraken"
[venues.cb]
kind = "coinbase"
`);
    expect(config.venues.slice(1)).toEqual([
      {
        kind: 'kraken',
        name: 'kr',
        wsUrl: 'wss://ws.kraken.com/v2',
        wsAuthUrl: 'wss://ws-auth.kraken.com/v2',
        restUrl: 'https://api.kraken.com',
        depth: 10,
        deadManTimeoutSec: 60,
        orderEntry: 'ws',
        rateLimitBurst: 60,
        rateLimitPerSec: 1,
        unknownOrders: 'leave',
      },
      {
        kind: 'coinbase',
        name: 'cb',
        wsUrl: 'wss://advanced-trade-ws.coinbase.com',
        wsUserUrl: 'wss://advanced-trade-ws-user.coinbase.com',
        restUrl: 'https://api.coinbase.com',
        rateLimitBurst: 30,
        rateLimitPerSec: 25,
        unknownOrders: 'leave',
      },
    ]);
  });

  it('scales decimals exactly, whether written as strings or as TOML numbers', () => {
    const config = load(`
[venues.sim_a]
kind = "sim"
[venues.sim_a.markets."BTC/USD"]
start_price = "60000.1"
tick_size = "0.1"
lot_size = "0.00000001"
min_qty = "0.00000005"
[venues.sim_a.markets."ETH/USD"]
start_price = 3000.25
tick_size = 0.05
lot_size = 1
[risk]
max_order_notional = "0.000000001"
max_position = 2.5
${MAKER}`);
    const venue = config.venues[0];
    if (venue.kind !== 'sim') throw new Error('expected a sim venue');
    expect(venue.markets).toEqual([
      { symbol: 'BTC/USD', startPrice1e9: 60_000_100_000_000, tickSize1e9: 100_000_000, lotSize1e8: 1, minQty1e8: 5 },
      { symbol: 'ETH/USD', startPrice1e9: 3_000_250_000_000, tickSize1e9: 50_000_000, lotSize1e8: 100_000_000, minQty1e8: 100_000_000 },
    ]);
    expect(config.risk.maxOrderNotional1e9).toBe(1);
    expect(config.risk.maxPosition1e8).toBe(250_000_000);
  });

  it('resolves relative paths against the config file directory, not the working directory', () => {
    const config = load(`[node]
data_dir = "state/node-a"
${VENUES}${MAKER}
[deploy.hedger]
venue = "sim_a"
label = "hedger"
symbols = ["BTC/USD"]
bundle = "${join(dir, 'algos', 'hedger.wasm')}"
`);
    expect(process.cwd()).not.toBe(dir);
    expect(config.node.dataDir).toBe(join(dir, 'state', 'node-a'));
    expect(config.deployments[0].bundle).toBe(join(dir, 'algos', 'maker.wasm'));
    expect(config.deployments[1].bundle).toBe(join(dir, 'algos', 'hedger.wasm'));
  });

  it('keeps deployments in file order, numeric names included', () => {
    const config = load(`${VENUES}
[deploy.zeta]
venue = "sim_a"
label = "zeta"
symbols = ["BTC/USD"]
bundle = "algos/maker.wasm"
[deploy.2]
venue = "sim_a"
label = "two"
symbols = ["BTC/USD"]
bundle = "algos/maker.wasm"
[deploy.alpha]
venue = "sim_a"
label = "alpha"
symbols = ["BTC/USD"]
bundle = "algos/maker.wasm"
`);
    expect(config.deployments.map((d) => d.name)).toEqual(['zeta', '2', 'alpha']);
  });

  it('merges per-deployment risk overrides over [risk]', () => {
    const config = load(`${VENUES}
[risk]
max_order_qty = "0.5"
max_position = "1"
max_open_orders = 10
${MAKER}max_position = "0.2"
max_open_orders = 4
`);
    expect(config.risk).toEqual({ maxOrderQty1e8: 50_000_000, maxOrderNotional1e9: 0, maxPosition1e8: 100_000_000, maxOpenOrders: 10, maxPriceDeviationBps: 0, maxOrdersPerSec: 0, maxDailyLoss1e9: 0 });
    expect(config.deployments[0].risk).toEqual({ maxOrderQty1e8: 50_000_000, maxOrderNotional1e9: 0, maxPosition1e8: 20_000_000, maxOpenOrders: 4, maxPriceDeviationBps: 0, maxOrdersPerSec: 0, maxDailyLoss1e9: 0 });
  });

  it('accepts string, integer, float and boolean params, inline or as a table', () => {
    const config = load(`${MINIMAL}params = { name = "x", n = -3, f = 0.25, on = true }`);
    expect(config.deployments[0].params).toEqual({ name: 'x', n: -3, f: 0.25, on: true });
  });
});

describe('unknown keys', () => {
  it('in [deploy.NAME] lists the allowed keys', () => {
    const text = MINIMAL.replace('bundle =', 'bundel =');
    const issues = issuesOf(text);
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatchObject({ line: lineContaining(text, '[deploy.maker]'), key: 'deploy.maker.bundle', message: 'missing required key' });
    expect(issues[1]).toEqual({
      file: join(dir, 'Sequence.toml'),
      line: lineContaining(text, 'bundel'),
      key: 'deploy.maker.bundel',
      message:
        'unknown key; expected one of venue, label, symbols, bundle, params, callback_deadline_ms, memory_max_mib, max_order_qty, max_order_notional, max_position, max_open_orders, max_price_deviation_bps, max_orders_per_sec, max_daily_loss',
    });
  });

  it('in [node]', () => {
    const issue = onlyIssue(`[node]\nid = "a"\ndatadir = "x"\n${MINIMAL}`, 'datadir');
    expect(issue.key).toBe('node.datadir');
    expect(issue.message).toBe('unknown key; expected one of id, data_dir, seed, cancel_on_shutdown, shutdown_timeout_ms, status_interval_ms, lease_ttl_ms, pin_threads');
  });

  it('in a sim venue, including keys of another venue kind', () => {
    const text = MINIMAL.replace('kind = "sim"', 'kind = "sim"\ndepth = 25');
    const issue = onlyIssue(text, 'depth = 25');
    expect(issue.key).toBe('venues.sim_a.depth');
    expect(issue.message).toBe(
      'unknown key for a sim venue; expected one of kind, seed, volatility_bps, spread_bps, depth_levels, tick_interval_ms, taker_rate_hz, maker_fee_bps, taker_fee_bps, markets',
    );
  });

  it('in a kraken venue', () => {
    const issue = onlyIssue(`${MINIMAL}[venues.kr]\nkind = "kraken"\nspread_bps = 3\n`, 'spread_bps');
    expect(issue.key).toBe('venues.kr.spread_bps');
    expect(issue.message).toBe('unknown key for a kraken venue; expected one of kind, ws_url, ws_auth_url, rest_url, depth, dead_man_timeout_sec, order_entry, rate_limit_burst, rate_limit_per_sec, unknown_orders');
  });

  it('in a coinbase venue', () => {
    const issue = onlyIssue(`${MINIMAL}[venues.cb]\nkind = "coinbase"\ndepth = 10\n`, 'depth = 10');
    expect(issue.key).toBe('venues.cb.depth');
    expect(issue.message).toBe('unknown key for a coinbase venue; expected one of kind, ws_url, ws_user_url, rest_url, rate_limit_burst, rate_limit_per_sec, unknown_orders');
  });

  it('a live venue refuses an unknown_orders policy and a non-positive order rate', () => {
    const policy = onlyIssue(`${MINIMAL}[venues.kr]\nkind = "kraken"\nunknown_orders = "ignore"\n`, 'unknown_orders');
    expect(policy.key).toBe('venues.kr.unknown_orders');
    expect(policy.message).toBe('expected one of "cancel", "leave", got "ignore"');
    const rate = onlyIssue(`${MINIMAL}[venues.cb]\nkind = "coinbase"\nrate_limit_per_sec = 0\n`, 'rate_limit_per_sec');
    expect(rate.key).toBe('venues.cb.rate_limit_per_sec');
    expect(rate.message).toBe('must be greater than 0, got 0');
  });

  it('in a market, with its quoted symbol in the key', () => {
    const text = MINIMAL.replace('start_price = "60000"', 'start_price = "60000"\nticksize = "0.5"');
    const issue = onlyIssue(text, 'ticksize');
    expect(issue.key).toBe('venues.sim_a.markets."BTC/USD".ticksize');
    expect(issue.message).toBe('unknown key; expected one of start_price, tick_size, lot_size, min_qty');
  });

  it('in [risk]', () => {
    const issue = onlyIssue(`[risk]\nmax_notional = "100"\n${MINIMAL}`, 'max_notional');
    expect(issue.key).toBe('risk.max_notional');
    expect(issue.message).toBe('unknown key; expected one of max_order_qty, max_order_notional, max_position, max_open_orders, max_price_deviation_bps, max_orders_per_sec, max_daily_loss, max_rejects_per_sec, stale_data_ms');
  });

  it('at the top level, as a table or a key', () => {
    const text = `log_level = "debug"\n${MINIMAL}\n[deployments.x]\nvenue = "sim_a"\n`;
    const issues = issuesOf(text);
    const expected = 'unknown top-level key; expected one of [node], [venues.NAME], [risk], [mesh], [deploy.NAME]';
    expect(issues).toEqual([
      { file: join(dir, 'Sequence.toml'), line: 1, key: 'log_level', message: expected },
      { file: join(dir, 'Sequence.toml'), line: lineContaining(text, '[deployments.x]'), key: 'deployments', message: expected },
    ]);
  });
});

describe('wrong types', () => {
  it('a string where an integer is expected names both', () => {
    const issue = onlyIssue(`[node]\nseed = "7"\n${MINIMAL}`, 'seed');
    expect(issue).toMatchObject({ key: 'node.seed', message: 'expected an integer, got a string ("7")' });
  });

  it('a float where an integer is expected', () => {
    const issue = onlyIssue(`[node]\nshutdown_timeout_ms = 1500.0\n${MINIMAL}`, 'shutdown_timeout_ms');
    expect(issue).toMatchObject({ key: 'node.shutdown_timeout_ms', message: 'expected an integer, got a float (1500)' });
  });

  it('a string where a boolean is expected', () => {
    const issue = onlyIssue(`[node]\ncancel_on_shutdown = "yes"\n${MINIMAL}`, 'cancel_on_shutdown');
    expect(issue).toMatchObject({ key: 'node.cancel_on_shutdown', message: 'expected a boolean (true or false), got a string ("yes")' });
  });

  it('pin_threads written as a number', () => {
    const issue = onlyIssue(`[node]\npin_threads = 0\n${MINIMAL}`, 'pin_threads');
    expect(issue).toMatchObject({ key: 'node.pin_threads', message: 'expected a boolean (true or false), got an integer (0)' });
  });

  it('an unknown venue kind lists the three kinds', () => {
    const issue = onlyIssue(`${MINIMAL}[venues.b]\nkind = "binance"\n`, 'binance');
    expect(issue).toMatchObject({ key: 'venues.b.kind', message: 'expected one of "sim", "kraken", "coinbase", got "binance"' });
  });

  it('a missing venue kind points at the venue header', () => {
    const issue = onlyIssue(`${MINIMAL}[venues.b]\nws_url = "wss://x"\n`, '[venues.b]');
    expect(issue).toMatchObject({ key: 'venues.b.kind', message: 'missing required key; expected one of "sim", "kraken", "coinbase"' });
  });

  it('a websocket URL with an http scheme, and a URL that does not parse', () => {
    const text = `${MINIMAL}[venues.kr]\nkind = "kraken"\nws_url = "https://ws.kraken.com/v2"\nrest_url = "not a url"\n`;
    expect(issuesOf(text)).toEqual([
      {
        file: join(dir, 'Sequence.toml'),
        line: lineContaining(text, 'ws_url'),
        key: 'venues.kr.ws_url',
        message: 'expected a ws or wss URL, got "https://ws.kraken.com/v2"',
      },
      { file: join(dir, 'Sequence.toml'), line: lineContaining(text, 'rest_url'), key: 'venues.kr.rest_url', message: 'not a valid URL: "not a url"' },
    ]);
  });

  it('a decimal written as a boolean', () => {
    const issue = onlyIssue(`[risk]\nmax_order_qty = true\n${MINIMAL}`, 'max_order_qty');
    expect(issue).toMatchObject({
      key: 'risk.max_order_qty',
      message: 'expected a decimal (a quoted string like "0.01" or a number), got a boolean (true)',
    });
  });

  it('a nested table or an array in params', () => {
    const text = `${MINIMAL}[deploy.maker.params]\nok = 1\nlevels = [1, 2]\n[deploy.maker.params.inner]\nx = 1\n`;
    expect(issuesOf(text)).toEqual([
      {
        file: join(dir, 'Sequence.toml'),
        line: lineContaining(text, 'levels'),
        key: 'deploy.maker.params.levels',
        message: 'expected a string, number or boolean, got an array',
      },
      {
        file: join(dir, 'Sequence.toml'),
        line: lineContaining(text, '[deploy.maker.params.inner]'),
        key: 'deploy.maker.params.inner',
        message: 'expected a string, number or boolean, got a table',
      },
    ]);
  });

  it('symbols that are not an array of strings', () => {
    const issue = onlyIssue(MINIMAL.replace('symbols = ["BTC/USD"]', 'symbols = "BTC/USD"'), 'symbols');
    expect(issue).toMatchObject({ key: 'deploy.maker.symbols', message: 'expected an array of symbols like ["BTC/USD"], got a string ("BTC/USD")' });
  });

  it('a bundle that is not a .wasm path', () => {
    writeFileSync(join(dir, 'algos', 'maker.js'), '');
    const issue = onlyIssue(MINIMAL.replace('maker.wasm', 'maker.js'), 'bundle');
    expect(issue).toMatchObject({ key: 'deploy.maker.bundle', message: 'expected a path to a .wasm file, got "algos/maker.js"' });
  });
});

describe('out-of-range values', () => {
  const cases: Array<[string, string, string, string]> = [
    ['[node]\nlease_ttl_ms = 100\n', 'lease_ttl_ms', 'node.lease_ttl_ms', 'must be between 500 and 60000, got 100'],
    ['[node]\nshutdown_timeout_ms = 0\n', 'shutdown_timeout_ms', 'node.shutdown_timeout_ms', 'must be between 1 and 600000, got 0'],
    ['[node]\nstatus_interval_ms = 99\n', 'status_interval_ms', 'node.status_interval_ms', 'must be between 100 and 60000, got 99'],
    ['[risk]\nmax_open_orders = 33\n', 'max_open_orders', 'risk.max_open_orders', 'must be between 1 and 32, got 33'],
    ['[risk]\nmax_position = "-1"\n', 'max_position', 'risk.max_position', 'must not be negative, got -1'],
    ['[risk]\nmax_daily_loss = "-5"\n', 'max_daily_loss', 'risk.max_daily_loss', 'must not be negative, got -5'],
    ['[risk]\nmax_orders_per_sec = -1\n', 'max_orders_per_sec', 'risk.max_orders_per_sec', 'must be between 0 and 1000000, got -1'],
    ['[risk]\nmax_rejects_per_sec = -3\n', 'max_rejects_per_sec', 'risk.max_rejects_per_sec', 'must be between 0 and 1000000, got -3'],
    ['[risk]\nstale_data_ms = -1\n', 'stale_data_ms', 'risk.stale_data_ms', 'must be between 0 and 3600000, got -1'],
  ];
  for (const [prefix, marker, key, message] of cases) {
    it(`${key}: ${message}`, () => {
      const issue = onlyIssue(prefix + MINIMAL, marker);
      expect(issue).toMatchObject({ key, message });
    });
  }

  it('sim venue numbers', () => {
    const text = MINIMAL.replace(
      'kind = "sim"',
      'kind = "sim"\nspread_bps = 0\nvolatility_bps = -1\ndepth_levels = 21\ntick_interval_ms = 10001\ntaker_rate_hz = inf',
    );
    expect(issuesOf(text).map((i) => [i.line, i.key, i.message])).toEqual([
      [lineContaining(text, 'spread_bps'), 'venues.sim_a.spread_bps', 'must be greater than 0, got 0'],
      [lineContaining(text, 'volatility_bps'), 'venues.sim_a.volatility_bps', 'must be at least 0, got -1'],
      [lineContaining(text, 'depth_levels'), 'venues.sim_a.depth_levels', 'must be between 1 and 20, got 21'],
      [lineContaining(text, 'tick_interval_ms'), 'venues.sim_a.tick_interval_ms', 'must be between 1 and 10000, got 10001'],
      [lineContaining(text, 'taker_rate_hz'), 'venues.sim_a.taker_rate_hz', 'expected a finite number, got Infinity'],
    ]);
  });

  it('kraken order entry other than the private WebSocket or REST', () => {
    const issue = onlyIssue(`${MINIMAL}[venues.kr]\nkind = "kraken"\norder_entry = "fix"\n`, 'order_entry');
    expect(issue).toMatchObject({ key: 'venues.kr.order_entry', message: 'expected one of "ws", "rest", got "fix"' });
  });

  it('kraken order entry over REST when asked', () => {
    const config = load(`${MINIMAL}[venues.kr]\nkind = "kraken"\norder_entry = "rest"\n`);
    expect(config.venues.find((v) => v.name === 'kr')).toMatchObject({ kind: 'kraken', orderEntry: 'rest' });
  });

  it('kraken depth that the feed does not offer', () => {
    const issue = onlyIssue(`${MINIMAL}[venues.kr]\nkind = "kraken"\ndepth = 50\n`, 'depth = 50');
    expect(issue).toMatchObject({ key: 'venues.kr.depth', message: 'must be one of 10, 25, 100, 500, 1000, got 50' });
  });

  it('deployment limits', () => {
    const text = `${MINIMAL}callback_deadline_ms = 0\nmemory_max_mib = 4097\n`;
    expect(issuesOf(text).map((i) => [i.line, i.key, i.message])).toEqual([
      [lineContaining(text, 'callback_deadline_ms'), 'deploy.maker.callback_deadline_ms', 'must be between 1 and 10000, got 0'],
      [lineContaining(text, 'memory_max_mib'), 'deploy.maker.memory_max_mib', 'must be between 1 and 4096, got 4097'],
    ]);
  });
});

describe('decimals that cannot be represented', () => {
  function marketIssue(lines: string, marker: string): ConfigIssue {
    return onlyIssue(MINIMAL.replace('start_price = "60000"', lines), marker);
  }

  it('a string with more decimals than the scale', () => {
    const issue = marketIssue('start_price = "60000"\nlot_size = "0.000000001"', 'lot_size');
    expect(issue).toMatchObject({ key: 'venues.sim_a.markets."BTC/USD".lot_size', message: '"0.000000001" has more than 8 decimal places' });
  });

  it('a TOML number with more decimals than the scale', () => {
    const issue = marketIssue('start_price = "60000"\nmin_qty = 0.123456789', 'min_qty');
    expect(issue).toMatchObject({ message: '"0.123456789" has more than 8 decimal places' });
  });

  it('a TOML number whose text is in exponent form', () => {
    const issue = marketIssue('start_price = "60000"\nlot_size = 1e-9', 'lot_size');
    expect(issue).toMatchObject({ message: 'the number 1e-9 cannot be read exactly; write it as a quoted decimal, e.g. "0.00000001"' });
  });

  it('nan', () => {
    const issue = marketIssue('start_price = nan', 'start_price');
    expect(issue).toMatchObject({ message: 'expected a finite decimal, got NaN' });
  });

  it('zero tick size', () => {
    const issue = marketIssue('start_price = "60000"\ntick_size = "0"', 'tick_size');
    expect(issue).toMatchObject({ key: 'venues.sim_a.markets."BTC/USD".tick_size', message: 'must be greater than 0, got 0' });
  });

  it('zero lot size', () => {
    const issue = marketIssue('start_price = "60000"\nlot_size = 0', 'lot_size');
    expect(issue).toMatchObject({ message: 'must be greater than 0, got 0' });
  });

  it('negative start price', () => {
    const issue = marketIssue('start_price = "-5"', 'start_price');
    expect(issue).toMatchObject({ message: 'must not be negative, got -5' });
  });

  it('text that is not a number', () => {
    const issue = marketIssue('start_price = "60,000"', 'start_price');
    expect(issue).toMatchObject({ message: 'not a decimal number: "60,000"' });
  });

  it('a start price off the tick grid', () => {
    const issue = marketIssue('start_price = "60000.05"\ntick_size = "0.1"', 'start_price');
    expect(issue).toMatchObject({ key: 'venues.sim_a.markets."BTC/USD".start_price', message: 'must be a multiple of tick_size' });
  });

  it('a min qty off the lot grid', () => {
    const issue = marketIssue('start_price = "60000"\nlot_size = "0.001"\nmin_qty = "0.0015"', 'min_qty');
    expect(issue).toMatchObject({ message: 'must be a multiple of lot_size' });
  });
});

describe('deployments', () => {
  it('a duplicate label is reported on the second deployment, naming the first', () => {
    const text = `${MINIMAL}\n[deploy.maker2]\nvenue = "sim_a"\nlabel = "maker"\nsymbols = ["BTC/USD"]\nbundle = "algos/maker.wasm"\n`;
    const lines = text.split('\n');
    const secondLabel = lines.lastIndexOf('label = "maker"') + 1;
    expect(issuesOf(text)).toEqual([
      {
        file: join(dir, 'Sequence.toml'),
        line: secondLabel,
        key: 'deploy.maker2.label',
        message: 'label "maker" is already used by [deploy.maker]; labels must be unique',
      },
    ]);
  });

  it('a venue that is not declared lists the declared ones', () => {
    const issue = onlyIssue(MINIMAL.replace('venue = "sim_a"', 'venue = "sim_c"'), 'sim_c');
    expect(issue).toMatchObject({ key: 'deploy.maker.venue', message: 'unknown venue "sim_c"; declared venues: sim_a' });
  });

  it('a bundle that does not exist is reported with its absolute path', () => {
    const issue = onlyIssue(MINIMAL.replace('algos/maker.wasm', 'algos/missing.wasm'), 'bundle');
    expect(issue).toMatchObject({ key: 'deploy.maker.bundle', message: `file not found: ${join(dir, 'algos', 'missing.wasm')}` });
  });

  it('a missing bundle is accepted when bundles are not checked', () => {
    const text = MINIMAL.replace('algos/maker.wasm', 'algos/missing.wasm');
    const config = parseConfig(text, join(dir, 'Sequence.toml'), { checkBundles: false });
    expect(config.deployments[0].bundle).toBe(join(dir, 'algos', 'missing.wasm'));
  });

  it('a symbol that is not a market of its sim venue lists the markets', () => {
    const issue = onlyIssue(MINIMAL.replace('symbols = ["BTC/USD"]', 'symbols = ["BTC/USD", "ETH/USD"]'), 'symbols');
    expect(issue).toMatchObject({ key: 'deploy.maker.symbols', message: '"ETH/USD" is not a market of venue sim_a; its markets: BTC/USD' });
  });

  it('empty and duplicated symbol lists', () => {
    expect(onlyIssue(MINIMAL.replace('["BTC/USD"]', '[]'), 'symbols').message).toBe('must list at least one symbol');
    expect(onlyIssue(MINIMAL.replace('["BTC/USD"]', '["BTC/USD", "BTC/USD"]'), 'symbols').message).toBe('"BTC/USD" is listed twice');
    expect(onlyIssue(MINIMAL.replace('["BTC/USD"]', '["BTC/USD", ""]'), 'symbols').message).toBe('each symbol must be a non-empty string, got a string ("")');
  });

  it('labels that are too long or use other characters', () => {
    const long = 'x'.repeat(33);
    expect(onlyIssue(MINIMAL.replace('label = "maker"', `label = "${long}"`), 'label').message).toBe('must be at most 32 bytes, got 33');
    expect(onlyIssue(MINIMAL.replace('label = "maker"', 'label = "my maker"'), 'label').message).toBe(
      'may only contain letters, digits, _, . and -, got "my maker"',
    );
    expect(onlyIssue(MINIMAL.replace('label = "maker"', 'label = ""'), 'label').message).toBe('must not be empty');
  });

  it('params with a bad name, a newline, a long string, or too many keys', () => {
    const text = `${MINIMAL}[deploy.maker.params]\n"bad-name" = 1\nnote = "a\\nb"\nlong = "${'y'.repeat(257)}"\n`;
    expect(issuesOf(text).map((i) => [i.line, i.key, i.message])).toEqual([
      [lineContaining(text, 'bad-name'), 'deploy.maker.params.bad-name', 'parameter names may only contain letters, digits and _'],
      [lineContaining(text, 'note'), 'deploy.maker.params.note', 'must not contain a newline'],
      [lineContaining(text, 'long'), 'deploy.maker.params.long', 'must be at most 256 characters, got 257'],
    ]);
    const many = Array.from({ length: 65 }, (_, i) => `p${i} = ${i}`).join('\n');
    const manyText = `${MINIMAL}[deploy.maker.params]\n${many}\n`;
    expect(onlyIssue(manyText, '[deploy.maker.params]')).toMatchObject({ key: 'deploy.maker.params', message: 'has 65 parameters; at most 64 are allowed' });
  });

  it('missing required keys point at the deployment header', () => {
    const text = `${VENUES}\n[deploy.maker]\nlabel = "maker"\n`;
    const header = lineContaining(text, '[deploy.maker]');
    expect(issuesOf(text).map((i) => [i.line, i.key, i.message])).toEqual([
      [header, 'deploy.maker.venue', 'missing required key'],
      [header, 'deploy.maker.symbols', 'missing required key'],
      [header, 'deploy.maker.bundle', 'missing required key'],
    ]);
  });
});

describe('required tables', () => {
  it('no venue and no deployment', () => {
    expect(issuesOf('[node]\nid = "x"\n').map((i) => [i.line, i.key, i.message])).toEqual([
      [1, 'venues', 'at least one venue is required; add a [venues.NAME] table with kind = "sim", "kraken" or "coinbase"'],
      [1, 'deploy', 'at least one deployment is required; add a [deploy.NAME] table with venue, label, symbols and bundle'],
    ]);
  });

  it('a sim venue with no market', () => {
    const text = `[venues.sim_a]\nkind = "sim"\n${MAKER}`;
    expect(issuesOf(text).map((i) => [i.line, i.key, i.message])).toEqual([
      [
        lineContaining(text, '[venues.sim_a]'),
        'venues.sim_a.markets',
        'at least one market is required, e.g. [venues.sim_a.markets."BTC/USD"] with start_price = "60000"',
      ],
      [lineContaining(text, 'symbols'), 'deploy.maker.symbols', '"BTC/USD" is not a market of venue sim_a; its markets: none'],
    ]);
  });

  it('a venue name with characters outside [A-Za-z0-9_-]', () => {
    const issue = onlyIssue(`${MINIMAL}[venues."sim b"]\nkind = "sim"\n`, '[venues."sim b"]');
    expect(issue).toMatchObject({ key: 'venues."sim b"', message: 'venue names may only contain letters, digits, _ and -' });
  });
});

describe('reporting', () => {
  it('a TOML syntax error gives its line and column', () => {
    const text = `${MINIMAL}callback_deadline_ms = \n`;
    const issues = issuesOf(text);
    expect(issues).toEqual([
      {
        file: join(dir, 'Sequence.toml'),
        line: lineContaining(text, 'callback_deadline_ms'),
        key: '',
        message: 'TOML syntax error at column 24: invalid value',
      },
    ]);
  });

  it('collects every problem in the file, in line order, one per line of the message', () => {
    const text = `[node]
seed = "x"
${VENUES}
[risk]
max_open_orders = 0
${MAKER.replace('venue = "sim_a"', 'venue = "nowhere"')}bundel = "x"
`;
    let error: unknown;
    try {
      loadConfig(writeConfig(text));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const file = join(dir, 'Sequence.toml');
    const { issues, message } = error as ConfigError;
    expect(issues.map((i) => i.key)).toEqual(['node.seed', 'risk.max_open_orders', 'deploy.maker.venue', 'deploy.maker.bundel']);
    expect(message.split('\n')).toEqual([
      `${file}:${lineContaining(text, 'seed')}: node.seed: expected an integer, got a string ("x")`,
      `${file}:${lineContaining(text, 'max_open_orders')}: risk.max_open_orders: must be between 1 and 32, got 0`,
      `${file}:${lineContaining(text, 'nowhere')}: deploy.maker.venue: unknown venue "nowhere"; declared venues: sim_a`,
      `${file}:${lineContaining(text, 'bundel')}: deploy.maker.bundel: unknown key; expected one of venue, label, symbols, bundle, params, callback_deadline_ms, memory_max_mib, max_order_qty, max_order_notional, max_position, max_open_orders, max_price_deviation_bps, max_orders_per_sec, max_daily_loss`,
    ]);
  });

  it('prints the file name as it was given', () => {
    const text = MINIMAL.replace('bundle =', 'bundel =');
    expect(() => parseConfig(text, 'Sequence.toml')).toThrow(
      `Sequence.toml:${lineContaining(text, 'bundel')}: deploy.maker.bundel: unknown key; expected one of venue,`,
    );
  });

  it('a config file that does not exist', () => {
    const path = join(dir, 'nope.toml');
    expect(() => loadConfig(path)).toThrow(new ConfigError([{ file: path, line: 0, key: '', message: 'cannot read the config file: file not found' }]));
    expect(() => loadConfig(path)).toThrow(`${path}: cannot read the config file: file not found`);
  });
});

describe('tomlLocator', () => {
  const text = `# comment
top = 1

[a."b.c"]
x = 1
d.e = """
[not.a.header]
y = 2
"""
arr = [
  "z = 3",
  { w = 4 },
]
'lit' = 'q'

[[list]]
item = 1
`;
  const locate = locateToml(text);

  it('finds table headers with quoted parts, and keys under them', () => {
    expect(locate.lineOf(['top'])).toBe(2);
    expect(locate.lineOf(['a', 'b.c'])).toBe(4);
    expect(locate.lineOf(['a', 'b.c', 'x'])).toBe(5);
    expect(locate.lineOf(['a', 'b.c', 'lit'])).toBe(14);
    expect(locate.lineOf(['list', 'item'])).toBe(17);
  });

  it('finds dotted keys and the implied tables they open', () => {
    expect(locate.lineOf(['a', 'b.c', 'd', 'e'])).toBe(6);
    expect(locate.lineOf(['a', 'b.c', 'd'])).toBe(6);
  });

  it('does not read lines inside multi-line strings or arrays as keys', () => {
    expect(locate.lineOf(['a', 'b.c', 'arr'])).toBe(10);
    expect(locate.lineOf(['not', 'a', 'header'])).toBe(1);
    expect(locate.lineOf(['a', 'b.c', 'y'])).toBe(4);
    expect(locate.lineOf(['a', 'b.c', 'z'])).toBe(4);
  });

  it('falls back to the nearest table header, then line 1', () => {
    expect(locate.lineOf(['a', 'b.c', 'missing'])).toBe(4);
    expect(locate.lineOf(['a'])).toBe(4);
    expect(locate.lineOf(['nowhere', 'x'])).toBe(1);
  });
});

describe('risk limits and halt triggers', () => {
  it('a limit of the wrong type is an error naming the expected type', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sequence-config-'));
    const file = join(dir, 'Sequence.toml');
    const text = '[risk]\nmax_price_deviation_bps = "wide"\nmax_orders_per_sec = 2.5\n[venues.s]\nkind = "sim"\n[venues.s.markets."BTC/USD"]\nstart_price = "1"\n[deploy.a]\nvenue = "s"\nlabel = "a"\nsymbols = ["BTC/USD"]\nbundle = "a.wasm"\nmax_rejects_per_sec = 3\n';
    writeFileSync(file, text);
    let error: unknown;
    try {
      parseConfig(text, file, { checkBundles: false });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues;
    expect(issues.map((i) => [i.line, i.key])).toEqual([
      [2, 'risk.max_price_deviation_bps'],
      [3, 'risk.max_orders_per_sec'],
      [13, 'deploy.a.max_rejects_per_sec'],
    ]);
    expect(issues[1].message).toContain('expected an integer');
    expect(issues[2].message).toContain('unknown key');
  });

  it('node-wide halt triggers default to 20 rejects a second and 5 s of stale data', () => {
    const text = '[venues.s]\nkind = "sim"\n[venues.s.markets."BTC/USD"]\nstart_price = "1"\n[deploy.a]\nvenue = "s"\nlabel = "a"\nsymbols = ["BTC/USD"]\nbundle = "a.wasm"\n';
    expect(parseConfig(text, '/tmp/Sequence.toml', { checkBundles: false }).haltTriggers).toEqual({ maxRejectsPerSec: 20, staleDataMs: 5000 });
  });
});

describe('[mesh]', () => {
  const base = '[venues.s]\nkind = "sim"\n[venues.s.markets."BTC/USD"]\nstart_price = "1"\n[deploy.a]\nvenue = "s"\nlabel = "a"\nsymbols = ["BTC/USD"]\nbundle = "a.wasm"\n';
  const parse = (mesh: string) => parseConfig(base + mesh, '/tmp/Sequence.toml', { checkBundles: false });
  const issues = (mesh: string) => {
    try {
      parse(mesh);
    } catch (error) {
      return (error as ConfigError).issues.map((i) => `${i.key}: ${i.message}`);
    }
    return [];
  };

  it('listen makes this node the coordinator; coordinator makes it an edge; the secret variable defaults', () => {
    expect(parse('[mesh]\nlisten = "127.0.0.1:7400"\n').mesh).toEqual({ role: 'coordinator', host: '127.0.0.1', port: 7400, secretEnv: 'SEQUENCE_MESH_SECRET' });
    expect(parse('[mesh]\ncoordinator = "ws://10.0.0.5:7400"\nsecret_env = "MESH_KEY"\n').mesh).toEqual({ role: 'edge', url: 'ws://10.0.0.5:7400', secretEnv: 'MESH_KEY' });
    expect(parse('').mesh).toBeNull();
  });

  it('both or neither of listen and coordinator, a bad port, or an http URL are errors', () => {
    expect(issues('[mesh]\nlisten = "127.0.0.1:1"\ncoordinator = "ws://x:1"\n')[0]).toMatch(/^mesh: set exactly one of listen/);
    expect(issues('[mesh]\nsecret_env = "X"\n')[0]).toMatch(/^mesh: set exactly one of listen/);
    expect(issues('[mesh]\nlisten = "127.0.0.1:99999"\n')[0]).toBe('mesh.listen: expected "host:port" with a port 1..65535, got "127.0.0.1:99999"');
    expect(issues('[mesh]\ncoordinator = "http://x:1"\n')).toContainEqual(expect.stringMatching(/^mesh\.coordinator: /));
    expect(issues('[mesh]\nlisten = "127.0.0.1:7400"\nsecret = "inline"\n')[0]).toMatch(/^mesh\.secret: unknown key; expected one of listen, coordinator, secret_env$/);
  });
});
