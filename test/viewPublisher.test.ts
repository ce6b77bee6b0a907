import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAlgos } from '../src/build/buildAlgo.ts';
import { formatDecimalShort, PX_DECIMALS, QTY_DECIMALS } from '../src/node/fixedPoint.ts';
import { ViewPublisher } from '../src/node/viewPublisher.ts';
import type { ViewModel } from '../src/tui/viewModel.ts';
import type { L2Book } from '../src/venues/book.ts';
import { EngineHarness, tempDir } from './support/nodeHarness.ts';
import { deployment, simVenue } from './support/tomlSnippets.ts';

// The view model's books against the engine's own books, snapshot after snapshot, while
// the sim market moves: the publisher keeps each level's text between snapshots and
// formats only what moved, so a stale price or size would show here.

const ALGOS = join(import.meta.dirname, '..', 'algos');
const CONFIG = simVenue('sim_a') + simVenue('sim_b', { seed: 5 }) + deployment('maker', 'sim_a', join(ALGOS, 'maker', 'build', 'maker.wasm'), 'params = { spread_bps = 3, requote_ticks = 10 }');

beforeAll(async () => {
  await buildAlgos(ALGOS, { onlyStale: true });
});

/** The top 10 levels of one side as text, formatted afresh. */
function expectedLevels(pxs: Float64Array, szs: Float64Array, count: number) {
  return Array.from({ length: Math.min(count, 10) }, (_, i) => ({ px: formatDecimalShort(pxs[i], PX_DECIMALS), sz: formatDecimalShort(szs[i], QTY_DECIMALS) }));
}

describe('ViewPublisher books', () => {
  it('shows every level of every book as the engine holds it, in each of 300 snapshots of a moving market', async () => {
    const h = EngineHarness.fromToml(CONFIG, tempDir('view'));
    await h.start();
    const publisher = new ViewPublisher(h.engine, () => ({ role: 'leader', leaseHolder: 'test', term: 1, journalSeq: 0, bootstrap: null }));
    const seen = new Set<string>();
    for (let n = 0; n < 300; n++) {
      await h.ticks(1);
      const vm = publisher.snapshot();
      expect(vm.books.map((b) => b.venue)).toEqual(['sim_a', 'sim_b']);
      for (const [i, view] of vm.books.entries()) {
        const book = h.engine.book(i, view.symbol) as L2Book;
        expect(view.bids).toEqual(expectedLevels(book.bidPx, book.bidSz, book.bidCount));
        expect(view.asks).toEqual(expectedLevels(book.askPx, book.askSz, book.askCount));
        seen.add(JSON.stringify(view.bids[0]));
      }
    }
    // The market moved: the best bid took many values over the run.
    expect(seen.size).toBeGreaterThan(20);
    await h.engine.shutdown();
  });

  it('hands each snapshot its own level lists: a later snapshot leaves an earlier one as it was', async () => {
    const h = EngineHarness.fromToml(CONFIG, tempDir('view'));
    await h.start();
    const publisher = new ViewPublisher(h.engine, () => ({ role: 'leader', leaseHolder: 'test', term: 1, journalSeq: 0, bootstrap: null }));
    await h.ticks(1);
    const levels = (vm: ViewModel) => JSON.stringify(vm.books.map((b) => [b.bids, b.asks]));
    const first = publisher.snapshot();
    const kept = levels(first);
    expect(await h.ticksUntil(() => levels(publisher.snapshot()) !== kept, 200)).toBe(true);
    expect(levels(first)).toBe(kept);
    await h.engine.shutdown();
  });
});
