// One venue's book for one symbol: bids and asks side by side, best prices on the first row,
// the side that holds the cross-venue best (NBBO) lit up, and the recent mid as a sparkline.

import { Box, Text } from 'ink';
import type { BookView } from './viewModel.ts';
import { fitEnd, fitStart, sparkline } from './format.ts';

export interface BookLadderProps {
  book: BookView;
  levels: number;
  width: number;
  /** Shared by every ladder in the pane so books on different venues line up. */
  pxWidth: number;
  szWidth: number;
}

/** The label column is no wider than this; the rest of a wide pane is left to the ladder. */
const MAX_LABEL_WIDTH = 22;

export function BookLadder({ book, levels, width, pxWidth, szWidth }: BookLadderProps) {
  const halfWidth = szWidth + 1 + pxWidth;
  const ladderWidth = halfWidth * 2 + 3;
  const labelWidth = Math.max(0, Math.min(MAX_LABEL_WIDTH, width - ladderWidth - 1));
  const labels = [book.venue, book.symbol, sparkline(book.midHistory, labelWidth)];

  const rows = [];
  for (let i = 0; i < levels; i++) {
    const bid = book.bids[i];
    const ask = book.asks[i];
    const bidText = bid === undefined ? ' '.repeat(halfWidth) : `${fitStart(bid.sz, szWidth)} ${fitStart(bid.px, pxWidth)}`;
    const askText = ask === undefined ? ' '.repeat(halfWidth) : `${fitStart(ask.px, pxWidth)} ${fitStart(ask.sz, szWidth)}`;
    const best = i === 0;
    rows.push(
      <Text key={i} wrap="truncate">
        {labelWidth > 0 ? (
          <Text bold={i === 0} color={i === 2 ? 'blue' : undefined}>{`${fitEnd(labels[i] ?? '', labelWidth)} `}</Text>
        ) : null}
        <Text color="green" bold={best} inverse={best && book.nbboBid}>{bidText}</Text>
        <Text color="gray"> │ </Text>
        <Text color="red" bold={best} inverse={best && book.nbboAsk}>{askText}</Text>
      </Text>,
    );
  }
  return (
    <Box flexDirection="column" width={width} height={levels}>
      {rows}
    </Box>
  );
}
