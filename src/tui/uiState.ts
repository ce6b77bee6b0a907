// The UI's own state (focus, scroll offsets, which prompt or overlay is open) and the one
// pure function that changes it, in the Elm / Bubble Tea shape: a key press goes in, the next
// state and at most one command come out. Commands are values; App turns them into
// UiIntents calls, so this file never performs I/O and is tested directly.

export type PaneId = 'instances' | 'books' | 'blotter' | 'venues' | 'mesh' | 'log';

export type PromptKind = 'kill' | 'resume' | 'quit';

export interface UiState {
  focus: PaneId;
  /** Per pane, rows (or books) scrolled away from the pane's resting position. */
  scroll: Readonly<Record<PaneId, number>>;
  prompt: PromptKind | null;
  helpOpen: boolean;
  /** Set once the operator confirmed quit, so the footer can say the node is going down. */
  quitRequested: boolean;
}

export type UiCommand =
  | { kind: 'halt'; cancelAll: boolean }
  | { kind: 'resume' }
  | { kind: 'quit' };

/** The parts of Ink's `Key` the UI reacts to; Ink's own object satisfies it. */
export interface KeyPress {
  upArrow: boolean;
  downArrow: boolean;
  pageUp: boolean;
  pageDown: boolean;
  tab: boolean;
  shift: boolean;
  ctrl: boolean;
}

export interface UiContext {
  halted: boolean;
  /** Panes on screen now, in focus order; tab cycles through these only. */
  panes: readonly PaneId[];
  /** How far the focused pane can scroll before it runs out of rows. */
  scrollMax: number;
  /** Rows a PgUp / PgDn moves in the focused pane. */
  pageRows: number;
}

export interface UiUpdate {
  state: UiState;
  command: UiCommand | null;
}

/**
 * Lists whose newest entry is at the bottom rest at the bottom, and ↑ scrolls back in time;
 * the others rest at the top, and ↓ scrolls down.
 */
const TAIL_ANCHORED: ReadonlySet<PaneId> = new Set<PaneId>(['blotter', 'mesh', 'log']);

export function initialUiState(): UiState {
  return {
    focus: 'blotter',
    scroll: { instances: 0, books: 0, blotter: 0, venues: 0, mesh: 0, log: 0 },
    prompt: null,
    helpOpen: false,
    quitRequested: false,
  };
}

function isYes(input: string): boolean {
  return input === 'y' || input === 'Y';
}

function answerPrompt(state: UiState, prompt: PromptKind, input: string, halted: boolean): UiUpdate {
  // Every prompt closes on any key: only the exact confirming key acts, so a stray key can
  // never halt, resume or stop the node.
  const closed: UiState = { ...state, prompt: null };
  if (prompt === 'kill') {
    if (isYes(input)) return { state: closed, command: { kind: 'halt', cancelAll: false } };
    if (input === 'a' || input === 'A') {
      return { state: closed, command: { kind: 'halt', cancelAll: true } };
    }
    return { state: closed, command: null };
  }
  if (!isYes(input)) return { state: closed, command: null };
  if (prompt === 'resume') {
    // The halt may have been lifted elsewhere while the prompt was open.
    return { state: closed, command: halted ? { kind: 'resume' } : null };
  }
  return { state: { ...closed, quitRequested: true }, command: { kind: 'quit' } };
}

function cycleFocus(state: UiState, panes: readonly PaneId[], step: 1 | -1): UiState {
  if (panes.length === 0) return state;
  const at = panes.indexOf(state.focus);
  // A focused pane that a resize took off screen hands focus to the first one shown.
  const next = at < 0 ? 0 : (at + step + panes.length) % panes.length;
  return { ...state, focus: panes[next] ?? state.focus };
}

function scrollFocused(state: UiState, ctx: UiContext, rowsTowardEnd: number): UiState {
  const pane = state.focus;
  // "Toward the end" is down the screen; for tail-anchored lists that is toward the resting
  // position, so the offset shrinks.
  const delta = TAIL_ANCHORED.has(pane) ? -rowsTowardEnd : rowsTowardEnd;
  const current = Math.min(state.scroll[pane], ctx.scrollMax);
  const next = Math.min(Math.max(0, current + delta), Math.max(0, ctx.scrollMax));
  if (next === state.scroll[pane]) return state;
  return { ...state, scroll: { ...state.scroll, [pane]: next } };
}

export function updateUi(state: UiState, input: string, key: KeyPress, ctx: UiContext): UiUpdate {
  // Ctrl-C is how terminal users stop programs; here it asks first, like q, because an
  // accidental exit would leave the operator without the kill switch.
  if (key.ctrl && input === 'c') {
    return { state: { ...state, helpOpen: false, prompt: 'quit' }, command: null };
  }
  if (state.prompt !== null) return answerPrompt(state, state.prompt, input, ctx.halted);
  if (state.helpOpen) return { state: { ...state, helpOpen: false }, command: null };

  if (key.tab) return { state: cycleFocus(state, ctx.panes, key.shift ? -1 : 1), command: null };
  if (key.upArrow) return { state: scrollFocused(state, ctx, -1), command: null };
  if (key.downArrow) return { state: scrollFocused(state, ctx, 1), command: null };
  if (key.pageUp) return { state: scrollFocused(state, ctx, -Math.max(1, ctx.pageRows)), command: null };
  if (key.pageDown) return { state: scrollFocused(state, ctx, Math.max(1, ctx.pageRows)), command: null };

  switch (input) {
    case 'k':
      return { state: { ...state, prompt: 'kill' }, command: null };
    case 'r':
      // Resuming a node that is not halted means nothing; asking would only teach the
      // operator to answer prompts without reading them.
      return { state: ctx.halted ? { ...state, prompt: 'resume' } : state, command: null };
    case 'q':
      return { state: { ...state, prompt: 'quit' }, command: null };
    case '?':
      return { state: { ...state, helpOpen: true }, command: null };
    default:
      return { state, command: null };
  }
}
