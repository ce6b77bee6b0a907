// A header and aligned rows for the tabular panes, as formatted rows. When the pane is too
// narrow for every column, the least important ones are left out whole rather than every
// cell being cut.

import type { Color } from './ansi.ts';
import { columnsOf, fitEnd, fitStart, row, type Span } from './format.ts';

export interface TableColumn<Row> {
  header: string;
  /** Narrowest this column is drawn; it widens to fit the visible cells. */
  minWidth: number;
  align: 'left' | 'right';
  /** 0 is kept longest; higher numbers go first when space runs out. */
  priority: number;
  /** The one column that takes any spare width (for free text such as a reason). */
  flex?: boolean;
  cell(row: Row): string;
  color?(row: Row): Color | undefined;
}

const GAP = 1;
/** The flex column asks for its content up to this width before lesser columns get room. */
const FLEX_WANT_MAX = 28;

interface PlacedColumn<Row> {
  column: TableColumn<Row>;
  width: number;
  cells: string[];
}

export function placeColumns<Row>(
  columns: readonly TableColumn<Row>[],
  rows: readonly Row[],
  width: number,
): PlacedColumn<Row>[] {
  const measured = columns.map((column) => {
    const cells = rows.map((row) => column.cell(row));
    let w = Math.max(column.minWidth, columnsOf(column.header));
    for (const cell of cells) w = Math.max(w, columnsOf(cell));
    if (column.flex) w = Math.max(column.minWidth, Math.min(w, FLEX_WANT_MAX));
    return { column, width: w, cells };
  });
  const byPriority = [...measured].sort((a, b) => a.column.priority - b.column.priority);
  const kept = new Set<PlacedColumn<Row>>();
  let used = 0;
  for (const placed of byPriority) {
    // On a narrow pane the free-text column settles for its minimum rather than vanishing.
    if (placed.column.flex && used + placed.width + (kept.size > 0 ? GAP : 0) > width) {
      placed.width = placed.column.minWidth;
    }
    const cost = placed.width + (kept.size > 0 ? GAP : 0);
    if (used + cost > width) continue;
    kept.add(placed);
    used += cost;
  }
  const result = measured.filter((placed) => kept.has(placed));
  const flex = result.find((placed) => placed.column.flex);
  if (flex !== undefined) flex.width += width - used;
  return result;
}

/** The header row (dim) and one row per table row, each exactly `width` columns. */
export function tableRows<Row>(columns: readonly TableColumn<Row>[], rows: readonly Row[], width: number): string[] {
  const placed = placeColumns(columns, rows, width);
  const align = (text: string, p: PlacedColumn<Row>) =>
    p.column.align === 'right' ? fitStart(text, p.width) : fitEnd(text, p.width);
  const gap = ' '.repeat(GAP);
  const header = placed.map((p) => align(p.column.header, p)).join(gap);
  const lines = [row(width, [{ text: header, style: { color: 'gray' } }])];
  rows.forEach((tableRow, r) => {
    const spans: Span[] = [];
    placed.forEach((p, c) => {
      const color = p.column.color?.(tableRow);
      spans.push({ text: (c > 0 ? gap : '') + align(p.cells[r] ?? '', p), ...(color !== undefined ? { style: { color } } : {}) });
    });
    lines.push(row(width, spans));
  });
  return lines;
}
