import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { SnapshotSource } from '../src/tui/mountUi.tsx';
import type { ViewModel } from '../src/tui/viewModel.ts';
import { sampleViewModel } from './support/sampleViewModel.ts';

// Ink draws only its last frame when CI is set, as it is on CI machines; the node's UI
// paths set CI=false before Ink loads (see uiThreadEntry.mjs), and so does this test.
process.env.CI = 'false';
const { mountUi } = await import('../src/tui/mountUi.tsx');

class FakeTerminalOut extends EventEmitter {
  columns = 100;
  rows = 30;
  isTTY = false;
  written = '';
  write = (chunk: string) => {
    this.written += chunk;
    return true;
  };
}

class FakeTerminalIn extends EventEmitter {
  isTTY = true;
  private pending: string | null = null;
  type(data: string) {
    this.pending = data;
    this.emit('readable');
  }
  read = () => {
    const data = this.pending;
    this.pending = null;
    return data;
  };
  setEncoding() {}
  setRawMode() {}
  ref() {}
  unref() {}
  resume() {}
  pause() {}
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('mountUi', () => {
  it('renders snapshots from the source into the given stdout, takes keys from stdin, and unmounts', async () => {
    let publish: ((vm: ViewModel) => void) | undefined;
    const unsubscribe = vi.fn();
    const source: SnapshotSource = {
      subscribe(onSnapshot) {
        publish = onSnapshot;
        return unsubscribe;
      },
    };
    const intents = { halt: vi.fn(), resume: vi.fn(), quit: vi.fn() };
    const stdout = new FakeTerminalOut();
    const stdin = new FakeTerminalIn();
    const ui = mountUi(source, intents, {
      mode: 'local',
      stdout: stdout as unknown as NodeJS.WriteStream,
      stdin: stdin as unknown as NodeJS.ReadStream,
    });
    await settle();
    expect(stdout.written).toContain('connecting…');

    publish?.(sampleViewModel());
    await settle();
    expect(stdout.written).toContain('node-7');

    stdin.type('q');
    await settle();
    stdin.type('y');
    await settle();
    expect(intents.quit).toHaveBeenCalledTimes(1);

    const exited = ui.waitUntilExit();
    ui.unmount();
    await exited;
    expect(unsubscribe).toHaveBeenCalledTimes(1);
  });
});
