import { randomInt } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { journalFullFault } from '../faultHooks.ts';
import type { TradingMessage } from '../tradingMessage.ts';
import { FencedError, JournalError, RecordDecodeError } from './journalErrors.ts';
import { decodeMessage, encodeMessageTransient, kindOfBody } from './recordCodec.ts';

// The write-ahead journal: one LMDB environment in <dataDir>/journal holding every trading
// message as a record keyed by a gapless sequence number. A record's value is the term it
// was written in (u32 little-endian) followed by the message body (recordCodec.ts).
//
// Commit mode (measured in scripts/benchJournal.ts): the environment is opened with
// noSync, and every append is its own synchronous write transaction. When append returns,
// the commit is in the OS page cache: a process crash (kill -9) at any instant loses
// nothing that was returned, and another process sees it at once. A power loss can lose
// what was committed since the last flushToDisk, which the integrator calls on a short
// period to bound that window. An fsync per append costs about 25 times as much
// (benchJournal: 9.5 us median per append against 247 us for putSync with an fsync).

export interface JournalRecord {
  seq: number;
  term: number;
  tsNs: number;
  message: TradingMessage;
}

export interface JournalStats {
  records: number;
  /** 0 when the journal is empty. */
  firstSeq: number;
  lastSeq: number;
  currentTerm: number;
  bytesOnDisk: number;
  byKind: Record<string, number>;
}

export interface VerifyReport {
  ok: boolean;
  records: number;
  problems: string[];
}

export interface Tail {
  stop(): void;
}

const RECORD_HEADER_BYTES = 4;
/** MDB_meta's mm_magic, after the 24-byte page header of lmdb-js's LMDB. */
const LMDB_MAGIC = 0xbeefc0de;
const LMDB_MAGIC_OFFSET = 24;
const MAX_TERM = 0xffffffff;
const TERM_KEY = 'term';
const ID_TAG_KEY = 'id_tag';
/** A journal's tag is six base-36 characters: a number in [36^5, 36^6). */
const ID_TAG_MIN = 36 ** 5;
const ID_TAG_END = 36 ** 6;
/** Address space reserved for the map, not disk: sized so the map never has to grow under a reader. */
const MAP_SIZE_BYTES = 2 ** 36;
/** A Follower's fallback wake-up, for a watch event that never comes (some filesystems). */
export const TAIL_POLL_MS = 200;
/** Records delivered per wake-up before yielding to the event loop, so catching up stays fair. */
export const TAIL_BATCH_RECORDS = 4096;
/** verify() lists this many problems and counts the rest. */
export const MAX_LISTED_PROBLEMS = 100;

interface Syncable {
  sync(callback: (error: unknown) => void): void;
}

function checkTerm(term: number): void {
  if (!Number.isInteger(term) || term < 0 || term > MAX_TERM) throw new RangeError(`a term must be an integer in 0..${MAX_TERM}, got ${term}`);
}

/**
 * lmdb crashes the process (SIGSEGV) when data.mdb is not an LMDB file, so a wrong file
 * in the journal directory is caught here, by the magic number in its first meta page.
 */
function checkDataFile(path: string): void {
  const file = join(path, 'data.mdb');
  if (!existsSync(file) || statSync(file).size === 0) return;
  const header = new Uint8Array(LMDB_MAGIC_OFFSET + 4);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  const magic = new DataView(header.buffer).getUint32(LMDB_MAGIC_OFFSET, true);
  if (magic !== LMDB_MAGIC) throw new JournalError(path, `data.mdb is not an LMDB file (magic 0x${magic.toString(16)}, expected 0x${LMDB_MAGIC.toString(16)})`);
}

function termOf(value: Uint8Array): number {
  return (value[0] | (value[1] << 8) | (value[2] << 16)) + value[3] * 0x1000000;
}

function toRecord(seq: number, value: Uint8Array): JournalRecord {
  if (value.length < RECORD_HEADER_BYTES) throw new RecordDecodeError(`seq ${seq}: a record of ${value.length} bytes is shorter than its ${RECORD_HEADER_BYTES}-byte header`);
  let message: TradingMessage;
  try {
    message = decodeMessage(value, RECORD_HEADER_BYTES);
  } catch (error) {
    if (error instanceof RecordDecodeError) throw new RecordDecodeError(`seq ${seq}: ${error.message}`);
    throw error;
  }
  return { seq, term: termOf(value), tsNs: message.tsNs, message };
}

