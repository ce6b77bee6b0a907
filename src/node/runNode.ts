import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { ControlServer } from '../control/controlServer.ts';
import type { ViewModel } from '../tui/viewModel.ts';
import { loadBundle, type LoadedBundle } from '../wasm/loader.ts';
import { createVenues } from '../venues/createVenues.ts';
import { SimVenue } from '../venues/sim/simVenue.ts';
import { VenueStartError } from '../venues/venue.ts';
import { wallClockNs } from './clock.ts';
import type { NodeConfig } from './configTypes.ts';
import { Engine } from './engine.ts';
import { formatDecimalShort, QTY_DECIMALS } from './fixedPoint.ts';
import { EventWriter, type EventFormat } from './eventWriter.ts';
import { Journal } from './journal/journal.ts';
import { FencedError } from './journal/journalErrors.ts';
import { LeaseFile } from './lease/leaseFile.ts';
import { LeaseKeeper } from './lease/leaseKeeper.ts';
import { MarketRecording } from './marketRecording.ts';
import type { EventSink, NodeEvent } from './nodeEvent.ts';
import { nodeControlHandler } from './nodeControl.ts';
import { openRemoteMesh, type RemoteMesh } from './remoteMesh.ts';
import { ResourceProbe } from './resourceUsage.ts';
import { statusEvent } from './statusEvent.ts';
import type { TradingMessage } from './tradingMessage.ts';
import { ViewPublisher } from './viewPublisher.ts';

export interface RunOptions {
  /** Where events go as text or JSON lines; null when a UI owns the terminal. */
  output: { format: EventFormat; out: Writable } | null;
  /** Stop by itself after this many seconds (graceful shutdown), or run until a signal. */
  durationS?: number;
  /** Mounts the terminal UI on the node's snapshots; returns a function that unmounts it. */
  mountUi?: (node: RunningNode) => () => Promise<void>;
  /** `--record DIR`: live venues' frames go to DIR/<venue>.rec, each bounded by maxBytes. */
  record?: { dir: string; maxBytes: number };
}

/** What a UI mounted in this process needs from the running node. */
export interface RunningNode {
  subscribe(onSnapshot: (vm: ViewModel) => void): () => void;
  halt(cancelAll: boolean): void;
  resume(): void;
  shutdown(reason: string): void;
}

/** Exit codes of `sequence run`. */
export const ExitCode = { Ok: 0, Failed: 1, ShutdownTimedOut: 3, SteppedDown: 4, VenueUnavailable: 5 } as const;

const SNAPSHOT_HZ = 30;
const CONTROL_RETRY_MS = 2000;
const FLUSH_MS = 100;
/** Records between core snapshots: Bootstrap restores the latest and replays only what follows. */
export const SNAPSHOT_EVERY_RECORDS = 50_000;
const BOOTSTRAP_CHUNK_RECORDS = 5_000;

/**
 * Runs a node through its lifecycle: Bootstrap (replay the journal), then Leader (holds
 * the lease, trades) or Follower (tails the Leader's journal until it can take over).
 * Stops on SIGINT, SIGTERM, the requested duration or an operator's shutdown, gracefully;
 * a Leader that loses its lease or is fenced steps down at once and exits (code 4) so that,
 * restarted, it comes back as a Follower. Resolves with the process exit code.
 */
