import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAlgos } from '../src/build/buildAlgo.ts';
import { CoreState } from '../src/node/coreState.ts';
import { EngineHarness, tempDir } from './support/nodeHarness.ts';
import { deployment, simVenue } from './support/tomlSnippets.ts';

const ALGOS = join(import.meta.dirname, '..', 'algos');

const CONFIG =
  simVenue('sim_a') +
  simVenue('sim_b', { seed: 5 }) +
  deployment('maker', 'sim_a', join(ALGOS, 'maker', 'build', 'maker.wasm'), 'params = { spread_bps = 3, requote_ticks = 10 }') +
  deployment('hedger', 'sim_b', join(ALGOS, 'hedger', 'build', 'hedger.wasm'));

beforeAll(async () => {
  await buildAlgos(ALGOS, { onlyStale: true });
});

describe('core state snapshots', () => {
  it('a snapshot plus the records after it gives exactly the state a full replay gives', async () => {
    const h = EngineHarness.fromToml(CONFIG, tempDir('snapshot'));
    await h.start();
    await h.ticksUntil(() => h.engine.oms.position('hedger', 'BTC/USD').fillCount >= 3, 600);
    await h.engine.halt('operator:test', 'snapshot test', false);
    await h.engine.shutdown();
    const records = [...h.journal.records()];
    expect(records.length).toBeGreaterThan(20);
    const kinds = new Set(records.map((r) => r.message.kind));
    for (const kind of ['role', 'order', 'fill', 'mesh', 'halt', 'canceled']) expect(kinds, `the journal holds ${kind} records`).toContain(kind);

    const full = new CoreState();
    for (const r of records) full.apply(r.message);

    const middle = Math.floor(records.length / 2);
    const before = new CoreState();
    for (const r of records.slice(0, middle)) before.apply(r.message);
    const restored = new CoreState();
    restored.restore(before.snapshot());
    for (const r of records.slice(middle)) restored.apply(r.message);

    expect(new TextDecoder().decode(restored.snapshot())).toEqual(new TextDecoder().decode(full.snapshot()));
    expect(restored.oms.position('hedger', 'BTC/USD').qty1e8).toBe(h.engine.oms.position('hedger', 'BTC/USD').qty1e8);
    expect(restored.halt.halted).toBe(true);
  });

  it('a snapshot of another version is refused', () => {
    const state = new CoreState();
    expect(() => state.restore(new TextEncoder().encode('{"version":2}'))).toThrow('core snapshot version 2; this node reads version 1');
  });
});
