import { describe, expect, it } from 'vitest';
import { paint } from '../src/tui/ansi.ts';
import { bookLadderRows } from '../src/tui/bookLadder.ts';
import { booksBody } from '../src/tui/BooksPane.tsx';
import { columnsOf, fitEnd, fitStart, row } from '../src/tui/format.ts';
import { paneFrame } from '../src/tui/paneFrame.ts';
import { tableRows, type TableColumn } from '../src/tui/table.ts';
import { sampleViewModel } from './support/sampleViewModel.ts';

const ANSI = /\u001B\[[0-9;]*m/g;
const plain = (text: string) => text.replace(ANSI, '');
const INVERSE = '\u001B[7m';

describe('fitting text to columns', () => {
  it('pads short text and cuts long text with …, on either side', () => {
    expect(fitEnd('abc', 5)).toBe('abc  ');
    expect(fitStart('abc', 5)).toBe('  abc');
    expect(fitEnd('abcdef', 4)).toBe('abc…');
    expect(fitStart('123456', 4)).toBe('123…');
    expect(fitEnd('abc', 0)).toBe('');
  });

  it('counts a wide character as two columns, so a cut row is never wider than asked', () => {
    expect(columnsOf('漢字')).toBe(4);
    expect(fitEnd('漢字漢字', 5)).toBe('漢字…');
    expect(columnsOf(fitEnd('漢字漢字', 6))).toBe(6);
  });

  it('counts box drawing, arrows, blocks and … as one column', () => {
    expect(columnsOf('╭─│→▁█…µ▶')).toBe(9);
  });

  it('shows a control character (a newline in a log line) as ?, so it cannot break the row', () => {
    expect(fitEnd('a\nb', 4)).toBe('a?b ');
    expect(plain(row(6, [{ text: 'x\u001B[2Jy' }]))).toBe('x?[2Jy');
  });
});

describe('a row', () => {
  it('is exactly its width whatever its spans, and styles take no columns', () => {
    const short = row(12, [{ text: 'ab', style: { color: 'red' } }, { text: 'cd' }]);
    expect(plain(short)).toBe('abcd        ');
    expect(short).toContain(paint('ab', { color: 'red' }));
    const long = row(6, [{ text: 'abcd', style: { bold: true } }, { text: 'efgh' }, { text: 'ijk' }]);
    expect(plain(long)).toBe('abcde…');
  });

  it('cuts the span that runs over and leaves out the ones after it', () => {
    expect(plain(row(5, [{ text: 'abc' }, { text: 'defg' }, { text: 'xyz' }]))).toBe('abcd…');
  });
});

describe('a pane frame', () => {
  it('puts the title in the top border and every row at the pane width', () => {
    const lines = paneFrame({ title: 'Books', width: 20, rows: 5, focused: false }, [row(18, [{ text: 'one' }])]);
    expect(lines.map(plain)).toEqual([
      '╭─ Books ──────────╮',
      '│one               │',
      '│                  │',
      '│                  │',
      '╰──────────────────╯',
    ]);
  });

  it('marks the focused pane and leaves out body rows it has no room for', () => {
    const body = ['a', 'b', 'c', 'd'].map((t) => row(8, [{ text: t }]));
    const lines = paneFrame({ title: 'Log', width: 10, rows: 4, focused: true }, body).map(plain);
    expect(lines[0]).toBe('╭─ ▶ Log ╮');
    expect(lines.slice(1, 3)).toEqual(['│a       │', '│b       │']);
    expect(lines).toHaveLength(4);
  });
});

describe('the books pane body', () => {
  it('lines the prices of every book up in the same columns, best level first', () => {
    const { body } = booksBody(sampleViewModel().books, 70, 6, 0);
    const text = body.map(plain);
    expect(text).toHaveLength(6);
    for (const line of text) expect(line).toHaveLength(70);
    const separator = text[0].indexOf('│');
    for (const line of text) expect(line.indexOf('│')).toBe(separator);
    expect(text[0]).toMatch(/kraken\s+0\.5 64250\.1 │ 64251\.3 0\.75/);
    expect(text[3]).toMatch(/coinbase\s+0\.2 64249\.9 │ 64251\.1  0\.3/);
  });

  it('lights up (inverse) only the best level of the side holding the NBBO', () => {
    const [kraken, coinbase] = sampleViewModel().books;
    const shape = { levels: 3, width: 60, pxWidth: 7, szWidth: 4 };
    const krakenRows = bookLadderRows(kraken, shape);
    const coinbaseRows = bookLadderRows(coinbase, shape);
    // kraken holds the best bid: the inverse span is its bid, before the separator.
    expect(krakenRows[0].indexOf(INVERSE)).toBeGreaterThan(-1);
    expect(krakenRows[0].indexOf(INVERSE)).toBeLessThan(krakenRows[0].indexOf('│'));
    // coinbase holds the best ask: after the separator.
    expect(coinbaseRows[0].indexOf(INVERSE)).toBeGreaterThan(coinbaseRows[0].indexOf('│'));
    for (const deeper of [...krakenRows.slice(1), ...coinbaseRows.slice(1)]) expect(deeper).not.toContain(INVERSE);
  });

  it('says so when there are no books', () => {
    expect(plain(booksBody([], 20, 4, 0).body[0])).toBe('no books yet        ');
  });
});

describe('a table', () => {
  interface Item {
    name: string;
    qty: string;
    note: string;
  }
  const columns: readonly TableColumn<Item>[] = [
    { header: 'name', minWidth: 6, align: 'left', priority: 0, cell: (i) => i.name },
    { header: 'qty', minWidth: 5, align: 'right', priority: 0, cell: (i) => i.qty, color: (i) => (i.qty.startsWith('-') ? 'red' : undefined) },
    { header: 'note', minWidth: 6, align: 'left', priority: 2, cell: (i) => i.note },
  ];
  const items: Item[] = [
    { name: 'maker', qty: '0.25', note: 'first' },
    { name: 'hedger', qty: '-12.5', note: 'second' },
  ];

  it('right-aligns numbers under their header and colours cells by their value', () => {
    const lines = tableRows(columns, items, 30);
    expect(lines.map(plain)).toEqual([
      'name     qty note             ',
      'maker   0.25 first            ',
      'hedger -12.5 second           ',
    ]);
    expect(lines[2]).toContain(paint(' -12.5', { color: 'red' }));
  });

  it('leaves out the least important column whole when the pane is narrow', () => {
    expect(tableRows(columns, items, 14).map(plain)).toEqual(['name     qty  ', 'maker   0.25  ', 'hedger -12.5  ']);
  });
});
