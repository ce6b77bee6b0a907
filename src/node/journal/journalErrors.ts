// The journal's failures, each a class of its own so callers can tell a fenced old Leader
// (stop trading, step down) from a damaged record (stop, an operator must look) from a
// journal that cannot be opened at all.

/** An append or term change from a term older than the journal's: the caller is no longer Leader. */
export class FencedError extends Error {
  constructor(
    readonly journalTerm: number,
    readonly attemptedTerm: number,
    what: string,
  ) {
    super(`journal term is ${journalTerm}; ${what} is refused`);
    this.name = 'FencedError';
  }
}

/** Bytes that are not a record this codec wrote: truncated, an unknown kind, a value out of range. */
export class RecordDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordDecodeError';
  }
}

/** A message the codec refuses to write, because it could not be read back exactly. */
export class RecordEncodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordEncodeError';
  }
}

/** The journal could not be opened or used; names the path and carries the cause. */
export class JournalError extends Error {
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`journal ${path}: ${message}`, options);
    this.name = 'JournalError';
  }
}
