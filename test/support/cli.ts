import { readFileSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CLI = join(ROOT, 'bin', 'sequence.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI to completion. */
export function sequence(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: options.cwd ?? ROOT, encoding: 'utf8', timeout: options.timeoutMs ?? 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the real CLI as a child process (for signal tests). */
export function startSequence(args: string[], cwd = ROOT): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function jsonLines(stdout: string): Record<string, any>[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l));
}

/**
 * The repository's demo config, copied into `dir` with its bundles pointing back at the
 * repository and its data directory inside `dir`, so each test runs its own node.
 */
export function demoConfigIn(dir: string, edit: (toml: string) => string = (t) => t): string {
  const toml = readFileSync(join(ROOT, 'Sequence.toml'), 'utf8')
    .replace(/^data_dir = .*$/m, `data_dir = "${join(dir, 'data')}"`)
    .replace(/bundle = "algos\//g, `bundle = "${join(ROOT, 'algos')}/`);
  const file = join(dir, 'Sequence.toml');
  writeFileSync(file, edit(toml));
  return file;
}
