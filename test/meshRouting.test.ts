import { describe, expect, it } from 'vitest';
import { EngineHarness, tempDir, writeBundle } from './support/nodeHarness.ts';
import { v1Bundle } from './support/watBundle.ts';

// send(label, payload) as the ABI defines it, through the engine's in-process routing.

const SEND_IMPORT = '(import "env" "__seq_send" (func $send (param i32 i32 i32 i32) (result i32)))';
const LABELS = `(data (i32.const 7000) "receiver") (data (i32.const 7016) "nobody") (data (i32.const 7032) "sender") (data (i32.const 7048) "muted") (data (i32.const 7064) "crashed")`;

// On its first book: the ABI's error cases, then sends that fill the 16-message outbox.
// Results are stored as i32s from 6000 on. It also counts messages it gets (to itself) at 6200.
const SENDER = v1Bundle({
  imports: SEND_IMPORT,
  fields: `${LABELS}
    (global $done (mut i32) (i32.const 0))
    (func (export "algo_on_message") (param i32 i32 i32 i32 i32) (result i32)
      (i32.store (i32.const 6200) (i32.add (i32.load (i32.const 6200)) (i32.const 1))) (i32.const 0))`,
  onBook: `(local $k i32)
    (if (global.get $done) (then (return (i32.const 0))))
    (global.set $done (i32.const 1))
    (i32.store (i32.const 6000) (call $send (i32.const 7000) (i32.const 8) (i32.const 8000) (i32.const 256)))
    (i32.store (i32.const 6004) (call $send (i32.const 7000) (i32.const 8) (i32.const 8000) (i32.const 257)))
    (i32.store (i32.const 6008) (call $send (i32.const 7000) (i32.const 0) (i32.const 8000) (i32.const 1)))
    (i32.store (i32.const 6012) (call $send (i32.const 7000) (i32.const 33) (i32.const 8000) (i32.const 1)))
    (i32.store (i32.const 6016) (call $send (i32.const 7016) (i32.const 6) (i32.const 8000) (i32.const 4)))
    (i32.store (i32.const 6020) (call $send (i32.const 7032) (i32.const 6) (i32.const 8000) (i32.const 4)))
    (i32.store (i32.const 6024) (call $send (i32.const 7048) (i32.const 5) (i32.const 8000) (i32.const 4)))
    (i32.store (i32.const 6028) (call $send (i32.const 7064) (i32.const 7) (i32.const 8000) (i32.const 4)))
    (local.set $k (i32.const 1))
    (loop $more
      (i32.store (i32.add (i32.const 6100) (i32.mul (local.get $k) (i32.const 4)))
        (call $send (i32.const 7000) (i32.const 8) (i32.const 8000) (local.get $k)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $more (i32.le_u (local.get $k) (i32.const 12))))
    (i32.const 0)`,
});

// Records the payload length of each message it gets, in order, from 6100 on; the count at 6000.
const RECEIVER = v1Bundle({
  fields: `(func (export "algo_on_message") (param $from i32) (param $fromLen i32) (param $p i32) (param $len i32) (param $state i32) (result i32)
      (i32.store (i32.add (i32.const 6100) (i32.mul (i32.load (i32.const 6000)) (i32.const 4))) (local.get $len))
      (i32.store (i32.const 6000) (i32.add (i32.load (i32.const 6000)) (i32.const 1)))
      (i32.const 0))`,
});

const CRASHER = v1Bundle({ onBook: '(unreachable)' });

function config(bundles: Record<string, string>): string {
  let toml = `[venues.sim_a]\nkind = "sim"\n[venues.sim_a.markets."BTC/USD"]\nstart_price = "60000"\ntick_size = "0.1"\nlot_size = "0.0001"\n`;
  for (const [label, bundle] of Object.entries(bundles)) toml += `[deploy.${label}]\nvenue = "sim_a"\nlabel = "${label}"\nsymbols = ["BTC/USD"]\nbundle = "${bundle}"\n`;
  return toml;
}

