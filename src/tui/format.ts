// Pure text helpers shared by the panes. They run for every visible row at about 30 Hz, so
// each one is O(its output) and never touches more of a list than it is asked to show.
// Widths are terminal columns: printable ASCII (every number the panes show) takes the fast
// path; other text is measured per code point, erring wide, so a row is never wider than the
// width it was fitted to (a wider row would spill into the next pane or wrap the terminal).

import { paint, type Style } from './ansi.ts';

const PRINTABLE_ASCII = /^[\u0020-\u007E]*$/;
/** Control characters would move the cursor or break the row; they are shown as '?'. */
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/g;

/** Columns one code point takes. Below U+1100, and for the punctuation, arrows, box drawing and block glyphs the panes draw, one; anything else may be wide, so two. */
function codePointColumns(cp: number): number {
  if (cp < 0x1100) return 1;
  if (cp >= 0x2000 && cp <= 0x22ff) return 1;
  if (cp >= 0x2500 && cp <= 0x25fc) return 1;
  return 2;
}

/** Text safe to put in a row: control characters replaced. */
export function cleanText(text: string): string {
  return PRINTABLE_ASCII.test(text) ? text : text.replace(CONTROL, '?');
}

/** Terminal columns `text` (already clean) takes, never fewer than it really does. */
export function columnsOf(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  let columns = 0;
  for (const ch of text) columns += codePointColumns(ch.codePointAt(0)!);
  return columns;
}

/** The longest head of `text` (already clean) that fits in `width` columns, and its columns. */
function head(text: string, width: number): { text: string; columns: number } {
  let columns = 0;
  let end = 0;
  for (const ch of text) {
    const w = codePointColumns(ch.codePointAt(0)!);
    if (columns + w > width) break;
    columns += w;
    end += ch.length;
  }
  return { text: text.slice(0, end), columns };
}

function fit(text: string, width: number, alignEnd: boolean): string {
  if (width <= 0) return '';
  if (PRINTABLE_ASCII.test(text)) {
    if (text.length > width) return width === 1 ? '…' : `${text.slice(0, width - 1)}…`;
    return alignEnd ? text.padStart(width) : text.padEnd(width);
  }
  const clean = text.replace(CONTROL, '?');
  const columns = columnsOf(clean);
  if (columns > width) {
    const cut = head(clean, width - 1);
    return `${cut.text}…${' '.repeat(width - 1 - cut.columns)}`;
  }
  const pad = ' '.repeat(width - columns);
  return alignEnd ? pad + clean : clean + pad;
}

/** Cuts `text` to `width` columns (marking the cut with …) or pads it on the right. */
export function fitEnd(text: string, width: number): string {
  return fit(text, width, false);
}

/** Right-aligns `text` in `width` columns; numbers are never cut silently (the … shows it). */
export function fitStart(text: string, width: number): string {
  return fit(text, width, true);
}

/** A piece of a row and how it looks. */
export interface Span {
  text: string;
  style?: Style;
}

/**
 * One row of exactly `width` columns from its spans: cut with … where they run over (as a
 * truncating terminal text would), padded with blanks where they fall short.
 */
export function row(width: number, spans: readonly Span[]): string {
  let out = '';
  let left = width;
  for (const span of spans) {
    if (left <= 0) break;
    const text = cleanText(span.text);
    const columns = columnsOf(text);
    const shown = columns > left ? fitEnd(text, left) : text;
    left = columns > left ? 0 : left - columns;
    out += span.style === undefined ? shown : paint(shown, span.style);
  }
  return left > 0 ? out + ' '.repeat(left) : out;
}

function twoDigits(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Wall-clock time of day, local zone, as HH:MM:SS. */
export function formatClock(tsMs: number): string {
  const d = new Date(tsMs);
  return `${twoDigits(d.getHours())}:${twoDigits(d.getMinutes())}:${twoDigits(d.getSeconds())}`;
}

/** Market-data age: "-" before any data, ms under a second, then seconds, then minutes. */
export function formatAge(ageMs: number): string {
  if (ageMs < 0) return '-';
  if (ageMs < 1000) return `${Math.round(ageMs)}ms`;
  if (ageMs < 60_000) return `${(ageMs / 1000).toFixed(1)}s`;
  return `${Math.floor(ageMs / 60_000)}m`;
}

export function formatUptime(uptimeS: number): string {
  const s = Math.max(0, Math.floor(uptimeS));
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = s % 60;
  if (days > 0) return `${days}d${twoDigits(hours)}h`;
  if (hours > 0) return `${hours}h${twoDigits(minutes)}m`;
  if (minutes > 0) return `${minutes}m${twoDigits(seconds)}s`;
  return `${seconds}s`;
}

/** Rate-limit headroom as a whole percentage; "-" for venues without a budget. */
export function formatHeadroom(fraction: number | null): string {
  if (fraction === null) return '-';
  return `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`;
}

/** Callback time: microseconds until it reaches milliseconds, where µ digits stop helping. */
export function formatMicros(us: number): string {
  if (us < 10_000) return `${Math.round(us)}µs`;
  return `${(us / 1000).toFixed(1)}ms`;
}

const SPARK_GLYPHS = '▁▂▃▄▅▆▇█';

/** The shape of the newest `width` values; only their relative heights matter. */
export function sparkline(values: readonly number[], width: number): string {
  if (width <= 0 || values.length === 0) return '';
  const tail = values.slice(-width);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of tail) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi - lo;
  let out = '';
  for (const v of tail) {
    // A flat series sits mid-height so it reads as "unchanged", not as "at the bottom".
    const step = span > 0 ? Math.round(((v - lo) / span) * (SPARK_GLYPHS.length - 1)) : 3;
    out += SPARK_GLYPHS[step];
  }
  return out;
}

/** A solid bar of `width` cells filled in proportion to done/total. */
export function progressBar(done: number, total: number, width: number): string {
  if (width <= 0) return '';
  const ratio = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const filled = Math.round(ratio * width);
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}
