// Where everything goes for a terminal of a given size: a pure function of the terminal's
// columns and rows and a few counts from the view model, so it is cheap at 30 Hz and testable
// without a terminal. Panes are bordered boxes; their heights here include the two border rows.

import type { PaneId } from './uiState.ts';
import type { BookView, ViewModel } from './viewModel.ts';

/** Below this width one column; at or above it, trading panes left and plumbing right. */
export const TWO_COLUMN_MIN_COLUMNS = 120;
/** A terminal this tall gets a three-row halt banner instead of one. */
const TALL_BANNER_MIN_ROWS = 40;
export const BORDER_ROWS = 2;
export const MIN_BOOK_LEVELS = 3;
export const MAX_BOOK_LEVELS = 10;
const PROMPT_ROWS = 3;
const FOOTER_ROWS = 1;
/** Recent mesh messages a single-column mesh pane asks for beyond its links. */
const MESH_RECENT_WANT = 6;
const LOG_WANT_ROWS = 8;

export interface PaneSlot {
  pane: PaneId;
  rows: number;
}

export interface PaneColumn {
  width: number;
  slots: PaneSlot[];
}

export interface Layout {
  width: number;
  bannerRows: number;
  bootstrapRow: boolean;
  /** A one-line venue summary, shown when the venues pane itself does not fit. */
  venueStrip: boolean;
  /** Rows of the pane area (and of the help overlay that replaces it). */
  paneAreaRows: number;
  columns: PaneColumn[];
  /** The footer, or the taller prompt box that replaces it while a prompt is open. */
  bottomRows: number;
}

export interface LayoutInput {
  columns: number;
  rows: number;
  halted: boolean;
  bootstrapping: boolean;
  promptOpen: boolean;
  instances: number;
  books: number;
  /** Deepest side of any book, so a shallow book does not claim rows it cannot fill. */
  bookDepth: number;
  venues: number;
  meshLinks: number;
  meshRecent: number;
}

interface PaneRequest {
  pane: PaneId;
  min: number;
  want: number;
  /** Essential panes shrink rather than vanish, and earlier panes leave room for them. */
  essential: boolean;
  /** Takes whatever rows are left over once every pane has what it wants. */
  grow: boolean;
}

function allocate(requests: readonly PaneRequest[], budget: number): PaneSlot[] {
  const slots: PaneSlot[] = [];
  let used = 0;
  requests.forEach((request, i) => {
    let reserve = 0;
    for (const later of requests.slice(i + 1)) if (later.essential) reserve += later.min;
    const rows = Math.min(request.want, budget - used - reserve);
    const fits = rows >= request.min || (request.essential && rows >= BORDER_ROWS + 1);
    if (!fits) return;
    slots.push({ pane: request.pane, rows });
    used += rows;
  });
  const growSlot = slots.find((slot) => requests.find((r) => r.pane === slot.pane)?.grow);
  if (growSlot !== undefined) growSlot.rows += budget - used;
  return slots;
}

function capped(want: number, min: number, budget: number, share: number): number {
  return Math.min(want, Math.max(min, Math.floor(budget * share)));
}

export function computeLayout(input: LayoutInput): Layout {
  const bannerRows = input.halted ? (input.rows >= TALL_BANNER_MIN_ROWS ? 3 : 1) : 0;
  const bottomRows = input.promptOpen ? PROMPT_ROWS : FOOTER_ROWS;
  // One row stays empty: Ink redraws the whole screen (and flickers) on every frame whose
  // previous output filled the terminal, and a full last line makes the terminal scroll.
  const fixedRows = 1 + bannerRows + 1 + (input.bootstrapping ? 1 : 0) + bottomRows;
  const budget = Math.max(0, input.rows - fixedRows);

  const instancesMin = BORDER_ROWS + 2;
  const booksMin = BORDER_ROWS + MIN_BOOK_LEVELS;
  const listMin = BORDER_ROWS + 3;
  const instancesWant = BORDER_ROWS + 1 + Math.max(1, input.instances);
  const booksWant = BORDER_ROWS + Math.max(1, input.books) * depthShown(input.bookDepth);
  const venuesWant = BORDER_ROWS + 1 + Math.max(1, input.venues);
  const meshWant =
    BORDER_ROWS + (input.meshLinks > 0 ? 1 + input.meshLinks : 0) +
    Math.max(1, Math.min(input.meshRecent, MESH_RECENT_WANT));

  if (input.columns >= TWO_COLUMN_MIN_COLUMNS) {
    const leftWidth = Math.floor(input.columns * 0.6);
    const left = allocate(
      [
        { pane: 'instances', min: instancesMin, want: capped(instancesWant, instancesMin, budget, 0.35), essential: true, grow: false },
        { pane: 'books', min: booksMin, want: capped(booksWant, booksMin, budget, 0.5), essential: true, grow: false },
        { pane: 'blotter', min: listMin, want: listMin, essential: true, grow: true },
      ],
      budget,
    );
    const right = allocate(
      [
        { pane: 'venues', min: BORDER_ROWS + 2, want: capped(venuesWant, BORDER_ROWS + 2, budget, 0.3), essential: true, grow: false },
        { pane: 'mesh', min: listMin, want: capped(meshWant + MESH_RECENT_WANT, listMin, budget, 0.4), essential: true, grow: false },
        { pane: 'log', min: listMin, want: listMin, essential: true, grow: true },
      ],
      budget,
    );
    return {
      width: input.columns,
      bannerRows,
      bootstrapRow: input.bootstrapping,
      venueStrip: false,
      paneAreaRows: budget,
      columns: [
        { width: leftWidth, slots: left },
        { width: input.columns - leftWidth, slots: right },
      ],
      bottomRows,
    };
  }

  const slots = allocate(
    [
      { pane: 'instances', min: instancesMin, want: capped(instancesWant, instancesMin, budget, 0.3), essential: true, grow: false },
      { pane: 'books', min: booksMin, want: capped(booksWant, booksMin, budget, 0.4), essential: true, grow: false },
      { pane: 'blotter', min: listMin, want: listMin, essential: true, grow: true },
      { pane: 'venues', min: BORDER_ROWS + 2, want: venuesWant, essential: false, grow: false },
      { pane: 'mesh', min: listMin, want: meshWant, essential: false, grow: false },
      { pane: 'log', min: listMin, want: BORDER_ROWS + LOG_WANT_ROWS, essential: false, grow: false },
    ],
    budget,
  );
  // Venue connectivity matters too much to vanish with its pane: the blotter lends a row
  // to a one-line summary when it can spare one.
  const blotter = slots.find((slot) => slot.pane === 'blotter');
  const venueStrip =
    !slots.some((slot) => slot.pane === 'venues') && blotter !== undefined && blotter.rows > listMin;
  if (venueStrip && blotter !== undefined) blotter.rows -= 1;
  return {
    width: input.columns,
    bannerRows,
    bootstrapRow: input.bootstrapping,
    venueStrip,
    paneAreaRows: budget,
    columns: [{ width: input.columns, slots }],
    bottomRows,
  };
}

