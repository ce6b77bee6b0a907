// The algorithms' own log lines, coloured by level so warnings and errors stand out.

import { Text } from 'ink';
import type { LogLineView } from './viewModel.ts';
import { fitEnd, formatClock } from './format.ts';
import { tailWindow } from './layout.ts';
import { Pane } from './Pane.tsx';

const LEVELS: readonly { name: string; color: string | undefined }[] = [
  { name: 'TRC', color: 'gray' },
  { name: 'DBG', color: 'gray' },
  { name: 'INF', color: undefined },
  { name: 'WRN', color: 'yellow' },
  { name: 'ERR', color: 'red' },
];

function levelOf(level: number): { name: string; color: string | undefined } {
  return LEVELS[Math.min(LEVELS.length - 1, Math.max(0, Math.floor(level)))] ?? { name: '???', color: undefined };
}

export interface LogPaneProps {
  logs: readonly LogLineView[];
  width: number;
  rows: number;
  focused: boolean;
  scroll: number;
}

export function LogPane({ logs, width, rows, focused, scroll }: LogPaneProps) {
  const visible = Math.max(0, rows - 2);
  const { start, end } = tailWindow(logs.length, visible, scroll);
  const back = end < logs.length ? ` · ${logs.length - end} newer below` : '';
  return (
    <Pane title={`Log${back}`} width={width} rows={rows} focused={focused}>
      {logs.length === 0 ? (
        <Text color="gray">no log lines</Text>
      ) : (
        logs.slice(start, end).map((log, i) => {
          const level = levelOf(log.level);
          return (
            <Text key={start + i} wrap="truncate" color={level.color}>
              <Text color="gray">{formatClock(log.tsMs)} </Text>
              {fitEnd(log.label, 8)} {level.name} {log.line}
            </Text>
          );
        })
      )}
    </Pane>
  );
}
