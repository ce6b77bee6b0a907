import { formatDecimal, formatDecimalShort, PX_DECIMALS, QTY_DECIMALS } from '../node/fixedPoint.ts';
import { blockChart } from './pnlChart.ts';
import type { ReplaySummary } from './replayReport.ts';

// The replay report for the terminal: a header, one table row per instance, then per
// instance a small chart of total PnL over the recording's time.

const CHART_WIDTH = 60;
const CHART_HEIGHT = 6;

/** Money to 4 decimals: enough for a report line, exact digits stay in the JSON. */
const money = (v: number) => formatDecimal(v, PX_DECIMALS, 4);
const qty = (v: number) => formatDecimalShort(v, QTY_DECIMALS);

export function reportText(s: ReplaySummary): string {
  const seconds = ((s.endNs - s.startNs) / 1e9).toFixed(1);
  const lines = [
    `replay of ${s.source}`,
    `${new Date(Math.floor(s.startNs / 1e6)).toISOString()} .. ${new Date(Math.floor(s.endNs / 1e6)).toISOString()} (${seconds} s), ${s.frames} frames, ${s.books} books, latency ${s.latencyMs} ms, ${s.journalRecords} journal records`,
    '',
  ];
  const header = ['instance', 'venue', 'orders', 'fills', 'fill %', 'position', 'fees', 'realized', 'unrealized', 'total PnL', 'max DD'];
  const rows = s.instances.map((r) => [
    r.label,
    r.venue,
    String(r.orders),
    String(r.fills),
    (r.fillRatio * 100).toFixed(1),
    r.positions.map((p) => `${qty(p.qty1e8)} ${p.symbol}`).join(', '),
    money(r.fees1e9),
    money(r.realizedPnl1e9),
    money(r.unrealizedPnl1e9),
    money(r.totalPnl1e9),
    money(r.maxDrawdown1e9),
  ]);
  lines.push(...table(header, rows), '');
  for (const r of s.instances) {
    lines.push(`${r.label}: total PnL over time (${r.pnlSeries.length} samples)`);
    lines.push(...blockChart(r.pnlSeries.map((p) => p.value), { width: CHART_WIDTH, height: CHART_HEIGHT, label: money }), '');
  }
  if (s.notes.length > 0) lines.push('notes:', ...s.notes.map((n) => `  ${n}`), '');
  return lines.join('\n');
}

/** Left-aligned text columns, right-aligned numbers (every column but the first two and the position). */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const textColumns = new Set([0, 1, 5]);
  const line = (cells: string[]) => cells.map((cell, c) => (textColumns.has(c) ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)];
}
