// A bordered pane whose body the caller has formatted into rows (see paneFrame.ts).

import { Lines } from './Lines.tsx';
import { paneFrame, type PaneFrame } from './paneFrame.ts';

export interface PaneProps extends PaneFrame {
  body: readonly string[];
}

export function Pane({ body, ...frame }: PaneProps) {
  return <Lines lines={paneFrame(frame, body)} width={frame.width} />;
}