export async function runNode(config: NodeConfig, options: RunOptions): Promise<number> {
  const dataDir = config.node.dataDir;
  mkdirSync(dataDir, { recursive: true });
  const writer = options.output === null ? null : new EventWriter(options.output.out, options.output.format);
  const journal = Journal.open(dataDir);
  const bundles = new Map<string, LoadedBundle>();
  for (const d of config.deployments) bundles.set(d.label, loadBundle(d.bundle, { memoryMaxMib: d.memoryMaxMib, callbackDeadlineMs: d.callbackDeadlineMs }));

  let term = 0;
  let bootstrap: { done: number; total: number } | null = null;
  let publisher: ViewPublisher | null = null;
  const sink: EventSink = {
    emit: (event: NodeEvent) => {
      writer?.emit(event);
      publisher?.emit(event);
    },
    trading: (message: TradingMessage) => {
      writer?.trading(message);
      publisher?.trading(message);
    },
  };
  const liveVenues = config.venues.filter((v) => v.kind !== 'sim' && config.deployments.some((d) => d.venue === v.name)).map((v) => v.name);
  const recording = options.record === undefined ? null : new MarketRecording(options.record.dir, options.record.maxBytes, liveVenues, sink);
  const venues = await createVenues(config, process.env, recording);
  const keeper = new LeaseKeeper(new LeaseFile(dataDir, config.node.id, leaseTimings(config.node.leaseTtlMs, journal.currentTerm)), {
    onLeader: (t) => void becomeLeader(t),
    onLost: (reason) => void stepDown(`lease lost: ${reason}`),
    onCorrupt: (detail) => sink.emit({ type: 'lease_corrupt', detail }),
    onError: (error) => sink.emit({ type: 'lease_error', error: (error as Error).message }),
  });
  const engine = new Engine(config, venues, bundles, sink, wallClockNs, { append: (batch) => void journal.appendBatch(term, batch), idTag: journal.idTag }, () => keeper.checkValid());
  publisher = new ViewPublisher(engine, () => ({
    role: engine.role,
    leaseHolder: readLeaseHolder(keeper),
    term: journal.currentTerm,
    journalSeq: journal.lastSeq,
    bootstrap,
  }));

  let stop: (reason: string) => void = () => {};
  let exitCode: number = ExitCode.Ok;
  let running = true;
  const stopped = new Promise<string>((resolve) => {
    stop = (reason) => {
      running = false;
      resolve(reason);
    };
  });
  engine.journalFailed = (error) => {
    if (error instanceof FencedError) void stepDown(`fenced: ${error.message}`);
  };

  sink.emit({
    type: 'start',
    node: config.node.id,
    config: config.file,
    data_dir: dataDir,
    pid: process.pid,
    venues: venues.map((v) => ({ name: v.name, kind: v.kind, symbols: v.symbols })),
    deployments: config.deployments.map((d) => ({ label: d.label, venue: d.venue, symbols: d.symbols, bundle: d.bundle })),
  });

  // The control socket belongs to the Leader: a Follower opens it when it takes over (the
  // old Leader's socket is stale by then, or its process is paused and will step down).
  let control: ControlServer | null = null;
  const resources = new ResourceProbe();
  const handler = nodeControlHandler(
    engine,
    () => ({ ...statusEvent(engine), node: config.node.id, role: engine.role, term: journal.currentTerm, journal_seq: journal.lastSeq, pid: process.pid, resources: resources.latest() }),
    (reason) => stop(reason),
  );
  async function openControl(): Promise<void> {
    try {
      control = await ControlServer.listen(join(dataDir, 'control.sock'), handler);
    } catch (error) {
      sink.emit({ type: 'control_unavailable', error: (error as Error).message, retry_ms: CONTROL_RETRY_MS });
      if (running) setTimeout(() => void openControl(), CONTROL_RETRY_MS).unref();
    }
  }

  // ---- From the start: status, snapshots for the UI (Bootstrap progress included) and the
  // control socket, durability, and the signals that stop the node.
  const subscribers = new Set<(vm: ViewModel) => void>();
  const timers = [
    setInterval(() => sink.emit({ ...statusEvent(engine), resources: resources.sample(), ...(remote === null ? {} : { mesh_links: remote.stats() }) }), config.node.statusIntervalMs),
    setInterval(() => {
      if (subscribers.size === 0 && (control === null || control.clientCount === 0)) return;
      const vm = (publisher as ViewPublisher).snapshot();
      for (const s of subscribers) s(vm);
      control?.publish(vm);
    }, 1000 / SNAPSHOT_HZ),
    setInterval(() => {
      void journal.flushToDisk();
      recording?.flush();
    }, FLUSH_MS),
    setInterval(() => {
      if (engine.role === 'leader' && journal.lastSeq - (journal.latestSnapshot()?.seq ?? 0) >= SNAPSHOT_EVERY_RECORDS) {
        journal.putSnapshot(journal.lastSeq, engine.core.snapshot());
      }
    }, 10_000),
  ];
  const unmountUi = options.mountUi?.({
    subscribe: (onSnapshot) => {
      subscribers.add(onSnapshot);
      return () => subscribers.delete(onSnapshot);
    },
    halt: (cancelAll) => void engine.halt(`operator:${process.env.USER ?? 'tui'}`, 'kill switch pressed in the terminal UI', cancelAll),
    resume: () => engine.resume(`operator:${process.env.USER ?? 'tui'}`, 'resumed from the terminal UI'),
    shutdown: (reason) => stop(reason),
  });

  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  if (options.durationS !== undefined) timers.push(setTimeout(() => stop('duration'), options.durationS * 1000));

  // ---- The mesh beyond this process, when configured.
  let remote: RemoteMesh | null = null;
  if (config.mesh !== null) {
    // Names on the mesh are unique: several nodes may run one config, each hosting its part.
    const labels = config.deployments.map((d) => d.label);
    const meshName = `${config.node.id}:${labels.length === 0 ? 'coordinator' : labels.join('+')}`;
    remote = await openRemoteMesh(config.mesh, meshName, labels, {
      onMessage: (from, to, payload) => engine.receiveRemote(from, to, payload),
      onNbbo: (symbol, nbbo) => engine.receiveRemoteNbbo(symbol, nbbo),
      onLink: (up, reason) => sink.emit({ type: 'mesh_link', up, reason }),
    });
    engine.attachRemote(remote);
  }

  // ---- Bootstrap: the journal, through the same apply and the algorithms' callbacks.
  engine.prepare();
  let applied = 0;
  const snapshot = journal.latestSnapshot();
  if (snapshot !== undefined) {
    engine.core.restore(snapshot.bytes);
    applied = snapshot.seq;
  }
  const total = journal.lastSeq;
  bootstrap = { done: applied, total };
  sink.emit({ type: 'bootstrap', done: applied, total, from_snapshot: snapshot?.seq ?? 0 });
  // In chunks, each from a fresh read of the journal, with the event loop let in between
  // so the UI shows progress and a signal can stop a long replay.
  while (running && applied < total) {
    let chunk = 0;
    for (const record of journal.records(applied + 1)) {
      if (record.seq > total) break;
      engine.replay(record.message);
      applied = record.seq;
      bootstrap.done = applied;
      if (++chunk === BOOTSTRAP_CHUNK_RECORDS) break;
    }
    sink.emit({ type: 'bootstrap', done: applied, total });
    await new Promise((resolve) => setImmediate(resolve));
  }
  bootstrap = null;
  sink.emit({ type: 'bootstrap_done', records: total, ...recoveredState(engine) });

  // ---- Follower until the lease is ours.
  let tail: { stop(): void } | null = null;
  const catchUp = () => {
    for (const record of journal.records(applied + 1)) {
      engine.replay(record.message);
      applied = record.seq;
    }
  };
  async function becomeLeader(leaseTerm: number): Promise<void> {
    tail?.stop();
    tail = null;
    catchUp();
    term = leaseTerm;
    try {
      journal.beginTerm(term);
    } catch (error) {
      // Nothing was traded: a full disk, or a newer term already begun by another Leader.
      const reason = `the journal refused to begin term ${term}: ${(error as Error).message}`;
      sink.emit({ type: 'takeover_failed', reason });
      process.stderr.write(`sequence: ${reason}\n`);
      exitCode = error instanceof FencedError ? ExitCode.SteppedDown : ExitCode.Failed;
      stop('the journal refused the new term');
      return;
    }
    sink.emit({ type: 'node_role', role: 'leader', term, journal_seq: applied, ...recoveredState(engine) });
    try {
      await engine.lead(term);
    } catch (error) {
      if (!(error instanceof VenueStartError)) throw error;
      // Nothing was traded: the node stops cleanly and says which venue and why, once.
      sink.emit({ type: 'venue_start_failed', reason: error.message });
      process.stderr.write(`sequence: ${error.message}\n`);
      exitCode = ExitCode.VenueUnavailable;
      stop('a venue could not start');
      return;
    }
    await openControl();
  }
  async function stepDown(reason: string): Promise<void> {
    if (engine.role !== 'leader') return;
    await engine.stepDown(reason);
    exitCode = ExitCode.SteppedDown;
    stop('stepped down');
  }

  if (running) keeper.start();
  if (running && keeper.role !== 'leader') {
    engine.follow();
    sink.emit({ type: 'node_role', role: 'follower', leader: readLeaseHolder(keeper) });
    tail = journal.tail(applied + 1, (record) => {
      engine.replay(record.message);
      applied = record.seq;
    }, (error) => {
      sink.emit({ type: 'tail_failed', error: (error as Error).message });
      stop('the journal could not be followed');
    });
  }

  const stopReason = await stopped;
  for (const timer of timers) clearInterval(timer);
  resources.stop();

  sink.emit({ type: 'shutdown_begin', reason: stopReason });
  tail?.stop();
  const report = engine.role === 'leader' ? await engine.shutdown(stopReason) : { openOrders: engine.oms.liveCount, timedOut: false };
  if (keeper.role === 'leader' && exitCode !== ExitCode.SteppedDown) keeper.releaseAndStop();
  else keeper.stop();
  sink.emit(statusEvent(engine));
  sink.emit({
    type: 'shutdown',
    reason: stopReason,
    role: engine.role,
    open_orders: report.openOrders,
    timed_out: report.timedOut,
    journal_seq: journal.lastSeq,
    sim_open_orders: Object.fromEntries(venues.filter((v) => v instanceof SimVenue).map((v) => [v.name, (v as SimVenue).openUserOrders()])),
  });
  await (control as ControlServer | null)?.close();
  await (remote as RemoteMesh | null)?.close();
  await unmountUi?.();
  recording?.close();
  await journal.flushToDisk();
  await journal.close();
  writer?.flush();
  await writer?.drained();
  if (report.timedOut) return ExitCode.ShutdownTimedOut;
  return exitCode;
}

/** Positions and open orders as the journal left them: what a Bootstrap or a takeover starts from. */
function recoveredState(engine: Engine) {
  const positions: Record<string, Record<string, string>> = {};
  for (const d of engine.deployments) {
    positions[d.label] = Object.fromEntries([...d.positions].map(([symbol, p]) => [symbol, formatDecimalShort(p.qty1e8, QTY_DECIMALS)]));
  }
  return { positions, open_orders: engine.oms.liveCount, halted: engine.halted };
}

/** Renew every fifth of the ttl; stop trading 30% of the ttl before the lease can expire. */
function leaseTimings(ttlMs: number, lastKnownTerm: number) {
  return { ttlMs, renewEveryMs: Math.floor(ttlMs / 5), safetyMarginMs: Math.floor(ttlMs * 0.3), lastKnownTerm };
}

function readLeaseHolder(keeper: LeaseKeeper): string {
  const lease = keeper.lease.read();
  return lease.state === 'ok' ? lease.leader : '';
}
