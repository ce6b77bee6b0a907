// Orders and fills as they happen, newest at the bottom like a terminal log. The scroll
// offset counts rows back from the newest, so while scrolled back the window keeps its
// distance from the newest row (rows drift up as new ones arrive) and ↓ always leads home.

import type { Color } from './ansi.ts';
import type { BlotterRow } from './viewModel.ts';
import { fitEnd, formatClock, row } from './format.ts';
import { tailWindow } from './layout.ts';
import { Pane } from './Pane.tsx';

const KIND_COLORS: Record<BlotterRow['kind'], Color> = {
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

/** One blotter row, exactly `width` columns: time, instance, kind (coloured) and the order's text. */
export function blotterRow(entry: BlotterRow, width: number): string {
  return row(width, [
    { text: `${formatClock(entry.tsMs)} `, style: { color: 'gray' } },
    { text: `${fitEnd(entry.label, 8)} ` },
    { text: fitEnd(entry.kind, 8), style: { color: KIND_COLORS[entry.kind] } },
    { text: ` ${entry.text}` },
  ]);
}

export function BlotterPane({ blotter, width, rows, focused, scroll }: BlotterPaneProps) {
  const inner = width - 2;
  const { start, end } = tailWindow(blotter.length, Math.max(0, rows - 2), scroll);
  const back = end < blotter.length ? ` · ${blotter.length - end} newer below` : '';
  const body =
    blotter.length === 0
      ? [row(inner, [{ text: 'no orders yet', style: { color: 'gray' } }])]
      : blotter.slice(start, end).map((entry) => blotterRow(entry, inner));
  return <Pane title={`Orders & fills${back}`} width={width} rows={rows} focused={focused} body={body} />;
}
