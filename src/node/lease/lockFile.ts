import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';

export interface LockFileOptions {
  /**
   * A lock this old is broken even if its holder is alive. Its holder has been paused at
   * least this long inside its read-modify-write, so whatever it writes when it wakes must
   * already be worthless to it: LeaseFile sets this to the lease ttl, past the holder's
   * monotonic validity.
   */
  staleAfterMs: number;
  attempts: number;
  retryDelayMs: number;
  /** Wall ms, comparable with the time other processes write into the lock. */
  now: () => number;
}

export type Locked<T> = { locked: true; value: T } | { locked: false; holder: string };

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * An exclusive lock held across processes for one short read-modify-write: the file is
 * created with O_EXCL and names its holder's pid and the time it was taken, so a crashed or
 * long-paused holder can be recognised and its lock broken.
 */
export class LockFile {
  constructor(
    readonly path: string,
    private readonly options: LockFileOptions,
  ) {}

  /** Runs `body` holding the lock, or reports who held it through all the bounded attempts. */
  withLock<T>(body: () => T): Locked<T> {
    const token = randomBytes(8).toString('hex');
    let holder = '';
    for (let attempt = 0; attempt < this.options.attempts; attempt++) {
      const mine = JSON.stringify({ pid: process.pid, at_ms: this.options.now(), token });
      if (this.#create(mine)) {
        try {
          return { locked: true, value: body() };
        } finally {
          this.#removeIfStill(mine);
        }
      }
      const seen = this.#inspect();
      if (seen === null) continue;
      holder = seen.holder;
      if (seen.stale) {
        this.#breakAside(seen.text);
        continue;
      }
      Atomics.wait(sleeper, 0, 0, this.options.retryDelayMs);
    }
    return { locked: false, holder };
  }

  #create(content: string): boolean {
    let fd: number;
    try {
      fd = openSync(this.path, 'wx');
    } catch (error) {
      if (errorCode(error) === 'EEXIST') return false;
      throw error;
    }
    try {
      writeSync(fd, content);
    } catch (error) {
      closeSync(fd);
      unlinkSync(this.path);
      throw error;
    }
    closeSync(fd);
    return true;
  }

  /** Null when the lock vanished between our attempt and this look, so retrying is free. */
  #inspect(): { text: string; holder: string; stale: boolean } | null {
    let text: string;
    let mtimeMs: number;
    try {
      text = readFileSync(this.path, 'utf8');
      mtimeMs = statSync(this.path).mtimeMs;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return null;
      throw error;
    }
    const recorded = parseHolder(text);
    // A holder that died between creating the file and writing into it leaves it empty;
    // then only the file's own age can tell.
    const ageMs = this.options.now() - (recorded?.atMs ?? mtimeMs);
    const dead = recorded !== null && !isAlive(recorded.pid);
    return { text, holder: recorded === null ? 'unknown' : `pid ${recorded.pid}`, stale: dead || ageMs >= this.options.staleAfterMs };
  }

  /**
   * Moving the lock aside before deleting it means two processes breaking the same stale
   * lock cannot delete a fresh lock that one of them has just taken: the one that moved
   * something it did not inspect puts it back (link fails if a newer lock is already there).
   */
  #breakAside(inspected: string): void {
    const aside = `${this.path}.broken-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      renameSync(this.path, aside);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
      throw error;
    }
    if (readFileSync(aside, 'utf8') !== inspected) {
      try {
        linkSync(aside, this.path);
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      }
    }
    unlinkSync(aside);
  }

  /** A holder whose lock was broken must not delete the next holder's lock. */
  #removeIfStill(mine: string): void {
    try {
      if (readFileSync(this.path, 'utf8') === mine) unlinkSync(this.path);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
  }
}

function parseHolder(text: string): { pid: number; atMs: number } | null {
  try {
    const value = JSON.parse(text) as { pid?: unknown; at_ms?: unknown };
    if (typeof value.pid === 'number' && Number.isSafeInteger(value.pid) && value.pid > 0 && typeof value.at_ms === 'number' && Number.isFinite(value.at_ms)) {
      return { pid: value.pid, atMs: value.at_ms };
    }
  } catch {
    // Half-written or foreign content: the caller falls back to the file's age.
  }
  return null;
}

/** EPERM means the pid exists under another user: alive. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) !== 'ESRCH';
  }
}

export function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}
