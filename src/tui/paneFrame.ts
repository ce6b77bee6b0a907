// A pane as rows of text: its title set into the top border (two rows of chrome rather than
// three), its body between side borders, every row exactly the pane's width. The focused
// pane's border is bright; the rest stay dim.

import { paint, type Style } from './ansi.ts';
import { row } from './format.ts';

export interface PaneFrame {
  title: string;
  width: number;
  /** Rows including the two border rows. */
  rows: number;
  focused: boolean;
}

function topBorder(title: string, width: number): string {
  const label = `─ ${title} `;
  const fill = Math.max(0, width - 2 - label.length);
  return `╭${label}${'─'.repeat(fill)}╮`;
}

/**
 * The pane's rows. `body` rows are `width - 2` columns (see row()); missing ones are blank
 * and any beyond the pane's height are left out.
 */
export function paneFrame({ title, width, rows, focused }: PaneFrame, body: readonly string[]): string[] {
  if (width <= 0 || rows <= 0) return [];
  const border: Style = focused ? { color: 'cyan', bold: true } : { color: 'gray' };
  const side = paint('│', { color: border.color });
  const inner = Math.max(0, width - 2);
  const blank = ' '.repeat(inner);
  const lines = [row(width, [{ text: topBorder(focused ? `▶ ${title}` : title, width), style: border }])];
  for (let i = 0; i < rows - 2; i++) lines.push(side + (body[i] ?? blank) + side);
  if (rows > 1) lines.push(paint(`╰${'─'.repeat(inner)}╯`, { color: border.color }));
  return lines;
}
