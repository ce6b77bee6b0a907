import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';

// A process the tick-to-trade harness started (the node, the ccxt.pro script): its stderr
// kept for the error message, its exit awaited, its memory read from /proc.

/** stderr kept for the error message when the child fails. */
const MAX_STDERR_CHARS = 20_000;

/** Resident set size of a process (VmRSS in /proc/PID/status), in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error(`no VmRSS line in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** A child process the harness started: its stderr kept (bounded) and its exit awaited. */
export class BenchChild {
  stderr = '';
  private readonly exit: Promise<number | null>;

  constructor(readonly child: ChildProcess, readonly name: string) {
    this.exit = once(child, 'exit').then(([code]) => code as number | null);
    child.stderr?.on('data', (chunk: Buffer) => {
      if (this.stderr.length < MAX_STDERR_CHARS) this.stderr += chunk.toString('utf8');
    });
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error(`${this.name} did not start: ${this.stderr}`);
    return pid;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Throws naming the child and its stderr when it has exited. */
  checkAlive(): void {
    if (this.exited) throw new Error(`${this.name} exited (code ${this.child.exitCode}, signal ${this.child.signalCode}): ${this.stderr.slice(-4000)}`);
  }

  /** SIGTERM, then waits for the exit (SIGKILL after `graceMs`); resolves with the exit code. */
  async stop(graceMs = 20_000): Promise<number | null> {
    if (!this.exited) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exit;
    } finally {
      clearTimeout(timer);
    }
  }
}
