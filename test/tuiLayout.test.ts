import { describe, expect, it } from 'vitest';
import { bookWindow, computeLayout, headWindow, tailWindow, visiblePanes, type LayoutInput } from '../src/tui/layout.ts';

const TYPICAL: Omit<LayoutInput, 'columns' | 'rows'> = {
  halted: false,
  bootstrapping: false,
  promptOpen: false,
  instances: 2,
  books: 2,
  bookDepth: 10,
  venues: 2,
  meshLinks: 2,
  meshRecent: 20,
};

function usedRows(input: LayoutInput): number {
  const layout = computeLayout(input);
  const fixed = layout.bannerRows + 1 + (layout.bootstrapRow ? 1 : 0) + layout.bottomRows;
  const columns = layout.columns.map(
    (column) => column.slots.reduce((sum, slot) => sum + slot.rows, 0) + (layout.venueStrip ? 1 : 0),
  );
  return fixed + Math.max(0, ...columns);
}

describe('layout', () => {
  it('at 80x24 shows instances, books and blotter in one column and leaves the last row free', () => {
    const layout = computeLayout({ ...TYPICAL, halted: true, columns: 80, rows: 24 });
    expect(layout.columns).toHaveLength(1);
    expect(visiblePanes(layout).slice(0, 3)).toEqual(['instances', 'books', 'blotter']);
    expect(usedRows({ ...TYPICAL, halted: true, columns: 80, rows: 24 })).toBe(23);
  });

  it('at 80x24 keeps venue health on a one-line strip when the venues pane does not fit', () => {
    const layout = computeLayout({ ...TYPICAL, columns: 80, rows: 24 });
    expect(visiblePanes(layout)).not.toContain('venues');
    expect(layout.venueStrip).toBe(true);
  });

  it('at 160x50 shows every pane in two columns', () => {
    const layout = computeLayout({ ...TYPICAL, columns: 160, rows: 50 });
    expect(layout.columns).toHaveLength(2);
    expect(visiblePanes(layout).sort()).toEqual(['blotter', 'books', 'instances', 'log', 'mesh', 'venues']);
  });

  it('never uses more rows than the terminal has, from 10 rows (the tallest chrome) up', () => {
    for (let rows = 10; rows <= 70; rows += 3) {
      for (const columns of [40, 80, 119, 120, 200]) {
        for (const halted of [false, true]) {
          for (const promptOpen of [false, true]) {
            const input = { ...TYPICAL, columns, rows, halted, promptOpen, bootstrapping: halted };
            expect(usedRows(input), `${columns}x${rows}`).toBeLessThanOrEqual(rows - 1);
          }
        }
      }
    }
  });
});

describe('list windows', () => {
  it('a tail list rests on its newest rows and scrolls back no further than its start', () => {
    expect(tailWindow(30, 5, 0)).toEqual({ start: 25, end: 30 });
    expect(tailWindow(30, 5, 3)).toEqual({ start: 22, end: 27 });
    expect(tailWindow(30, 5, 99)).toEqual({ start: 0, end: 5 });
    expect(tailWindow(3, 5, 2)).toEqual({ start: 0, end: 3 });
  });

  it('a head list rests on its first rows and scrolls down no further than its end', () => {
    expect(headWindow(10, 4, 0)).toEqual({ start: 0, end: 4 });
    expect(headWindow(10, 4, 99)).toEqual({ start: 6, end: 10 });
  });

  it('books show at least three levels, deeper when rows allow, up to ten and no deeper than the data', () => {
    expect(bookWindow(6, 2, 10)).toEqual({ levels: 3, visibleBooks: 2 });
    expect(bookWindow(30, 2, 10)).toEqual({ levels: 10, visibleBooks: 2 });
    expect(bookWindow(30, 2, 4)).toEqual({ levels: 4, visibleBooks: 2 });
    expect(bookWindow(6, 5, 10)).toEqual({ levels: 3, visibleBooks: 2 });
  });
});
