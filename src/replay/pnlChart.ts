// A small chart of a series for the terminal: `height` rows of Unicode eighth blocks, one
// column per bucket of points (the bucket's last value), scaled between the series' min
// and max, with both labelled on the left. Pure text; no colours, so it survives a pipe.

const EIGHTHS = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

export interface ChartOptions {
  width: number;
  height: number;
  /** Formats the min and max labels. */
  label: (value: number) => string;
}

export function blockChart(values: readonly number[], options: ChartOptions): string[] {
  const { width, height } = options;
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) throw new RangeError(`a chart needs a positive integer width and height, got ${width}x${height}`);
  if (values.length === 0) return ['(no data)'];
  const columns = resample(values, width);
  let min = Infinity;
  let max = -Infinity;
  for (const v of columns) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min;
  const levels = height * 8;
  // A flat series draws as a one-eighth line at the bottom.
  const eighths = columns.map((v) => (span === 0 ? 1 : 1 + Math.round(((v - min) / span) * (levels - 1))));
  const top = options.label(max);
  const bottom = options.label(min);
  const gutter = Math.max(top.length, bottom.length);
  const rows: string[] = [];
  for (let r = 0; r < height; r++) {
    const floor = (height - 1 - r) * 8;
    let line = '';
    for (const e of eighths) line += EIGHTHS[Math.max(0, Math.min(8, e - floor))];
    const label = r === 0 ? top : r === height - 1 ? bottom : '';
    rows.push(`${label.padStart(gutter)} │${line}`);
  }
  return rows;
}

/** At most `width` values: each the last of its bucket, so the final value is always shown. */
function resample(values: readonly number[], width: number): number[] {
  if (values.length <= width) return [...values];
  const out: number[] = [];
  for (let c = 0; c < width; c++) out.push(values[Math.min(values.length - 1, Math.floor(((c + 1) * values.length) / width) - 1)]);
  return out;
}
