import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAlgos } from '../src/build/buildAlgo.ts';
import { EngineError } from '../src/node/engine.ts';
import { RejectCode } from '../src/wasm/abi.ts';
import { EngineHarness, settle, tempDir, writeBundle } from './support/nodeHarness.ts';
import { deployment, simVenue } from './support/tomlSnippets.ts';
import { placeAction, v1Bundle } from './support/watBundle.ts';

const ALGOS = join(import.meta.dirname, '..', 'algos');
const MAKER = join(ALGOS, 'maker', 'build', 'maker.wasm');

// A WAT algorithm that rests a new 0.0001 buy 100 below the best bid on every book (ids
// 1, 2, 3, ...), and records what the node tells it: the last reject code at 5000, the
// number of rejects at 5004, the last on_kill_switch argument at 5008 (+1, so 0 = never).
const FLOODER = v1Bundle({
  fields: `(global $next (mut i64) (i64.const 1))
    (func (export "algo_on_kill_switch") (param $halted i32) (param $state i32) (result i32)
      (i32.store (i32.const 5008) (i32.add (local.get $halted) (i32.const 1))) (i32.const 0))`,
  onBook: `(global.set $next (i64.add (global.get $next) (i64.const 1)))
    ${placeAction(0, '(i64.sub (i64.load (local.get $book)) (i64.const 100000000000))', 10_000, 1, 4).replace('(i64.const 0))', '(i64.sub (global.get $next) (i64.const 1)))')}`,
  onReject: `(i32.store (i32.const 5000) (i32.load8_u offset=8 (local.get $reject)))
    (i32.store (i32.const 5004) (i32.add (i32.load (i32.const 5004)) (i32.const 1)))`,
});

// Crosses the spread with a 0.0001 IOC buy on every book (paying the taker fee every
// time); records the last reject code at 5000.
const TAKER = v1Bundle({
  fields: '(global $next (mut i64) (i64.const 1))',
  onBook: `(global.set $next (i64.add (global.get $next) (i64.const 1)))
    ${placeAction(0, '(i64.add (i64.load offset=320 (local.get $book)) (i64.const 1000000000))', 10_000, 1, 2).replace('(i64.const 0))', '(global.get $next))')}`,
  onReject: '(i32.store (i32.const 5000) (i32.load8_u offset=8 (local.get $reject)))',
});

function config(deploy: string, risk = '') {
  return `
[node]
seed = 7
shutdown_timeout_ms = 2000
${simVenue('sim_a', { seed: 11 })}
[risk]
max_order_qty = "0.5"
${risk}
${deploy}`;
}

const deploy = (label: string, bundle: string, extra = '') => deployment(label, 'sim_a', bundle, extra);

async function flooding(risk = '', extraDeploy = '') {
  const dir = tempDir('halt');
  const flooder = writeBundle(dir, 'flooder.wasm', FLOODER);
  const h = EngineHarness.fromToml(config(deploy('flooder', flooder) + extraDeploy, risk), dir);
  await h.start();
  const mem = () => h.engine.deployment('flooder')!.algo.mem.u32;
  return { h, rejectCode: () => mem()[5000 / 4], rejects: () => mem()[5004 / 4], killSwitch: () => mem()[5008 / 4] };
}

beforeAll(async () => {
  await buildAlgos(ALGOS, { onlyStale: true });
});

describe('halt', () => {
  it('after the halt no new order reaches the venue, new orders get KILL_SWITCH, and the algorithm was told', async () => {
    const { h, rejectCode, rejects, killSwitch } = await flooding();
    await h.ticks(3);
    const placedBefore = h.venues[0].stats().placed;
    expect(placedBefore).toBeGreaterThan(0);
    const report = await h.engine.halt('operator:test', 'testing the kill switch', false);
    expect(report).toEqual({ alreadyHalted: false, cancels: [] });
    expect(killSwitch()).toBe(2);
    await h.ticks(5);
    expect(h.venues[0].stats().placed).toBe(placedBefore);
    expect(rejectCode()).toBe(RejectCode.KillSwitch);
    expect(rejects()).toBeGreaterThanOrEqual(5);
    expect(h.sink.of('halt')).toEqual([expect.objectContaining({ by: 'operator:test', reason: 'testing the kill switch', cancelAll: false })]);
    await h.engine.shutdown();
  });

  it('cancels still pass while halted: the maker cancels its quotes on on_kill_switch', async () => {
    const h = EngineHarness.fromToml(config(deploy('maker', MAKER, 'params = { spread_bps = 3 }')), tempDir('halt'));
    await h.start();
    await h.ticks(2);
    expect(h.engine.oms.liveOrders('maker').length).toBeGreaterThanOrEqual(2);
    await h.engine.halt('operator:test', 'maker should pull its quotes', false);
    await h.ticks(2);
    expect(h.engine.oms.liveOrders('maker')).toHaveLength(0);
    expect(h.venues[0].openUserOrders()).toBe(0);
    await h.engine.shutdown();
  });

  it('halt and cancel all cancels every open order and reports how each one ended', async () => {
    const { h } = await flooding();
    await h.ticks(4);
    const open = h.engine.oms.liveOrders('flooder').map((o) => o.clientOrderId).sort();
    expect(open.length).toBeGreaterThanOrEqual(3);
    const done = h.engine.halt('operator:test', 'flatten', true);
    await h.ticks(2);
    const report = await done;
    expect(report.cancels.map((c) => c.clientOrderId).sort()).toEqual(open);
    expect(report.cancels.every((c) => c.outcome === 'canceled' && c.label === 'flooder' && c.venue === 'sim_a')).toBe(true);
    expect(h.venues[0].openUserOrders()).toBe(0);
    await h.engine.shutdown();
  });

  it('a second halt is not recorded again', async () => {
    const { h } = await flooding();
    await h.engine.halt('operator:a', 'first', false);
    expect((await h.engine.halt('operator:b', 'second', false)).alreadyHalted).toBe(true);
    expect(h.sink.of('halt')).toHaveLength(1);
    await h.engine.shutdown();
  });
});

