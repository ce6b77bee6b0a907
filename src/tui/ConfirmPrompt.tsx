// The question the operator must answer before a key acts on the node. The kill-switch
// prompt is red on red: it is the one prompt someone may be reaching for in a hurry.

import { Box, Text } from 'ink';
import type { PromptKind } from './uiState.ts';

export interface ConfirmPromptProps {
  prompt: PromptKind;
  mode: 'local' | 'attached';
  width: number;
}

function question(prompt: PromptKind, mode: 'local' | 'attached'): string {
  switch (prompt) {
    case 'kill':
      // Short enough to show whole inside an 80-column box.
      return 'KILL SWITCH   y: halt   a: halt AND cancel all open orders   other key: back';
    case 'resume':
      return 'resume trading? y/n';
    case 'quit':
      return mode === 'local' ? 'shut down the node? y/n' : 'detach? y/n';
  }
}

export function ConfirmPrompt({ prompt, mode, width }: ConfirmPromptProps) {
  const loud = prompt === 'kill';
  return (
    <Box width={width} height={3} flexShrink={0} borderStyle={loud ? 'double' : 'round'} borderColor={loud ? 'red' : 'yellow'}>
      <Text bold wrap="truncate" color={loud ? 'whiteBright' : 'yellow'} backgroundColor={loud ? 'red' : undefined}>
        {` ${question(prompt, mode)} `}
      </Text>
    </Box>
  );
}