describe('mesh routing in one node', () => {
  it('enforces the ABI send limits, delivers in order after the callback, and drops (and counts) what cannot be delivered', async () => {
    const dir = tempDir('mesh');
    const h = EngineHarness.fromToml(
      config({
        crashed: writeBundle(dir, 'crashed.wasm', CRASHER),
        sender: writeBundle(dir, 'sender.wasm', SENDER),
        receiver: writeBundle(dir, 'receiver.wasm', RECEIVER),
        muted: writeBundle(dir, 'muted.wasm', v1Bundle({})),
      }),
      dir,
    );
    await h.start();
    await h.ticks(2);
    const mem = (label: string) => h.engine.deployment(label)!.algo.mem.i32;
    const s = mem('sender');
    expect([s[6000 / 4], s[6004 / 4], s[6008 / 4], s[6012 / 4]]).toEqual([0, -1, -3, -3]);
    expect([s[6016 / 4], s[6020 / 4], s[6024 / 4], s[6028 / 4]]).toEqual([0, 0, 0, 0]);
    // 5 queued above; 11 more fill the outbox of 16; the 12th is refused.
    expect(Array.from({ length: 12 }, (_, i) => s[(6104 + i * 4) / 4])).toEqual([...Array(11).fill(0), -2]);

    const r = mem('receiver');
    expect(r[6000 / 4]).toBe(12);
    expect(Array.from({ length: 12 }, (_, i) => r[(6100 + i * 4) / 4])).toEqual([256, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(s[6200 / 4]).toBe(1);

    const links = Object.fromEntries(h.engine.mesh.links().map((l) => [`${l.from}>${l.to}`, l]));
    expect(links['sender>receiver']).toMatchObject({ sent: 12, delivered: 12, dropped: 0 });
    expect(links['sender>sender']).toMatchObject({ sent: 1, delivered: 1, dropped: 0 });
    expect(links['sender>nobody']).toMatchObject({ sent: 1, delivered: 0, dropped: 1 });
    expect(links['sender>muted']).toMatchObject({ sent: 1, delivered: 0, dropped: 1 });
    expect(links['sender>crashed']).toMatchObject({ sent: 1, delivered: 0, dropped: 1 });
    expect(h.engine.mesh.unknownLabel).toBe(1);
    expect(h.sink.of('mesh').map((m) => `${m.from}>${m.to}:${m.payload.length}`)).toEqual([
      'sender>receiver:256',
      'sender>sender:4',
      ...Array.from({ length: 11 }, (_, i) => `sender>receiver:${i + 1}`),
    ]);
    await h.engine.shutdown();
  });
});

describe('link latency', () => {
  it('each link reports the queue-to-delivery time of its last and its slowest message', async () => {
    const dir = tempDir('mesh');
    const h = EngineHarness.fromToml(config({ sender: writeBundle(dir, 'sender.wasm', SENDER), receiver: writeBundle(dir, 'receiver.wasm', RECEIVER) }), dir);
    const receiver = h.engine.deployment('receiver')!.algo;
    const router = h.engine.mesh;
    receiver.outboxLabels[0] = 'receiver';
    receiver.outboxLengths[0] = 3;
    receiver.outboxCount = 1;
    router.collect({ label: 'receiver', algo: receiver });
    // Queued before t0 and delivered after t1: its latency is at least t1 - t0.
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 20));
    const waitedUs = Math.floor((performance.now() - t0) * 1000);
    expect(router.deliverNext(true)).toBe(1);
    const link = router.links().find((l) => l.from === 'receiver' && l.to === 'receiver')!;
    expect(link.delivered).toBe(1);
    expect(link.latencyUsLast).toBeGreaterThanOrEqual(waitedUs);
    expect(link.latencyUsMax).toBe(link.latencyUsLast);
  });
});
