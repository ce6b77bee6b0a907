import { once } from 'node:events';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoConfigIn, jsonLines, sequence, startSequence } from './support/cli.ts';
import { tempDir } from './support/nodeHarness.ts';

// The real CLI on the repository's own demo config: two sim venues, the maker and the
// hedger, run headless for ten seconds and stopped gracefully.

beforeAll(() => {
  const build = sequence(['build', '--if-stale'], { timeoutMs: 120_000 });
  expect(build.code, build.stderr).toBe(0);
});

describe('sequence run --daemon on the demo config', () => {
  const run = sequence(['run', '--daemon', '--duration', '10', '--config', demoConfigIn(tempDir('e2e'))], { timeoutMs: 60_000 });
  const events = run.code === null ? [] : jsonLines(run.stdout);
  const ofType = (type: string) => events.filter((e) => e.type === type);
  const orders = ofType('order');
  const fills = ofType('fill');
  const labelOf = new Map(orders.map((o) => [o.id, o.label]));

  it('exits 0 after the duration, writing only JSON lines', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(events[0]).toMatchObject({ type: 'start', node: 'demo' });
  });

  it('places orders for both instances', () => {
    expect(orders.filter((o) => o.label === 'maker').length).toBeGreaterThan(0);
    expect(orders.filter((o) => o.label === 'hedger').length).toBeGreaterThan(0);
  });

  it('fills happen on both venues', () => {
    expect(fills.some((f) => String(f.fill_id).startsWith('sim_a-'))).toBe(true);
    expect(fills.some((f) => String(f.fill_id).startsWith('sim_b-'))).toBe(true);
    expect(fills.every((f) => labelOf.has(f.id))).toBe(true);
  });

  it('the hedger reduces the exposure the maker takes on', () => {
    // Sampled by the 1 Hz status lines: the maker's position alone against maker + hedger.
    let makerExposure = 0;
    let combinedExposure = 0;
    for (const status of ofType('status')) {
      const position = (label: string) => Number(status.instances.find((i: { label: string }) => i.label === label).symbols[0].position);
      makerExposure += Math.abs(position('maker'));
      combinedExposure += Math.abs(position('maker') + position('hedger'));
    }
    expect(makerExposure).toBeGreaterThan(0);
    expect(combinedExposure).toBeLessThan(makerExposure / 2);
  });

  it('reports status periodically, with each instance\'s position, PnL, orders and callback cost', () => {
    const status = ofType('status');
    // About one a second over ten seconds; a loaded machine may delay a few.
    expect(status.length).toBeGreaterThanOrEqual(5);
    const last = status.at(-1)!;
    expect(last.instances.map((i: { label: string }) => i.label)).toEqual(['maker', 'hedger']);
    for (const i of last.instances) {
      expect(i).toMatchObject({ status: 'running', open_orders: expect.any(Number), calls: expect.any(Number), last_call_us: expect.any(Number), max_call_us: expect.any(Number) });
      expect(i.calls).toBeGreaterThan(0);
      expect(i.symbols[0]).toMatchObject({ symbol: 'BTC/USD', position: expect.stringMatching(/^-?\d+(\.\d+)?$/), realized_pnl: expect.stringMatching(/^-?\d+(\.\d+)?$/), unrealized_pnl: expect.any(String) });
    }
  });

  it('shutdown cancelled every resting order, at the node and at the venues', () => {
    const shutdown = ofType('shutdown')[0];
    expect(shutdown).toMatchObject({ reason: 'duration', open_orders: 0, timed_out: false, sim_open_orders: { sim_a: 0, sim_b: 0 } });
    const acked = new Set(ofType('ack').map((a) => a.id));
    const dead = new Set([...ofType('canceled').map((c) => c.id), ...ofType('reject').map((r) => r.id)]);
    const filledQty = new Map<string, number>();
    for (const f of fills) filledQty.set(f.id, (filledQty.get(f.id) ?? 0) + Math.round(Number(f.qty) * 1e8));
    for (const o of orders) {
      if (!acked.has(o.id)) continue;
      const fullyFilled = (filledQty.get(o.id) ?? 0) === Math.round(Number(o.qty) * 1e8);
      expect(fullyFilled || dead.has(o.id), `order ${o.id} ended resting`).toBe(true);
    }
  });
});

describe('signals', () => {
  it('SIGTERM runs on_shutdown, cancels, and exits 0', async () => {
    const child = startSequence(['run', '--daemon', '--config', demoConfigIn(tempDir('e2e'))]);
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
    });
    while (!out.includes('"type":"order"')) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    const shutdown = jsonLines(out).find((e) => e.type === 'shutdown');
    expect(shutdown).toMatchObject({ reason: 'SIGTERM', open_orders: 0, timed_out: false, sim_open_orders: { sim_a: 0, sim_b: 0 } });
  });
});

describe('output', () => {
  it('a reader that closes the pipe does not stop the node: it says so once and runs to its end', async () => {
    const child = startSequence(['run', '--daemon', '--duration', '3', '--config', demoConfigIn(tempDir('e2e'))]);
    let err = '';
    child.stderr!.on('data', (chunk) => {
      err += chunk;
    });
    await once(child.stdout!, 'data');
    child.stdout!.destroy();
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(err.match(/event output closed \(EPIPE\); the node keeps running without it/g)).toHaveLength(1);
  });
});

describe('without a terminal', () => {
  it('run without --daemon writes the same JSON lines, with no escape codes', () => {
    const r = sequence(['run', '--duration', '2', '--config', demoConfigIn(tempDir('e2e'))], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/\x1b\[/);
    const events = jsonLines(r.stdout);
    expect(events[0].type).toBe('start');
    expect(events.at(-1)!.type).toBe('shutdown');
  });
});
