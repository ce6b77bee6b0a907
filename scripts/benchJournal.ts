import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { Journal } from '../src/node/journal/journal.ts';
import { encodeMessage } from '../src/node/journal/recordCodec.ts';
import type { TradingMessage } from '../src/node/tradingMessage.ts';
import type { BenchFigure } from './benchOnBook.ts';
import { summarize } from './stats.ts';
import { timeBatches } from './timeBatches.ts';

const TS = 1_700_000_000_000_000_000;

/** The journal's traffic: mostly orders and their events, some mesh messages. */
export function journalMessage(i: number): TradingMessage {
  const clientOrderId = `maker-1-${i >> 2}`;
  switch (i & 7) {
    case 0:
    case 4:
      return { kind: 'order', tsNs: TS + i, label: 'maker', venue: 'kraken', symbol: 'BTC/USD', algoOrderId: i, clientOrderId, side: i & 8 ? 1 : -1, px1e9: 60_000_000_000_000 + i * 1_000_000, qty1e8: 1_000_000, orderType: 4, replaces: '' };
    case 1:
    case 5:
      return { kind: 'ack', clientOrderId, venueOrderId: `OQ${i}-BW3P3-BUCMWZ`, tsNs: TS + i };
    case 2:
      return { kind: 'fill', clientOrderId, fillId: `T${i}`, px1e9: 60_000_000_000_000 + i, qty1e8: 500_000, fee1e9: -12_000, liquidity: 'maker', tsNs: TS + i };
    case 3:
      return { kind: 'cancelRequest', tsNs: TS + i, clientOrderId };
    case 6:
      return { kind: 'canceled', clientOrderId, reason: 'user requested', tsNs: TS + i };
    default:
      return { kind: 'mesh', tsNs: TS + i, from: 'maker', to: 'hedger', payload: Uint8Array.from({ length: 32 }, (_, k) => k + i) };
  }
}

/** With no asynchronous writes pending, lmdb closes the environment before close() returns. */
function closeNow(closing: Promise<void>): void {
  closing.catch((error: unknown) => {
    throw error;
  });
}

function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'sequence-bench-journal-'));
}

/**
 * One Journal.append in the journal's commit mode (a synchronous transaction in a noSync
 * environment: in the page cache when it returns, fenced by term, seq assigned inside).
 * Baseline: the naive durable choice, one lmdb putSync per record with an fsync per
 * commit (overlappingSync off), holding the same encoded body.
 */
export function benchJournal(quick: boolean): BenchFigure {
  const oursDir = scratchDir();
  const baseDir = scratchDir();
  const journal = Journal.open(oursDir);
  journal.beginTerm(1);
  const root = open({ path: join(baseDir, 'journal'), overlappingSync: false });
  const records = root.openDB<Uint8Array, number>({ name: 'records', encoding: 'binary' });
  let i = 0;
  let seq = 0;
  const ours = () => {
    journal.append(1, journalMessage(i++));
  };
  const base = () => {
    records.putSync(++seq, encodeMessage(journalMessage(i++)));
  };
  const rounds = quick ? 4 : 10;
  const oursBatches = quick ? 5 : 20;
  const baseBatches = quick ? 1 : 2;
  timeBatches(oursBatches, 200, ours);
  timeBatches(1, 20, base);
  const oursSamples: number[] = [];
  const baseSamples: number[] = [];
  // Interleaved so that both see the same machine and disk conditions.
  for (let round = 0; round < rounds; round++) {
    oursSamples.push(...timeBatches(oursBatches, 200, ours));
    baseSamples.push(...timeBatches(baseBatches, 20, base));
  }
  closeNow(journal.close());
  closeNow(root.close());
  rmSync(oursDir, { recursive: true, force: true });
  rmSync(baseDir, { recursive: true, force: true });
  return {
    name: 'journal append (sync commit, noSync env)',
    unit: 'ns',
    ours: summarize(oursSamples),
    baselineName: 'lmdb putSync, fsync per record',
    baseline: summarize(baseSamples),
    goal: 'median < 20000 ns (crash-durable on return)',
  };
}