/** Panes on screen, in the order tab visits them. */
export function visiblePanes(layout: Layout): PaneId[] {
  return layout.columns.flatMap((column) => column.slots.map((slot) => slot.pane));
}

export function contentRowsOf(layout: Layout, pane: PaneId): number {
  for (const column of layout.columns) {
    const slot = column.slots.find((s) => s.pane === pane);
    if (slot !== undefined) return Math.max(0, slot.rows - BORDER_ROWS);
  }
  return 0;
}

function depthShown(bookDepth: number): number {
  return Math.min(MAX_BOOK_LEVELS, Math.max(MIN_BOOK_LEVELS, bookDepth));
}

/** The deepest side of any book: O(books), which is a handful. */
export function deepestBook(books: readonly BookView[]): number {
  let depth = 0;
  for (const book of books) depth = Math.max(depth, book.bids.length, book.asks.length);
  return depth;
}

export interface BookWindow {
  levels: number;
  visibleBooks: number;
}

/**
 * How many levels each book shows and how many books fit: every book at the minimum depth
 * first, then deeper books, then (if even the minimum does not fit) fewer books.
 */
export function bookWindow(contentRows: number, books: number, bookDepth: number): BookWindow {
  if (books === 0 || contentRows <= 0) return { levels: MIN_BOOK_LEVELS, visibleBooks: 0 };
  const perBook = Math.floor(contentRows / books);
  const levels = Math.min(contentRows, Math.max(MIN_BOOK_LEVELS, Math.min(depthShown(bookDepth), perBook)));
  return { levels, visibleBooks: Math.min(books, Math.floor(contentRows / levels)) };
}

export interface MeshWindow {
  /** Rows for the links table, its header included; 0 when there are no links. */
  linkRows: number;
  recentRows: number;
}

/** Links first (they are few and always relevant), at most half the pane; messages below. */
export function meshWindow(contentRows: number, links: number): MeshWindow {
  const linkRows = links > 0 ? Math.min(1 + links, Math.ceil(contentRows / 2)) : 0;
  return { linkRows, recentRows: Math.max(0, contentRows - linkRows) };
}

export interface ListWindow {
  start: number;
  end: number;
}

/** The visible slice of a list whose newest entry is last, scrolled `offset` rows back. */
export function tailWindow(length: number, visible: number, offset: number): ListWindow {
  const maxOffset = Math.max(0, length - visible);
  const end = length - Math.min(Math.max(0, offset), maxOffset);
  return { start: Math.max(0, end - visible), end };
}

/** The visible slice of a list that rests at its top, scrolled `offset` rows down. */
export function headWindow(length: number, visible: number, offset: number): ListWindow {
  const start = Math.min(Math.max(0, offset), Math.max(0, length - visible));
  return { start, end: Math.min(length, start + Math.max(0, visible)) };
}

/** How far a pane can scroll at its current size: what the key reducer clamps to. */
export function scrollMaxOf(pane: PaneId, contentRows: number, vm: ViewModel): number {
  switch (pane) {
    case 'instances':
      return Math.max(0, vm.instances.length - (contentRows - 1));
    case 'venues':
      return Math.max(0, vm.venues.length - (contentRows - 1));
    case 'books':
      return Math.max(0, vm.books.length - bookWindow(contentRows, vm.books.length, deepestBook(vm.books)).visibleBooks);
    case 'blotter':
      return Math.max(0, vm.blotter.length - contentRows);
    case 'log':
      return Math.max(0, vm.logs.length - contentRows);
    case 'mesh':
      return Math.max(0, vm.mesh.recent.length - meshWindow(contentRows, vm.mesh.links.length).recentRows);
  }
}
