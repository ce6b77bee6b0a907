// Orders and fills as they happen, newest at the bottom like a terminal log. The scroll
// offset counts rows back from the newest, so while scrolled back the window keeps its
// distance from the newest row (rows drift up as new ones arrive) and ↓ always leads home.

import { Text } from 'ink';
import type { BlotterRow } from './viewModel.ts';
import { fitEnd, formatClock } from './format.ts';
import { tailWindow } from './layout.ts';
import { Pane } from './Pane.tsx';

const KIND_COLORS: Record<BlotterRow['kind'], string> = {
  order: 'cyan',
  fill: 'green',
  reject: 'red',
  cancel: 'yellow',
  canceled: 'gray',
};

export interface BlotterPaneProps {
  blotter: readonly BlotterRow[];
  width: number;
  rows: number;
  focused: boolean;
  scroll: number;
}

export function BlotterPane({ blotter, width, rows, focused, scroll }: BlotterPaneProps) {
  const visible = Math.max(0, rows - 2);
  const { start, end } = tailWindow(blotter.length, visible, scroll);
  const back = end < blotter.length ? ` · ${blotter.length - end} newer below` : '';
  return (
    <Pane title={`Orders & fills${back}`} width={width} rows={rows} focused={focused}>
      {blotter.length === 0 ? (
        <Text color="gray">no orders yet</Text>
      ) : (
        blotter.slice(start, end).map((row, i) => (
          <Text key={start + i} wrap="truncate">
            <Text color="gray">{formatClock(row.tsMs)} </Text>
            {fitEnd(row.label, 8)}{' '}
            <Text color={KIND_COLORS[row.kind]}>{fitEnd(row.kind, 8)}</Text> {row.text}
          </Text>
        ))
      )}
    </Pane>
  );
}
