// Where the UI gets its view models from: the node in process, or the control socket when
// attached. The UI only ever subscribes; it never asks the node for anything else.

import type { ViewModel } from './viewModel.ts';

export interface SnapshotSource {
  /** Calls `onSnapshot` with every published view model; returns the unsubscribe. */
  subscribe(onSnapshot: (vm: ViewModel) => void): () => void;
}
