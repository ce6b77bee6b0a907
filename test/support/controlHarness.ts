import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControlHandler } from '../../src/control/controlServer.ts';
import type { DeployParams, HaltParams, ResumeParams, ShutdownParams } from '../../src/control/protocol.ts';
import type { ViewModel } from '../../src/tui/viewModel.ts';

/** A fresh data directory under /tmp: short, so socket paths stay well inside the limit. */
export function controlDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'seqctl-'));
}

export type Call =
  | { method: 'status' }
  | { method: 'halt'; params: HaltParams }
  | { method: 'resume'; params: ResumeParams }
  | { method: 'deploy'; params: DeployParams }
  | { method: 'shutdown'; params: ShutdownParams };

/** Records every call; a test sets `fail` to make the next calls throw, or `status` to shape answers. */
export class RecordingHandler implements ControlHandler {
  readonly calls: Call[] = [];
  statusResult: unknown = { role: 'leader', halted: false };
  fail: Error | undefined;

  status(): unknown {
    this.calls.push({ method: 'status' });
    if (this.fail) throw this.fail;
    return this.statusResult;
  }
  async halt(params: HaltParams): Promise<unknown> {
    this.calls.push({ method: 'halt', params });
    if (this.fail) throw this.fail;
    return { halted: true, cancelled: params.cancelAll ? 3 : 0 };
  }
  resume(params: ResumeParams): unknown {
    this.calls.push({ method: 'resume', params });
    if (this.fail) throw this.fail;
    return { halted: false };
  }
  async deploy(params: DeployParams): Promise<unknown> {
    this.calls.push({ method: 'deploy', params });
    if (this.fail) return Promise.reject(this.fail);
    return { deployed: ['maker'] };
  }
  shutdown(params: ShutdownParams): unknown {
    this.calls.push({ method: 'shutdown', params });
    if (this.fail) throw this.fail;
    return undefined;
  }
}

/** A snapshot whose journalSeq marks its order; `padBytes` of log text make it large. */
export function snapshot(seq: number, padBytes = 0): ViewModel {
  return {
    version: 1,
    node: { id: 'n1', role: 'leader', leaseHolder: 'n1', term: 1, journalSeq: seq, bootstrap: null, phase: 'trading', uptimeS: seq },
    halt: { halted: false, reason: '', by: '', sinceMs: 0 },
    venues: [],
    books: [],
    instances: [],
    blotter: [],
    mesh: { links: [], recent: [] },
    logs: padBytes > 0 ? [{ tsMs: 0, label: 'pad', level: 2, line: 'x'.repeat(padBytes) }] : [],
  };
}

/**
 * A client speaking raw lines, for what ControlClient would never send: garbage, other
 * versions, pipelined requests, and not reading at all.
 */
export class RawClient {
  readonly socket: Socket;
  private readonly received: unknown[] = [];
  private waiting: (() => void) | undefined;
  private buffered = '';
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffered += text;
      let newline;
      while ((newline = this.buffered.indexOf('\n')) !== -1) {
        this.received.push(JSON.parse(this.buffered.slice(0, newline)));
        this.buffered = this.buffered.slice(newline + 1);
      }
      this.wake();
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    socket.on('close', () => this.wake());
    socket.on('error', () => socket.destroy());
  }

  static open(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Opens a connection and completes the hello exchange. */
  static async greeted(path: string): Promise<RawClient> {
    const client = await RawClient.open(path);
    client.send({ v: 1, id: 0, method: 'hello', params: { v: 1 } });
    await client.next();
    return client;
  }

  send(message: unknown): void {
    this.socket.write(JSON.stringify(message) + '\n');
  }

  /** The next message from the server; rejects if the connection closes first. */
  async next(): Promise<Record<string, unknown>> {
    while (this.received.length === 0) {
      if (this.socket.destroyed) throw new Error('the server closed the connection');
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
    return this.received.shift() as Record<string, unknown>;
  }

  /** Every message until the server closes the connection. */
  async drainUntilClosed(): Promise<Record<string, unknown>[]> {
    await this.closed;
    return this.received.splice(0) as Record<string, unknown>[];
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }
}

/** Runs `node -e script` as another user and returns what it prints. */
export function runAs(uid: number, script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, ...args], { uid, gid: uid, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

/**
 * Leaves a socket file behind the way a crashed node does: a child binds it (0600, as a
 * node makes it) and is killed with SIGKILL, so nothing removes the file or listens on it.
 */
export function leaveStaleSocket(path: string): Promise<void> {
  const script = `const fs = require('node:fs'); require('node:net').createServer().listen(process.argv[1], () => { fs.chmodSync(process.argv[1], 0o600); console.log('listening'); })`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.on('error', reject);
    child.stdout.once('data', () => child.kill('SIGKILL'));
    child.on('exit', () => resolve());
  });
}

/** Yields to the event loop until `done()` holds; the suite's timeout bounds it. */
export async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setImmediate(resolve));
}
