import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { SymbolMeta } from '../venues/venue.ts';
import { ReplaySourceError, type MarketSource, type RecordedFrame, type RecordedVenue } from './marketSource.ts';

// The node's market-data recording (`sequence run --record DIR`): one file per venue,
// `<DIR>/<venue>.rec`, holding the frames exactly as the socket delivered them with their
// receive time, so a replay runs them through the same decoders as live.
//
//   "SEQREC1\n" + one JSON line: venue, kind, depth, symbols, meta (the venue's market
//   metadata per symbol), started_ns
//   then per frame: u64 LE receive time (ns since the epoch), u32 LE length, the bytes
//
// A file is bounded: the frame that would take it past its size limit is not written,
// recording that venue stops, and the recorder says so once (the node emits an event).
// A file cut short by a crash reads up to its last whole frame.

export const RECORDING_MAGIC = 'SEQREC1\n';
const FRAME_HEADER_BYTES = 12;
/** Buffered before a write to the file. */
const CHUNK_BYTES = 64 * 1024;
/** A frame larger than this is not a frame (a damaged length field). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export class RecordingFormatError extends ReplaySourceError {
  constructor(path: string, offset: number, reason: string) {
    super(`${path}: not a readable recording at byte ${offset}: ${reason}`);
    this.name = 'RecordingFormatError';
  }
}

export interface RecordingHeader {
  venue: string;
  kind: 'kraken' | 'coinbase';
  depth: number;
  symbols: string[];
  meta: Record<string, SymbolMeta>;
  startedNs: number;
}

export function recordingPath(dir: string, venue: string): string {
  return join(dir, `${venue}.rec`);
}

/** Writes one venue's frames; not thread-safe, called from the socket's message handler. */
export class FrameRecorder {
  /** Bytes in the file, buffered ones included. */
  bytes: number;
  frames = 0;
  stopped = false;
  private readonly fd: number;
  private readonly chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;

  /**
   * Creates `<dir>/<venue>.rec` (an existing one is an error: a recording is never
   * overwritten or mixed with another run's). `onLimit` is called once, when the size
   * limit stops the recording.
   */
  constructor(
    readonly path: string,
    header: RecordingHeader,
    readonly maxBytes: number,
    private readonly onLimit: (recorder: FrameRecorder) => void,
  ) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`a recording's size limit must be a positive number of bytes, got ${maxBytes}`);
    const head = Buffer.from(RECORDING_MAGIC + JSON.stringify({ venue: header.venue, kind: header.kind, depth: header.depth, symbols: header.symbols, meta: header.meta, started_ns: header.startedNs }) + '\n');
    if (head.length > maxBytes) throw new RangeError(`a recording's size limit (${maxBytes} bytes) is smaller than its header (${head.length} bytes)`);
    this.fd = openSync(path, 'wx');
    writeSync(this.fd, head);
    this.bytes = head.length;
  }

  record(frame: Buffer | string, recvNs: number): void {
    if (this.stopped) return;
    const length = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
    if (this.bytes + FRAME_HEADER_BYTES + length > this.maxBytes) {
      this.close();
      this.onLimit(this);
      return;
    }
    if (this.used + FRAME_HEADER_BYTES + length > CHUNK_BYTES) this.flush();
    if (FRAME_HEADER_BYTES + length > CHUNK_BYTES) {
      // A frame larger than the chunk goes straight to the file.
      const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
      head.writeBigUInt64LE(BigInt(Math.round(recvNs)), 0);
      head.writeUInt32LE(length, 8);
      writeSync(this.fd, head);
      writeSync(this.fd, typeof frame === 'string' ? Buffer.from(frame) : frame);
    } else {
      this.chunk.writeBigUInt64LE(BigInt(Math.round(recvNs)), this.used);
      this.chunk.writeUInt32LE(length, this.used + 8);
      if (typeof frame === 'string') this.chunk.write(frame, this.used + FRAME_HEADER_BYTES);
      else frame.copy(this.chunk, this.used + FRAME_HEADER_BYTES);
      this.used += FRAME_HEADER_BYTES + length;
    }
    this.bytes += FRAME_HEADER_BYTES + length;
    this.frames++;
  }

  /** Writes what is buffered to the file (the node calls this periodically and at the end). */
  flush(): void {
    if (this.used === 0) return;
    writeSync(this.fd, this.chunk, 0, this.used);
    this.used = 0;
  }

  close(): void {
    if (this.stopped) return;
    this.flush();
    closeSync(this.fd);
    this.stopped = true;
  }
}

/** Whether a file starts with the recording's magic. */
export function isRecordingFile(path: string): boolean {
  const head = Buffer.alloc(RECORDING_MAGIC.length);
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, head, 0, head.length, 0) === head.length && head.toString('latin1') === RECORDING_MAGIC;
  } finally {
    closeSync(fd);
  }
}

