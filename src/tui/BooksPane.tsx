// Every venue's book, as deep as the pane allows (at least three levels), one below another.

import type { BookLevelView, BookView } from './viewModel.ts';
import { bookWindow, deepestBook, headWindow } from './layout.ts';
import { bookLadderRows } from './bookLadder.ts';
import { row } from './format.ts';
import { Pane } from './Pane.tsx';

/**
 * The widest price and size among the levels on screen (at most 10 books x 2 x 10 strings),
 * so prices are never cut and every ladder's columns line up.
 */
function widestText(books: readonly BookView[], levels: number, pick: (level: BookLevelView) => string): number {
  let width = 1;
  for (const book of books) {
    for (let i = 0; i < Math.min(levels, book.bids.length); i++) width = Math.max(width, pick(book.bids[i]).length);
    for (let i = 0; i < Math.min(levels, book.asks.length); i++) width = Math.max(width, pick(book.asks[i]).length);
  }
  return width;
}

export interface BooksPaneProps {
  books: readonly BookView[];
  width: number;
  rows: number;
  focused: boolean;
  scroll: number;
}

/** The pane's body: each visible book's ladder, `width` columns wide. */
export function booksBody(books: readonly BookView[], width: number, contentRows: number, scroll: number): { body: string[]; title: string } {
  const { levels, visibleBooks } = bookWindow(contentRows, books.length, deepestBook(books));
  const { start, end } = headWindow(books.length, visibleBooks, scroll);
  const more = books.length > visibleBooks ? ` ${start + 1}-${end}/${books.length}` : '';
  if (books.length === 0) return { body: [row(width, [{ text: 'no books yet', style: { color: 'gray' } }])], title: `Books${more}` };
  const shown = books.slice(start, end);
  const shape = { levels, width, pxWidth: widestText(shown, levels, (level) => level.px), szWidth: widestText(shown, levels, (level) => level.sz) };
  return { body: shown.flatMap((book) => bookLadderRows(book, shape)), title: `Books${more}` };
}

export function BooksPane({ books, width, rows, focused, scroll }: BooksPaneProps) {
  const { body, title } = booksBody(books, width - 2, rows - 2, scroll);
  return <Pane title={title} width={width} rows={rows} focused={focused} body={body} />;
}
