import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, MAX_LISTED_PROBLEMS, TAIL_BATCH_RECORDS, type JournalRecord } from '../src/node/journal/journal.ts';
import { FencedError, JournalError, RecordDecodeError } from '../src/node/journal/journalErrors.ts';
import { encodeMessage } from '../src/node/journal/recordCodec.ts';
import type { TradingMessage } from '../src/node/tradingMessage.ts';
import { tempDir } from './support/nodeHarness.ts';

const TS = 1_700_000_000_123_456_768;

function cancel(i: number): TradingMessage {
  return { kind: 'cancelRequest', tsNs: TS + i * 1024, clientOrderId: `c-${i}` };
}

const opened: Journal[] = [];
const children: ChildProcessWithoutNullStreams[] = [];

function openJournal(dataDir: string, options?: { readOnly?: boolean }): Journal {
  const journal = Journal.open(dataDir, options);
  opened.push(journal);
  return journal;
}

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const journal of opened.splice(0)) await journal.close();
});

/** A journal in term 1 with `count` cancel requests. */
function filled(count: number): { dataDir: string; journal: Journal } {
  const dataDir = tempDir('journal');
  const journal = openJournal(dataDir);
  journal.beginTerm(1);
  for (let i = 1; i <= count; i++) journal.append(1, cancel(i));
  return { dataDir, journal };
}

function spawnSupport(script: string, args: string[]): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'support', script), ...args], { cwd: join(import.meta.dirname, '..') });
  children.push(child);
  return child;
}

/** Collects a child's stdout lines; `until` resolves once the predicate holds for the lines so far. */
function lineReader(child: ChildProcessWithoutNullStreams) {
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const waiters: { predicate: (lines: string[]) => boolean; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.predicate(lines)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    check();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    lines,
    exited,
    until(predicate: (lines: string[]) => boolean): Promise<void> {
      return new Promise((resolve, reject) => {
        waiters.push({ predicate, resolve });
        check();
        void exited.then(() => {
          if (!predicate(lines)) reject(new Error(`child exited (${child.exitCode ?? child.signalCode}) before the expected output; stderr: ${stderr}`));
        });
      });
    },
  };
}

/** Writes raw key/value pairs into a closed journal's records db, bypassing Journal. */
function plant(dataDir: string, entries: [key: number, value: Uint8Array][]): void {
  const root = open({ path: join(dataDir, 'journal'), noSync: true });
  const records = root.openDB<Uint8Array, number>({ name: 'records', encoding: 'binary' });
  for (const [key, value] of entries) records.putSync(key, value);
  void root.close();
}

function rawRecord(term: number, body: Uint8Array): Uint8Array {
  const value = new Uint8Array(4 + body.length);
  new DataView(value.buffer).setUint32(0, term, true);
  value.set(body, 4);
  return value;
}