export interface RecordingFile {
  header: RecordingHeader;
  /** The frames in file order. */
  frames(): Generator<{ recvNs: number; frame: Buffer }>;
}

/** Reads a recording (whole, into memory: recordings are bounded by their size limit). */
export function readRecording(path: string): RecordingFile {
  const data = readFileSync(path);
  if (data.length < RECORDING_MAGIC.length || data.toString('latin1', 0, RECORDING_MAGIC.length) !== RECORDING_MAGIC) {
    throw new RecordingFormatError(path, 0, `it does not start with ${JSON.stringify(RECORDING_MAGIC)}`);
  }
  const end = data.indexOf(10, RECORDING_MAGIC.length);
  if (end < 0) throw new RecordingFormatError(path, RECORDING_MAGIC.length, 'the header line has no end');
  const header = parseHeader(path, data.toString('utf8', RECORDING_MAGIC.length, end));
  const first = end + 1;
  return {
    header,
    *frames() {
      let at = first;
      while (at + FRAME_HEADER_BYTES <= data.length) {
        const recvNs = Number(data.readBigUInt64LE(at));
        const length = data.readUInt32LE(at + 8);
        if (length > MAX_FRAME_BYTES) throw new RecordingFormatError(path, at, `a frame of ${length} bytes (at most ${MAX_FRAME_BYTES})`);
        // A frame cut short is where a crash stopped the writer: the recording ends before it.
        if (at + FRAME_HEADER_BYTES + length > data.length) return;
        yield { recvNs, frame: data.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length) };
        at += FRAME_HEADER_BYTES + length;
      }
    },
  };
}

function parseHeader(path: string, text: string): RecordingHeader {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new RecordingFormatError(path, RECORDING_MAGIC.length, `the header is not JSON: ${(error as Error).message}`);
  }
  const bad = (what: string) => new RecordingFormatError(path, RECORDING_MAGIC.length, `the header's ${what}`);
  if (typeof raw.venue !== 'string' || raw.venue === '') throw bad('"venue" must be a non-empty string');
  if (raw.kind !== 'kraken' && raw.kind !== 'coinbase') throw bad('"kind" must be "kraken" or "coinbase"');
  if (!Number.isSafeInteger(raw.depth) || (raw.depth as number) < 0) throw bad('"depth" must be an integer >= 0');
  if (!Array.isArray(raw.symbols) || raw.symbols.length === 0 || !raw.symbols.every((s) => typeof s === 'string')) throw bad('"symbols" must be a non-empty list of strings');
  if (typeof raw.meta !== 'object' || raw.meta === null) throw bad('"meta" must be an object');
  if (typeof raw.started_ns !== 'number') throw bad('"started_ns" must be a number');
  return { venue: raw.venue, kind: raw.kind, depth: raw.depth as number, symbols: raw.symbols as string[], meta: raw.meta as Record<string, SymbolMeta>, startedNs: raw.started_ns };
}

/**
 * A node recording as a replay source: one `.rec` file, or every `.rec` file of a
 * directory (one per venue), merged by receive time (ties: files in name order).
 */
export function recordingSource(path: string): MarketSource {
  const files = statSync(path).isDirectory()
    ? readdirSync(path)
        .filter((f) => f.endsWith('.rec'))
        .sort()
        .map((f) => join(path, f))
    : [path];
  if (files.length === 0) throw new ReplaySourceError(`${path}: no recordings (<venue>.rec files) in this directory`);
  const recordings = files.map((file) => {
    if (!existsSync(file)) throw new ReplaySourceError(`${file}: no such recording`);
    return readRecording(file);
  });
  const names = new Set<string>();
  for (const r of recordings) {
    if (names.has(r.header.venue)) throw new ReplaySourceError(`${path}: venue "${r.header.venue}" is recorded twice`);
    names.add(r.header.venue);
  }
  const venues: RecordedVenue[] = recordings.map((r) => ({
    name: r.header.venue,
    kind: r.header.kind,
    depth: r.header.depth,
    symbols: r.header.symbols,
    meta: new Map(Object.entries(r.header.meta)),
  }));
  return {
    description: `recording ${path}`,
    venues,
    frames: () => mergeByTime(recordings),
  };
}

function* mergeByTime(recordings: RecordingFile[]): Generator<RecordedFrame> {
  const iterators = recordings.map((r) => r.frames());
  const heads = iterators.map((it) => it.next());
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h.done === true) continue;
      if (best < 0 || h.value.recvNs < (heads[best].value as { recvNs: number }).recvNs) best = i;
    }
    if (best < 0) return;
    const { recvNs, frame } = heads[best].value as { recvNs: number; frame: Buffer };
    yield { venue: best, recvNs, frame };
    heads[best] = iterators[best].next();
  }
}
