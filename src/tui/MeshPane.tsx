// Traffic between instances: per-link counters (a growing drop count means a sibling is
// not hearing us) and the most recent messages.

import { Box, Text } from 'ink';
import type { MeshLinkView, MeshMessageView } from './viewModel.ts';
import { fitEnd, formatClock } from './format.ts';
import { headWindow, meshWindow, tailWindow } from './layout.ts';
import { Pane } from './Pane.tsx';
import { Table, type TableColumn } from './Table.tsx';

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
  const { linkRows, recentRows } = meshWindow(rows - 2, links.length);
  const shownLinks = headWindow(links.length, linkRows - 1, 0);
  const { start, end } = tailWindow(recent.length, recentRows, scroll);
  return (
    <Pane title="Mesh" width={width} rows={rows} focused={focused}>
      {linkRows > 0 ? (
        <Table
          columns={LINK_COLUMNS}
          rows={links.slice(shownLinks.start, shownLinks.end)}
          width={width - 2}
          rowKey={(l) => `${l.from}>${l.to}`}
        />
      ) : null}
      <Box flexDirection="column" height={recentRows}>
        {recent.length === 0 ? (
          <Text color="gray">no messages yet</Text>
        ) : (
          recent.slice(start, end).map((message, i) => (
            <Text key={start + i} wrap="truncate">
              <Text color="gray">{formatClock(message.tsMs)} </Text>
              {fitEnd(`${message.from} → ${message.to}`, 20)} {message.bytes}B
            </Text>
          ))
        )}
      </Box>
    </Pane>
  );
}
