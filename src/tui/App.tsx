// The whole screen. App owns exactly two things: the latest snapshot from the source and
// the UI's local state. Keys go through the pure `updateUi`; the commands it returns are the
// only place the UI calls the node, through UiIntents.

import { useEffect, useRef, useState } from 'react';
import { Box, Text, useInput } from 'ink';
import { VIEW_MODEL_VERSION, type UiIntents, type ViewModel } from './viewModel.ts';
import type { SnapshotSource } from './snapshotSource.ts';
import { computeLayout, contentRowsOf, deepestBook, scrollMaxOf, visiblePanes, type Layout } from './layout.ts';
import { initialUiState, updateUi, type KeyPress, type UiCommand, type UiContext, type UiState } from './uiState.ts';
import { useTerminalSize } from './useTerminalSize.ts';
import { BootstrapProgress } from './BootstrapProgress.tsx';
import { ConfirmPrompt } from './ConfirmPrompt.tsx';
import { HaltBanner } from './HaltBanner.tsx';
import { HelpOverlay } from './HelpOverlay.tsx';
import { KeyFooter } from './KeyFooter.tsx';
import { NodeStatusLine } from './NodeStatusLine.tsx';
import { PaneArea } from './PaneArea.tsx';
import { VenueStrip } from './VenueStrip.tsx';

export interface AppProps {
  source: SnapshotSource;
  intents: UiIntents;
  mode: 'local' | 'attached';
  /** Terminal size to draw for; defaults to the real terminal, following its resizes. */
  columns?: number;
  rows?: number;
}

function keyContext(vm: ViewModel | null, layout: Layout | null, ui: UiState): UiContext {
  if (vm === null || layout === null) return { halted: false, panes: [], scrollMax: 0, pageRows: 1 };
  const contentRows = contentRowsOf(layout, ui.focus);
  return {
    halted: vm.halt.halted,
    panes: visiblePanes(layout),
    scrollMax: scrollMaxOf(ui.focus, contentRows, vm),
    pageRows: Math.max(1, contentRows - 1),
  };
}

function runCommand(command: UiCommand, intents: UiIntents): void {
  switch (command.kind) {
    case 'halt':
      intents.halt(command.cancelAll);
      return;
    case 'resume':
      intents.resume();
      return;
    case 'quit':
      intents.quit();
      return;
  }
}

export function App({ source, intents, mode, columns, rows }: AppProps) {
  const [vm, setVm] = useState<ViewModel | null>(null);
  useEffect(() => source.subscribe(setVm), [source]);

  const terminal = useTerminalSize();
  const width = columns ?? terminal.columns;
  const height = rows ?? terminal.rows;

  const [ui, setUi] = useState(initialUiState);
  const [failure, setFailure] = useState<string | null>(null);
  const compatible = vm !== null && vm.version === VIEW_MODEL_VERSION;
  const layout =
    vm !== null && compatible
      ? computeLayout({
          columns: width,
          rows: height,
          halted: vm.halt.halted,
          bootstrapping: vm.node.bootstrap !== null,
          promptOpen: ui.prompt !== null,
          instances: vm.instances.length,
          books: vm.books.length,
          bookDepth: deepestBook(vm.books),
          venues: vm.venues.length,
          meshLinks: vm.mesh.links.length,
          meshRecent: vm.mesh.recent.length,
        })
      : null;

  // Two keys can arrive before React re-renders (k then y in one read), so the handler works
  // on the freshest state through a ref rather than on the state captured by its closure.
  const latest = useRef({ ui, vm, layout, intents });
  latest.current = { ui, vm: compatible ? vm : null, layout, intents };

  useInput((input: string, key: KeyPress) => {
    const { ui: current, vm: shown, layout: placed, intents: act } = latest.current;
    const next = updateUi(current, input, key, keyContext(shown, placed, current));
    latest.current = { ...latest.current, ui: next.state };
    setUi(next.state);
    setFailure(null);
    if (next.command === null) return;
    // A throw here would escape into stdin's event handler and take the process (and with
    // it the kill switch) down; the operator sees the failure instead and can try again.
    try {
      runCommand(next.command, act);
    } catch (error) {
      setFailure(`${next.command.kind} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  });

  const bottom =
    ui.prompt !== null ? (
      <ConfirmPrompt prompt={ui.prompt} mode={mode} width={width} />
    ) : failure !== null ? (
      <Text color="red" bold wrap="truncate">{failure}</Text>
    ) : (
      <KeyFooter mode={mode} halted={vm?.halt.halted ?? false} quitRequested={ui.quitRequested} width={width} />
    );

  if (vm === null || layout === null) {
    const message =
      vm === null
        ? 'connecting…'
        : `this UI reads view model version ${VIEW_MODEL_VERSION}; the node sent version ${String(vm.version)}`;
    return (
      <Box flexDirection="column" width={width}>
        <Text color={vm === null ? 'gray' : 'red'} wrap="truncate">{message}</Text>
        {bottom}
      </Box>
    );
  }

  return (
    <Box flexDirection="column" width={width} height={Math.max(1, height - 1)} overflowY="hidden">
      {layout.bannerRows > 0 ? <HaltBanner halt={vm.halt} width={width} rows={layout.bannerRows} /> : null}
      <NodeStatusLine node={vm.node} mode={mode} width={width} />
      {vm.node.bootstrap !== null ? (
        <BootstrapProgress done={vm.node.bootstrap.done} total={vm.node.bootstrap.total} width={width} />
      ) : null}
      {ui.helpOpen ? (
        <HelpOverlay mode={mode} width={width} rows={layout.paneAreaRows} />
      ) : (
        <>
          {layout.venueStrip ? <VenueStrip venues={vm.venues} width={width} /> : null}
          <PaneArea vm={vm} layout={layout} ui={ui} />
        </>
      )}
      {bottom}
    </Box>
  );
}
