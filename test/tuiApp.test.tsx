import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { App } from '../src/tui/App.tsx';
import type { SnapshotSource } from '../src/tui/mountUi.tsx';
import type { UiIntents, ViewModel } from '../src/tui/viewModel.ts';
import { haltedViewModel, sampleViewModel } from './support/sampleViewModel.ts';

const ESC = '\u001B';
const ANSI = /\u001B\[[0-9;]*[A-Za-z]/g;

/** A source the test publishes into by hand, as the node does at 30 Hz. */
function manualSource(first?: ViewModel) {
  let listener: ((vm: ViewModel) => void) | undefined;
  const source: SnapshotSource = {
    subscribe(onSnapshot) {
      listener = onSnapshot;
      if (first !== undefined) onSnapshot(first);
      return () => {
        listener = undefined;
      };
    },
  };
  return { source, publish: (vm: ViewModel) => listener?.(vm), isSubscribed: () => listener !== undefined };
}

function spyIntents() {
  return { halt: vi.fn<UiIntents['halt']>(), resume: vi.fn<UiIntents['resume']>(), quit: vi.fn<UiIntents['quit']>() };
}

/** Lets Ink attach its input listener and flush a render. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

async function mount(vm: ViewModel | undefined, size: { columns: number; rows: number } = { columns: 160, rows: 50 }, mode: 'local' | 'attached' = 'local') {
  const intents = spyIntents();
  const feed = manualSource(vm);
  const app = render(<App source={feed.source} intents={intents} mode={mode} columns={size.columns} rows={size.rows} />);
  await settle();
  const press = async (keys: string) => {
    app.stdin.write(keys);
    await settle();
  };
  const frame = () => (app.lastFrame() ?? '').replace(ANSI, '');
  return { app, intents, feed, press, frame };
}

afterEach(() => {
  cleanup();
});

describe('panes show the view model', () => {
  it('shows every pane with a value from the model at a large size', async () => {
    const { frame } = await mount(sampleViewModel());
    const text = frame();
    expect(text).toContain('node-7');
    expect(text).toContain('LEADER');
    expect(text).toContain('918273');
    expect(text).toContain('1h02m');
    expect(text).toContain('coinbase');
    expect(text).toContain('INVALID');
    expect(text).toContain('73%');
    expect(text).toContain('64250.1');
    expect(text).toContain('64251.3');
    expect(text).toContain('▁▂▃▄▅▆▇█');
    expect(text).toContain('ABORTED: trap in on_book');
    expect(text).toContain('12µs/480µs');
    expect(text).toContain('blotter-row-29');
    expect(text).toContain('maker → hedger');
    expect(text).toMatch(/maker → hedger\s+120\s+118\s+2/);
    expect(text).toContain('log-line-39');
  });

  it('shows the newest blotter row at the bottom and older ones above it', async () => {
    const { frame } = await mount(sampleViewModel());
    const text = frame();
    expect(text.indexOf('blotter-row-28')).toBeLessThan(text.indexOf('blotter-row-29'));
  });

  it('shows bootstrap progress only while bootstrapping', async () => {
    const base = sampleViewModel();
    const { frame, feed } = await mount(
      sampleViewModel({ node: { ...base.node, role: 'bootstrap', bootstrap: { done: 250, total: 1000 } } }),
    );
    expect(frame()).toContain('BOOTSTRAP');
    expect(frame()).toContain('250/1000 25%');
    feed.publish(base);
    await settle();
    expect(frame()).not.toContain('250/1000');
  });

  it('says connecting… until the first snapshot arrives', async () => {
    const { frame, feed } = await mount(undefined);
    expect(frame()).toContain('connecting…');
    feed.publish(sampleViewModel());
    await settle();
    expect(frame()).not.toContain('connecting…');
    expect(frame()).toContain('node-7');
  });

  it('a new snapshot replaces the old one', async () => {
    const first = sampleViewModel();
    const { frame, feed } = await mount(first);
    expect(frame()).toContain('seq 918273');
    feed.publish(sampleViewModel({ node: { ...first.node, journalSeq: 918999 } }));
    await settle();
    expect(frame()).toContain('seq 918999');
    expect(frame()).not.toContain('seq 918273');
  });

  it('refuses a view model of another version', async () => {
    const alien = { ...sampleViewModel(), version: 2 } as unknown as ViewModel;
    const { frame } = await mount(alien);
    expect(frame()).toContain('view model version 1');
    expect(frame()).not.toContain('node-7');
  });

  it('stops listening to the source when unmounted', async () => {
    const { app, feed } = await mount(sampleViewModel());
    expect(feed.isSubscribed()).toBe(true);
    app.unmount();
    expect(feed.isSubscribed()).toBe(false);
  });
});

describe('halt banner', () => {
  it('appears while halted with the reason and who halted', async () => {
    const { frame } = await mount(haltedViewModel());
    expect(frame()).toMatch(/TRADING HALTED — rejects over limit — by risk since \d\d:\d\d:\d\d/);
  });

  it('is the first line on screen', async () => {
    const { frame } = await mount(haltedViewModel(), { columns: 80, rows: 24 });
    expect(frame().split('\n')[0]).toContain('TRADING HALTED');
  });

  it('is absent while trading', async () => {
    const { frame, feed } = await mount(haltedViewModel());
    feed.publish(sampleViewModel());
    await settle();
    expect(frame()).not.toContain('TRADING HALTED');
  });
});

describe('footer and help', () => {
  it('always shows the keys, with q quit when local', async () => {
    const { frame } = await mount(sampleViewModel());
    expect(frame()).toContain('k kill switch  r resume  tab focus  ↑↓ scroll  ? help  q quit');
  });

  it('says q detach when attached', async () => {
    const { frame } = await mount(sampleViewModel(), undefined, 'attached');
    expect(frame()).toContain('q detach');
  });

  it('? opens the help overlay and any key closes it without acting', async () => {
    const { frame, press, intents } = await mount(sampleViewModel());
    await press('?');
    expect(frame()).toContain('any key closes this help');
    expect(frame()).not.toContain('blotter-row-29');
    await press('k');
    expect(frame()).not.toContain('any key closes this help');
    expect(frame()).toContain('blotter-row-29');
    expect(frame()).not.toContain('KILL SWITCH');
    expect(intents.halt).not.toHaveBeenCalled();
  });
});

describe('keys drive the node only through intents', () => {
  it('k then y halts once, without cancelling', async () => {
    const { press, intents, frame } = await mount(sampleViewModel());
    await press('k');
    expect(frame()).toContain('KILL SWITCH');
    await press('y');
    expect(intents.halt).toHaveBeenCalledTimes(1);
    expect(intents.halt).toHaveBeenCalledWith(false);
    expect(frame()).not.toContain('KILL SWITCH');
  });

  it('k then a halts and cancels all open orders', async () => {
    const { press, intents } = await mount(sampleViewModel());
    await press('k');
    await press('a');
    expect(intents.halt).toHaveBeenCalledTimes(1);
    expect(intents.halt).toHaveBeenCalledWith(true);
  });

  it('k then x calls nothing', async () => {
    const { press, intents, frame } = await mount(sampleViewModel());
    await press('k');
    await press('x');
    expect(intents.halt).not.toHaveBeenCalled();
    expect(intents.resume).not.toHaveBeenCalled();
    expect(intents.quit).not.toHaveBeenCalled();
    expect(frame()).not.toContain('KILL SWITCH');
  });

  it('r then y resumes while halted', async () => {
    const { press, intents, frame } = await mount(haltedViewModel());
    await press('r');
    expect(frame()).toContain('resume trading? y/n');
    await press('y');
    expect(intents.resume).toHaveBeenCalledTimes(1);
  });

  it('r then y does nothing while not halted', async () => {
    const { press, intents, frame } = await mount(sampleViewModel());
    await press('r');
    expect(frame()).not.toContain('resume trading?');
    await press('y');
    expect(intents.resume).not.toHaveBeenCalled();
  });

  it('q then y shuts the node down', async () => {
    const { press, intents, frame } = await mount(sampleViewModel());
    await press('q');
    expect(frame()).toContain('shut down the node? y/n');
    await press('y');
    expect(intents.quit).toHaveBeenCalledTimes(1);
    expect(frame()).toContain('shutting down');
  });

  it('q asks to detach when attached', async () => {
    const { press, intents, frame } = await mount(sampleViewModel(), undefined, 'attached');
    await press('q');
    expect(frame()).toContain('detach? y/n');
    await press('y');
    expect(intents.quit).toHaveBeenCalledTimes(1);
  });

  it('ctrl-c opens the quit prompt instead of exiting', async () => {
    const { press, intents, frame } = await mount(sampleViewModel());
    await press('\u0003');
    expect(frame()).toContain('shut down the node? y/n');
    expect(intents.quit).not.toHaveBeenCalled();
    await press('n');
    expect(frame()).toContain('k kill switch');
    expect(frame()).toContain('node-7');
  });

  it('the keys work before the first snapshot, so a dead daemon can still be detached from', async () => {
    const { press, intents, frame } = await mount(undefined, undefined, 'attached');
    await press('q');
    expect(frame()).toContain('detach? y/n');
    await press('y');
    expect(intents.quit).toHaveBeenCalledTimes(1);
  });

  it('a failing intent is shown instead of crashing the UI', async () => {
    const { app, press, frame } = await mount(sampleViewModel());
    app.rerender(
      <App
        source={manualSource(sampleViewModel()).source}
        intents={{ halt: () => { throw new Error('socket closed'); }, resume: () => {}, quit: () => {} }}
        mode="attached"
        columns={160}
        rows={50}
      />,
    );
    await settle();
    await press('k');
    await press('y');
    expect(frame()).toContain('halt failed: socket closed');
    await press('x');
    expect(frame()).toContain('k kill switch');
  });
});

describe('focus and scrolling', () => {
  it('tab moves the highlighted border to the next pane', async () => {
    const { press, frame } = await mount(sampleViewModel());
    expect(frame()).toContain('▶ Orders & fills');
    await press('\t');
    expect(frame()).toContain('▶ Venues');
    expect(frame()).not.toContain('▶ Orders & fills');
    await press(`${ESC}[Z`);
    expect(frame()).toContain('▶ Orders & fills');
  });

  it('↑ scrolls the focused blotter back to older rows, ↓ returns to the newest', async () => {
    const { press, frame } = await mount(sampleViewModel(), { columns: 80, rows: 24 });
    expect(frame()).toContain('blotter-row-29');
    await press(`${ESC}[A`);
    await press(`${ESC}[A`);
    expect(frame()).not.toContain('blotter-row-29');
    expect(frame()).toContain('2 newer below');
    await press(`${ESC}[B`);
    await press(`${ESC}[B`);
    expect(frame()).toContain('blotter-row-29');
  });
});

describe('fits the terminal', () => {
  const widthOf = (line: string) => [...line].length;

  it.each([
    ['halted with a prompt open', haltedViewModel(), 'k'],
    ['trading', sampleViewModel(), ''],
    ['with help open', sampleViewModel(), '?'],
  ])('at 80x24 no frame is taller than 24 lines or wider than 80 columns (%s)', async (_name, vm, keys) => {
    const { app, press } = await mount(vm, { columns: 80, rows: 24 });
    if (keys !== '') await press(keys);
    expect(app.frames.length).toBeGreaterThan(0);
    for (const raw of app.frames) {
      const lines = raw.replace(ANSI, '').split('\n');
      expect(lines.length).toBeLessThanOrEqual(24);
      for (const line of lines) expect(widthOf(line)).toBeLessThanOrEqual(80);
    }
  });

  it('at 80x24 the kill-switch prompt shows every choice in full', async () => {
    const { frame, press } = await mount(haltedViewModel(), { columns: 80, rows: 24 });
    await press('k');
    expect(frame()).toContain('y: halt   a: halt AND cancel all open orders   other key: back');
  });

  it('at 80x24 shows the banner, node, instances, books, blotter and footer', async () => {
    const { frame } = await mount(haltedViewModel(), { columns: 80, rows: 24 });
    const text = frame();
    for (const expected of ['TRADING HALTED', 'node-7', 'Instances', 'Books', 'Orders & fills', 'k kill switch']) {
      expect(text).toContain(expected);
    }
    expect(text).toContain('coinbase DOWN');
  });

  it('follows the terminal when it is resized from one column to two', async () => {
    const feed = manualSource(sampleViewModel());
    const app = render(<App source={feed.source} intents={spyIntents()} mode="local" />);
    await settle();
    expect(app.lastFrame()).not.toContain('Log');
    Object.defineProperty(app.stdout, 'columns', { value: 160, configurable: true });
    Object.defineProperty(app.stdout, 'rows', { value: 50, configurable: true });
    app.stdout.emit('resize');
    await settle();
    expect(app.lastFrame()).toContain('Log');
    expect(app.lastFrame()).toContain('Mesh');
  });
});
