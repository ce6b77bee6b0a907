import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RingReceiver, RingSender } from '../src/tui/ringDelta.ts';
import { SnapshotReceiver, SnapshotSender } from '../src/tui/snapshotPassing.ts';
import type { BlotterRow } from '../src/tui/viewModel.ts';
import { sampleViewModel } from './support/sampleViewModel.ts';

const CAP = 200;

/** A publisher's ring: rows appended at the end, the oldest dropped past CAP, the same objects kept. */
function pushRows(ring: BlotterRow[], count: number, next: { n: number }): void {
  for (let i = 0; i < count; i++) {
    ring.push({ tsMs: next.n, label: 'maker', kind: 'order', text: `row ${next.n++}` });
    if (ring.length > CAP) ring.shift();
  }
}

describe('ring deltas between the node and the UI thread', () => {
  it('rebuild the ring exactly, frame after frame, whatever arrives in between', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.nat(3), fc.nat(450)), { maxLength: 60 }), (gaps) => {
        const ring: BlotterRow[] = [];
        const next = { n: 0 };
        const sender = new RingSender<BlotterRow>();
        const receiver = new RingReceiver<BlotterRow>();
        for (const added of gaps) {
          pushRows(ring, added, next);
          const part = sender.part(ring);
          expect(receiver.apply(structuredClone(part))).toEqual(ring);
        }
      }),
      { seed: 90309 },
    );
  });

  it('send only the rows added since the last frame while the ring keeps its rows', () => {
    const ring: BlotterRow[] = [];
    const next = { n: 0 };
    const sender = new RingSender<BlotterRow>();
    pushRows(ring, CAP, next);
    expect(sender.part(ring)).toMatchObject({ reset: true, length: CAP });
    pushRows(ring, 2, next);
    const part = sender.part(ring);
    expect(part).toEqual({ rows: ring.slice(-2), reset: false, length: CAP });
    expect(sender.part(ring)).toEqual({ rows: [], reset: false, length: CAP });
  });

  it('start over with the whole ring once the last row sent has left it', () => {
    const ring: BlotterRow[] = [];
    const next = { n: 0 };
    const sender = new RingSender<BlotterRow>();
    pushRows(ring, 5, next);
    sender.part(ring);
    pushRows(ring, CAP + 1, next);
    expect(sender.part(ring)).toEqual({ rows: ring, reset: true, length: CAP });
  });

  it('a whole snapshot arrives equal to the one the node published, rings included', () => {
    const sender = new SnapshotSender();
    const receiver = new SnapshotReceiver();
    const first = sampleViewModel();
    expect(receiver.receive(structuredClone(sender.pass(first)))).toEqual(first);
    const second = {
      ...first,
      blotter: [...first.blotter.slice(1), { tsMs: 1, label: 'hedger', kind: 'fill' as const, text: 'FILL 0.01' }],
      logs: first.logs.slice(),
      mesh: { links: first.mesh.links, recent: first.mesh.recent.slice() },
    };
    const passed = sender.pass(second);
    expect(passed.blotter.rows).toHaveLength(1);
    expect(passed.logs.rows).toHaveLength(0);
    expect(receiver.receive(structuredClone(passed))).toEqual(second);
  });
});