/** Records in one turn of the example maker re-quoting both sides: two cancels, two orders. */
export const TURN_RECORDS = 4;

/**
 * Write-ahead appends as the engine commits them: a turn's records in one synchronous
 * transaction (here the maker's re-quote, 4 records), per record. Baseline: the same
 * records one transaction each.
 */
export function benchJournalTurn(quick: boolean): BenchFigure {
  const dir = scratchDir();
  const journal = Journal.open(dir);
  journal.beginTerm(1);
  let i = 0;
  const batch = () => {
    const messages = [journalMessage(i++), journalMessage(i++), journalMessage(i++), journalMessage(i++)];
    journal.appendBatch(1, messages);
  };
  const single = () => {
    for (let k = 0; k < TURN_RECORDS; k++) journal.append(1, journalMessage(i++));
  };
  const rounds = quick ? 4 : 10;
  const batches = quick ? 5 : 20;
  timeBatches(batches, 100, batch);
  timeBatches(batches, 100, single);
  const ours: number[] = [];
  const base: number[] = [];
  for (let round = 0; round < rounds; round++) {
    ours.push(...timeBatches(batches, 100, batch).map((ns) => ns / TURN_RECORDS));
    base.push(...timeBatches(batches, 100, single).map((ns) => ns / TURN_RECORDS));
  }
  closeNow(journal.close());
  rmSync(dir, { recursive: true, force: true });
  const s = summarize(ours);
  return {
    name: `journal append as the engine commits, ${TURN_RECORDS} records per turn in one transaction: ${Math.round(1e9 / s.median).toLocaleString('en-US')} records/s`,
    unit: 'ns',
    ours: s,
    baselineName: 'the same records, one transaction each',
    baseline: summarize(base),
    goal: '>= 200k appends/s (median <= 5000 ns)',
  };
}

/**
 * Replay: reading committed records in order from LMDB and decoding each to a
 * TradingMessage, per record. Baseline: JSON.parse of the same messages as JSON lines
 * already in memory (no storage read at all), the naive alternative format.
 */
export function benchReplay(quick: boolean): BenchFigure {
  const count = quick ? 20_000 : 100_000;
  const dir = scratchDir();
  const journal = Journal.open(dir);
  journal.beginTerm(1);
  const lines: string[] = [];
  for (let k = 0; k < count; k++) {
    const m = journalMessage(k);
    journal.append(1, m);
    lines.push(JSON.stringify(m.kind === 'mesh' ? { ...m, payload: Array.from(m.payload) } : m));
  }
  const batch = 1000;
  const passes = quick ? 3 : 10;
  const oursSamples: number[] = [];
  const baseSamples: number[] = [];
  let checksum = 0;
  for (let pass = 0; pass <= passes; pass++) {
    const iterator = journal.records();
    const oursPass = timeBatches(count / batch, batch, () => {
      checksum += iterator.next().value?.seq ?? 0;
    });
    let line = 0;
    const basePass = timeBatches(count / batch, batch, () => {
      checksum += (JSON.parse(lines[line++]) as TradingMessage).tsNs > 0 ? 1 : 0;
    });
    // The first pass warms up the JIT and the page cache.
    if (pass > 0) {
      oursSamples.push(...oursPass);
      baseSamples.push(...basePass);
    }
  }
  closeNow(journal.close());
  rmSync(dir, { recursive: true, force: true });
  if (checksum === 0) throw new Error('replay read nothing');
  return {
    name: 'journal replay (read + decode, per record)',
    unit: 'ns',
    ours: summarize(oursSamples),
    baselineName: 'JSON.parse of JSON lines in memory',
    baseline: summarize(baseSamples),
    goal: 'median < 2000 ns (> 500k records/s)',
  };
}
