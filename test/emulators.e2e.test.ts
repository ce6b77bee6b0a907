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
    const acked = new Set(node.of('ack').map((e) => e.id as string));
    expect(makerOrders.filter((o) => acked.has(o.id)).length).toBeGreaterThan(0);
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

  it('applies a fill made while its link was down exactly once, after reconnecting and reconciling', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seq-emu-'));
    const node = new NodeProcess(emulatorConfig(dir), ['--duration', '15'], keyEnv);
    const restUrl = krakenUrls.get('rest_url') as string;
    const makerIds = () => new Set(node.of('order').filter((e) => e.label === 'maker').map((e) => e.id as string));
    await node.waitFor((e) => e.type === 'ack' && makerIds().has(e.id));
    // A paused feed stops the maker from requoting, so the order picked stays open.
    await kraken.fault(restUrl, { fault: 'pauseFeed', paused: true });
    let ack: Record<string, any> | undefined;
    try {
      await new Promise((r) => setTimeout(r, 500));
      // Newest first: the maker's orders it has not asked to cancel and that have not closed.
      const settled = new Set(node.events.filter((e) => e.type === 'cancel' || e.type === 'canceled' || e.type === 'fill').map((e) => e.id as string));
      const candidates = node.of('ack').filter((e) => makerIds().has(e.id) && !settled.has(e.id)).reverse();
      expect(candidates.length).toBeGreaterThan(0);
      await kraken.fault(restUrl, { fault: 'holdPrivateLinks', held: true });
      try {
        await kraken.fault(restUrl, { fault: 'dropConnections' });
        // The synthetic flow may still have taken an order in the meantime: the first one still open is filled.
        for (const candidate of candidates) {
          const filled = await kraken.fault(restUrl, { fault: 'fillResting', id: candidate.venue_order_id }).then(
            () => true,
            (error: Error) => (/no open order/.test(error.message) ? false : Promise.reject(error)),
          );
          if (filled) {
            ack = candidate;
            break;
          }
        }
      } finally {
        await kraken.fault(restUrl, { fault: 'holdPrivateLinks', held: false });
      }
    } finally {
      await kraken.fault(restUrl, { fault: 'pauseFeed', paused: false });
    }
    if (ack === undefined) throw new Error('none of the maker\'s orders was still open at the venue to fill');
    const reconciled = await node.waitFor((e) => e.type === 'reconciled' && e.venue === 'kraken' && e.fills_applied > 0);
    expect(reconciled.fills_applied).toBeGreaterThan(0);
    expect(await node.exited()).toBe(0);
    const fills = node.of('fill').filter((e) => e.id === ack.id);
    expect(fills.length).toBeGreaterThan(0);
    expect(new Set(fills.map((f) => f.fill_id)).size).toBe(fills.length);
    const order = node.of('order').find((e) => e.id === ack.id) as Record<string, any>;
    const filled = fills.reduce((a, f) => a + Number(f.qty), 0);
    expect(filled).toBeCloseTo(Number(order.qty), 8);
    expect(node.of('anomaly')).toEqual([]);
  });

  it('halts trading when Kraken reports cancel_only, and says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seq-emu-'));
    // The venue rejects orders from the instant it turns cancel_only; the reject-rate halt is
    // off here so the halt this test sees can only be the one the status frame causes.
    const config = emulatorConfig(dir, (toml) => toml.replace(/^max_rejects_per_sec = .*$/m, 'max_rejects_per_sec = 0'));
    const node = new NodeProcess(config, ['--duration', '8'], keyEnv);
    const restUrl = krakenUrls.get('rest_url') as string;
    await node.waitFor((e) => e.type === 'reconciled' && e.venue === 'kraken');
    await kraken.fault(restUrl, { fault: 'setStatus', status: 'cancel_only' });
    try {
      const halt = await node.waitFor((e) => e.type === 'halt').catch((error: Error) => {
        const link = node.events.filter((e) => ['venue_connection', 'venue_status', 'venue_notice'].includes(e.type));
        throw new Error(`${error.message.slice(0, 200)}; venue events: ${JSON.stringify(link)}`);
      });
      expect(halt.reason).toContain('cancel_only');
      expect(node.of('venue_status')).toContainEqual(expect.objectContaining({ venue: 'kraken', status: 'cancel_only' }));
    } finally {
      await kraken.fault(restUrl, { fault: 'setStatus', status: 'online' });
    }
    expect(await node.exited()).toBe(0);
  });

  it('rebuilds the Coinbase books after a skipped sequence number and shows the gap in its status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seq-emu-'));
    const node = new NodeProcess(emulatorConfig(dir), ['--duration', '12'], keyEnv);
    await node.waitFor((e) => e.type === 'status' && e.venues?.[1]?.connection === 'connected');
    await coinbase.fault(coinbaseUrls.get('rest_url') as string, { fault: 'skipSequence' });
    const healed = await node.waitFor((e) => e.type === 'status' && e.venues[1].sequence_gaps >= 1 && e.venues[1].invalid_books === 0 && e.venues[1].connection === 'connected');
    expect(healed.venues[1].reconnects).toBeGreaterThanOrEqual(1);
    expect(await node.exited()).toBe(0);
  });

  it('restarts on the same journal: Bootstrap replays the Kraken and Coinbase history, then reconciles with both venues', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seq-emu-'));
    const config = emulatorConfig(dir);
    const first = new NodeProcess(config, ['--duration', '6'], keyEnv);
    expect(await first.exited(), first.stderr).toBe(0);
    const journaled = first.of('shutdown').at(-1)?.journal_seq as number;
    expect(journaled).toBeGreaterThan(10);
    const second = new NodeProcess(config, ['--duration', '4'], keyEnv);
    expect(await second.exited(), second.stderr).toBe(0);
    expect(second.of('bootstrap_done').at(-1)?.records).toBe(journaled);
    expect(second.of('reconciled').map((e) => e.venue).sort()).toEqual(['coinbase', 'kraken']);
  });

  it('records both venues\' market data as received, and replays the recording through the same deployments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seq-emu-'));
    const config = emulatorConfig(dir);
    const recordDir = join(dir, 'recordings');
    const node = new NodeProcess(config, ['--duration', '6', '--record', recordDir], keyEnv);
    expect(await node.exited(), node.stderr).toBe(0);
    expect(node.of('recording_started').map((e) => e.venue).sort()).toEqual(['coinbase', 'kraken']);
    const replay = sequence(['replay', '--config', config, '--data', recordDir, '--out', join(dir, 'replay'), '--json'], { timeoutMs: 120_000 });
    expect(replay.code, replay.stderr).toBe(0);
    const report = JSON.parse(replay.stdout);
    expect(report.instances.map((i: Record<string, any>) => i.label).sort()).toEqual(['hedger', 'maker']);
    const maker = report.instances.find((i: Record<string, any>) => i.label === 'maker');
    expect(maker.orders).toBeGreaterThan(0);
    const again = sequence(['run', '--daemon', '--config', config, '--duration', '3', '--record', recordDir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`${join(recordDir, 'kraken.rec')} exists: a recording is never overwritten`);
  });

  it('stops recording a venue at its size bound, says so once, and keeps trading', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seq-emu-'));
    const node = new NodeProcess(emulatorConfig(dir), ['--duration', '6', '--record', join(dir, 'rec'), '--record-max-mb', '0.01'], keyEnv);
    expect(await node.exited(), node.stderr).toBe(0);
    const stopped = node.of('recording_stopped');
    expect(stopped.map((e) => e.venue).sort()).toEqual(['coinbase', 'kraken']);
    for (const e of stopped) expect(e.bytes).toBeLessThanOrEqual(Math.floor(0.01 * 1024 * 1024));
    const lastStop = node.events.indexOf(stopped.at(-1) as Record<string, any>);
    expect(node.events.slice(lastStop).some((e) => e.type === 'order' || e.type === 'ack')).toBe(true);
  });

  it('refuses to start without the venue keys, naming the variable, and sends nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seq-emu-'));
    const r = sequence(['run', '--daemon', '--config', emulatorConfig(dir), '--duration', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sequence: KRAKEN_API_KEY is not set/);
  });

  it('stops with exit 5, naming the venue, when a venue cannot be reached at start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seq-emu-'));
    const unreachable = emulatorConfig(dir, (toml) => toml.replaceAll(new URL(krakenUrls.get('rest_url') as string).host, '127.0.0.1:9'));
    const node = new NodeProcess(unreachable, ['--duration', '30'], keyEnv);
    expect(await node.exited()).toBe(5);
    expect(node.stderr).toMatch(/^sequence: venue "kraken" could not start: Kraken markets could not be loaded from http:\/\/127\.0\.0\.1:9/m);
    expect(node.of('shutdown').at(-1)).toMatchObject({ reason: 'a venue could not start', open_orders: 0 });
    expect(node.of('order')).toEqual([]);
  });

  it('emulate refuses --replay for Coinbase', () => {
    const r = sequence(['emulate', 'coinbase', '--replay', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--replay plays a Kraken capture: use it with `sequence emulate kraken`');
  });
});
