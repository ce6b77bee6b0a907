// What every key does, over the panes; any key closes it.

import { Box, Text } from 'ink';

export interface HelpOverlayProps {
  mode: 'local' | 'attached';
  width: number;
  rows: number;
}

function helpLines(mode: 'local' | 'attached'): readonly [string, string][] {
  return [
    ['k', 'kill switch: y halts trading (new and replace orders rejected,'],
    ['', 'cancels still pass); a halts AND cancels every open order'],
    ['r', 'resume trading (only while halted; asks y/n)'],
    ['tab', 'focus the next pane (shift-tab: previous)'],
    ['↑ ↓', 'scroll the focused pane by a row'],
    ['PgUp PgDn', 'scroll the focused pane by a page'],
    ['?', 'this help'],
    mode === 'local'
      ? ['q, ctrl-c', 'shut the node down (asks y/n); instances cancel their orders first']
      : ['q, ctrl-c', 'detach this viewer (asks y/n); the node keeps running'],
    ['', ''],
    ['', 'any key closes this help'],
  ];
}

export function HelpOverlay({ mode, width, rows }: HelpOverlayProps) {
  // Cut to the rows available so the overlay never pushes the footer off a small screen.
  const lines = helpLines(mode).slice(0, Math.max(0, rows - 3));
  return (
    <Box flexDirection="column" width={width} height={rows} borderStyle="round" borderColor="cyan" overflow="hidden">
      <Text bold color="cyan" wrap="truncate">Keys</Text>
      {lines.map(([key, text], i) => (
        <Text key={i} wrap="truncate">
          <Text bold>{key.padEnd(11)}</Text>
          {text}
        </Text>
      ))}
    </Box>
  );
}
