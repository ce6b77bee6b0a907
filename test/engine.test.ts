import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAlgos } from '../src/build/buildAlgo.ts';
import { L2Book } from '../src/venues/book.ts';
import type { VenueListener } from '../src/venues/venue.ts';
import { RejectCode } from '../src/wasm/abi.ts';
import { EngineHarness, tempDir, writeBundle } from './support/nodeHarness.ts';
import { deployment, simVenue } from './support/tomlSnippets.ts';
import { placeAction, v1Bundle } from './support/watBundle.ts';

const ALGOS = join(import.meta.dirname, '..', 'algos');
const MAKER = join(ALGOS, 'maker', 'build', 'maker.wasm');
const HEDGER = join(ALGOS, 'hedger', 'build', 'hedger.wasm');

function venues(): string {
  return `
[node]
seed = 7
shutdown_timeout_ms = 2000
${simVenue('sim_a', { seed: 11, spreadBps: 4, takerRateHz: 40 })}${simVenue('sim_b', { seed: 23, spreadBps: 6, takerRateHz: 20 })}
[risk]
max_order_qty = "0.5"
max_position = "1.0"
`;
}

const makerAndHedger = deployment('maker', 'sim_a', MAKER, 'params = { spread_bps = 3, quote_qty = "0.01", requote_ticks = 10 }') + deployment('hedger', 'sim_b', HEDGER);

beforeAll(async () => {
  await buildAlgos(ALGOS, { onlyStale: true });
});

