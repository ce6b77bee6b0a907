import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, sequence } from './support/cli.ts';
import { EmulatorProcess } from './support/emulatorProcess.ts';
import { NodeProcess } from './support/nodeProcess.ts';

// The README's demo, through the real CLI: both emulators as their own processes, the node
// as a daemon pointed at them by URL with the keys the emulators printed.

let kraken: EmulatorProcess;
let coinbase: EmulatorProcess;
let krakenUrls: Map<string, string>;
let coinbaseUrls: Map<string, string>;
let keyEnv: Record<string, string>;

beforeAll(async () => {
  const build = sequence(['build', '--if-stale'], { timeoutMs: 120_000 });
  expect(build.code, build.stderr).toBe(0);
  kraken = new EmulatorProcess('kraken');
  coinbase = new EmulatorProcess('coinbase');
  [krakenUrls, coinbaseUrls] = await Promise.all([kraken.ready(), coinbase.ready()]);
  keyEnv = { ...kraken.exportedEnv(), ...coinbase.exportedEnv() };
});

afterAll(async () => {
  await Promise.all([kraken?.stop(), coinbase?.stop()]);
});

/** Sequence.emulators.toml with this run's emulator URLs, its own data directory and absolute bundle paths. */
function emulatorConfig(dir: string, edit: (toml: string) => string = (t) => t): string {
  let toml = readFileSync(join(ROOT, 'Sequence.emulators.toml'), 'utf8')
    .replace(/^data_dir = .*$/m, `data_dir = "${join(dir, 'data')}"`)
    .replace(/bundle = "algos\//g, `bundle = "${join(ROOT, 'algos')}/`);
  const urls = { kraken: krakenUrls, coinbase: coinbaseUrls };
  for (const [venue, map] of Object.entries(urls)) {
    const table = new RegExp(`(\\[venues\\.${venue}\\][\\s\\S]*?)(?=\\n\\[)`);
    toml = toml.replace(table, (block) => block.replace(/^(rest_url|ws_url|ws_auth_url|ws_user_url) = ".*"$/gm, (_line, key: string) => `${key} = "${map.get(key)}"`));
  }
  const file = join(dir, 'Sequence.toml');
  writeFileSync(file, edit(toml));
  return file;
}

describe('the node against the Kraken and Coinbase emulators', () => {
  it('connects to both, reconciles, quotes on Kraken through the real adapter, and shuts down with nothing left open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seq-emu-'));
    const node = new NodeProcess(emulatorConfig(dir), ['--duration', '10'], keyEnv);
    const code = await node.exited();
    expect(code, node.stderr).toBe(0);
    for (const venue of ['kraken', 'coinbase']) {
      expect(node.events.some((e) => e.type === 'venue_connection' && e.venue === venue && e.state === 'connected')).toBe(true);
      expect(node.of('reconciled').filter((e) => e.venue === venue)).toHaveLength(1);
    }
    const makerOrders = node.of('order').filter((e) => e.label === 'maker');
    expect(makerOrders.length).toBeGreaterThan(0);
    const acked = new Set(node.of('ack').map((e) => e.client_order_id));
    expect(makerOrders.some((o) => acked.has(o.client_order_id))).toBe(true);
    expect(node.of('reject').filter((e) => e.by === 'venue')).toEqual([]);
    const status = node.of('status').filter((e) => e.phase === 'trading').at(-1) as Record<string, any>;
    expect(status.venues.map((v: Record<string, any>) => [v.name, v.connection, v.invalid_books])).toEqual([
      ['kraken', 'connected', 0],
      ['coinbase', 'connected', 0],
    ]);
    expect(node.of('shutdown').at(-1)).toMatchObject({ open_orders: 0, timed_out: false });
  });

  it('rebuilds a book after a corrupted checksum and shows the resync in its status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seq-emu-'));
    const node = new NodeProcess(emulatorConfig(dir), ['--duration', '12'], keyEnv);
    await node.waitFor((e) => e.type === 'status' && e.venues?.[0]?.connection === 'connected');
    await kraken.fault(krakenUrls.get('rest_url') as string, { fault: 'corruptNextChecksum' });
    const resynced = await node.waitFor((e) => e.type === 'status' && e.venues[0].resyncs >= 1 && e.venues[0].invalid_books === 0);
    expect(resynced.venues[0].checksum_failures).toBeGreaterThanOrEqual(1);
    expect(await node.exited()).toBe(0);
  });

  it('refuses to start without the venue keys, naming the variable, and sends nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seq-emu-'));
    const r = sequence(['run', '--daemon', '--config', emulatorConfig(dir), '--duration', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sequence: KRAKEN_API_KEY is not set/);
  });

  it('emulate refuses --replay for Coinbase', () => {
    const r = sequence(['emulate', 'coinbase', '--replay', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--replay plays a Kraken capture: use it with `sequence emulate kraken`');
  });
});
