import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { NodeConfig } from '../node/configTypes.ts';
import { Engine } from '../node/engine.ts';
import { Journal } from '../node/journal/journal.ts';
import { VenueId } from '../wasm/abi.ts';
import { loadBundle, type LoadedBundle } from '../wasm/loader.ts';
import { ReplaySourceError, type MarketSource, type RecordedVenue } from './marketSource.ts';
import { CoinbaseRecordedBooks, KrakenRecordedBooks, type RecordedBooks } from './recordedBooks.ts';
import { ReplayClock } from './replayClock.ts';
import { ReportBuilder, type ReplaySummary } from './replayReport.ts';
import { ReplayVenue } from './replayVenue.ts';

// `sequence replay`: runs a config's deployments against recorded market data through
// the real engine (OMS, risk gate, mesh routing, WASM runtime, write-ahead journal); only
// the venues (ReplayVenue) and the clock (ReplayClock) differ. The driver advances the
// clock to each frame's receive time, running what is due before it (periodic checks,
// order and cancel arrivals) and letting the work each causes settle, then hands the
// frame to its venue; at the end of the data the node shuts down as it would live
// (on_shutdown, cancels confirmed) and the report is built. Nothing reads the wall clock:
// the same inputs give the same journal, byte for byte.

export interface ReplayOptions {
  /** Where the journal goes (outDir/journal, emptied first). */
  outDir: string;
  latencyMs: number;
  /** Fees per venue kind, bps of notional; the defaults are each venue's base tier. */
  fees?: Partial<Record<'kraken' | 'coinbase', { makerBps: number; takerBps: number }>>;
  /** Total PnL is sampled this often in recording time (and at every fill). */
  sampleIntervalMs?: number;
}

/** Kraken's and Coinbase Advanced Trade's lowest-volume tiers. */
export const DEFAULT_FEES = { kraken: { makerBps: 16, takerBps: 26 }, coinbase: { makerBps: 40, takerBps: 60 } } as const;
const DEFAULT_SAMPLE_INTERVAL_MS = 1000;
const TERM = 1;
/** A replay's orders meet only its simulated venue; a fixed tag keeps its client order ids, and so its report, the same run to run. */
const REPLAY_ID_TAG = 'replay';

/** Lets queued work run: microtasks (journal flushes, the sends after them) and setImmediate follow-ups. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function runReplay(config: NodeConfig, source: MarketSource, options: ReplayOptions): Promise<ReplaySummary> {
  const plan = planVenues(config, source);
  let first: number | null = null;
  for (const f of source.frames()) {
    first = f.recvNs;
    break;
  }
  if (first === null) throw new ReplaySourceError(`${source.description}: no frames`);

  const clock = new ReplayClock(first);
  const venues = plan.map(({ name, recorded, symbols }) => {
    const fees = options.fees?.[recorded.kind] ?? DEFAULT_FEES[recorded.kind];
    const books: RecordedBooks = recorded.kind === 'kraken' ? new KrakenRecordedBooks(symbols, recorded.depth) : new CoinbaseRecordedBooks(symbols);
    return new ReplayVenue({
      name,
      kind: recorded.kind,
      venueId: recorded.kind === 'kraken' ? VenueId.Kraken : VenueId.Coinbase,
      symbols,
      meta: recorded.meta,
      books,
      clock,
      latencyMs: options.latencyMs,
      makerFeeBps: fees.makerBps,
      takerFeeBps: fees.takerBps,
    });
  });
  const byRecorded = source.venues.map((_, i) => venues.filter((_, v) => plan[v].recordedIndex === i));

  const bundles = new Map<string, LoadedBundle>();
  for (const d of config.deployments) bundles.set(d.label, loadBundle(d.bundle, { memoryMaxMib: d.memoryMaxMib, callbackDeadlineMs: d.callbackDeadlineMs }));

  // A fresh journal each run, so two runs can be compared record for record.
  const journalDir = join(options.outDir, 'journal');
  if (existsSync(journalDir)) rmSync(journalDir, { recursive: true });
  mkdirSync(options.outDir, { recursive: true });
  const journal = Journal.open(options.outDir);
  journal.beginTerm(TERM);

  let report: ReportBuilder | null = null;
  const sink = {
    emit: (event: Parameters<ReportBuilder['emit']>[0]) => report?.emit(event),
    trading: (message: Parameters<ReportBuilder['trading']>[0]) => report?.trading(message),
  };
  const engine = new Engine(config, venues, bundles, sink, clock.nowNsFn, { append: (batch) => void journal.appendBatch(TERM, batch), idTag: REPLAY_ID_TAG }, () => true, clock);
  report = new ReportBuilder(engine, options.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS);

  let frames = 0;
  let journalRecords = 0;
  try {
    await engine.start(TERM);
    for (const f of source.frames()) {
      const targets = byRecorded[f.venue];
      if (targets.length === 0) continue;
      while (clock.runNext(f.recvNs)) await nextTurn();
      clock.advanceTo(f.recvNs);
      let published = 0;
      for (const venue of targets) published -= venue.booksPublished;
      for (const venue of targets) venue.onFrame(f.frame, clock.nowNs);
      for (const venue of targets) published += venue.booksPublished;
      frames++;
      report.maybeSample(clock.nowNs);
      // A frame that reached the engine (a book, and the fills before it) ends a turn, as a
      // socket message does live: its journal flush, sends and follow-ups run now. A frame
      // of a symbol nobody trades touched nothing that needs a turn.
      if (published > 0) await nextTurn();
    }
    await shutdown(engine, clock);
  } finally {
    journalRecords = journal.lastSeq;
    await journal.flushToDisk();
    await journal.close();
  }
  const instances = report.finish(clock.nowNs);
  return {
    source: source.description,
    startNs: first,
    endNs: clock.nowNs,
    frames,
    books: venues.reduce((n, v) => n + v.booksPublished, 0),
    latencyMs: options.latencyMs,
    journalRecords,
    notes: report.noteList,
    instances,
  };
}

/**
 * The end of the data: the node shuts down as live (on_shutdown, then its cancels), while
 * the driver keeps the replay clock running the venue's answers until the engine is done.
 */
