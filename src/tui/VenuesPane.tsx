// Venue connectivity and data health: a stale or invalid book is a reason to halt.

import type { VenueView } from './viewModel.ts';
import { formatAge, formatHeadroom, row } from './format.ts';
import { headWindow } from './layout.ts';
import { Pane } from './Pane.tsx';
import { tableRows, type TableColumn } from './table.ts';

const COLUMNS: readonly TableColumn<VenueView>[] = [
  { header: 'venue', minWidth: 8, align: 'left', priority: 0, flex: true, cell: (v) => v.name },
  { header: 'kind', minWidth: 5, align: 'left', priority: 3, cell: (v) => v.kind },
  { header: 'link', minWidth: 4, align: 'left', priority: 0, cell: (v) => (v.connected ? 'up' : 'DOWN'), color: (v) => (v.connected ? 'green' : 'red') },
  { header: 'age', minWidth: 6, align: 'right', priority: 1, cell: (v) => formatAge(v.dataAgeMs) },
  { header: 'books', minWidth: 7, align: 'left', priority: 1, cell: (v) => (v.booksValid ? 'valid' : 'INVALID'), color: (v) => (v.booksValid ? undefined : 'red') },
  { header: 'limit', minWidth: 5, align: 'right', priority: 2, cell: (v) => formatHeadroom(v.rateLimitHeadroom) },
];

export interface VenuesPaneProps {
  venues: readonly VenueView[];
  width: number;
  rows: number;
  focused: boolean;
  scroll: number;
}

export function VenuesPane({ venues, width, rows, focused, scroll }: VenuesPaneProps) {
  const { start, end } = headWindow(venues.length, Math.max(0, rows - 3), scroll);
  const body =
    venues.length === 0
      ? [row(width - 2, [{ text: 'no venues', style: { color: 'gray' } }])]
      : tableRows(COLUMNS, venues.slice(start, end), width - 2);
  return <Pane title="Venues" width={width} rows={rows} focused={focused} body={body} />;
}
