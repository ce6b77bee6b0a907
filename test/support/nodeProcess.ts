import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { CLI, ROOT } from './cli.ts';

/** A real `sequence run --daemon` child whose JSON-line events are collected as they arrive. */
export class NodeProcess {
  readonly events: Record<string, any>[] = [];
  stderr = '';
  readonly child: ChildProcess;
  private readonly exit: Promise<number | null>;
  private buffered = '';

  constructor(configPath: string, extraArgs: string[] = [], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [CLI, 'run', '--daemon', '--config', configPath, ...extraArgs], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    this.exit = once(this.child, 'exit').then(([code]) => code as number | null);
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.buffered += chunk.toString('utf8');
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        if (line.trim() !== '') this.events.push(JSON.parse(line));
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
  }

  of(type: string): Record<string, any>[] {
    return this.events.filter((e) => e.type === type);
  }

  /** Resolves with the first event (in arrival order) that satisfies `match`; fails after `timeoutMs` with what was seen. */
  async waitFor(match: (e: Record<string, any>) => boolean, timeoutMs = 30_000): Promise<Record<string, any>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`event not seen within ${timeoutMs} ms (exit ${this.child.exitCode}); last events: ${JSON.stringify(this.events.slice(-5))}; stderr: ${this.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  exited(): Promise<number | null> {
    return this.exit;
  }
}