async function shutdown(engine: Engine, clock: ReplayClock): Promise<void> {
  let done = false;
  const finished = engine.shutdown('end of the recording').finally(() => {
    done = true;
  });
  while (!done) {
    if (!clock.runNext(Infinity)) await new Promise((resolve) => setTimeout(resolve, 1));
    else await nextTurn();
  }
  await finished;
}

interface VenuePlan {
  /** The config's venue name. */
  name: string;
  recordedIndex: number;
  recorded: RecordedVenue;
  symbols: string[];
}

/**
 * Which recorded venue feeds each config venue the deployments use: the recording of the
 * same name, or (for a capture that names no venue) the one recorded venue of the same
 * kind. Every deployment's venue and symbols must be in the data.
 */
export function planVenues(config: NodeConfig, source: MarketSource): VenuePlan[] {
  if (config.deployments.length === 0) throw new ReplaySourceError(`${config.file}: no deployments to replay`);
  const plans: VenuePlan[] = [];
  for (const vc of config.venues) {
    const deployments = config.deployments.filter((d) => d.venue === vc.name);
    if (deployments.length === 0) continue;
    if (vc.kind === 'sim') {
      throw new ReplaySourceError(`venue "${vc.name}" is a sim venue (deployments ${deployments.map((d) => d.label).join(', ')}): replay needs recorded market data, so replay only deployments on kraken or coinbase venues (--labels)`);
    }
    let recordedIndex = source.venues.findIndex((r) => r.name === vc.name && r.kind === vc.kind);
    if (recordedIndex < 0) {
      const unnamed = source.venues.map((r, i) => ({ r, i })).filter(({ r }) => r.name === '' && r.kind === vc.kind);
      if (unnamed.length === 1) recordedIndex = unnamed[0].i;
    }
    if (recordedIndex < 0) {
      const have = source.venues.map((r) => `${r.name === '' ? '(unnamed)' : r.name} (${r.kind})`).join(', ');
      throw new ReplaySourceError(`${source.description} has no data for venue "${vc.name}" (${vc.kind}); it holds ${have}`);
    }
    const recorded = source.venues[recordedIndex];
    const symbols = [...new Set(deployments.flatMap((d) => d.symbols))].sort();
    const missing = symbols.filter((s) => !recorded.symbols.includes(s));
    if (missing.length > 0) {
      throw new ReplaySourceError(`${source.description} has no ${missing.join(', ')} for venue "${vc.name}"; it holds ${recorded.symbols.join(', ')}`);
    }
    plans.push({ name: vc.name, recordedIndex, recorded, symbols });
  }
  return plans;
}
