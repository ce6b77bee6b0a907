// Each algorithm instance: is it running, what does it hold, what has it earned, and how
// long do its callbacks take.

import type { Color } from './ansi.ts';
import type { InstanceView } from './viewModel.ts';
import { formatMicros, row } from './format.ts';
import { headWindow } from './layout.ts';
import { Pane } from './Pane.tsx';
import { tableRows, type TableColumn } from './table.ts';

function signColor(amount: string): Color | undefined {
  if (amount.startsWith('-')) return 'red';
  return /[1-9]/.test(amount) ? 'green' : undefined;
}

function statusText(instance: InstanceView): string {
  if (instance.status === 'running') return 'running';
  const word = instance.status === 'aborted' ? 'ABORTED' : 'PAUSED';
  return instance.reason === '' ? word : `${word}: ${instance.reason}`;
}

const STATUS_COLORS: Record<InstanceView['status'], Color | undefined> = {
  running: undefined,
  aborted: 'red',
  paused: 'yellow',
};

const COLUMNS: readonly TableColumn<InstanceView>[] = [
  { header: 'label', minWidth: 8, align: 'left', priority: 0, cell: (i) => i.label },
  { header: 'venue', minWidth: 7, align: 'left', priority: 3, cell: (i) => i.venue },
  { header: 'status', minWidth: 8, align: 'left', priority: 0, flex: true, cell: statusText, color: (i) => STATUS_COLORS[i.status] },
  { header: 'position', minWidth: 8, align: 'right', priority: 1, cell: (i) => i.position },
  { header: 'uPnL', minWidth: 8, align: 'right', priority: 1, cell: (i) => i.unrealizedPnl, color: (i) => signColor(i.unrealizedPnl) },
  { header: 'rPnL', minWidth: 8, align: 'right', priority: 2, cell: (i) => i.realizedPnl, color: (i) => signColor(i.realizedPnl) },
  { header: 'open', minWidth: 4, align: 'right', priority: 2, cell: (i) => String(i.openOrders) },
  { header: 'fills', minWidth: 5, align: 'right', priority: 3, cell: (i) => String(i.fills) },
  { header: 'cb last/max', minWidth: 11, align: 'right', priority: 4, cell: (i) => `${formatMicros(i.lastCallUs)}/${formatMicros(i.maxCallUs)}` },
];

export interface InstancesPaneProps {
  instances: readonly InstanceView[];
  width: number;
  rows: number;
  focused: boolean;
  scroll: number;
}

export function InstancesPane({ instances, width, rows, focused, scroll }: InstancesPaneProps) {
  const visibleRows = Math.max(0, rows - 3);
  const { start, end } = headWindow(instances.length, visibleRows, scroll);
  const more = instances.length > visibleRows ? ` ${start + 1}-${end}/${instances.length}` : '';
  const body =
    instances.length === 0
      ? [row(width - 2, [{ text: 'no instances deployed', style: { color: 'gray' } }])]
      : tableRows(COLUMNS, instances.slice(start, end), width - 2);
  return <Pane title={`Instances${more}`} width={width} rows={rows} focused={focused} body={body} />;
}
