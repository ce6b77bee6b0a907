import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/node/config.ts';
import type { NodeConfig } from '../../src/node/configTypes.ts';
import { Engine } from '../../src/node/engine.ts';
import type { EventSink, NodeEvent } from '../../src/node/nodeEvent.ts';
import type { TradingMessage } from '../../src/node/tradingMessage.ts';
import { FairPriceBook } from '../../src/venues/sim/fairPrice.ts';
import { SimVenue } from '../../src/venues/sim/simVenue.ts';
import { loadBundle, type LoadedBundle } from '../../src/wasm/loader.ts';
import { Journal } from '../../src/node/journal/journal.ts';

/** Collects what the engine reports, for assertions. */
export class RecordingSink implements EventSink {
  readonly events: NodeEvent[] = [];
  readonly trades: TradingMessage[] = [];
  emit(event: NodeEvent): void {
    this.events.push(event);
  }
  trading(message: TradingMessage): void {
    this.trades.push(message);
  }
  of<K extends TradingMessage['kind']>(kind: K): Extract<TradingMessage, { kind: K }>[] {
    return this.trades.filter((t) => t.kind === kind) as Extract<TradingMessage, { kind: K }>[];
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sequence-${prefix}-`));
}

export function writeBundle(dir: string, name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/**
 * An engine over real sim venues that the test drives tick by tick with its own clock
 * (no timers), so runs are deterministic and fast.
 */
export class EngineHarness {
  readonly sink = new RecordingSink();
  readonly venues: SimVenue[];
  readonly engine: Engine;
  /** A real journal in the config's data directory, written ahead by the engine. */
  readonly journal: Journal;
  nowNs = 1_700_000_000_000_000_000;

  /** Appends the journal accepts before it starts refusing every one (fault injection: a full disk). */
  failAppendsAfter = Infinity;

  constructor(readonly config: NodeConfig, failAppendsAfter = Infinity) {
    this.failAppendsAfter = failAppendsAfter;
    this.journal = Journal.open(config.node.dataDir);
    this.journal.beginTerm(this.journal.currentTerm + 1);
    const fair = new FairPriceBook(config.node.seed);
    this.venues = config.venues.map((v) => {
      if (v.kind !== 'sim') throw new Error('the harness runs sim venues only');
      return new SimVenue(v, fair, { clock: () => this.nowNs, autoTick: false });
    });
    const bundles = new Map<string, LoadedBundle>();
    for (const d of config.deployments) bundles.set(d.label, loadBundle(d.bundle, { memoryMaxMib: d.memoryMaxMib, callbackDeadlineMs: d.callbackDeadlineMs }));
    const term = this.journal.currentTerm;
    let appends = 0;
    const append = (batch: readonly TradingMessage[]) => {
      appends += batch.length;
      if (appends > this.failAppendsAfter) throw new Error('No space left on device (injected)');
      this.journal.appendBatch(term, batch);
    };
    this.engine = new Engine(config, this.venues, bundles, this.sink, () => this.nowNs, { append, idTag: this.journal.idTag });
  }

  static fromToml(toml: string, dir: string, failAppendsAfter = Infinity): EngineHarness {
    const file = join(dir, 'Sequence.toml');
    writeFileSync(file, toml);
    return new EngineHarness(parseConfig(toml, file), failAppendsAfter);
  }

  async start(): Promise<void> {
    await this.engine.start(this.journal.currentTerm);
  }

  /** Starts as a restarted node does: Bootstrap from the journal, then lead. */
  async bootstrapAndLead(): Promise<void> {
    this.engine.prepare();
    for (const record of this.journal.records()) this.engine.replay(record.message);
    await this.engine.lead(this.journal.currentTerm);
  }

  /** Advances every venue by `count` ticks of 50 ms, letting queued venue events flow between ticks. */
  async ticks(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      this.nowNs += 50_000_000;
      for (const v of this.venues) v.tick(this.nowNs);
      await settle();
    }
  }

  /** Ticks until `done()` holds, at most `limit` ticks; returns whether it held. */
  async ticksUntil(done: () => boolean, limit: number): Promise<boolean> {
    for (let i = 0; i < limit && !done(); i++) await this.ticks(1);
    return done();
  }
}

/** Lets setImmediate-queued venue events and follow-ups run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}
