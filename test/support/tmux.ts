import { execFileSync, spawnSync } from 'node:child_process';

/** A real terminal: a detached tmux session running a command, read with capture-pane and driven with send-keys. */
export class TmuxSession {
  constructor(
    readonly name: string,
    command: string,
    columns = 120,
    rows = 36,
  ) {
    spawnSync('tmux', ['kill-session', '-t', name], { stdio: 'ignore' });
    execFileSync('tmux', ['new-session', '-d', '-s', name, '-x', String(columns), '-y', String(rows), command]);
  }

  screen(): string {
    const r = spawnSync('tmux', ['capture-pane', '-p', '-t', this.name], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout : '';
  }

  keys(...keys: string[]): void {
    execFileSync('tmux', ['send-keys', '-t', this.name, ...keys]);
  }

  /** Waits until the screen matches; throws with the last screen when it does not within the timeout. */
  async waitForScreen(match: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      last = this.screen();
      if (match.test(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`screen did not show ${match} within ${timeoutMs} ms; it shows:\n${last}`);
  }

  kill(): void {
    spawnSync('tmux', ['kill-session', '-t', this.name], { stdio: 'ignore' });
  }
}
