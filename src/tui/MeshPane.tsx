// Traffic between instances: per-link counters (a growing drop count means a sibling is
// not hearing us) and the most recent messages.

import type { MeshLinkView, MeshMessageView } from './viewModel.ts';
import { fitEnd, formatClock, row } from './format.ts';
import { headWindow, meshWindow, tailWindow } from './layout.ts';
import { Pane } from './Pane.tsx';
import { tableRows, type TableColumn } from './table.ts';

const LINK_COLUMNS: readonly TableColumn<MeshLinkView>[] = [
  { header: 'link', minWidth: 10, align: 'left', priority: 0, flex: true, cell: (l) => `${l.from} → ${l.to}` },
  { header: 'sent', minWidth: 5, align: 'right', priority: 0, cell: (l) => String(l.sent) },
  { header: 'dlvd', minWidth: 5, align: 'right', priority: 1, cell: (l) => String(l.delivered) },
  { header: 'drop', minWidth: 5, align: 'right', priority: 0, cell: (l) => String(l.dropped), color: (l) => (l.dropped > 0 ? 'red' : undefined) },
];

export interface MeshPaneProps {
  links: readonly MeshLinkView[];
  recent: readonly MeshMessageView[];
  width: number;
  rows: number;
  focused: boolean;
  scroll: number;
}

export function MeshPane({ links, recent, width, rows, focused, scroll }: MeshPaneProps) {
  const inner = width - 2;
  const { linkRows, recentRows } = meshWindow(rows - 2, links.length);
  const shownLinks = headWindow(links.length, linkRows - 1, 0);
  const { start, end } = tailWindow(recent.length, recentRows, scroll);
  const linkTable = linkRows > 0 ? tableRows(LINK_COLUMNS, links.slice(shownLinks.start, shownLinks.end), inner) : [];
  const messages =
    recent.length === 0
      ? [row(inner, [{ text: 'no messages yet', style: { color: 'gray' } }])]
      : recent.slice(start, end).map((message) =>
          row(inner, [
            { text: `${formatClock(message.tsMs)} `, style: { color: 'gray' } },
            { text: `${fitEnd(`${message.from} → ${message.to}`, 20)} ${message.bytes}B` },
          ]),
        );
  return <Pane title="Mesh" width={width} rows={rows} focused={focused} body={[...linkTable, ...messages.slice(0, recentRows)]} />;
}
