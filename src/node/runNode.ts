import { mkdirSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { loadBundle, type LoadedBundle } from '../wasm/loader.ts';
import { createVenues } from '../venues/createVenues.ts';
import { SimVenue } from '../venues/sim/simVenue.ts';
import type { NodeConfig } from './configTypes.ts';
import { Engine, type ShutdownReport } from './engine.ts';
import { EventWriter, type EventFormat } from './eventWriter.ts';
import { statusEvent } from './statusEvent.ts';
import { wallClockNs } from './clock.ts';

export interface RunOptions {
  format: EventFormat;
  out: Writable;
  /** Stop by itself after this many seconds (graceful shutdown), or run until a signal. */
  durationS?: number;
}

/** Exit codes of `sequence run`. */
export const ExitCode = { Ok: 0, Failed: 1, ShutdownTimedOut: 3 } as const;

/**
 * Runs a node until SIGINT, SIGTERM or the requested duration, then shuts it down
 * gracefully (on_shutdown, cancels, wait for the venues' confirmations). Resolves with the
 * process exit code.
 */
export async function runNode(config: NodeConfig, options: RunOptions): Promise<number> {
  mkdirSync(config.node.dataDir, { recursive: true });
  const writer = new EventWriter(options.out, options.format);
  const bundles = new Map<string, LoadedBundle>();
  for (const d of config.deployments) bundles.set(d.label, loadBundle(d.bundle, { memoryMaxMib: d.memoryMaxMib, callbackDeadlineMs: d.callbackDeadlineMs }));
  const venues = createVenues(config);
  const engine = new Engine(config, venues, bundles, writer, wallClockNs);
  writer.emit({
    type: 'start',
    node: config.node.id,
    config: config.file,
    pid: process.pid,
    venues: venues.map((v) => ({ name: v.name, kind: v.kind, symbols: v.symbols })),
    deployments: config.deployments.map((d) => ({ label: d.label, venue: d.venue, symbols: d.symbols, bundle: d.bundle })),
  });
  await engine.start();
  const statusTimer = setInterval(() => writer.emit(statusEvent(engine)), config.node.statusIntervalMs);

  const stopReason = await new Promise<string>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => resolve(signal);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    if (options.durationS !== undefined) setTimeout(() => resolve('duration'), options.durationS * 1000);
  });
  clearInterval(statusTimer);
  writer.emit({ type: 'shutdown_begin', reason: stopReason });
  const report: ShutdownReport = await engine.shutdown();
  writer.emit(statusEvent(engine));
  writer.emit({
    type: 'shutdown',
    reason: stopReason,
    open_orders: report.openOrders,
    timed_out: report.timedOut,
    sim_open_orders: Object.fromEntries(venues.filter((v) => v instanceof SimVenue).map((v) => [v.name, (v as SimVenue).openUserOrders()])),
  });
  writer.flush();
  await writer.drained();
  return report.timedOut ? ExitCode.ShutdownTimedOut : ExitCode.Ok;
}
