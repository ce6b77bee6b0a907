import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { CLI, ROOT } from './cli.ts';

/** A real `sequence emulate <venue>` child, with the venue entry and key variables it printed. */
export class EmulatorProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';

  constructor(venue: 'kraken' | 'coinbase', args: string[] = []) {
    this.child = spawn(process.execPath, [CLI, 'emulate', venue, '--port', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString('utf8')));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
  }

  /** Waits for the venue entry it prints once listening; resolves with its `key = "value"` lines as a map. */
  async ready(timeoutMs = 30_000): Promise<Map<string, string>> {
    const deadline = Date.now() + timeoutMs;
    while (!/^ws_(auth|user)_url = /m.test(this.stdout)) {
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`emulator not ready (exit ${this.child.exitCode}): ${this.stdout}${this.stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return new Map([...this.stdout.matchAll(/^(\w+) = "(.*)"$/gm)].map((m) => [m[1], m[2]]));
  }

  /** The `export NAME='value'` lines it printed, as an environment. */
  exportedEnv(): Record<string, string> {
    return Object.fromEntries([...this.stdout.matchAll(/^export (\w+)='(.*)'$/gm)].map((m) => [m[1], m[2]]));
  }

  /** Injects a fault through the emulator's control endpoint, as a harness in another process would. */
  async fault(restUrl: string, body: Record<string, unknown>): Promise<void> {
    const res = await fetch(`${restUrl}/_emulator/fault`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`fault ${JSON.stringify(body)} refused: ${res.status} ${await res.text()}`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    await once(this.child, 'exit');
  }
}
