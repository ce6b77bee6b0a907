// Every venue's book, as deep as the pane allows (at least three levels), one below another.

import { Text } from 'ink';
import type { BookLevelView, BookView } from './viewModel.ts';
import { bookWindow, deepestBook, headWindow } from './layout.ts';
import { BookLadder } from './BookLadder.tsx';
import { Pane } from './Pane.tsx';

/**
 * The widest price and size among the levels on screen (at most 10 books x 2 x 10 strings),
 * so prices are never cut and every ladder's columns line up.
 */
function widestText(books: readonly BookView[], levels: number, pick: (level: BookLevelView) => string): number {
  let width = 1;
  for (const book of books) {
    for (const level of book.bids.slice(0, levels)) width = Math.max(width, pick(level).length);
    for (const level of book.asks.slice(0, levels)) width = Math.max(width, pick(level).length);
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

export function BooksPane({ books, width, rows, focused, scroll }: BooksPaneProps) {
  const { levels, visibleBooks } = bookWindow(rows - 2, books.length, deepestBook(books));
  const { start, end } = headWindow(books.length, visibleBooks, scroll);
  const shown = books.slice(start, end);
  const pxWidth = widestText(shown, levels, (level) => level.px);
  const szWidth = widestText(shown, levels, (level) => level.sz);
  const more = books.length > visibleBooks ? ` ${start + 1}-${end}/${books.length}` : '';
  return (
    <Pane title={`Books${more}`} width={width} rows={rows} focused={focused}>
      {books.length === 0 ? (
        <Text color="gray">no books yet</Text>
      ) : (
        shown.map((book) => (
          <BookLadder
            key={`${book.venue}/${book.symbol}`}
            book={book}
            levels={levels}
            width={width - 2}
            pxWidth={pxWidth}
            szWidth={szWidth}
          />
        ))
      )}
    </Pane>
  );
}
