// The one entry point the node (`sequence run`) and the attached viewer (`sequence tui`)
// call: same UI, different snapshot source and intents.

import { render } from 'ink';
import type { UiIntents } from './viewModel.ts';
import type { SnapshotSource } from './snapshotSource.ts';
import { App } from './App.tsx';

export type { SnapshotSource } from './snapshotSource.ts';

export interface MountUiOptions {
  mode: 'local' | 'attached';
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
}

export interface MountedUi {
  unmount(): void;
  waitUntilExit(): Promise<void>;
}

export function mountUi(source: SnapshotSource, intents: UiIntents, options: MountUiOptions): MountedUi {
  const instance = render(<App source={source} intents={intents} mode={options.mode} />, {
    ...(options.stdout !== undefined ? { stdout: options.stdout } : {}),
    ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
    // Ctrl-C must ask before stopping a trading node (App handles it like q), and the node's
    // own logging must not be swallowed into Ink's output. Incremental rendering stays off:
    // it leaves stale lines behind when a pane shrinks.
    exitOnCtrlC: false,
    patchConsole: false,
    incrementalRendering: false,
  });
  return {
    unmount: () => instance.unmount(),
    waitUntilExit: async () => {
      await instance.waitUntilExit();
    },
  };
}