describe('Journal', () => {
  it('numbers appends 1, 2, 3, ... and keeps them across a reopen', async () => {
    const { dataDir, journal } = filled(3);
    expect(journal.lastSeq).toBe(3);
    await journal.close();
    const reopened = openJournal(dataDir);
    expect(reopened.lastSeq).toBe(3);
    expect(reopened.currentTerm).toBe(1);
    expect(reopened.append(1, cancel(4))).toBe(4);
    const records = [...reopened.records()];
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(records[3]).toEqual({ seq: 4, term: 1, tsNs: TS + 4 * 1024, message: cancel(4) });
  });

  it('an empty journal has lastSeq 0, term 0 and no records', () => {
    const journal = openJournal(tempDir('journal'));
    expect(journal.lastSeq).toBe(0);
    expect(journal.currentTerm).toBe(0);
    expect([...journal.records()]).toEqual([]);
    expect(journal.stats()).toMatchObject({ records: 0, firstSeq: 0, lastSeq: 0, currentTerm: 0, byKind: {} });
  });

  it('a new journal gets a six-character id tag, which every later open, read-only too, reads back', async () => {
    const dataDir = tempDir('journal');
    const journal = openJournal(dataDir);
    const tag = journal.idTag;
    expect(tag).toMatch(/^[0-9a-z]{6}$/);
    await journal.close();
    expect(openJournal(dataDir, { readOnly: true }).idTag).toBe(tag);
  });

  it('two journals get different id tags, so their client order ids never meet', () => {
    expect(openJournal(tempDir('journal')).idTag).not.toBe(openJournal(tempDir('journal')).idTag);
  });

  it('records(from) starts at the seq asked for, and past the end yields nothing', () => {
    const { journal } = filled(10);
    expect([...journal.records(7)].map((r) => r.seq)).toEqual([7, 8, 9, 10]);
    expect([...journal.records(11)]).toEqual([]);
  });

  it('stores every message kind with its term and tsNs', () => {
    const { journal } = filled(0);
    const messages: TradingMessage[] = [
      { kind: 'role', tsNs: TS, nodeId: 'a', role: 'leader', term: 1 },
      { kind: 'mesh', tsNs: TS, from: 'maker', to: 'hedger', payload: Uint8Array.from({ length: 256 }, (_, i) => i) },
      { kind: 'fill', clientOrderId: 'c', fillId: 'f', px1e9: 1, qty1e8: 2, fee1e9: -3, liquidity: 'maker', tsNs: TS },
    ];
    for (const m of messages) journal.append(1, m);
    expect([...journal.records()].map((r) => r.message)).toEqual(messages);
    expect(journal.stats().byKind).toEqual({ role: 1, mesh: 1, fill: 1 });
  });

  describe('fencing', () => {
    it('after beginTerm(3) an append from term 2 throws FencedError and writes nothing', () => {
      const { journal } = filled(2);
      journal.beginTerm(3);
      expect(() => journal.append(2, cancel(3))).toThrow(new FencedError(3, 2, 'an append from term 2'));
      expect(() => journal.append(2, cancel(3))).toThrow('journal term is 3; an append from term 2 is refused');
      expect(journal.lastSeq).toBe(2);
      expect(journal.append(3, cancel(3))).toBe(3);
      expect([...journal.records()].map((r) => r.term)).toEqual([1, 1, 3]);
    });

    it('beginTerm refuses a term that is not above the journal term', () => {
      const { journal } = filled(0);
      journal.beginTerm(3);
      expect(() => journal.beginTerm(2)).toThrow(new FencedError(3, 2, 'beginning term 2'));
      expect(() => journal.beginTerm(3)).toThrow('journal term is 3; beginning term 3 is refused');
      expect(journal.currentTerm).toBe(3);
    });

    it('an append from a term above the journal term is refused until beginTerm', () => {
      const { journal } = filled(1);
      expect(() => journal.append(2, cancel(2))).toThrow(JournalError);
      expect(() => journal.append(2, cancel(2))).toThrow('journal term is 1; call beginTerm(2) before appending from term 2');
      expect(journal.lastSeq).toBe(1);
    });

    it('a term that is not a u32 integer is a RangeError', () => {
      const { journal } = filled(0);
      expect(() => journal.beginTerm(1.5)).toThrow(new RangeError('a term must be an integer in 0..4294967295, got 1.5'));
      expect(() => journal.append(-1, cancel(1))).toThrow(new RangeError('a term must be an integer in 0..4294967295, got -1'));
      expect(() => journal.beginTerm(2 ** 32)).toThrow(RangeError);
    });

    it('a paused old Leader in another Journal handle is fenced by the new term', async () => {
      const { dataDir, journal: oldLeader } = filled(1);
      await oldLeader.close();
      const newLeader = openJournal(dataDir);
      newLeader.beginTerm(2);
      await newLeader.close();
      const woken = openJournal(dataDir);
      expect(() => woken.append(1, cancel(2))).toThrow(FencedError);
      expect(woken.lastSeq).toBe(1);
    });
  });

  it('a message the codec refuses is not appended and the seq is not used', () => {
    const { journal } = filled(1);
    expect(() => journal.append(1, { ...cancel(2), tsNs: -5 })).toThrow('cannot encode cancelRequest.tsNs: -5 is not a non-negative integer');
    expect(journal.append(1, cancel(2))).toBe(2);
  });

  it('a read-only journal refuses writes', () => {
    const { dataDir } = filled(1);
    const reader = openJournal(dataDir, { readOnly: true });
    expect(reader.lastSeq).toBe(1);
    expect(() => reader.append(1, cancel(2))).toThrow(`journal ${join(dataDir, 'journal')}: append on a journal opened read-only`);
    expect(() => reader.beginTerm(2)).toThrow(JournalError);
  });

  describe('snapshots', () => {
    it('latestSnapshot returns the one with the highest seq', () => {
      const { journal } = filled(5);
      expect(journal.latestSnapshot()).toBeUndefined();
      journal.putSnapshot(2, Uint8Array.of(2));
      journal.putSnapshot(5, Uint8Array.of(5, 5));
      journal.putSnapshot(3, Uint8Array.of(3));
      expect(journal.latestSnapshot()).toEqual({ seq: 5, bytes: Uint8Array.of(5, 5) });
    });

    it('a snapshot past the last record or at a bad seq is refused', () => {
      const { journal } = filled(2);
      expect(() => journal.putSnapshot(3, Uint8Array.of(1))).toThrow('a snapshot at seq 3 is past the last record (seq 2)');
      expect(() => journal.putSnapshot(0, Uint8Array.of(1))).toThrow(new RangeError('a snapshot seq must be an integer >= 1, got 0'));
      expect(journal.latestSnapshot()).toBeUndefined();
    });
  });

  it('flushToDisk resolves once committed records are synced', async () => {
    const { journal } = filled(3);
    await expect(journal.flushToDisk()).resolves.toBeUndefined();
  });

  it('stats count records, kinds and bytes on disk', () => {
    const { journal } = filled(4);
    journal.append(1, { kind: 'halt', tsNs: TS, by: 'operator:a', reason: 'r', cancelAll: false });
    const stats = journal.stats();
    expect(stats).toMatchObject({ records: 5, firstSeq: 1, lastSeq: 5, currentTerm: 1, byKind: { cancelRequest: 4, halt: 1 } });
    expect(stats.bytesOnDisk).toBeGreaterThan(0);
  });

  it('a closed journal refuses use', async () => {
    const { journal } = filled(1);
    await journal.close();
    expect(() => journal.append(1, cancel(2))).toThrow('append on a closed journal');
    expect(() => journal.lastSeq).toThrow('read from a closed journal');
  });

  describe('verify', () => {
    it('passes a journal written through append', () => {
      const { journal } = filled(20);
      expect(journal.verify()).toEqual({ ok: true, records: 20, problems: [] });
    });

    it('reports a gap, a term going down and an undecodable body, each by seq', async () => {
      const { dataDir, journal } = filled(3);
      journal.beginTerm(2);
      journal.append(2, cancel(4));
      await journal.close();
      plant(dataDir, [
        [6, rawRecord(2, encodeMessage(cancel(6)))],
        [7, rawRecord(1, encodeMessage(cancel(7)))],
        [8, rawRecord(2, Uint8Array.of(99, 1, 2))],
        [9, Uint8Array.of(1, 0)],
        [10, rawRecord(5, encodeMessage(cancel(10)))],
      ]);
      const report = openJournal(dataDir).verify();
      expect(report).toEqual({
        ok: false,
        records: 9,
        problems: [
          'seq 6: gap after seq 4 (1 missing)',
          "seq 7: term 1 is below the previous record's term 2",
          'seq 8: unknown message kind code 99',
          'seq 9: a record of 2 bytes is shorter than its 4-byte header',
          "seq 10: term 5 is above the journal's term 2",
        ],
      });
    });

    it('lists a bounded number of problems and counts the rest', async () => {
      const { dataDir, journal } = filled(1);
      await journal.close();
      const bad = Array.from({ length: MAX_LISTED_PROBLEMS + 5 }, (_, i) => [i + 2, Uint8Array.of(1, 0, 0, 0, 77)] as [number, Uint8Array]);
      plant(dataDir, bad);
      const report = openJournal(dataDir).verify();
      expect(report.problems).toHaveLength(MAX_LISTED_PROBLEMS + 1);
      expect(report.problems.at(-1)).toBe('... and 5 more problems');
    });

    it('records() throws RecordDecodeError naming the seq of a bad body', async () => {
      const { dataDir, journal } = filled(1);
      await journal.close();
      plant(dataDir, [[2, rawRecord(1, Uint8Array.of(99))]]);
      const reader = openJournal(dataDir);
      expect(() => [...reader.records()]).toThrow(new RecordDecodeError('seq 2: unknown message kind code 99'));
    });
  });

  describe('opening', () => {
    it('a data directory that is a file is a JournalError naming the path', () => {
      const dir = tempDir('journal');
      const file = join(dir, 'not-a-dir');
      writeFileSync(file, 'x');
      expect(() => Journal.open(file)).toThrow(JournalError);
      expect(() => Journal.open(file)).toThrow(new RegExp(`^journal ${join(file, 'journal')}: cannot open: .*ENOTDIR`));
    });

    it('a journal path that is a file is a JournalError', () => {
      const dir = tempDir('journal');
      writeFileSync(join(dir, 'journal'), 'x');
      expect(() => Journal.open(dir)).toThrow(`journal ${join(dir, 'journal')}: not a directory`);
    });

    it('a data.mdb that is not an LMDB file is a JournalError with the cause', () => {
      const dir = tempDir('journal');
      mkdirSync(join(dir, 'journal'));
      writeFileSync(join(dir, 'journal', 'data.mdb'), Buffer.alloc(16384, 7));
      expect(() => Journal.open(dir)).toThrow(new JournalError(join(dir, 'journal'), 'data.mdb is not an LMDB file (magic 0x7070707, expected 0xbeefc0de)'));
      expect(() => Journal.open(dir, { readOnly: true })).toThrow(JournalError);
    });

    it('read-only where there is no journal is a JournalError', () => {
      const dir = tempDir('journal');
      expect(() => Journal.open(dir, { readOnly: true })).toThrow(`journal ${join(dir, 'journal')}: there is no journal to open read-only (no data.mdb)`);
    });
  });

  describe('tail', () => {
    it('delivers records already there, then new ones, once each and in order (same process)', async () => {
      const { journal } = filled(3);
      const seen: JournalRecord[] = [];
      let notify = () => {};
      const tail = journal.tail(2, (r) => {
        seen.push(r);
        notify();
      });
      const reach = (n: number) =>
        new Promise<void>((resolve) => {
          notify = () => seen.length >= n && resolve();
          notify();
        });
      await reach(2);
      for (let i = 4; i <= 6; i++) journal.append(1, cancel(i));
      await reach(5);
      tail.stop();
      expect(seen.map((r) => r.seq)).toEqual([2, 3, 4, 5, 6]);
      expect(seen[4].message).toEqual(cancel(6));
    });

    it('catches up more than one batch without losing or repeating a record', async () => {
      const { journal } = filled(TAIL_BATCH_RECORDS * 2 + 10);
      const seqs: number[] = [];
      await new Promise<void>((resolve) => {
        const tail = journal.tail(1, (r) => {
          seqs.push(r.seq);
          if (r.seq === TAIL_BATCH_RECORDS * 2 + 10) {
            tail.stop();
            resolve();
          }
        });
      });
      expect(seqs).toEqual(Array.from({ length: TAIL_BATCH_RECORDS * 2 + 10 }, (_, i) => i + 1));
    });

    it('stops and reports when onRecord throws', async () => {
      const { journal } = filled(3);
      const seen: number[] = [];
      const error = await new Promise<unknown>((resolve) => {
        journal.tail(
          1,
          (r) => {
            seen.push(r.seq);
            if (r.seq === 2) throw new Error('apply failed');
          },
          resolve,
        );
      });
      expect(String(error)).toBe('Error: apply failed');
      expect(seen).toEqual([1, 2]);
    });

    it('refuses a start seq below 1', () => {
      const { journal } = filled(0);
      expect(() => journal.tail(0, () => {})).toThrow(new RangeError('tail must start at a seq >= 1, got 0'));
    });

    it('another process sees every committed record, in order, with none repeated or missing', async () => {
      const { dataDir, journal } = filled(5);
      const child = spawnSupport('journalTailer.ts', [dataDir, '3']);
      const out = lineReader(child);
      await out.until((lines) => lines.includes('ready'));
      // Bursts, with the child catching up between them, so that both the first read and
      // later wake-ups deliver; 3000 records also grow the file past its first pages.
      const expected = [3, 4, 5];
      for (let burst = 0; burst < 6; burst++) {
        for (let i = 0; i < 500; i++) expected.push(journal.append(1, cancel(expected.length + 3)));
        const target = String(expected.at(-1));
        await out.until((lines) => lines.some((l) => l.startsWith(`${target} `)));
      }
      child.kill('SIGTERM');
      await out.exited;
      const delivered = out.lines.filter((l) => l !== 'ready' && l !== '');
      expect(delivered.map((l) => Number(l.split(' ')[0]))).toEqual(expected);
      expect(delivered.at(-1)).toBe(`${expected.at(-1)} c-${expected.at(-1)}`);
    });
  });

  it("numbers an append after another process's term in the same handle after that process's records", async () => {
    // The handle remembers its own last seq per term; a new writer raises the term first,
    // so the next append here (after its own beginTerm) must find the other writer's records.
    const { dataDir, journal } = filled(2);
    expect(journal.appendBatch(1, [cancel(3), cancel(4)])).toBe(3);
    const other = spawnSupport('journalAppender.ts', [dataDir, '3']);
    const out = lineReader(other);
    await out.exited;
    expect(out.lines.filter((l) => l !== '')).toEqual(['5', '6', '7']);
    expect(() => journal.append(1, cancel(5))).toThrow(FencedError);
    journal.beginTerm(journal.currentTerm + 1);
    expect(journal.append(journal.currentTerm, cancel(8))).toBe(8);
    expect(journal.appendBatch(journal.currentTerm, [cancel(9), cancel(10)])).toBe(9);
    expect([...journal.records()].map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('kill -9 during appends loses no seq that append returned', async () => {
    const dataDir = tempDir('journal-crash');
    const child = spawnSupport('journalAppender.ts', [dataDir, '10000000']);
    const out = lineReader(child);
    await out.until((lines) => lines.length >= 2000);
    child.kill('SIGKILL');
    await out.exited;
    expect(child.signalCode).toBe('SIGKILL');
    const printed = out.lines.filter((l) => l !== '').map(Number);
    expect(printed.length).toBeGreaterThanOrEqual(2000);
    expect(printed).toEqual(Array.from({ length: printed.length }, (_, i) => i + 1));

    const journal = openJournal(dataDir);
    const records = [...journal.records()];
    expect(records.length).toBeGreaterThanOrEqual(printed.length);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: records.length }, (_, i) => i + 1));
    for (const seq of printed) expect(records[seq - 1].message).toMatchObject({ kind: 'order', clientOrderId: `maker-${seq - 1}` });
    expect(journal.verify()).toEqual({ ok: true, records: records.length, problems: [] });
    expect(journal.append(journal.currentTerm, cancel(0))).toBe(records.length + 1);
  });
});

describe('batched appends', () => {
  it('a batch gets consecutive seqs in one commit, and a fenced batch writes nothing', async () => {
    const dir = tempDir('journal-batch');
    const journal = Journal.open(dir);
    journal.beginTerm(2);
    const m = (i: number) => ({ kind: 'cancelRequest' as const, tsNs: i, clientOrderId: `c${i}` });
    expect(journal.appendBatch(2, [m(1), m(2), m(3)])).toBe(1);
    expect(journal.appendBatch(2, [m(4)])).toBe(4);
    expect([...journal.records()].map((r) => [r.seq, r.term, (r.message as { clientOrderId: string }).clientOrderId])).toEqual([
      [1, 2, 'c1'], [2, 2, 'c2'], [3, 2, 'c3'], [4, 2, 'c4'],
    ]);
    expect(() => journal.appendBatch(1, [m(5), m(6)])).toThrow(FencedError);
    expect(journal.lastSeq).toBe(4);
    await journal.close();
  });
});
