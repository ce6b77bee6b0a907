import { describe, expect, it } from 'vitest';
import { Engine } from '../src/node/engine.ts';
import { Journal } from '../src/node/journal/journal.ts';
import { FairPriceBook } from '../src/venues/sim/fairPrice.ts';
import { SimVenue } from '../src/venues/sim/simVenue.ts';
import { loadBundle } from '../src/wasm/loader.ts';
import { EngineHarness, RecordingSink, tempDir, writeBundle } from './support/nodeHarness.ts';
import { placeAction, v1Bundle } from './support/watBundle.ts';

// A taker that crosses the spread with a 0.0001 IOC on every book, and records what the
// node tells it: at 6000 the host_now_ns() seen in its last on_fill, at 6008 how many
// on_fill calls it had, at 6012 how many node-status calls, at 6016.. the roles in order.
const PROBE = v1Bundle({
  imports: '(import "env" "host_now_ns" (func $now (result i64)))',
  onFill: `(i64.store (i32.const 6000) (call $now))
    (i32.store (i32.const 6008) (i32.add (i32.load (i32.const 6008)) (i32.const 1)))`,
  fields: `(global $next (mut i64) (i64.const 1))
    (func (export "algo_on_node_status") (param $role i32)
      (i32.store (i32.add (i32.const 6016) (i32.mul (i32.load (i32.const 6012)) (i32.const 4))) (local.get $role))
      (i32.store (i32.const 6012) (i32.add (i32.load (i32.const 6012)) (i32.const 1))))`,
  onBook: `(global.set $next (i64.add (global.get $next) (i64.const 1)))
    ${placeAction(0, '(i64.add (i64.load offset=320 (local.get $book)) (i64.const 1000000000))', 10_000, 1, 2).replace('(i64.const 0))', '(global.get $next))')}`,
});

const TOML = (bundle: string) => `
[venues.sim_a]
kind = "sim"
[venues.sim_a.markets."BTC/USD"]
start_price = "60000"
tick_size = "0.1"
lot_size = "0.0001"
[deploy.probe]
venue = "sim_a"
label = "probe"
symbols = ["BTC/USD"]
bundle = "${bundle}"
`;

describe('Bootstrap replay', () => {
  it('rebuilds the state and replays the algorithms\' callbacks at the records\' times, sending nothing', async () => {
    const dir = tempDir('bootstrap');
    const bundle = writeBundle(dir, 'probe.wasm', PROBE);
    const live = EngineHarness.fromToml(TOML(bundle), dir);
    await live.start();
    await live.ticks(10);
    await live.engine.shutdown();
    const records = [...live.journal.records()];
    const fills = records.filter((r) => r.message.kind === 'fill');
    expect(fills.length).toBeGreaterThan(3);
    const position = live.engine.oms.position('probe', 'BTC/USD').qty1e8;
    await live.journal.close();

    const config = live.config;
    const venue = new SimVenue(config.venues[0] as never, new FairPriceBook(config.node.seed), { autoTick: false });
    const journal = Journal.open(config.node.dataDir);
    const sink = new RecordingSink();
    const engine = new Engine(config, [venue], new Map([['probe', loadBundle(bundle, { memoryMaxMib: 64, callbackDeadlineMs: 50 })]]), sink, () => 42, { append: (batch) => void journal.appendBatch(journal.currentTerm, batch), idTag: journal.idTag });
    engine.prepare();
    for (const r of journal.records()) engine.replay(r.message);
    const mem = engine.deployment('probe')!.algo.mem;
    const view = new DataView(mem.memory.buffer);

    expect(engine.oms.position('probe', 'BTC/USD').qty1e8).toBe(position);
    expect(view.getUint32(6008, true)).toBe(fills.length);
    expect(Number(view.getBigInt64(6000, true))).toBe(fills.at(-1)!.message.tsNs);
    expect([view.getUint32(6012, true), view.getUint32(6016, true)]).toEqual([1, 0]);
    expect(venue.stats().placed).toBe(0);
    expect(sink.trades).toEqual([]);
    expect(journal.lastSeq).toBe(records.length);
    await journal.close();
  });
});
