// A bordered box with its title set into the top border, so a pane costs two rows of chrome
// rather than three. The focused pane's border is bright; the rest stay dim.

import type { ReactNode } from 'react';
import { Box, Text } from 'ink';

export interface PaneProps {
  title: string;
  width: number;
  rows: number;
  focused: boolean;
  children: ReactNode;
}

function topBorder(title: string, width: number): string {
  const label = `─ ${title} `;
  const fill = Math.max(0, width - 2 - label.length);
  return `╭${label}${'─'.repeat(fill)}╮`.slice(0, width);
}

export function Pane({ title, width, rows, focused, children }: PaneProps) {
  const color = focused ? 'cyan' : 'gray';
  return (
    <Box flexDirection="column" width={width} height={rows} flexShrink={0}>
      <Text color={color} bold={focused} wrap="truncate">
        {topBorder(focused ? `▶ ${title}` : title, width)}
      </Text>
      <Box
        flexDirection="column"
        width={width}
        height={rows - 1}
        borderStyle="round"
        borderTop={false}
        borderColor={color}
        overflow="hidden"
      >
        {children}
      </Box>
    </Box>
  );
}
