// Terminal styles as SGR escape codes, for rows the UI formats whole (one string per row,
// see Lines.tsx). Each painted span opens and closes its own attributes, so spans can be
// joined in any order without one style leaking into the next.

export type Color = 'red' | 'green' | 'yellow' | 'blue' | 'cyan' | 'gray' | 'whiteBright';

export interface Style {
  color?: Color;
  backgroundColor?: Color;
  bold?: boolean;
  inverse?: boolean;
}

const FOREGROUND: Record<Color, number> = { red: 31, green: 32, yellow: 33, blue: 34, cyan: 36, gray: 90, whiteBright: 97 };
const ESC = '\u001B[';

/** `text` in `style`; unstyled (and empty) text comes back as it is. */
export function paint(text: string, style: Style): string {
  if (text === '') return '';
  let open = '';
  let close = '';
  if (style.bold) {
    open += `${ESC}1m`;
    close = `${ESC}22m${close}`;
  }
  if (style.inverse) {
    open += `${ESC}7m`;
    close = `${ESC}27m${close}`;
  }
  if (style.color !== undefined) {
    open += `${ESC}${FOREGROUND[style.color]}m`;
    close = `${ESC}39m${close}`;
  }
  if (style.backgroundColor !== undefined) {
    open += `${ESC}${FOREGROUND[style.backgroundColor] + 10}m`;
    close = `${ESC}49m${close}`;
  }
  return open + text + close;
}
