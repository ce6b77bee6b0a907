// Journal replay progress while the node bootstraps; it can take a while on a long journal,
// and a moving bar tells the operator the node is not stuck.

import { Box, Text } from 'ink';
import { progressBar } from './format.ts';

export interface BootstrapProgressProps {
  done: number;
  total: number;
  width: number;
}

export function BootstrapProgress({ done, total, width }: BootstrapProgressProps) {
  const percent = total > 0 ? Math.floor((Math.min(done, total) / total) * 100) : 0;
  const label = 'bootstrap ';
  const counts = ` ${done}/${total} ${percent}%`;
  const barWidth = Math.max(0, Math.min(40, width - label.length - counts.length));
  return (
    <Box width={width} flexShrink={0}>
      <Text wrap="truncate">
        <Text color="cyan">{label}</Text>
        <Text color="cyan">{progressBar(done, total, barWidth)}</Text>
        {counts}
      </Text>
    </Box>
  );
}
