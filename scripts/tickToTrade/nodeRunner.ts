import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchChild } from './benchChild.ts';

// The node under test: `sequence run --daemon` as its own process, on a config this file
// writes (the Kraken emulator's URLs, one example maker per instance, risk limits raised
// so that thousands of re-quotes a minute are not refused).

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'sequence.js');

export interface MakerParams {
  spreadBps: number;
  quoteQty: string;
  requoteTicks: number;
}

export interface BenchNodeConfig {
  dir: string;
  restUrl: string;
  wsUrl: string;
  wsAuthUrl: string;
  /** Instance k trades the symbol instanceSymbols gives it; the other symbols go to a passive listener. */
  instances: number;
  symbols: readonly string[];
  maker: MakerParams;
  /** The Kraken venue's order_entry: the private WebSocket (the default) or REST through ccxt. */
  orderEntry: 'ws' | 'rest';
}

/**
 * The symbol each maker instance trades: spread evenly over the symbols when there are
 * more symbols than instances (so the traded books are not all first in a burst of
 * frames), round robin when there are more instances than symbols.
 */
export function instanceSymbols(instances: number, symbols: readonly string[]): string[] {
  if (!(Number.isInteger(instances) && instances >= 1)) throw new RangeError(`instances must be a whole number >= 1, got ${instances}`);
  if (symbols.length === 0) throw new RangeError('at least one symbol is needed');
  const n = symbols.length;
  return Array.from({ length: instances }, (_, k) => symbols[instances <= n ? Math.floor((k * n) / instances) : k % n] as string);
}

/**
 * The node's TOML. The maker keeps one bid and one ask per instance (its order ids are not
 * per symbol), so each instance trades one symbol; the symbols no maker trades are
 * subscribed by one hedger instance, which only notes the best prices of each book until
 * a fill message asks it to hedge (none comes here): the node still decodes, verifies and
 * hands each of their books to an instance.
 */
export function benchNodeToml(c: BenchNodeConfig): string {
  const traded = instanceSymbols(c.instances, c.symbols);
  const listened = c.symbols.filter((s) => !traded.includes(s));
  const lines = [
    '[node]',
    'id = "bench-tick-to-trade"',
    `data_dir = "${join(c.dir, 'data')}"`,
    'cancel_on_shutdown = true',
    'shutdown_timeout_ms = 5000',
    '',
    '[venues.kraken]',
    'kind = "kraken"',
    `rest_url = "${c.restUrl}"`,
    `ws_url = "${c.wsUrl}"`,
    `ws_auth_url = "${c.wsAuthUrl}"`,
    'depth = 10',
    'dead_man_timeout_sec = 60',
    `order_entry = "${c.orderEntry}"`,
    'rate_limit_burst = 10000',
    'rate_limit_per_sec = 100000',
    'unknown_orders = "leave"',
    '',
    '[risk]',
    'max_order_qty = "1"',
    'max_order_notional = "1000000"',
    'max_position = "10"',
    'max_open_orders = 32',
    'max_price_deviation_bps = 500',
    'max_orders_per_sec = 100000',
    'max_daily_loss = "0"',
    'max_rejects_per_sec = 0',
    'stale_data_ms = 0',
  ];
  for (let k = 0; k < c.instances; k++) {
    lines.push(
      '',
      `[deploy.maker${k}]`,
      'venue = "kraken"',
      `label = "maker${k}"`,
      `symbols = ["${traded[k]}"]`,
      `bundle = "${join(ROOT, 'algos', 'maker', 'build', 'maker.wasm')}"`,
      '',
      `[deploy.maker${k}.params]`,
      `spread_bps = ${c.maker.spreadBps}`,
      `quote_qty = "${c.maker.quoteQty}"`,
      'skew_bps_per_unit = 0',
      `requote_ticks = ${c.maker.requoteTicks}`,
    );
  }
  if (listened.length > 0) {
    lines.push(
      '',
      '[deploy.listener]',
      'venue = "kraken"',
      'label = "listener"',
      `symbols = [${listened.map((s) => `"${s}"`).join(', ')}]`,
      `bundle = "${join(ROOT, 'algos', 'hedger', 'build', 'hedger.wasm')}"`,
    );
  }
  return lines.join('\n') + '\n';
}

/** Starts the node on the config written into `c.dir`; stdout (its JSON-line events) goes nowhere. */
export function startNode(c: BenchNodeConfig, env: Record<string, string>): BenchChild {
  const configPath = join(c.dir, 'Sequence.toml');
  writeFileSync(configPath, benchNodeToml(c));
  const child = spawn(process.execPath, [CLI, 'run', '--daemon', '--config', configPath], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  return new BenchChild(child, `the node (${c.instances} instances, ${c.symbols.length} symbols)`);
}
