// The panes, placed where the layout says, each given its slice of the view model.

import { Box } from 'ink';
import type { ViewModel } from './viewModel.ts';
import type { Layout, PaneSlot } from './layout.ts';
import type { UiState } from './uiState.ts';
import { BlotterPane } from './BlotterPane.tsx';
import { BooksPane } from './BooksPane.tsx';
import { InstancesPane } from './InstancesPane.tsx';
import { LogPane } from './LogPane.tsx';
import { MeshPane } from './MeshPane.tsx';
import { VenuesPane } from './VenuesPane.tsx';

export interface PaneAreaProps {
  vm: ViewModel;
  layout: Layout;
  ui: UiState;
}

function paneFor(vm: ViewModel, ui: UiState, slot: PaneSlot, width: number) {
  const common = { width, rows: slot.rows, focused: ui.focus === slot.pane, scroll: ui.scroll[slot.pane] };
  switch (slot.pane) {
    case 'instances':
      return <InstancesPane key={slot.pane} instances={vm.instances} {...common} />;
    case 'books':
      return <BooksPane key={slot.pane} books={vm.books} {...common} />;
    case 'blotter':
      return <BlotterPane key={slot.pane} blotter={vm.blotter} {...common} />;
    case 'venues':
      return <VenuesPane key={slot.pane} venues={vm.venues} {...common} />;
    case 'mesh':
      return <MeshPane key={slot.pane} links={vm.mesh.links} recent={vm.mesh.recent} {...common} />;
    case 'log':
      return <LogPane key={slot.pane} logs={vm.logs} {...common} />;
  }
}

export function PaneArea({ vm, layout, ui }: PaneAreaProps) {
  return (
    <Box flexDirection="row" width={layout.width} height={layout.paneAreaRows - (layout.venueStrip ? 1 : 0)}>
      {layout.columns.map((column, i) => (
        <Box key={i} flexDirection="column" width={column.width}>
          {column.slots.map((slot) => paneFor(vm, ui, slot, column.width))}
        </Box>
      ))}
    </Box>
  );
}
