import { writeFileSync } from 'node:fs';

// Where the time goes between a book frame arriving and the order it causes being handed
// to the venue's gateway: each frame opens a sample, and each stage of the hot path stamps
// the clock into it once (the first time it is reached). Everything from the frame to the
// gateway runs in one macrotask (the frame's handler plus the journal flush, a microtask),
// so the sample closes in a microtask queued when the handler returns: later events (acks,
// fills) never stamp it.
//
// Off unless SEQUENCE_LATENCY_TRACE names a file: every call site then costs one boolean
// test (`if (latencyTrace.on)`). When on, the samples live in a preallocated ring and are
// written to that file at exit and on SIGUSR2. SEQUENCE_LATENCY_INJECT_US adds a busy wait
// of that many microseconds at the gateway handoff, so a harness can show that its
// measurement sees a delay of known size.

/** Stamps in hot-path order; a complete sample has all of them. */
export const Stage = {
  /** The book frame's WebSocket message event. */
  Received: 0,
  /** The frame scanned (tokens and numbers located). */
  Parsed: 1,
  /** Levels applied and the checksum verified, before the book goes to the engine. */
  Applied: 2,
  /** The book and state written into the instance's memory. */
  Encoded: 3,
  /** algo_on_book returned and its actions decoded. */
  Called: 4,
  /** The first order passed the risk and halt gate. */
  Risked: 5,
  /** Every action of the callback handled: orders recorded in the core state and emitted as events. */
  Committed: 6,
  /** The turn's batch appended to the journal. */
  Journaled: 7,
  /** The first order handed to the gateway (after any injected delay). */
  Handed: 8,
} as const;

export type StageIndex = (typeof Stage)[keyof typeof Stage];

export const STAGE_NAMES = ['received', 'parsed', 'applied', 'encoded', 'called', 'risked', 'committed', 'journaled', 'handed'] as const;
const STAGES = STAGE_NAMES.length;

/** What the trace file holds: per complete sample, each stage's time after `received`, in ns. */
export interface LatencyTraceFile {
  stages: readonly string[];
  /** Complete samples dropped because the ring wrapped (the oldest go first). */
  overwritten: number;
  samples: number[][];
}

const DEFAULT_CAPACITY = 32_768;

export class LatencyTrace {
  readonly on: boolean;
  private readonly stamps: Float64Array;
  private readonly capacity: number;
  /** Ring slot of the open sample; -1 when none is open. */
  private open = -1;
  /** Complete samples ever recorded; slot of the next is completed % capacity. */
  private completed = 0;
  private readonly close = (): void => {
    this.open = -1;
  };

  constructor(
    private readonly path: string,
    private readonly injectUs: number,
    capacity = DEFAULT_CAPACITY,
  ) {
    if (!(Number.isFinite(injectUs) && injectUs >= 0)) throw new RangeError(`SEQUENCE_LATENCY_INJECT_US must be a number of microseconds >= 0, got ${injectUs}`);
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError(`latency trace capacity must be a positive integer, got ${capacity}`);
    this.on = path !== '' || injectUs > 0;
    this.capacity = capacity;
    this.stamps = new Float64Array(this.on ? capacity * STAGES : 0);
  }

  /** A frame arrived at `nowMs` (performance.now()): opens a sample, replacing an open one that did not complete. */
  begin(nowMs: number): void {
    const slot = this.completed % this.capacity;
    const base = slot * STAGES;
    this.stamps.fill(NaN, base, base + STAGES);
    this.stamps[base] = nowMs;
    this.open = slot;
  }

  /** The frame's handler returned: the sample closes once this macrotask's microtasks (the journal flush) have run. */
  end(): void {
    if (this.open >= 0) queueMicrotask(this.close);
  }

  /** Stamps a stage of the open sample, the first time it is reached. */
  mark(stage: StageIndex): void {
    if (this.open < 0) return;
    const i = this.open * STAGES + stage;
    if (Number.isNaN(this.stamps[i])) this.stamps[i] = performance.now();
  }

  /** The first order of the open sample reaches the gateway; the sample is complete. */
  handed(): void {
    if (this.injectUs > 0) {
      const until = performance.now() + this.injectUs / 1000;
      while (performance.now() < until);
    }
    if (this.open < 0) return;
    this.mark(Stage.Handed);
    this.open = -1;
    this.completed++;
  }

  /** The complete samples, oldest first, as offsets from `received` in whole ns (NaN stages as null). */
  snapshot(): LatencyTraceFile {
    const count = Math.min(this.completed, this.capacity);
    const first = this.completed - count;
    const samples: number[][] = [];
    for (let k = first; k < this.completed; k++) {
      const base = (k % this.capacity) * STAGES;
      const t0 = this.stamps[base];
      const row: number[] = [];
      for (let s = 0; s < STAGES; s++) row.push(Math.round((this.stamps[base + s] - t0) * 1e6));
      samples.push(row);
    }
    return { stages: STAGE_NAMES, overwritten: first, samples };
  }

  /** Writes the samples to the trace file (when one is named). */
  write(): void {
    if (this.path === '') return;
    writeFileSync(this.path, JSON.stringify(this.snapshot()) + '\n');
  }
}

function fromEnv(): LatencyTrace {
  const path = process.env.SEQUENCE_LATENCY_TRACE ?? '';
  const injectText = process.env.SEQUENCE_LATENCY_INJECT_US ?? '';
  const trace = new LatencyTrace(path, injectText === '' ? 0 : Number(injectText));
  if (path !== '') {
    process.on('exit', () => trace.write());
    process.on('SIGUSR2', () => trace.write());
  }
  return trace;
}

/** The process's trace, configured from the environment at load. */
export const latencyTrace: LatencyTrace = fromEnv();
