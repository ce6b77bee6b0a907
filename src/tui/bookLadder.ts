// One venue's book for one symbol as rows: bids and asks side by side, best prices on the
// first row, the side that holds the cross-venue best (NBBO) lit up (inverse), and the
// recent mid as a sparkline in the label column.

import type { Color } from './ansi.ts';
import type { BookView } from './viewModel.ts';
import { fitEnd, fitStart, row, sparkline, type Span } from './format.ts';

export interface LadderShape {
  levels: number;
  width: number;
  /** Shared by every ladder in the pane so books on different venues line up. */
  pxWidth: number;
  szWidth: number;
}

/** The label column is no wider than this; the rest of a wide pane is left to the ladder. */
const MAX_LABEL_WIDTH = 22;
const SEPARATOR: Span = { text: ' │ ', style: { color: 'gray' } };

function side(text: string, color: Color, best: boolean, nbbo: boolean): Span {
  return { text, style: { color, bold: best, inverse: best && nbbo } };
}

/** `levels` rows of exactly `width` columns. */
export function bookLadderRows(book: BookView, { levels, width, pxWidth, szWidth }: LadderShape): string[] {
  const halfWidth = szWidth + 1 + pxWidth;
  const ladderWidth = halfWidth * 2 + 3;
  const labelWidth = Math.max(0, Math.min(MAX_LABEL_WIDTH, width - ladderWidth - 1));
  const labels = [book.venue, book.symbol, sparkline(book.midHistory, labelWidth)];
  const blankHalf = ' '.repeat(halfWidth);
  const rows: string[] = [];
  for (let i = 0; i < levels; i++) {
    const bid = book.bids[i];
    const ask = book.asks[i];
    const best = i === 0;
    const spans: Span[] = [];
    if (labelWidth > 0) {
      spans.push({ text: `${fitEnd(labels[i] ?? '', labelWidth)} `, style: { bold: i === 0, ...(i === 2 ? { color: 'blue' } : {}) } });
    }
    spans.push(side(bid === undefined ? blankHalf : `${fitStart(bid.sz, szWidth)} ${fitStart(bid.px, pxWidth)}`, 'green', best, book.nbboBid));
    spans.push(SEPARATOR);
    spans.push(side(ask === undefined ? blankHalf : `${fitStart(ask.px, pxWidth)} ${fitStart(ask.sz, szWidth)}`, 'red', best, book.nbboAsk));
    rows.push(row(width, spans));
  }
  return rows;
}
