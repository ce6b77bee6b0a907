// Pure text helpers shared by the panes. They run for every visible row at about 30 Hz, so
// each one is O(its output) and never touches more of a list than it is asked to show.

/** Cuts `text` to `width` columns (marking the cut with …) or pads it on the right. */
export function fitEnd(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length > width) return width === 1 ? '…' : `${text.slice(0, width - 1)}…`;
  return text.padEnd(width);
}

/** Right-aligns `text` in `width` columns; numbers are never cut silently (the … shows it). */
export function fitStart(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length > width) return width === 1 ? '…' : `${text.slice(0, width - 1)}…`;
  return text.padStart(width);
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
