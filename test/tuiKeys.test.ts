import { describe, expect, it } from 'vitest';
import { initialUiState, updateUi, type KeyPress, type UiContext, type UiState } from '../src/tui/uiState.ts';

const NO_KEY: KeyPress = { upArrow: false, downArrow: false, pageUp: false, pageDown: false, tab: false, shift: false, ctrl: false };

const RUNNING: UiContext = { halted: false, panes: ['instances', 'books', 'blotter'], scrollMax: 10, pageRows: 4 };
const HALTED: UiContext = { ...RUNNING, halted: true };

/** Feeds keys one after another, collecting every command the reducer emits. */
function press(keys: readonly (string | Partial<KeyPress>)[], ctx: UiContext = RUNNING, from: UiState = initialUiState()) {
  let state = from;
  const commands = [];
  for (const k of keys) {
    const update = typeof k === 'string' ? updateUi(state, k, NO_KEY, ctx) : updateUi(state, '', { ...NO_KEY, ...k }, ctx);
    state = update.state;
    if (update.command !== null) commands.push(update.command);
  }
  return { state, commands };
}

describe('kill switch prompt', () => {
  it('k opens the prompt without acting yet', () => {
    const { state, commands } = press(['k']);
    expect(state.prompt).toBe('kill');
    expect(commands).toEqual([]);
  });

  it('k then y halts without cancelling orders', () => {
    const { state, commands } = press(['k', 'y']);
    expect(commands).toEqual([{ kind: 'halt', cancelAll: false }]);
    expect(state.prompt).toBeNull();
  });

  it('k then a halts and cancels all open orders', () => {
    expect(press(['k', 'a']).commands).toEqual([{ kind: 'halt', cancelAll: true }]);
  });

  it('k then any other key closes the prompt and does nothing', () => {
    for (const other of ['x', 'n', 'k', ' ', 'q']) {
      const { state, commands } = press(['k', other]);
      expect(commands).toEqual([]);
      expect(state.prompt).toBeNull();
    }
    expect(press(['k', { downArrow: true }]).state.prompt).toBeNull();
  });

  it('works while already halted, so open orders can still be cancelled with k a', () => {
    expect(press(['k', 'a'], HALTED).commands).toEqual([{ kind: 'halt', cancelAll: true }]);
  });
});

describe('resume prompt', () => {
  it('r then y resumes while halted', () => {
    expect(press(['r', 'y'], HALTED).commands).toEqual([{ kind: 'resume' }]);
  });

  it('r does nothing while trading is not halted', () => {
    const { state, commands } = press(['r', 'y']);
    expect(state.prompt).toBeNull();
    expect(commands).toEqual([]);
  });

  it('y does not resume when the halt was lifted while the prompt was open', () => {
    const opened = press(['r'], HALTED).state;
    expect(press(['y'], RUNNING, opened).commands).toEqual([]);
  });

  it('r then n keeps the halt', () => {
    expect(press(['r', 'n'], HALTED).commands).toEqual([]);
  });
});

describe('quit prompt', () => {
  it('q then y quits and remembers that it did', () => {
    const { state, commands } = press(['q', 'y']);
    expect(commands).toEqual([{ kind: 'quit' }]);
    expect(state.quitRequested).toBe(true);
  });

  it('q then n stays', () => {
    const { state, commands } = press(['q', 'n']);
    expect(commands).toEqual([]);
    expect(state.prompt).toBeNull();
  });

  it('ctrl-c opens the quit prompt instead of quitting', () => {
    const ctrlC = updateUi(initialUiState(), 'c', { ...NO_KEY, ctrl: true }, RUNNING);
    expect(ctrlC.state.prompt).toBe('quit');
    expect(ctrlC.command).toBeNull();
  });

  it('ctrl-c twice keeps asking rather than quitting', () => {
    const once = updateUi(initialUiState(), 'c', { ...NO_KEY, ctrl: true }, RUNNING);
    const twice = updateUi(once.state, 'c', { ...NO_KEY, ctrl: true }, RUNNING);
    expect(twice.state.prompt).toBe('quit');
    expect(twice.command).toBeNull();
  });

  it('ctrl-c replaces an open kill prompt with the quit prompt', () => {
    const kill = press(['k']).state;
    expect(updateUi(kill, 'c', { ...NO_KEY, ctrl: true }, RUNNING).state.prompt).toBe('quit');
  });
});

describe('help overlay', () => {
  it('? opens help and any key closes it without acting', () => {
    expect(press(['?']).state.helpOpen).toBe(true);
    const { state, commands } = press(['?', 'k']);
    expect(state.helpOpen).toBe(false);
    expect(state.prompt).toBeNull();
    expect(commands).toEqual([]);
  });
});

describe('focus and scroll', () => {
  it('tab cycles focus through the panes on screen and wraps', () => {
    expect(press([{ tab: true }]).state.focus).toBe('instances');
    expect(press([{ tab: true }, { tab: true }]).state.focus).toBe('books');
  });

  it('shift-tab cycles backwards', () => {
    expect(press([{ tab: true, shift: true }]).state.focus).toBe('books');
  });

  it('tab from a pane no longer on screen lands on the first pane shown', () => {
    const onLog = { ...initialUiState(), focus: 'log' as const };
    expect(press([{ tab: true }], RUNNING, onLog).state.focus).toBe('instances');
  });

  it('↑ scrolls a newest-at-the-bottom list back, ↓ returns toward the newest', () => {
    const back = press([{ upArrow: true }, { upArrow: true }, { upArrow: true }]).state;
    expect(back.scroll.blotter).toBe(3);
    expect(press([{ downArrow: true }], RUNNING, back).state.scroll.blotter).toBe(2);
  });

  it('↓ scrolls a top-anchored list down', () => {
    const onInstances = { ...initialUiState(), focus: 'instances' as const };
    expect(press([{ downArrow: true }], RUNNING, onInstances).state.scroll.instances).toBe(1);
  });

  it('PgUp moves a page, and scrolling stops at both ends of the list', () => {
    expect(press([{ pageUp: true }]).state.scroll.blotter).toBe(4);
    expect(press([{ pageUp: true }, { pageUp: true }, { pageUp: true }, { pageUp: true }]).state.scroll.blotter).toBe(10);
    expect(press([{ downArrow: true }, { pageDown: true }]).state.scroll.blotter).toBe(0);
  });

  it('scrolls only the focused pane', () => {
    const { state } = press([{ upArrow: true }]);
    expect(state.scroll.instances).toBe(0);
    expect(state.scroll.log).toBe(0);
  });
});