describe('the engine runs algorithms against sim venues', () => {
  it('the maker quotes both sides around the mid on its first book, as post-only orders', async () => {
    const h = EngineHarness.fromToml(venues() + makerAndHedger, tempDir('engine'));
    await h.start();
    await h.ticks(1);
    const orders = h.sink.of('order').filter((o) => o.label === 'maker');
    expect(orders.map((o) => o.side).sort()).toEqual([-1, 1]);
    const mid = h.engine.mark('sim_a', 'BTC/USD');
    const bid = orders.find((o) => o.side === 1)!;
    const ask = orders.find((o) => o.side === -1)!;
    expect(bid.px1e9).toBeLessThan(mid);
    expect(ask.px1e9).toBeGreaterThan(mid);
    expect(bid.orderType).toBe(4);
    expect(bid.clientOrderId).toMatch(/^maker\.1\.[0-9a-z]{6}\.\d+$/);
    await h.engine.shutdown();
  });

  it('client order ids carry the journal\'s tag: a node on a fresh data directory never repeats an earlier one\'s ids', async () => {
    const firstIds = async () => {
      const h = EngineHarness.fromToml(venues() + makerAndHedger, tempDir('engine'));
      await h.start();
      await h.ticks(1);
      const ids = h.sink.of('order').map((o) => o.clientOrderId);
      await h.engine.shutdown();
      return ids;
    };
    const [a, b] = [await firstIds(), await firstIds()];
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBe(a.length);
    expect(a.filter((id) => b.includes(id))).toEqual([]);
  });

  it('a turn\'s venue requests are bracketed by holdWrites and releaseWrites, so a replace\'s cancel and order can leave in one write', async () => {
    const h = EngineHarness.fromToml(venues() + deployment('maker', 'sim_a', MAKER, 'params = { spread_bps = 3, quote_qty = "0.01", requote_ticks = 0 }'), tempDir('engine'));
    const venue = h.venues[0];
    const calls: string[] = [];
    const place = venue.place.bind(venue);
    const cancel = venue.cancel.bind(venue);
    Object.assign(venue, {
      holdWrites: () => calls.push('hold'),
      releaseWrites: () => calls.push('release'),
      place: (request: Parameters<typeof place>[0]) => {
        calls.push('place');
        place(request);
      },
      cancel: (id: string, symbol: string) => {
        calls.push('cancel');
        cancel(id, symbol);
      },
    });
    await h.start();
    await h.ticksUntil(() => calls.includes('cancel'), 50);
    await h.engine.shutdown();
    const turns = calls.join(' ').split('release').map((t) => t.trim()).filter((t) => t !== '');
    expect(turns.length).toBeGreaterThan(1);
    for (const turn of turns) expect(turn).toMatch(/^hold( (cancel|place))+$/);
    expect(turns.some((t) => /cancel place/.test(t))).toBe(true);
  });

  it('a maker fill reaches the hedger over the mesh and the hedger offsets it on its own venue', async () => {
    const h = EngineHarness.fromToml(venues() + makerAndHedger, tempDir('engine'));
    await h.start();
    const maker = h.engine.deployment('maker')!.positions.get('BTC/USD')!;
    const hedger = h.engine.deployment('hedger')!.positions.get('BTC/USD')!;
    expect(await h.ticksUntil(() => maker.fillCount > 0, 400)).toBe(true);
    expect(await h.ticksUntil(() => hedger.qty1e8 === -maker.qty1e8, 100)).toBe(true);
    const link = h.engine.mesh.links().find((l) => l.from === 'maker' && l.to === 'hedger')!;
    expect(link.delivered).toBeGreaterThan(0);
    expect(link.dropped).toBe(0);
    expect(h.sink.of('order').some((o) => o.label === 'hedger' && o.orderType === 2)).toBe(true);
    await h.engine.shutdown();
  });

  it('a trapping instance is aborted, its open order cancelled, and its sibling keeps trading', async () => {
    const dir = tempDir('engine');
    const trapper = writeBundle(dir, 'trapper.wasm', v1Bundle({
      fields: '(global $books (mut i32) (i32.const 0))',
      onBook: `(if (i32.gt_u (global.get $books) (i32.const 0)) (then unreachable))
        (global.set $books (i32.const 1))
        ${placeAction(7, '(i64.load (local.get $book))', 10_000, 1)}`,
    }));
    const h = EngineHarness.fromToml(venues() + makerAndHedger + deployment('trapper', 'sim_a', trapper), dir);
    await h.start();
    await h.ticks(3);
    const bad = h.engine.deployment('trapper')!;
    expect(bad.algo.status).toBe('aborted');
    expect(bad.algo.abortReason).toMatch(/^algo_on_book trapped: unreachable/);
    expect(h.sink.events).toContainEqual(expect.objectContaining({ type: 'instance', label: 'trapper', status: 'aborted' }));
    const trapperOrder = h.sink.of('order').find((o) => o.label === 'trapper')!;
    expect(h.sink.of('canceled').some((c) => c.clientOrderId === trapperOrder.clientOrderId)).toBe(true);
    const makerCalls = h.engine.deployment('maker')!.algo.calls;
    await h.ticks(5);
    expect(h.engine.deployment('maker')!.algo.calls).toBeGreaterThan(makerCalls);
    expect(h.engine.deployment('maker')!.algo.status).toBe('running');
    await h.engine.shutdown();
  });

  it('an infinite loop aborts that instance at its deadline while the others keep receiving books', async () => {
    const dir = tempDir('engine');
    const spinner = writeBundle(dir, 'spinner.wasm', v1Bundle({ onBook: '(loop $forever (br $forever)) (i32.const 0)' }));
    const h = EngineHarness.fromToml(venues() + makerAndHedger + deployment('spinner', 'sim_a', spinner, 'callback_deadline_ms = 20'), dir);
    await h.start();
    await h.ticks(1);
    expect(h.engine.deployment('spinner')!.algo.abortReason).toBe('algo_on_book ran past its 20 ms deadline (fuel exhausted)');
    const before = h.engine.deployment('maker')!.algo.calls;
    await h.ticks(5);
    expect(h.engine.deployment('maker')!.algo.calls).toBeGreaterThan(before);
    await h.engine.shutdown();
  });

  it('an order over a risk limit never reaches the venue and its reject code reaches on_reject', async () => {
    const dir = tempDir('engine');
    const greedy = writeBundle(dir, 'greedy.wasm', v1Bundle({
      onBook: placeAction(9, '(i64.load (local.get $book))', 200_000_000, 1),
      onReject: '(i32.store (i32.const 5000) (i32.load8_u offset=8 (local.get $reject))) (i32.store (i32.const 5004) (i32.load (local.get $reject)))',
    }));
    const h = EngineHarness.fromToml(venues() + deployment('greedy', 'sim_a', greedy), dir);
    await h.start();
    await h.ticks(1);
    const algo = h.engine.deployment('greedy')!.algo;
    expect(algo.mem.u32[5000 / 4]).toBe(RejectCode.Risk);
    expect(algo.mem.u32[5004 / 4]).toBe(9);
    expect(h.sink.of('order')).toHaveLength(0);
    expect(h.venues[0].stats().placed).toBe(0);
    expect(h.sink.of('nodeReject')[0]).toMatchObject({ label: 'greedy', algoOrderId: 9, code: RejectCode.Risk });
    await h.engine.shutdown();
  });

  it('the maker backs off from the order-rate limit instead of requoting into it until the reject rate halts the node', async () => {
    const risk = '[risk]\nmax_order_qty = "0.5"\nmax_position = "1.0"\nmax_orders_per_sec = 4\nmax_rejects_per_sec = 3\n';
    const toml = venues().replace(/\[risk\][^[]*/, risk) + deployment('maker', 'sim_a', MAKER, 'params = { spread_bps = 3, quote_qty = "0.01", requote_ticks = 0 }');
    const h = EngineHarness.fromToml(toml, tempDir('engine'));
    await h.start();
    await h.ticksUntil(() => h.sink.of('nodeReject').length > 0, 200);
    await h.ticks(10);
    const rejects = h.sink.of('nodeReject');
    expect(rejects.length).toBeGreaterThan(0);
    expect(rejects.every((r) => r.code === RejectCode.RateLimit && /more than 4 orders in one second/.test(r.reason))).toBe(true);
    // Both quotes of the book that met the limit are refused, then the maker stays quiet.
    expect(rejects.length).toBeLessThanOrEqual(2);
    expect(h.engine.halted).toBe(false);
    await h.engine.shutdown();
  });

  it('shutdown gives each instance on_shutdown, cancels what is left, and waits for the venue', async () => {
    const h = EngineHarness.fromToml(venues() + makerAndHedger, tempDir('engine'));
    await h.start();
    await h.ticks(2);
    expect(h.engine.oms.liveCount).toBeGreaterThan(0);
    const done = h.engine.shutdown();
    await h.ticks(2);
    const report = await done;
    expect(report).toEqual({ openOrders: 0, timedOut: false });
    expect(h.venues.map((v) => v.openUserOrders())).toEqual([0, 0]);
    const ordersBefore = h.sink.of('order').length;
    await h.ticks(3);
    expect(h.sink.of('order').length).toBe(ordersBefore);
  });
});

describe('books the engine refuses to show an algorithm', () => {
  it('a book its venue calls valid but crossed is not delivered, and is reported once until it uncrosses', async () => {
    const h = EngineHarness.fromToml(venues() + makerAndHedger, tempDir('engine'));
    await h.start();
    await h.ticks(1);
    const maker = h.engine.deployment('maker')!;
    // The venue's own listener, as its feed would call it, given a broken copy of its book.
    const listener = (h.venues[0] as unknown as { listener: VenueListener }).listener;
    const crossed = new L2Book('BTC/USD');
    const good = h.engine.book(0, 'BTC/USD')!;
    for (let i = 0; i < good.bidCount; i++) [crossed.bidPx[i], crossed.bidSz[i]] = [good.bidPx[i], good.bidSz[i]];
    for (let i = 0; i < good.askCount; i++) [crossed.askPx[i], crossed.askSz[i]] = [good.askPx[i], good.askSz[i]];
    crossed.bidCount = good.bidCount;
    crossed.askCount = good.askCount;
    crossed.askPx[0] = crossed.bidPx[0];
    const calls = maker.algo.calls;
    listener.onBook(crossed);
    listener.onBook(crossed);
    expect(maker.algo.calls).toBe(calls);
    expect(h.sink.events.filter((e) => e.type === 'crossed_book_refused')).toEqual([
      { type: 'crossed_book_refused', venue: 'sim_a', symbol: 'BTC/USD', bid: expect.any(String), ask: expect.any(String) },
    ]);
    await h.ticks(1);
    expect(maker.algo.calls).toBeGreaterThan(calls);
    crossed.askPx[0] += 100_000_000;
    listener.onBook(crossed);
    crossed.askPx[0] = crossed.bidPx[0];
    listener.onBook(crossed);
    expect(h.sink.events.filter((e) => e.type === 'crossed_book_refused')).toHaveLength(2);
    await h.engine.shutdown();
  });
});

describe('NBBO and heartbeat callbacks', () => {
  // Records on_nbbo calls (count at 5000, venue_ct at 5004, the bid at 5008) and
  // on_heartbeat calls (count at 5016); answers nothing.
  const WATCHER = v1Bundle({
    fields: `(func (export "algo_on_nbbo") (param $nbbo i32) (param $state i32) (result i32)
        (i32.store (i32.const 5000) (i32.add (i32.load (i32.const 5000)) (i32.const 1)))
        (i32.store (i32.const 5004) (i32.load8_u offset=48 (local.get $nbbo)))
        (i64.store (i32.const 5008) (i64.load (local.get $nbbo)))
        (i32.const 0))
      (func (export "algo_on_heartbeat") (param $state i32) (result i32)
        (i32.store (i32.const 5016) (i32.add (i32.load (i32.const 5016)) (i32.const 1)))
        (i32.const 0))`,
  });

  it('on_nbbo gets the best bid across both venues, coalesced; an instance without the export gets none', async () => {
    const dir = tempDir('engine');
    const watcher = writeBundle(dir, 'watcher.wasm', WATCHER);
    const h = EngineHarness.fromToml(venues() + makerAndHedger + deployment('watcher', 'sim_a', watcher), dir);
    await h.start();
    await h.ticks(5);
    const u32 = h.engine.deployment('watcher')!.algo.mem.u32;
    const view = new DataView(h.engine.deployment('watcher')!.algo.mem.memory.buffer);
    expect(u32[5000 / 4]).toBeGreaterThan(0);
    expect(u32[5000 / 4]).toBeLessThanOrEqual(h.venues.reduce((n, v) => n + v.stats().booksPublished, 0));
    expect(u32[5004 / 4]).toBe(2);
    const best = Math.max(...h.venues.map((_, i) => h.engine.book(i, 'BTC/USD')!.bestBid()));
    expect(Number(view.getBigUint64(5008, true))).toBe(best);
    expect(h.engine.deployment('maker')!.algo.has.nbbo).toBe(false);
    await h.engine.shutdown();
  });

  it('on_heartbeat fires once a second for an instance that exports it', async () => {
    const dir = tempDir('engine');
    const watcher = writeBundle(dir, 'watcher.wasm', WATCHER);
    const h = EngineHarness.fromToml(venues() + deployment('watcher', 'sim_a', watcher), dir);
    await h.start();
    const u32 = () => h.engine.deployment('watcher')!.algo.mem.u32;
    const deadline = Date.now() + 5000;
    while (u32()[5016 / 4] < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(u32()[5016 / 4]).toBeGreaterThanOrEqual(2);
    await h.engine.shutdown();
  });
});
