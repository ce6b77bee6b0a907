// How a snapshot crosses from the node to the UI thread: whole, except for its three rings
// (blotter, logs, recent mesh messages), which travel as their new rows only (ringDelta.ts).

import { RingReceiver, RingSender, type RingPart } from './ringDelta.ts';
import type { BlotterRow, LogLineView, MeshMessageView, ViewModel } from './viewModel.ts';

export interface PassedSnapshot {
  /** The snapshot with its rings emptied. */
  vm: ViewModel;
  blotter: RingPart<BlotterRow>;
  logs: RingPart<LogLineView>;
  meshRecent: RingPart<MeshMessageView>;
}

export class SnapshotSender {
  private readonly blotter = new RingSender<BlotterRow>();
  private readonly logs = new RingSender<LogLineView>();
  private readonly meshRecent = new RingSender<MeshMessageView>();

  pass(vm: ViewModel): PassedSnapshot {
    return {
      vm: { ...vm, blotter: [], logs: [], mesh: { links: vm.mesh.links, recent: [] } },
      blotter: this.blotter.part(vm.blotter),
      logs: this.logs.part(vm.logs),
      meshRecent: this.meshRecent.part(vm.mesh.recent),
    };
  }
}

export class SnapshotReceiver {
  private readonly blotter = new RingReceiver<BlotterRow>();
  private readonly logs = new RingReceiver<LogLineView>();
  private readonly meshRecent = new RingReceiver<MeshMessageView>();

  receive(passed: PassedSnapshot): ViewModel {
    return {
      ...passed.vm,
      blotter: this.blotter.apply(passed.blotter),
      logs: this.logs.apply(passed.logs),
      mesh: { links: passed.vm.mesh.links, recent: this.meshRecent.apply(passed.meshRecent) },
    };
  }
}
