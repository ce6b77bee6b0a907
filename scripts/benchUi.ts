import { join } from 'node:path';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { Engine } from '../src/node/engine.ts';
import { paramsText } from '../src/node/paramsText.ts';
import { Position } from '../src/node/position.ts';
import { ViewPublisher } from '../src/node/viewPublisher.ts';
import { pinTradingThread, placementForThisThread } from '../src/tui/threadPlacement.ts';
import { startUiThread } from '../src/tui/uiThread.ts';
import type { ViewModel } from '../src/tui/viewModel.ts';
import { L2Book } from '../src/venues/book.ts';
import type { VenueHealth } from '../src/venues/venue.ts';
import { OrderType } from '../src/wasm/abi.ts';
import { AlgoInstance } from '../src/wasm/algoInstance.ts';
import { loadBundle } from '../src/wasm/loader.ts';
import { writeBook, writeState, type StateFields } from '../src/wasm/structs.ts';
import type { BenchFigure } from './benchOnBook.ts';
import { summarize } from './stats.ts';

// The terminal UI's cost to a node receiving 5,000 book updates per second, in one process
// as `sequence run` in a terminal has it: market data arrives from another thread (a
// worker standing in for the venue's socket), every update goes through the example
// maker's on_book round trip (the trading path), and the UI, when on, is the real
// ViewPublisher's snapshot at 30 Hz rendered by the real mountUi into a 120x40 fake
// terminal. Each measurement window is either with the UI mounted or without it,
// alternating, so both see the same machine conditions.

const UPDATES_PER_S = 5000;
const UI_STARTUP_MS = 3000;
const SNAPSHOT_HZ = 30;
const PX = 60_000_000_000_000;
const TICK = 100_000_000;
const CALLBACK_DEADLINE_MS = 1000;
const ROOT = join(import.meta.dirname, '..');

