// The one thing on screen nobody may miss: while trading is halted, a full-width red bar
// sits above everything else.

import { Box, Text } from 'ink';
import type { HaltView } from './viewModel.ts';
import { fitEnd, formatClock } from './format.ts';

export interface HaltBannerProps {
  halt: HaltView;
  width: number;
  rows: number;
}

export function HaltBanner({ halt, width, rows }: HaltBannerProps) {
  const message = ` TRADING HALTED — ${halt.reason || 'no reason given'} — by ${halt.by || 'unknown'} since ${formatClock(halt.sinceMs)}`;
  const blank = ' '.repeat(width);
  // Padding to the full width is what paints the whole row red, not just the words.
  const lines = rows >= 3 ? [blank, fitEnd(message, width), blank] : [fitEnd(message, width)];
  return (
    <Box flexDirection="column" width={width} flexShrink={0}>
      {lines.map((line, i) => (
        <Text key={i} backgroundColor="red" color="whiteBright" bold wrap="truncate">
          {line}
        </Text>
      ))}
    </Box>
  );
}
