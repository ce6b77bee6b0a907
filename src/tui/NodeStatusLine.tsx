// The node's identity and health on one line: who it is, whether it may trade, and how far
// its journal has come.

import { Box, Text } from 'ink';
import type { NodeRoleName, NodeView } from './viewModel.ts';
import { formatUptime } from './format.ts';

const ROLE_COLORS: Record<NodeRoleName, string> = {
  leader: 'green',
  follower: 'yellow',
  bootstrap: 'cyan',
};

export interface NodeStatusLineProps {
  node: NodeView;
  mode: 'local' | 'attached';
  width: number;
}

export function NodeStatusLine({ node, mode, width }: NodeStatusLineProps) {
  const lease = node.leaseHolder === '' ? 'lease ?' : `lease ${node.leaseHolder}`;
  return (
    <Box width={width} flexShrink={0}>
      <Text wrap="truncate">
        <Text bold>node {node.id}</Text>
        {'  '}
        <Text color={ROLE_COLORS[node.role]} bold inverse>
          {` ${node.role.toUpperCase()} `}
        </Text>
        {`  ${lease} t${node.term}  seq ${node.journalSeq}  `}
        <Text color={node.phase === 'trading' ? 'green' : 'yellow'}>{node.phase}</Text>
        {`  up ${formatUptime(node.uptimeS)}`}
        {mode === 'attached' ? <Text color="gray">  (attached)</Text> : null}
      </Text>
    </Box>
  );
}
