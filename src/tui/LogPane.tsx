// The algorithms' own log lines, coloured by level so warnings and errors stand out.

import type { Color } from './ansi.ts';
import type { LogLineView } from './viewModel.ts';
import { fitEnd, formatClock, row } from './format.ts';
import { tailWindow } from './layout.ts';
import { Pane } from './Pane.tsx';

const LEVELS: readonly { name: string; color: Color | undefined }[] = [
  { name: 'TRC', color: 'gray' },
  { name: 'DBG', color: 'gray' },
  { name: 'INF', color: undefined },
  { name: 'WRN', color: 'yellow' },
  { name: 'ERR', color: 'red' },
];

function levelOf(level: number): { name: string; color: Color | undefined } {
  return LEVELS[Math.min(LEVELS.length - 1, Math.max(0, Math.floor(level)))] ?? { name: '???', color: undefined };
}

export interface LogPaneProps {
  logs: readonly LogLineView[];
  width: number;
  rows: number;
  focused: boolean;
  scroll: number;
}

/** One log line, exactly `width` columns: time (dim), then label, level and line in the level's colour. */
export function logRow(log: LogLineView, width: number): string {
  const level = levelOf(log.level);
  return row(width, [
    { text: `${formatClock(log.tsMs)} `, style: { color: 'gray' } },
    { text: `${fitEnd(log.label, 8)} ${level.name} ${log.line}`, ...(level.color !== undefined ? { style: { color: level.color } } : {}) },
  ]);
}

export function LogPane({ logs, width, rows, focused, scroll }: LogPaneProps) {
  const inner = width - 2;
  const { start, end } = tailWindow(logs.length, Math.max(0, rows - 2), scroll);
  const back = end < logs.length ? ` · ${logs.length - end} newer below` : '';
  const body =
    logs.length === 0
      ? [row(inner, [{ text: 'no log lines', style: { color: 'gray' } }])]
      : logs.slice(start, end).map((log) => logRow(log, inner));
  return <Pane title={`Log${back}`} width={width} rows={rows} focused={focused} body={body} />;
}
