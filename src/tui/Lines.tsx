// Rows the UI has formatted whole (styles included) and how they reach the screen. Ink lays
// out and measures a blank of the row's width, which stays the same from frame to frame, and
// its Transform writes the row over it. So a changing row costs Ink no text measuring (whose
// cache Ink keeps forever: every distinct text measured stays in memory), no wrapping and no
// per-span colouring, and a row that did not change costs React nothing.

import { memo } from 'react';
import { Box, Transform } from 'ink';

interface LineProps {
  /** Exactly `width` columns (see row() in format.ts): a wider row would spill past its box. */
  text: string;
  width: number;
}

const Line = memo(function Line({ text, width }: LineProps) {
  return <Transform transform={() => text}>{' '.repeat(width)}</Transform>;
});

export interface LinesProps {
  lines: readonly string[];
  width: number;
}

function sameLines(a: LinesProps, b: LinesProps): boolean {
  if (a.width !== b.width || a.lines.length !== b.lines.length) return false;
  for (let i = 0; i < a.lines.length; i++) if (a.lines[i] !== b.lines[i]) return false;
  return true;
}

/** A column of pre-formatted rows, each `width` columns wide. */
export const Lines = memo(function Lines({ lines, width }: LinesProps) {
  return (
    <Box flexDirection="column" width={width} height={lines.length} flexShrink={0}>
      {lines.map((text, i) => (
        <Line key={i} text={text} width={width} />
      ))}
    </Box>
  );
}, sameLines);
