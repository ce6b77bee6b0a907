// The keys, always on screen: under stress nobody should have to remember the kill switch.

import { Box, Text } from 'ink';

export interface KeyFooterProps {
  mode: 'local' | 'attached';
  halted: boolean;
  quitRequested: boolean;
  width: number;
}

export function KeyFooter({ mode, halted, quitRequested, width }: KeyFooterProps) {
  if (quitRequested) {
    return (
      <Box width={width} flexShrink={0}>
        <Text color="yellow" wrap="truncate">
          {mode === 'local' ? 'shutting down: instances are cancelling their orders…' : 'detaching…'}
        </Text>
      </Box>
    );
  }
  return (
    <Box width={width} flexShrink={0}>
      <Text wrap="truncate">
        <Text color="red" bold>k</Text> kill switch{'  '}
        <Text bold={halted} color={halted ? 'green' : 'gray'}>r</Text>
        <Text color={halted ? undefined : 'gray'}> resume</Text>{'  '}
        <Text bold>tab</Text> focus{'  '}
        <Text bold>↑↓</Text> scroll{'  '}
        <Text bold>?</Text> help{'  '}
        <Text bold>q</Text> {mode === 'local' ? 'quit' : 'detach'}
      </Text>
    </Box>
  );
}