/** The venue's socket: every millisecond, the updates now due, stamped with process.hrtime (one clock for all threads). */
const FEED_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const start = process.hrtime.bigint();
let sent = 0;
const timer = setInterval(() => {
  const now = process.hrtime.bigint();
  const due = Math.floor(Number(now - start) / 1e9 * workerData.rate) - sent;
  if (due > 0) {
    sent += due;
    parentPort.postMessage({ stampNs: now, n: due });
  }
}, 1);
parentPort.on('message', () => { clearInterval(timer); parentPort.close(); });
`;

function seededBook(symbol: string, shift: number): L2Book {
  const b = new L2Book(symbol);
  for (let i = 0; i < 20; i++) {
    b.bidPx[i] = PX + shift - (i + 1) * TICK;
    b.askPx[i] = PX + shift + (i + 1) * TICK;
    b.bidSz[i] = 10_000_000 + i * 1_000_000;
    b.askSz[i] = 12_000_000 + i * 1_000_000;
  }
  b.bidCount = 20;
  b.askCount = 20;
  b.recvNs = 1_700_000_000_000_000_000;
  return b;
}

/** One venue delta: the touch moves a tick now and then, sizes change at a few levels. */
function applyUpdate(b: L2Book, k: number): void {
  const move = k % 97 === 0 ? TICK : k % 89 === 0 ? -TICK : 0;
  if (move !== 0) {
    for (let i = 0; i < 20; i++) {
      b.bidPx[i] += move;
      b.askPx[i] += move;
    }
  }
  const level = k % 20;
  b.bidSz[level] = 10_000_000 + ((k * 7919) % 5_000_000);
  b.askSz[(level + 7) % 20] = 12_000_000 + ((k * 104_729) % 5_000_000);
  b.recvNs += 200_000;
}

/** The example maker as the engine drives it on a book update: encode, call, decode. */
function makerRoundTrip() {
  // The deadline is generous: on a loaded machine the thread can be descheduled past the
  // engine's 50 ms mid-call, and an aborted maker would end the run; latency is what is measured.
  const bundle = loadBundle(join(ROOT, 'algos', 'maker', 'build', 'maker.wasm'), { memoryMaxMib: 64, callbackDeadlineMs: CALLBACK_DEADLINE_MS });
  const algo = new AlgoInstance('maker', bundle, CALLBACK_DEADLINE_MS, { nowNs: () => 0, log: () => {}, aborted: (_i, reason) => { throw new Error(reason); } });
  algo.init(paramsText({ spread_bps: 3, quote_qty: '0.01', requote_ticks: 10 }));
  const meta = { tickSize1e9: TICK, lotSize1e8: 10_000, minQty1e8: 10_000, minNotional1e9: 0, pricePrecision: 1, qtyPrecision: 4 };
  const state: StateFields = { position1e8: 0, avgEntry1e9: 0, realizedPnl1e9: 0, unrealizedPnl1e9: 0, sessionPnl1e9: 0, totalFillCount: 0, nodeRole: 2, halted: false };
  return (book: L2Book) => {
    writeBook(algo.mem, algo.bookPtr, book, 0);
    writeState(algo.mem, algo.statePtr, state, [], 0, meta);
    if (!algo.onBook() || algo.actions.count !== 2) throw new Error('the maker did not quote');
  };
}

/**
 * Just what ViewPublisher.snapshot() reads from the engine, for the demo's shape: two sim
 * venues with one BTC/USD book each (the books the feed updates), a maker and a hedger.
 */
function engineView(books: L2Book[]): Engine {
  const health = (): VenueHealth => ({
    connection: 'connected',
    invalidBooks: 0,
    resyncs: 0,
    checksumFailures: 0,
    sequenceGaps: 0,
    reconnects: 0,
    rateHeadroom: 0,
    rateCapacity: 0,
    rateLimited: 0,
    currentAtMs: 0,
  });
  const venues = [
    { name: 'sim_a', kind: 'sim', symbols: ['BTC/USD'], health },
    { name: 'sim_b', kind: 'sim', symbols: ['BTC/USD'], health },
  ];
  const position = (qty1e8: number) => {
    const p = new Position();
    p.applyFill(qty1e8 > 0 ? 1 : -1, PX, Math.abs(qty1e8), 0);
    return p;
  };
  const deployment = (label: string, venue: number, qty1e8: number) => ({
    label,
    venue: venues[venue],
    positions: new Map([['BTC/USD', position(qty1e8)]]),
    algo: { status: 'running', abortReason: '', lastCallNs: 4_200, maxCallNs: 61_000 },
  });
  const nbbo = () => ({ venueCount: 2, bidPx1e9: Math.max(books[0].bidPx[0], books[1].bidPx[0]), askPx1e9: Math.min(books[0].askPx[0], books[1].askPx[0]) });
  const view = {
    config: { node: { id: 'bench' } },
    phase: 'trading',
    core: { halt: { halted: false, by: '', reason: '', tsNs: 0 }, paused: new Map() },
    venueList: () => venues,
    book: (i: number) => books[i],
    nbboOf: nbbo,
    nbbo: { get: nbbo },
    venueStates: [
      { status: 'online', lastDataMs: Date.now() },
      { status: 'online', lastDataMs: Date.now() },
    ],
    dataAtMs: () => Date.now(),
    deployments: [deployment('maker', 0, 3_000_000), deployment('hedger', 1, -2_000_000)],
    mark: (venue: string) => books[venue === 'sim_a' ? 0 : 1].mid(),
    oms: { liveOrders: (label: string) => (label === 'maker' ? [{}, {}] : []) },
    mesh: { links: () => [{ from: 'maker', to: 'hedger', sent: 120, delivered: 120, dropped: 0 }] },
  };
  return view as unknown as Engine;
}

interface Window {
  ui: boolean;
  cpuPct: number;
  latenciesUs: number[];
  roundTripNs: number[];
}

/**
 * Three figures from one harness:
 * - CPU: process CPU (all threads, process.cpuUsage) per second of wall time, as % of one
 *   core, in 1 s windows; the UI's share is the difference of the medians with and without.
 * - book-to-quote latency: from the feed thread's send of a batch of updates to the end of
 *   the maker's on_book round trip of its last update; it includes any wait behind a render.
 * - on_book round trip in batches of 200 (as in benchOnBook), between which the event loop
 *   runs (renders, the feed), so the UI's effect on the call itself (GC, caches) shows.
 */
export async function benchUi(quick: boolean): Promise<BenchFigure[]> {
  const rounds = quick ? 3 : 10;
  const batchRounds = quick ? 2 : 6;
  const windowMs = 1000;
  const settleMs = 250;
  const books = [seededBook('BTC/USD', 0), seededBook('BTC/USD', TICK / 2)];
  const roundTrip = makerRoundTrip();
  const publisher = new ViewPublisher(engineView(books), () => ({ role: 'leader', leaseHolder: 'bench', term: 1, journalSeq: 0, bootstrap: null }));

  let updates = 0;
  let orders = 0;
  let measuring: Window | null = null;
  const onFeed = (message: { stampNs: bigint; n: number }) => {
    for (let k = 0; k < message.n; k++) {
      const book = books[updates & 1];
      applyUpdate(book, updates++);
      roundTrip(book);
      // The maker requotes now and then: what the blotter shows.
      if (updates % 100 === 0) {
        orders++;
        publisher.trading({ kind: 'order', tsNs: Date.now() * 1e6, label: 'maker', venue: 'sim_a', symbol: 'BTC/USD', algoOrderId: orders & 1, clientOrderId: `maker.${orders & 1}.${orders}`, side: orders & 1 ? 1 : -1, px1e9: book.mid(), qty1e8: 1_000_000, orderType: OrderType.PostOnly, replaces: '' });
      }
    }
    measuring?.latenciesUs.push(Number(process.hrtime.bigint() - message.stampNs) / 1000);
  };

  const feed = new Worker(FEED_WORKER, { eval: true, workerData: { rate: UPDATES_PER_S } });
  feed.on('message', onFeed);
  const feedError = new Promise<never>((_, reject) => feed.once('error', reject));
  feedError.catch(() => {});

  // As `sequence run` in a terminal has it: the UI on its own thread, here drawing into an
  // invisible 120x40 terminal. Started once (loading it takes a second of CPU, paid once per
  // run); a window "with the UI" publishes snapshots to it at 30 Hz, one "without" does not.
  // The threads are placed as `sequence run` places them (threadPlacement.ts): the UI
  // thread on its CPUs for the whole run, this (trading) thread on its CPU in the windows
  // with the UI only, since a node without a UI pins nothing.
  const placement = placementForThisThread();
  const placed = typeof placement === 'string' ? {} : { placement };
  const subscribers = new Set<(vm: ViewModel) => void>();
  const mounted = startUiThread(
    {
      subscribe: (onSnapshot) => {
        subscribers.add(onSnapshot);
        return () => subscribers.delete(onSnapshot);
      },
    },
    { halt: () => {}, resume: () => {}, quit: () => {} },
    { mode: 'local', offscreen: { columns: 120, rows: 40 }, ...placed },
  );
  let publishingMs = 0;
  const withUi = async <T>(ui: boolean, body: () => Promise<T>): Promise<T> => {
    if (!ui) return body();
    const unpin = typeof placement === 'string' ? null : pinTradingThread(placement);
    const timer = setInterval(() => {
      const vm = publisher.snapshot();
      for (const s of subscribers) s(vm);
    }, 1000 / SNAPSHOT_HZ);
    const t0 = performance.now();
    try {
      return await body();
    } finally {
      clearInterval(timer);
      if (typeof unpin === 'function') unpin();
      publishingMs += performance.now() - t0;
    }
  };

  const cpuWindow = (ui: boolean) =>
    withUi(ui, async () => {
      await sleep(settleMs);
      const w: Window = { ui, cpuPct: 0, latenciesUs: [], roundTripNs: [] };
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      measuring = w;
      await Promise.race([sleep(windowMs), feedError]);
      measuring = null;
      const cpu = process.cpuUsage(cpu0);
      w.cpuPct = ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100;
      return w;
    });

  const batchWindow = (ui: boolean) =>
    withUi(ui, async () => {
      await sleep(settleMs);
      const w: Window = { ui, cpuPct: 0, latenciesUs: [], roundTripNs: [] };
      const own = seededBook('BTC/USD', 3 * TICK);
      const end = performance.now() + windowMs;
      let k = 0;
      while (performance.now() < end) {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < 200; i++) {
          applyUpdate(own, k++);
          roundTrip(own);
        }
        w.roundTripNs.push(Number(process.hrtime.bigint() - t0) / 200);
        // Renders and the feed get the loop between batches, as they would between messages.
        await yieldToLoop();
      }
      return w;
    });

  const windows: Window[] = [];
  try {
    // The UI thread's start-up (its modules compiled and loaded) is not what is measured.
    await sleep(UI_STARTUP_MS);
    for (let round = 0; round < rounds; round++) {
      for (const ui of round % 2 === 0 ? [false, true] : [true, false]) {
        windows.push(await cpuWindow(ui));
      }
    }
    for (let round = 0; round < batchRounds; round++) {
      for (const ui of round % 2 === 0 ? [false, true] : [true, false]) windows.push(await batchWindow(ui));
    }
  } finally {
    feed.postMessage('stop');
    await feed.terminate();
    await mounted.unmount();
  }

  const pick = (ui: boolean, f: (w: Window) => number[]) => windows.filter((w) => w.ui === ui).flatMap(f);
  const cpuUi = summarize(pick(true, (w) => (w.latenciesUs.length > 0 ? [w.cpuPct] : [])));
  const cpuBare = summarize(pick(false, (w) => (w.latenciesUs.length > 0 ? [w.cpuPct] : [])));
  const share = cpuUi.median - cpuBare.median;
  // The UI thread draws the newest snapshot as often as its CPU budget allows (framePacer.ts).
  const drawnFps = mounted.framesDrawn() / (publishingMs / 1000);
  return [
    {
      name: `process CPU at ${UPDATES_PER_S} book updates/s, snapshots at ${SNAPSHOT_HZ} Hz drawn at ${drawnFps.toFixed(1)} frames/s in a 120x40 terminal (UI's share: ${share.toFixed(1)}% of one core)`,
      unit: '%',
      ours: cpuUi,
      baselineName: 'same process and feed, no UI',
      baseline: cpuBare,
      goal: "UI's share < 25% of one core",
    },
    {
      name: `book-to-quote latency at ${UPDATES_PER_S} updates/s with the UI (feed thread send to the maker's quotes; ${typeof placement === 'string' ? `threads not placed apart: ${placement}` : `trading thread on CPU ${placement.tradingCpu}, UI thread on ${placement.uiCpus.join(',')}`})`,
      unit: 'us',
      ours: summarize(pick(true, (w) => w.latenciesUs)),
      baselineName: 'same, no UI (nothing pinned, as a node without one)',
      baseline: summarize(pick(false, (w) => w.latenciesUs)),
      goal: 'p99 < 1.2x without the UI',
    },
    {
      name: 'on_book round trip (maker) in batches of 200 while the UI renders',
      unit: 'ns',
      ours: summarize(pick(true, (w) => w.roundTripNs)),
      baselineName: 'same, no UI',
      baseline: summarize(pick(false, (w) => w.roundTripNs)),
      goal: 'p99 < 1.2x without the UI',
    },
  ];
}
