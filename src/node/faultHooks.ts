import { existsSync, readFileSync } from 'node:fs';

// Fault hooks for the soak, in the manner of crashPoint.ts: off unless a variable names a
// file, and then driven by that file from outside the process, so a harness can start and
// end a fault while the node runs.
//
// SEQUENCE_FAULT_JOURNAL_FULL_FILE=<path>: while <path> exists, every journal append fails
//   as a write to a full disk does (ENOSPC), and succeeds again once it is removed.
// SEQUENCE_FAULT_CLOCK_OFFSET_FILE=<path>: the milliseconds written in <path> (an integer,
//   may be negative) are added to the system wall clock the node reads (Date.now: the
//   lease's expiries), as a clock step would move it; re-read at most every 100 ms. The
//   node's other clock, wallClockNs (clock.ts), counts from the process's start on the
//   monotonic clock and does not move when the system clock is stepped, so it is left alone.
//
// Without the variables each hook is one comparison of a string with ''.

const JOURNAL_FULL_FILE = process.env.SEQUENCE_FAULT_JOURNAL_FULL_FILE ?? '';
const CLOCK_OFFSET_FILE = process.env.SEQUENCE_FAULT_CLOCK_OFFSET_FILE ?? '';
/** How stale the clock offset may be: the file is read at most this often. */
export const CLOCK_OFFSET_REREAD_MS = 100;

/** The error a write to a full disk raises, as Node shapes it. */
export class DiskFullError extends Error {
  readonly code = 'ENOSPC';
  readonly errno = -28;
  readonly syscall = 'write';

  constructor(journalPath: string, switchFile: string) {
    super(`ENOSPC: no space left on device, write (append to ${journalPath}; injected while ${switchFile} exists)`);
    this.name = 'DiskFullError';
  }
}

/** Throws DiskFullError while the journal-full switch file exists; nothing when the hook is off. */
export function journalFullFault(journalPath: string, switchFile = JOURNAL_FULL_FILE): void {
  if (switchFile === '') return;
  if (existsSync(switchFile)) throw new DiskFullError(journalPath, switchFile);
}

/** An offset in ms read from a file, re-read at most every CLOCK_OFFSET_REREAD_MS of `monotonicMs`. */
export class ClockOffsetFile {
  private offsetMs = 0;
  private readAtMs = -Infinity;
  private lastProblem = '';

  constructor(
    readonly path: string,
    private readonly monotonicMs: () => number = () => performance.now(),
    /** Told once per distinct problem with the file's content; the offset is then 0. */
    private readonly onProblem: (message: string) => void = (message) => process.stderr.write(`sequence: ${message}\n`),
  ) {}

  /** The current offset: 0 while the file is missing or does not hold a whole number of ms. */
  get ms(): number {
    const now = this.monotonicMs();
    if (now - this.readAtMs < CLOCK_OFFSET_REREAD_MS) return this.offsetMs;
    this.readAtMs = now;
    this.offsetMs = this.read();
    return this.offsetMs;
  }

  private read(): number {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return 0;
    }
    const trimmed = text.trim();
    if (/^[+-]?[0-9]{1,15}$/.test(trimmed)) {
      this.lastProblem = '';
      return Number(trimmed);
    }
    const problem = `clock offset file ${this.path} holds ${JSON.stringify(trimmed.slice(0, 40))}, not a whole number of milliseconds; using 0`;
    if (problem !== this.lastProblem) this.onProblem(problem);
    this.lastProblem = problem;
    return 0;
  }
}

const clockOffset = CLOCK_OFFSET_FILE === '' ? null : new ClockOffsetFile(CLOCK_OFFSET_FILE);

/** Date.now(), moved by the injected clock offset when the hook is on. */
export function systemNowMs(): number {
  return clockOffset === null ? Date.now() : Date.now() + clockOffset.ms;
}
