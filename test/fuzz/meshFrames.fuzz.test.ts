import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MeshRouter, MESH_QUEUE_LIMIT } from '../../src/node/meshRouter.ts';
import { decodeFrame, encodeFrame, MeshProtocolError, type MeshFrame } from '../../src/node/mesh/meshProtocol.ts';
import { MAX_MESSAGE_BYTES } from '../../src/wasm/abi.ts';
import { AlgoInstance, type InstanceHost } from '../../src/wasm/algoInstance.ts';
import { compileBundle } from '../../src/wasm/loader.ts';
import { v1Bundle } from '../support/watBundle.ts';
import { fuzzRuns, mutatedJson, mutatedText } from './support/mutations.ts';

// Mesh peer frames and payloads from another host: every frame decodes to a frame that
// re-encodes to itself or is refused with a MeshProtocolError naming why; and the router
// counts every message it cannot deliver (unknown label, oversized payload, full queue)
// without throwing or growing its queue past the limit.

const HEX = 'ab'.repeat(32);
const VALID_FRAMES: MeshFrame[] = [
  { type: 'challenge', nonce: HEX },
  { type: 'hello', node: 'node-a', labels: ['maker', 'hedger'], nonce: HEX, mac: HEX },
  { type: 'welcome', mac: HEX },
  { type: 'refused', reason: 'bad mac' },
  { type: 'error', reason: 'protocol' },
  { type: 'labels', labels: ['maker'] },
  { type: 'msg', from: 'maker', to: 'hedger', payload: Uint8Array.of(1, 2, 3, 250), sentNs: 1_700_000_000_000_000_000 },
  { type: 'top', venueId: 2, venue: 'kraken', symbol: 'BTC/USD', bidPx1e9: 60_000_000_000_000, bidSz1e8: 10_000, askPx1e9: 60_000_100_000_000, askSz1e8: 20_000 },
  { type: 'nbbo', symbol: 'BTC/USD', nbbo: { bidPx1e9: 1, bidSz1e8: 2, askPx1e9: 3, askSz1e8: 4, bidVenue: 1, askVenue: 2, venueCount: 2 } },
  { type: 'ping', t: 12345 },
  { type: 'pong', t: 12345 },
];
const VALID_TEXTS = VALID_FRAMES.map(encodeFrame);

const anyFrame = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  mutatedText(VALID_TEXTS),
  mutatedJson(VALID_TEXTS.map((t) => JSON.parse(t) as unknown)),
);

describe('mesh peer frames from a stranger', () => {
  it('every frame decodes to one that re-encodes to the same frame, or is refused with a MeshProtocolError naming why', () => {
    for (const text of VALID_TEXTS) expect(encodeFrame(decodeFrame(text))).toBe(text);
    fc.assert(
      fc.property(anyFrame, (text) => {
        let frame: MeshFrame;
        try {
          frame = decodeFrame(text);
        } catch (error) {
          expect(error).toBeInstanceOf(MeshProtocolError);
          expect((error as Error).message.length).toBeGreaterThan(0);
          return;
        }
        expect(decodeFrame(encodeFrame(frame))).toEqual(frame);
      }),
      fuzzRuns(600),
    );
  });
});

describe('mesh payloads arriving for this node', () => {
  const host: InstanceHost = { nowNs: () => 0, log: () => undefined, aborted: () => undefined };
  const listener = new AlgoInstance(
    'hedger',
    compileBundle(v1Bundle({ fields: '(func (export "algo_on_message") (param i32 i32 i32 i32 i32) (result i32) (i32.const 0))' }), 'hedger.wasm', { memoryMaxMib: 16, callbackDeadlineMs: 50 }),
    50,
    host,
  );
  const deaf = new AlgoInstance('deaf', compileBundle(v1Bundle({}), 'deaf.wasm', { memoryMaxMib: 16, callbackDeadlineMs: 50 }), 50, host);
  const hosted = new Map([
    ['hedger', listener],
    ['deaf', deaf],
  ]);

  const arrival = fc.record({
    from: fc.oneof(fc.constantFrom('maker', ''), fc.string({ maxLength: 40 })),
    to: fc.oneof(fc.constantFrom('hedger', 'deaf', 'nobody'), fc.string({ maxLength: 40 })),
    length: fc.oneof(fc.integer({ min: 0, max: MAX_MESSAGE_BYTES }), fc.integer({ min: MAX_MESSAGE_BYTES + 1, max: 4 * MAX_MESSAGE_BYTES })),
  });

  it('every message is delivered or dropped and counted on its link; the queue never passes its limit', () => {
    fc.assert(
      fc.property(fc.array(arrival, { maxLength: 300 }), fc.integer({ min: 0, max: 3 }), (arrivals, drainEvery) => {
        let delivered = 0;
        const router = new MeshRouter(
          (label) => hosted.get(label),
          (delivery) => {
            expect(delivery.length).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
            delivered++;
          },
        );
        arrivals.forEach((a, i) => {
          router.receive(a.from, a.to, new Uint8Array(a.length).fill(i & 0xff));
          expect(router.pending).toBeLessThanOrEqual(MESH_QUEUE_LIMIT);
          if (drainEvery > 0 && i % drainEvery === 0) router.deliverNext(true);
        });
        while (router.pending > 0) router.deliverNext(true);
        const links = router.links();
        const sent = links.reduce((n, l) => n + l.sent, 0);
        const dropped = links.reduce((n, l) => n + l.dropped, 0);
        expect(sent).toBe(arrivals.length);
        expect(delivered + dropped).toBe(sent);
        const deliverable = arrivals.filter((a) => a.to === 'hedger' && a.length <= MAX_MESSAGE_BYTES).length;
        expect(delivered).toBe(deliverable);
      }),
      fuzzRuns(200),
    );
  });
});