export class Journal {
  private readonly tails = new Set<Tail>();
  private closed = false;
  /** The term and seq of this object's last committed append; -1 before any. */
  private appendedTerm = -1;
  private appendedSeq = 0;

  private constructor(
    /** The environment's directory, `<dataDir>/journal`. */
    readonly path: string,
    readonly readOnly: boolean,
    private readonly root: RootDatabase,
    private readonly recordsDb: Database<Uint8Array, number>,
    private readonly metaDb: Database<number, string>,
    private readonly snapshotsDb: Database<Uint8Array, number>,
  ) {}

  /**
   * Opens (creating unless readOnly) the journal of a data directory. One Journal per path
   * per process: lmdb shares an environment between opens in one process.
   */
  static open(dataDir: string, options: { readOnly?: boolean } = {}): Journal {
    const path = join(dataDir, 'journal');
    const readOnly = options.readOnly ?? false;
    let root: RootDatabase | undefined;
    try {
      if (existsSync(path) && !statSync(path).isDirectory()) throw new JournalError(path, 'not a directory');
      if (readOnly && !existsSync(join(path, 'data.mdb'))) throw new JournalError(path, 'there is no journal to open read-only (no data.mdb)');
      mkdirSync(path, { recursive: true });
      checkDataFile(path);
      root = open({ path, noSync: true, readOnly, mapSize: MAP_SIZE_BYTES, maxDbs: 4 });
      const recordsDb = root.openDB<Uint8Array, number>({ name: 'records', encoding: 'binary' });
      const metaDb = root.openDB<number, string>({ name: 'meta', encoding: 'msgpack' });
      const snapshotsDb = root.openDB<Uint8Array, number>({ name: 'snapshots', encoding: 'binary' });
      if (!readOnly) {
        // Made once, by whichever process opens the new journal first (one write transaction).
        root.transactionSync(() => {
          if (metaDb.get(ID_TAG_KEY) === undefined) metaDb.put(ID_TAG_KEY, randomInt(ID_TAG_MIN, ID_TAG_END));
        });
      }
      return new Journal(path, readOnly, root, recordsDb, metaDb, snapshotsDb);
    } catch (error) {
      void root?.close();
      if (error instanceof JournalError) throw error;
      throw new JournalError(path, `cannot open: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  /**
   * Appends one message in a synchronous write transaction and returns its seq. Fenced in
   * that same transaction: a term below the journal's is refused with FencedError, and a
   * term above it (beginTerm was not called) with a JournalError; neither writes anything.
   */
  append(term: number, message: TradingMessage): number {
    this.assertWritable('append');
    journalFullFault(this.path);
    checkTerm(term);
    const value = encodeMessageTransient(message, RECORD_HEADER_BYTES);
    value[0] = term & 0xff;
    value[1] = (term >>> 8) & 0xff;
    value[2] = (term >>> 16) & 0xff;
    value[3] = term >>> 24;
    const seq = this.root.transactionSync(() => {
      const current = this.termInTxn();
      if (term < current) throw new FencedError(current, term, `an append from term ${term}`);
      if (term > current) throw new JournalError(this.path, `journal term is ${current}; call beginTerm(${term}) before appending from term ${term}`);
      const next = this.nextSeqInTxn(term);
      this.recordsDb.put(next, value);
      return next;
    });
    this.appended(term, seq);
    return seq;
  }

  /**
   * Appends several messages in one synchronous write transaction (one commit for all:
   * what a node records in one turn before it acts on any of it) and returns the first seq.
   * Fenced like append; all or nothing.
   */
  appendBatch(term: number, messages: readonly TradingMessage[]): number {
    this.assertWritable('append');
    journalFullFault(this.path);
    checkTerm(term);
    const values = messages.map((message) => {
      const value = encodeMessageTransient(message, RECORD_HEADER_BYTES).slice();
      value[0] = term & 0xff;
      value[1] = (term >>> 8) & 0xff;
      value[2] = (term >>> 16) & 0xff;
      value[3] = term >>> 24;
      return value;
    });
    const first = this.root.transactionSync(() => {
      const current = this.termInTxn();
      if (term < current) throw new FencedError(current, term, `an append from term ${term}`);
      if (term > current) throw new JournalError(this.path, `journal term is ${current}; call beginTerm(${term}) before appending from term ${term}`);
      const next = this.nextSeqInTxn(term);
      for (let i = 0; i < values.length; i++) this.recordsDb.put(next + i, values[i]);
      return next;
    });
    this.appended(term, first + values.length - 1);
    return first;
  }

  /** Raises the journal's term, in its own write transaction; a term not above it is FencedError. */
  beginTerm(term: number): void {
    this.assertWritable('beginTerm');
    journalFullFault(this.path);
    checkTerm(term);
    this.root.transactionSync(() => {
      const current = this.termInTxn();
      if (term <= current) throw new FencedError(current, term, `beginning term ${term}`);
      this.metaDb.put(TERM_KEY, term);
    });
  }

  /**
   * This journal's tag, made when the journal was created and kept in it. The node puts it
   * in every client order id, so the ids of two journals (a data directory wiped and begun
   * again, another node on the same account) never meet at a venue, which would take the
   * second for the first (Coinbase answers a known client_order_id with that order). Empty
   * only for a journal written before tags and opened read-only.
   */
  get idTag(): string {
    const tag = this.metaDb.get(ID_TAG_KEY);
    return tag === undefined ? '' : tag.toString(36);
  }

  /** The last committed seq, by any process; 0 when empty. */
  get lastSeq(): number {
    this.refresh();
    return this.lastSeqInTxn();
  }

  /** The journal's term as last committed by any process; 0 before the first beginTerm. */
  get currentTerm(): number {
    this.refresh();
    return this.termInTxn();
  }

  /** Committed records from fromSeq on, in seq order, read from one snapshot. */
  *records(fromSeq = 1): Generator<JournalRecord> {
    this.refresh();
    for (const { key, value } of this.recordsDb.getRange({ start: fromSeq })) yield toRecord(key, value);
  }

  /**
   * Delivers every committed record from fromSeq on, in order and once each, as other
   * processes commit them: woken by a watch on the journal directory, with a slow poll
   * behind it. A gap, an undecodable record or a throwing onRecord stops the tail and goes
   * to onError (by default rethrown, which ends a process that cannot follow any more).
   */
  tail(fromSeq: number, onRecord: (record: JournalRecord) => void, onError: (error: unknown) => void = rethrow): Tail {
    if (!Number.isSafeInteger(fromSeq) || fromSeq < 1) throw new RangeError(`tail must start at a seq >= 1, got ${fromSeq}`);
    let next = fromSeq;
    let stopped = false;
    let scheduled = false;
    let watcher: FSWatcher | undefined;
    const drain = () => {
      scheduled = false;
      if (stopped) return;
      try {
        this.refresh();
        let delivered = 0;
        for (const { key, value } of this.recordsDb.getRange({ start: next, limit: TAIL_BATCH_RECORDS })) {
          if (key !== next) throw new JournalError(this.path, `tail expected seq ${next} and found seq ${key}: the journal has a gap`);
          const record = toRecord(key, value);
          next++;
          delivered++;
          onRecord(record);
          if (stopped) return;
        }
        if (delivered === TAIL_BATCH_RECORDS) wake();
      } catch (error) {
        tail.stop();
        onError(error);
      }
    };
    const wake = () => {
      if (scheduled || stopped) return;
      scheduled = true;
      setImmediate(drain);
    };
    try {
      watcher = watch(this.path, wake);
      // Without the watch the poll still delivers, only later.
      watcher.on('error', () => watcher?.close());
    } catch {
      watcher = undefined;
    }
    const poll = setInterval(wake, TAIL_POLL_MS);
    const tail: Tail = {
      stop: () => {
        if (stopped) return;
        stopped = true;
        watcher?.close();
        clearInterval(poll);
        this.tails.delete(tail);
      },
    };
    this.tails.add(tail);
    wake();
    return tail;
  }

  /** Stores a state snapshot taken after applying every record up to and including seq. */
  putSnapshot(seq: number, bytes: Uint8Array): void {
    this.assertWritable('putSnapshot');
    if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError(`a snapshot seq must be an integer >= 1, got ${seq}`);
    this.root.transactionSync(() => {
      const last = this.lastSeqInTxn();
      if (seq > last) throw new JournalError(this.path, `a snapshot at seq ${seq} is past the last record (seq ${last})`);
      this.snapshotsDb.put(seq, bytes);
    });
  }

  latestSnapshot(): { seq: number; bytes: Uint8Array } | undefined {
    this.refresh();
    for (const { key, value } of this.snapshotsDb.getRange({ reverse: true, limit: 1 })) return { seq: key, bytes: Uint8Array.from(value) };
    return undefined;
  }

  /** Checks every record: seqs without gaps, terms never going down nor above the journal's, bodies that decode. */
  verify(): VerifyReport {
    this.refresh();
    const currentTerm = this.termInTxn();
    const problems: string[] = [];
    let unlisted = 0;
    const problem = (text: string) => {
      if (problems.length < MAX_LISTED_PROBLEMS) problems.push(text);
      else unlisted++;
    };
    let records = 0;
    let previousSeq = 0;
    let previousTerm = 0;
    for (const { key, value } of this.recordsDb.getRange()) {
      records++;
      if (!Number.isSafeInteger(key) || key < 1) {
        problem(`key ${JSON.stringify(key)} is not a sequence number`);
        continue;
      }
      if (previousSeq > 0 && key !== previousSeq + 1) problem(`seq ${key}: gap after seq ${previousSeq} (${key - previousSeq - 1} missing)`);
      previousSeq = key;
      if (value.length < RECORD_HEADER_BYTES) {
        problem(`seq ${key}: a record of ${value.length} bytes is shorter than its ${RECORD_HEADER_BYTES}-byte header`);
        continue;
      }
      const term = termOf(value);
      if (term < previousTerm) problem(`seq ${key}: term ${term} is below the previous record's term ${previousTerm}`);
      if (term > currentTerm) problem(`seq ${key}: term ${term} is above the journal's term ${currentTerm}`);
      previousTerm = Math.max(previousTerm, term);
      try {
        decodeMessage(value, RECORD_HEADER_BYTES);
      } catch (error) {
        if (!(error instanceof RecordDecodeError)) throw error;
        problem(`seq ${key}: ${error.message}`);
      }
    }
    if (unlisted > 0) problems.push(`... and ${unlisted} more problems`);
    return { ok: problems.length === 0, records, problems };
  }

  stats(): JournalStats {
    this.refresh();
    const byKind: Record<string, number> = {};
    let records = 0;
    let firstSeq = 0;
    let lastSeq = 0;
    for (const { key, value } of this.recordsDb.getRange()) {
      if (records === 0) firstSeq = key;
      lastSeq = key;
      records++;
      let kind: string;
      try {
        kind = kindOfBody(value, RECORD_HEADER_BYTES);
      } catch {
        kind = 'undecodable';
      }
      byKind[kind] = (byKind[kind] ?? 0) + 1;
    }
    return { records, firstSeq, lastSeq, currentTerm: this.termInTxn(), bytesOnDisk: statSync(join(this.path, 'data.mdb')).size, byKind };
  }

  /**
   * Forces what has been committed onto the disk (fsync, off the main thread). Appends
   * are durable against a process crash when they return; this bounds what a power loss
   * can take to what was committed since the last call.
   */
  flushToDisk(): Promise<void> {
    this.assertWritable('flushToDisk');
    return new Promise((resolve, reject) => {
      (this.root as unknown as Syncable).sync((error) => {
        if (error) reject(new JournalError(this.path, 'fsync failed', { cause: error }));
        else resolve();
      });
    });
  }

  /** Stops every tail and closes the environment. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const tail of [...this.tails]) tail.stop();
    return this.root.close();
  }

  private assertWritable(operation: string): void {
    if (this.closed) throw new JournalError(this.path, `${operation} on a closed journal`);
    if (this.readOnly) throw new JournalError(this.path, `${operation} on a journal opened read-only`);
  }

  /** Another process may have committed since this process's cached read snapshot. */
  private refresh(): void {
    if (this.closed) throw new JournalError(this.path, 'read from a closed journal');
    this.root.resetReadTxn();
  }

  private termInTxn(): number {
    return this.metaDb.get(TERM_KEY) ?? 0;
  }

  /**
   * The seq the next append takes, inside a transaction whose term check passed. Only the
   * term's holder appends in a term (a new writer raises the term first), so while the
   * journal's term is the one this object last appended in, its own last seq is the
   * journal's, and the cursor that finds the last key (the costliest step of an append)
   * is skipped.
   */
  private nextSeqInTxn(term: number): number {
    return (term === this.appendedTerm ? this.appendedSeq : this.lastSeqInTxn()) + 1;
  }

  /** Remembered only once the commit returned: a failed commit leaves the cursor to decide. */
  private appended(term: number, seq: number): void {
    this.appendedTerm = term;
    this.appendedSeq = seq;
  }

  private lastSeqInTxn(): number {
    for (const key of this.recordsDb.getKeys({ reverse: true, limit: 1 })) return key;
    return 0;
  }
}

function rethrow(error: unknown): never {
  throw error;
}
