import { existsSync, mkdirSync } from 'node:fs';
import { FrameRecorder, recordingPath } from '../replay/recordingFile.ts';
import type { SymbolMeta } from '../venues/venue.ts';
import type { EventSink } from './nodeEvent.ts';

// `sequence run --record DIR`: each live venue's book frames, as received, into
// DIR/<venue>.rec for `sequence replay`. A venue's file is created at its first frame (its
// markets are loaded by then, and the header carries their metadata); at the size bound
// that venue's recording stops and the node says so once, trading on.

/** What a venue's recording header needs to know about it. */
export interface RecordedVenueInfo {
  name: string;
  kind: 'kraken' | 'coinbase';
  depth: number;
  symbols: readonly string[];
  symbolMeta(symbol: string): SymbolMeta;
}

/** Receives one venue frame as it came off the socket, with its receive time; a Buffer frame is valid only during the call (the socket reuses it). */
export type FrameTap = (frame: Buffer | string, recvNs: number) => void;

export class RecordingError extends Error {}

export class MarketRecording {
  private readonly recorders: FrameRecorder[] = [];

  /** Refuses, before anything connects, a directory that already holds one of these venues' recordings. */
  constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    venueNames: readonly string[],
    private readonly sink: EventSink,
  ) {
    if (!(Number.isSafeInteger(maxBytes) && maxBytes > 0)) throw new RecordingError(`--record-max-mb must be a positive size, got ${maxBytes} bytes`);
    mkdirSync(dir, { recursive: true });
    for (const name of venueNames) {
      const path = recordingPath(dir, name);
      if (existsSync(path)) throw new RecordingError(`${path} exists: a recording is never overwritten; move it or record to another directory`);
    }
  }

  /** The tap for one venue: it opens the venue's file at the first frame. */
  tapFor(venue: RecordedVenueInfo): FrameTap {
    let recorder: FrameRecorder | null = null;
    return (frame, recvNs) => {
      if (recorder === null) {
        const meta = Object.fromEntries(venue.symbols.map((s) => [s, venue.symbolMeta(s)]));
        recorder = new FrameRecorder(recordingPath(this.dir, venue.name), { venue: venue.name, kind: venue.kind, depth: venue.depth, symbols: [...venue.symbols], meta, startedNs: recvNs }, this.maxBytes, (r) =>
          this.sink.emit({ type: 'recording_stopped', venue: venue.name, path: r.path, bytes: r.bytes, frames: r.frames, reason: `reached the ${this.maxBytes}-byte limit` }),
        );
        this.recorders.push(recorder);
        this.sink.emit({ type: 'recording_started', venue: venue.name, path: recorder.path });
      }
      recorder.record(frame, recvNs);
    };
  }

  /** Writes buffered frames out; the node calls it on its flush timer. */
  flush(): void {
    for (const r of this.recorders) if (!r.stopped) r.flush();
  }

  close(): void {
    for (const r of this.recorders) r.close();
  }
}
