import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

// The soak's children: the two venue emulators and the node processes, each a real
// `sequence` CLI process, watched through what it prints.

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'bin', 'sequence.js');

/** Past this, a node's events are dropped and counted (a bound on the runner's memory over a long soak). */
export const MAX_EVENTS_PER_NODE = 1_000_000;
/** Output kept for an error message. */
const MAX_TEXT_CHARS = 64 * 1024;

function keepTail(text: string): string {
  return text.length > MAX_TEXT_CHARS ? text.slice(-MAX_TEXT_CHARS) : text;
}

async function until(condition: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what()} (waited ${timeoutMs} ms)`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Sends `signal`, then SIGKILL if the process has not exited within graceMs; resolves with how it ended. */
async function stopChild(child: ChildProcess, exited: Promise<unknown>, signal: NodeJS.Signals, graceMs: number): Promise<{ forced: boolean }> {
  if (child.exitCode !== null || child.signalCode !== null) return { forced: false };
  child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
  clearTimeout(timer);
  if (!timedOut) return { forced: false };
  child.kill('SIGKILL');
  await exited;
  return { forced: true };
}

/** `sequence emulate <venue> --port 0`: its URLs and the key files it wrote, read from what it prints. */
export class EmulatorChild {
  readonly child: ChildProcess;
  private stdout = '';
  private stderr = '';
  private readonly exited: Promise<unknown>;

  constructor(
    readonly venue: 'kraken' | 'coinbase',
    seed: number,
    keysDir: string,
  ) {
    this.child = spawn(process.execPath, [CLI, 'emulate', venue, '--port', '0', '--seed', String(seed), '--keys-dir', keysDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = once(this.child, 'exit');
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout = keepTail(this.stdout + chunk.toString('utf8'))));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr = keepTail(this.stderr + chunk.toString('utf8'))));
  }

  /** Waits until it listens; resolves with its `key = "value"` lines (rest_url, ws_url, ...). */
  async ready(timeoutMs: number): Promise<Map<string, string>> {
    await until(
      () => /^ws_(auth|user)_url = /m.test(this.stdout) || this.child.exitCode !== null,
      timeoutMs,
      () => `the ${this.venue} emulator did not start: ${this.stdout}${this.stderr}`,
    );
    if (this.child.exitCode !== null) throw new Error(`the ${this.venue} emulator exited with ${this.child.exitCode}: ${this.stdout}${this.stderr}`);
    return new Map([...this.stdout.matchAll(/^(\w+) = "(.*)"$/gm)].map((m) => [m[1] as string, m[2] as string]));
  }

  /** The `export NAME_FILE='path'` lines it printed, as an environment for the node. */
  keyEnv(): Record<string, string> {
    return Object.fromEntries([...this.stdout.matchAll(/^export (\w+)='(.*)'$/gm)].map((m) => [m[1] as string, m[2] as string]));
  }

  async stop(graceMs: number): Promise<void> {
    await stopChild(this.child, this.exited, 'SIGTERM', graceMs);
  }
}

export type NodeEventRecord = Record<string, unknown> & { type?: string };

/** `sequence run --daemon`: one node process, its JSON-line events collected as they arrive. */
export class NodeChild {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly events: NodeEventRecord[] = [];
  /** Events past MAX_EVENTS_PER_NODE, not kept. */
  droppedEvents = 0;
  /** Lines on stdout that were not JSON (kept out of the evidence, counted). */
  nonJsonLines = 0;
  role: 'starting' | 'leader' | 'follower' = 'starting';
  /** The engine's phase in the newest status ('trading' once a Leader has reconciled). */
  phase = 'starting';
  term = 0;
  halted = false;
  haltBy = '';
  haltedAtMs = 0;
  journalFailed = false;
  exitCode: number | null = null;
  exitSignal: string | null = null;
  stderr = '';
  private buffered = '';
  private readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    configPath: string,
    env: Record<string, string>,
  ) {
    this.child = spawn(process.execPath, [CLI, 'run', '--daemon', '--config', configPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    if (this.child.pid === undefined) throw new Error(`node ${name} could not be started`);
    this.pid = this.child.pid;
    this.exited = once(this.child, 'exit').then(([code, signal]) => {
      this.exitCode = code as number | null;
      this.exitSignal = signal as string | null;
    });
    this.child.stdout!.on('data', (chunk: Buffer) => this.onStdout(chunk.toString('utf8')));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr = keepTail(this.stderr + chunk.toString('utf8'))));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  exit(): Promise<void> {
    return this.exited;
  }

  of(type: string): NodeEventRecord[] {
    return this.events.filter((e) => e.type === type);
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM (a graceful stop: a Leader cancels its orders), SIGKILL after graceMs. */
  stop(graceMs: number): Promise<{ forced: boolean }> {
    return stopChild(this.child, this.exited, 'SIGTERM', graceMs);
  }

  private onStdout(text: string): void {
    this.buffered += text;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      if (line.trim() === '') continue;
      let event: NodeEventRecord;
      try {
        event = JSON.parse(line) as NodeEventRecord;
      } catch {
        this.nonJsonLines++;
        continue;
      }
      this.observe(event);
    }
  }

  private observe(e: NodeEventRecord): void {
    switch (e.type) {
      case 'status':
        this.phase = String(e.phase ?? '');
        this.halted = e.halted === true;
        break;
      case 'node_role':
        this.role = e.role === 'leader' ? 'leader' : 'follower';
        this.phase = 'starting';
        if (typeof e.term === 'number') this.term = e.term;
        // A Leader inherits the journal's halt: the runner's operator sees it from here.
        this.halted = e.halted === true;
        if (this.halted) this.haltedAtMs = Date.now();
        break;
      case 'halt':
        this.halted = true;
        this.haltBy = String(e.by ?? '');
        this.haltedAtMs = Date.now();
        break;
      case 'resume':
        this.halted = false;
        break;
      case 'journal_failure':
        this.journalFailed = true;
        break;
    }
    if (this.events.length >= MAX_EVENTS_PER_NODE) {
      this.droppedEvents++;
      return;
    }
    this.events.push(e);
  }
}