describe('resume', () => {
  it('is explicit, records who and why, tells the algorithm, and orders flow again', async () => {
    const { h, killSwitch } = await flooding();
    await h.ticks(1);
    await h.engine.halt('operator:test', 'pause', false);
    await h.ticks(2);
    const placed = h.venues[0].stats().placed;
    h.engine.resume('operator:alice', 'checked the venue');
    expect(killSwitch()).toBe(1);
    expect(h.sink.of('resume')).toEqual([expect.objectContaining({ by: 'operator:alice', reason: 'checked the venue' })]);
    await h.ticks(2);
    expect(h.venues[0].stats().placed).toBeGreaterThan(placed);
    await h.engine.shutdown();
  });

  it('resuming when not halted is an error', async () => {
    const { h } = await flooding();
    expect(() => h.engine.resume('operator:x', 'why')).toThrow(EngineError);
    expect(() => h.engine.resume('operator:x', 'why')).toThrow('trading is not halted');
    await h.engine.shutdown();
  });
});

describe('automatic halts name their cause', () => {
  it('rejects per second over the limit', async () => {
    const dir = tempDir('halt');
    // Orders of 0.00015 are off the 0.0001 lot: each one is an INVALID_PARAMS reject.
    const offLot = writeBundle(dir, 'offlot.wasm', v1Bundle({ onBook: placeAction(1, '(i64.load (local.get $book))', 15_000, 1) }));
    const h = EngineHarness.fromToml(config(deploy('offlot', offLot), 'max_rejects_per_sec = 5'), dir);
    await h.start();
    await h.ticks(8);
    expect(h.engine.halted).toBe(true);
    expect(h.sink.of('halt')[0]).toMatchObject({ by: 'auto:reject-rate', reason: 'more than 5 rejects in one second' });
    await h.engine.shutdown();
  });

  it('market data stale on a venue while the node has open orders there', async () => {
    const { h } = await flooding('stale_data_ms = 200');
    await h.ticks(2);
    expect(h.engine.oms.liveCount).toBeGreaterThan(0);
    h.venues[0].pauseFeed(true);
    const deadline = Date.now() + 5000;
    while (!h.engine.halted && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(h.sink.of('halt')[0]).toMatchObject({ by: 'auto:stale-data' });
    expect(h.sink.of('halt')[0].reason).toMatch(/^market data from sim_a is \d+ ms old \(limit 200 ms\) while it has \d+ open orders$/);
    await h.engine.shutdown();
  });

  it('a venue reporting cancel_only', async () => {
    const { h } = await flooding();
    await h.ticks(1);
    h.venues[0].setStatus('cancel_only');
    await settle();
    expect(h.sink.of('halt')[0]).toMatchObject({ by: 'auto:venue-status', reason: 'venue sim_a reports cancel_only' });
    await h.engine.shutdown();
  });

  it('a venue already in cancel_only when the node starts halts it as soon as it trades', async () => {
    const dir = tempDir('halt');
    const h = EngineHarness.fromToml(config(deploy('flooder', writeBundle(dir, 'flooder.wasm', FLOODER))), dir);
    h.venues[0].setStatus('cancel_only');
    await h.start();
    await settle();
    expect(h.engine.halted).toBe(true);
    expect(h.sink.of('halt')[0]).toMatchObject({ by: 'auto:venue-status', reason: 'venue sim_a reports cancel_only' });
    await h.engine.shutdown();
  });
});

describe('position-limit pause', () => {
  it('a position over a limit lowered since it was taken pauses the instance at takeover, and its adding orders get POSITION_LIMIT', async () => {
    const dir = tempDir('halt');
    const taker = writeBundle(dir, 'taker.wasm', TAKER);
    const first = EngineHarness.fromToml(config(deploy('taker', taker)), dir);
    await first.start();
    await first.ticksUntil(() => first.engine.oms.position('taker', 'BTC/USD').qty1e8 >= 50_000, 200);
    await first.engine.shutdown();
    await first.journal.close();

    const second = EngineHarness.fromToml(config(deploy('taker', taker, 'max_position = "0.0002"')), dir);
    await second.bootstrapAndLead();
    expect(second.engine.core.pauseCode('taker')).toBe(RejectCode.PositionLimit);
    expect(second.sink.of('pause')[0].reason).toMatch(/^position \d+ in BTC\/USD over the limit 20000 \(qty_1e8\)$/);
    await second.ticks(2);
    expect(second.engine.deployment('taker')!.algo.mem.u32[5000 / 4]).toBe(RejectCode.PositionLimit);
    expect(second.sink.of('order')).toEqual([]);
    expect(second.engine.halted).toBe(false);
    await second.engine.shutdown();
  });
});

describe('the journal failing', () => {
  /** A flooder whose journal refuses every append after the 12th, ticked until the node halted. */
  async function floodUntilTheJournalFails(): Promise<EngineHarness> {
    const dir = tempDir('halt');
    const h = EngineHarness.fromToml(config(deploy('flooder', writeBundle(dir, 'flooder.wasm', FLOODER))), dir, 12);
    await h.start();
    await h.ticks(10);
    expect(h.engine.halted).toBe(true);
    return h;
  }

  it('halts the node naming the cause, and an order it could not record is never sent', async () => {
    const h = await floodUntilTheJournalFails();
    const halt = h.sink.of('halt')[0];
    expect(halt).toMatchObject({ by: 'auto:journal' });
    expect(halt.reason).toMatch(/^the journal refused \d+ record\(s\): No space left on device \(injected\)$/);
    expect(h.sink.of('reject').some((r) => r.reason === 'not sent: the journal refused it')).toBe(true);
    const journaled = [...h.journal.records()].filter((r) => r.message.kind === 'order').length;
    expect(h.venues[0].stats().placed).toBe(journaled);
    expect(h.sink.events).toContainEqual(expect.objectContaining({ type: 'journal_failure' }));
    await h.engine.shutdown();
  });

  it('cancels the orders resting at the venue without a record, since nothing could manage them again', async () => {
    const h = await floodUntilTheJournalFails();
    const failure = h.sink.events.find((e) => e.type === 'journal_failure')!;
    expect(failure.cancels_sent).toBeGreaterThan(0);
    // The cancels follow the in-memory halt, one per order the venue held, none journaled.
    const haltAt = h.sink.trades.findIndex((t) => t.kind === 'halt' && t.by === 'auto:journal');
    const cancels = h.sink.trades.slice(haltAt).filter((t) => t.kind === 'cancelRequest');
    expect(cancels).toHaveLength(failure.cancels_sent as number);
    const journaledIds = new Set([...h.journal.records()].map((r) => (r.message.kind === 'cancelRequest' ? r.message.clientOrderId : '')));
    expect(cancels.filter((c) => journaledIds.has(c.clientOrderId))).toEqual([]);
    const deadline = Date.now() + 5000;
    while (h.venues[0].stats().openUserOrders > 0 && Date.now() < deadline) await h.ticks(1);
    expect(h.venues[0].stats().openUserOrders).toBe(0);
    await h.engine.shutdown();
  });
});

describe('per-instance pause', () => {
  it('a daily loss over the limit pauses that instance with DAILY_LOSS_LIMIT, and the node stays unhalted', async () => {
    const dir = tempDir('halt');
    const taker = writeBundle(dir, 'taker.wasm', TAKER);
    // Reject-rate halts off: the flooder's open-order rejects must not halt the node here.
    const h = EngineHarness.fromToml(config(deploy('taker', taker, 'max_daily_loss = "0.01"') + deploy('flooder', writeBundle(dir, 'flooder.wasm', FLOODER)), 'max_rejects_per_sec = 0'), dir);
    await h.start();
    const deadline = Date.now() + 5000;
    while (h.engine.core.pauseCode('taker') === 0 && Date.now() < deadline) await h.ticks(1);
    expect(h.engine.core.pauseCode('taker')).toBe(RejectCode.DailyLossLimit);
    expect(h.sink.of('pause')[0]).toMatchObject({ label: 'taker', paused: true, code: RejectCode.DailyLossLimit });
    await h.ticks(2);
    expect(h.engine.deployment('taker')!.algo.mem.u32[5000 / 4]).toBe(RejectCode.DailyLossLimit);
    expect(h.engine.halted).toBe(false);
    expect(h.engine.core.pauseCode('flooder')).toBe(0);
    const flooderCalls = h.engine.deployment('flooder')!.algo.calls;
    await h.ticks(2);
    expect(h.engine.deployment('flooder')!.algo.calls).toBeGreaterThan(flooderCalls);
    h.engine.unpause('taker', 'operator:alice', 'limit reviewed');
    expect(h.engine.core.pauseCode('taker')).toBe(0);
    expect(() => h.engine.unpause('taker', 'operator:alice', 'again')).toThrow('instance "taker" is not paused');
    await h.engine.shutdown();
  });
});
