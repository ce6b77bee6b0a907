import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { proofOf } from '../src/node/mesh/meshAuth.ts';
import { MeshCoordinator, type MeshCoordinatorOptions } from '../src/node/mesh/meshCoordinator.ts';
import type { MeshNbbo, MeshTop } from '../src/node/mesh/meshProtocol.ts';
import { VenueId } from '../src/wasm/abi.ts';
import { RawClient, RecordingEdge, SECRET, waitFor } from './support/meshHarness.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function coordinator(options: MeshCoordinatorOptions = {}, port = 0): Promise<MeshCoordinator> {
  const cc = await MeshCoordinator.listen('127.0.0.1', port, SECRET, { pingIntervalMs: 50, ...options });
  cleanups.push(() => cc.close());
  return cc;
}

async function edge(cc: MeshCoordinator | number, node: string, labels: string[], secret = SECRET): Promise<RecordingEdge> {
  const port = typeof cc === 'number' ? cc : cc.port;
  const e = new RecordingEdge(`ws://127.0.0.1:${port}`, node, labels, secret);
  cleanups.push(() => e.edge.stop());
  return e;
}

function raw(cc: MeshCoordinator): RawClient {
  const c = new RawClient(cc.port);
  cleanups.push(() => c.ws.terminate());
  return c;
}

/** A raw client that passes the handshake with the given labels: for driving the coordinator frame by frame. */
async function rawAuthed(cc: MeshCoordinator, node: string, labels: string[]): Promise<RawClient> {
  const c = raw(cc);
  const challenge = await c.frame('challenge');
  c.ws.send(JSON.stringify({ type: 'hello', v: 1, node, labels, nonce: 'cd'.repeat(32), mac: proofOf(SECRET, 'edge', challenge.nonce) }));
  await c.frame('welcome');
  return c;
}

const bytes = (n: number, seed = 0) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const top = (venueId: number, bid: number, ask: number): MeshTop => ({ venueId, venue: venueId === VenueId.Kraken ? 'kraken' : 'coinbase', symbol: 'BTC/USD', bidPx1e9: bid, bidSz1e8: 10_000_000, askPx1e9: ask, askSz1e8: 20_000_000 });
const linkOf = (cc: MeshCoordinator, peer: string) => cc.stats().find((s) => s.peer === peer)!;

describe('mesh auth over a real socket', () => {
  it('welcomes an edge with the right secret and shows it in the link stats', async () => {
    const cc = await coordinator();
    const a = await (await edge(cc, 'node-a', ['maker'])).started();
    expect(a.links).toEqual([{ up: true, reason: 'welcomed by the coordinator' }]);
    expect(linkOf(cc, 'node-a').labels).toEqual(['maker']);
    await waitFor(() => a.edge.stats().rttUsP50 > 0 && linkOf(cc, 'node-a').rttUsP99 > 0, 'RTT samples on both ends');
  });

  it('an edge refuses a coordinator that cannot prove the secret, or that speaks garbage', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => server.once('listening', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const script: string[][] = [
      [JSON.stringify({ type: 'challenge', v: 1, nonce: 'ab'.repeat(32) }), JSON.stringify({ type: 'welcome', mac: 'ab'.repeat(32) })],
      [JSON.stringify({ type: 'challenge', v: 1, nonce: 'ab'.repeat(32) }), '{"type":"welcome"'],
      [JSON.stringify({ type: 'msg', from: 'a', to: 'maker', payload_b64: '', sent_ns: 0 })],
    ];
    const heard: string[] = [];
    let next = 0;
    server.on('connection', (ws) => {
      ws.on('message', (d) => heard.push(String(d)));
      for (const frame of script[Math.min(next++, script.length - 1)]) ws.send(frame);
    });
    const port = (server.address() as { port: number }).port;
    const e = await edge(port, 'node-a', ['maker']);
    e.edge.start();
    await waitFor(() => e.links.length >= 3, 'three refusals');
    expect(e.links.slice(0, 3).map((l) => l.reason)).toEqual([
      'the coordinator failed authentication: it does not hold the mesh secret',
      expect.stringMatching(/^frame is not JSON/),
      'expected challenge or welcome, got msg',
    ]);
    expect(e.links.every((l) => !l.up)).toBe(true);
    expect(e.messages).toEqual([]);
    expect(heard.filter((h) => JSON.parse(h).type === 'error')).toHaveLength(3);
  });

  it('refuses a wrong secret with a reason and closes the socket', async () => {
    const cc = await coordinator();
    const bad = await edge(cc, 'node-x', ['maker'], 'another-secret-of-16-bytes');
    bad.edge.start();
    await waitFor(() => bad.links.length > 0, 'a link report');
    expect(bad.links[0]).toEqual({ up: false, reason: 'refused: authentication failed: the mesh secret does not match' });
    expect(bad.edge.isUp).toBe(false);
    expect(cc.stats().map((s) => s.peer)).toEqual(['coordinator']);

    const c = raw(cc);
    await c.frame('challenge');
    c.ws.send(JSON.stringify({ type: 'hello', v: 1, node: 'n', labels: [], nonce: 'cd'.repeat(32), mac: 'ef'.repeat(32) }));
    expect((await c.frame('refused')).reason).toMatch(/secret does not match/);
    expect(await c.closed()).toBe(1008);
  });

  it('closes a client that never answers the challenge after the hello timeout', async () => {
    const cc = await coordinator({ helloTimeoutMs: 100 });
    const c = raw(cc);
    await c.frame('challenge');
    expect(await c.closed()).toBe(1008);
    expect((await c.frame('refused')).reason).toBe('no valid hello within 100 ms');
  });

  it('answers garbage with an error frame and closes', async () => {
    const cc = await coordinator();
    const cases: [string | Buffer, RegExp][] = [
      ['}{not json', /not JSON/],
      [JSON.stringify({ type: 'hello', v: 1 }), /hello frame lacks field node/],
      [JSON.stringify({ type: 'subscribe', topic: 'all' }), /unknown frame type "subscribe"/],
      [JSON.stringify({ type: 'ping', t: 1 }), /expected hello, got ping/],
      [Buffer.from([1, 2, 3]), /binary frames are not part of the mesh protocol/],
    ];
    for (const [data, reason] of cases) {
      const c = raw(cc);
      await c.frame('challenge');
      c.ws.send(data);
      expect((await c.frame('error')).reason).toMatch(reason);
      expect(await c.closed()).toBe(1008);
    }
  });

  it('closes a connection that sends a frame over the size limit', async () => {
    const cc = await coordinator();
    const c = raw(cc);
    await c.frame('challenge');
    c.ws.send('x'.repeat(64 * 1024 + 1));
    expect(await c.closed()).toBe(1009);
  });

  it('closes an authenticated peer that breaks the protocol: an oversized payload, a spoofed sender, an unknown type', async () => {
    const cc = await coordinator();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ type: 'msg', from: 'p', to: 'q', payload_b64: Buffer.from(bytes(257)).toString('base64'), sent_ns: 0 }, /payload is 257 bytes/],
      [{ type: 'msg', from: 'someone-else', to: 'q', payload_b64: '', sent_ns: 0 }, /msg.from "someone-else" is not a label node raw announced/],
      [{ type: 'nbbo', symbol: 'X', bid_px: 0, bid_sz: 0, ask_px: 0, ask_sz: 0, bid_venue: 0, ask_venue: 0, venue_ct: 0 }, /unexpected nbbo frame from an edge/],
      [{ type: 'teleport' }, /unknown frame type "teleport"/],
    ];
    for (const [frame, reason] of cases) {
      const c = await rawAuthed(cc, 'raw', ['p']);
      c.ws.send(JSON.stringify(frame));
      expect((await c.frame('error')).reason).toMatch(reason);
      expect(await c.closed()).toBe(1008);
      await waitFor(() => cc.stats().length === 1, 'the peer to be released');
    }
  });

  it('refuses a label another node already hosts', async () => {
    const cc = await coordinator({ labels: ['local-maker'] });
    await (await edge(cc, 'node-a', ['maker'])).started();
    const dup = await edge(cc, 'node-b', ['hedger', 'maker']);
    dup.edge.start();
    await waitFor(() => dup.links.length > 0, 'a link report');
    expect(dup.links[0].reason).toBe('refused: duplicate label "maker": already hosted by node node-a (labels are unique in a deployment)');
    const dupLocal = await edge(cc, 'node-c', ['local-maker']);
    dupLocal.edge.start();
    await waitFor(() => dupLocal.links.length > 0, 'a link report');
    expect(dupLocal.links[0].reason).toMatch(/"local-maker": already hosted by node coordinator/);
    expect(linkOf(cc, 'node-a').labels).toEqual(['maker']);
  });
});

describe('mesh routing', () => {
  it('delivers a 256-byte payload intact from maker on A to hedger on B; refuses 257 bytes at the sender', async () => {
    const cc = await coordinator();
    const a = await (await edge(cc, 'node-a', ['maker'])).started();
    const b = await (await edge(cc, 'node-b', ['hedger'])).started();
    expect(a.edge.send('maker', 'hedger', bytes(256, 9))).toBe(true);
    await waitFor(() => b.messages.length === 1, 'delivery');
    expect(b.messages[0]).toMatchObject({ from: 'maker', to: 'hedger', payload: bytes(256, 9) });
    expect(b.messages[0].sentNs).toBeGreaterThan(1.6e18);
    expect(() => a.edge.send('maker', 'hedger', bytes(257))).toThrow('mesh send: payload is 257 bytes; a mesh message carries at most 256');
    expect(() => a.edge.send('hedger', 'maker', bytes(1))).toThrow(/not a label this node hosts/);
    expect(linkOf(cc, 'node-a')).toMatchObject({ sent: 1, delivered: 1, dropped: 0 });
    expect(b.edge.stats()).toMatchObject({ delivered: 1 });
  });

  it('drops and counts a message to an unknown label at the coordinator', async () => {
    const cc = await coordinator();
    const a = await (await edge(cc, 'node-a', ['maker'])).started();
    expect(a.edge.send('maker', 'nobody', bytes(3))).toBe(true);
    await waitFor(() => linkOf(cc, 'node-a').dropped === 1, 'the drop to be counted');
    expect(linkOf(cc, 'node-a')).toMatchObject({ sent: 1, delivered: 0, dropped: 1 });
    expect(cc.unknownLabel).toBe(1);
  });

  it('keeps one sender\'s messages in order', async () => {
    const cc = await coordinator();
    const a = await (await edge(cc, 'node-a', ['maker'])).started();
    const b = await (await edge(cc, 'node-b', ['hedger'])).started();
    for (let i = 0; i < 1000; i++) expect(a.edge.send('maker', 'hedger', Uint8Array.of(i & 0xff, i >> 8))).toBe(true);
    await waitFor(() => b.messages.length === 1000, '1000 deliveries');
    expect(b.messages.map((m) => m.payload[0] | (m.payload[1] << 8))).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('routes both ways between the coordinator node\'s own instance and an edge\'s', async () => {
    const local: { from: string; to: string; payload: Uint8Array }[] = [];
    const cc = await coordinator({ labels: ['maker'], onLocalMessage: (from, to, payload) => local.push({ from, to, payload: payload.slice() }) });
    const b = await (await edge(cc, 'node-b', ['hedger'])).started();
    expect(cc.sendFromLocal('maker', 'hedger', Uint8Array.of(1, 2))).toBe(true);
    await waitFor(() => b.messages.length === 1, 'coordinator to edge');
    expect(b.messages[0]).toMatchObject({ from: 'maker', to: 'hedger', payload: Uint8Array.of(1, 2) });
    expect(b.edge.send('hedger', 'maker', Uint8Array.of(3))).toBe(true);
    await waitFor(() => local.length === 1, 'edge to coordinator');
    expect(local[0]).toEqual({ from: 'hedger', to: 'maker', payload: Uint8Array.of(3) });
    expect(cc.sendFromLocal('maker', 'nobody', Uint8Array.of(1))).toBe(false);
    expect(linkOf(cc, 'coordinator')).toMatchObject({ sent: 2, delivered: 1, dropped: 1 });
    expect(() => cc.sendFromLocal('hedger', 'maker', Uint8Array.of(1))).toThrow(/not a label this node hosts/);
  });
});

describe('mesh labels', () => {
  it('re-announced labels move routing; a clash in a labels frame is refused', async () => {
    const cc = await coordinator();
    const a = await (await edge(cc, 'node-a', ['maker'])).started();
    const b = await (await edge(cc, 'node-b', ['hedger'])).started();
    b.edge.setLabels(['hedger-2']);
    await waitFor(() => linkOf(cc, 'node-b').labels[0] === 'hedger-2', 'the new label');
    expect(a.edge.send('maker', 'hedger-2', Uint8Array.of(7))).toBe(true);
    await waitFor(() => b.messages.length === 1, 'delivery to the new label');
    const r = await rawAuthed(cc, 'raw', ['r']);
    r.ws.send(JSON.stringify({ type: 'labels', labels: ['maker'] }));
    expect((await r.frame('refused')).reason).toMatch(/duplicate label "maker": already hosted by node node-a/);
    expect(await r.closed()).toBe(1008);
  });
});

describe('mesh NBBO', () => {
  it('gives every node the cross-venue best bid and offer with the right venue ids', async () => {
    const local: { symbol: string; nbbo: MeshNbbo }[] = [];
    const cc = await coordinator({ onNbbo: (symbol, nbbo) => local.push({ symbol, nbbo }) });
    const a = await (await edge(cc, 'node-a', ['maker'])).started();
    const b = await (await edge(cc, 'node-b', ['hedger'])).started();
    a.edge.publishTop(top(VenueId.Kraken, 60_000_000_000_000, 60_010_000_000_000));
    b.edge.publishTop(top(VenueId.Coinbase, 60_005_000_000_000, 60_020_000_000_000));
    const expected: MeshNbbo = { bidPx1e9: 60_005_000_000_000, bidSz1e8: 10_000_000, askPx1e9: 60_010_000_000_000, askSz1e8: 20_000_000, bidVenue: VenueId.Coinbase, askVenue: VenueId.Kraken, venueCount: 2 };
    for (const seen of [a.nbbos, b.nbbos, local]) {
      await waitFor(() => seen.at(-1)?.nbbo.venueCount === 2, 'the two-venue NBBO');
      expect(seen.at(-1)).toEqual({ symbol: 'BTC/USD', nbbo: expected });
    }
    expect(cc.nbboOf('BTC/USD')).toEqual(expected);
  });

  it('coalesces a burst of 100 top updates and the last push carries the latest values', async () => {
    const cc = await coordinator({ labels: ['c'] });
    const a = await (await edge(cc, 'node-a', ['maker'])).started();
    const b = await (await edge(cc, 'node-b', ['hedger'])).started();
    for (let i = 1; i <= 100; i++) a.edge.publishTop(top(VenueId.Kraken, 1000 + i, 5000));
    await waitFor(() => b.nbbos.at(-1)?.nbbo.bidPx1e9 === 1100, 'the latest bid');
    expect(b.nbbos.length).toBe(1);

    // The coordinator coalesces too: 100 top frames straight from a peer, and 100 local tops.
    const r = await rawAuthed(cc, 'raw', ['r']);
    for (let i = 1; i <= 100; i++) r.ws.send(JSON.stringify({ type: 'top', venue_id: VenueId.Coinbase, venue: 'coinbase', symbol: 'BTC/USD', bid_px: 2000 + i, bid_sz: 1, ask_px: 6000, ask_sz: 1 }));
    await waitFor(() => b.nbbos.at(-1)?.nbbo.bidPx1e9 === 2100, 'the latest raw bid');
    expect(b.nbbos.length - 1).toBeLessThan(20);
    const before = b.nbbos.length;
    for (let i = 1; i <= 100; i++) cc.publishLocalTop({ ...top(VenueId.Sim, 3000 + i, 7000), venue: 'sim' });
    await waitFor(() => b.nbbos.at(-1)?.nbbo.bidPx1e9 === 3100, 'the latest local bid');
    expect(b.nbbos.length - before).toBe(1);
    expect(b.nbbos.at(-1)!.nbbo).toMatchObject({ bidVenue: VenueId.Sim, askVenue: VenueId.Kraken, venueCount: 3 });
  });

  it('drops a departed node\'s venue from the NBBO', async () => {
    const cc = await coordinator();
    const a = await (await edge(cc, 'node-a', ['maker'])).started();
    const b = await (await edge(cc, 'node-b', ['hedger'])).started();
    a.edge.publishTop(top(VenueId.Kraken, 100, 200));
    b.edge.publishTop(top(VenueId.Coinbase, 101, 199));
    await waitFor(() => a.nbbos.at(-1)?.nbbo.venueCount === 2, 'two venues');
    await b.edge.stop();
    await waitFor(() => a.nbbos.at(-1)?.nbbo.venueCount === 1, 'one venue');
    expect(a.nbbos.at(-1)!.nbbo).toMatchObject({ bidPx1e9: 100, askPx1e9: 200, bidVenue: VenueId.Kraken, askVenue: VenueId.Kraken });
  });
});

describe('mesh failures', () => {
  it('survives the coordinator going away and reconnects to a new one on the same port', async () => {
    const first = await coordinator();
    const port = first.port;
    const a = await (await edge(port, 'node-a', ['maker'])).started();
    const b = await (await edge(port, 'node-b', ['hedger'])).started();
    a.edge.publishTop(top(VenueId.Kraken, 100, 200));
    await first.close();
    await waitFor(() => !a.edge.isUp && !b.edge.isUp, 'both links down');
    expect(a.links.at(-1)).toEqual({ up: false, reason: 'coordinator shutting down' });
    expect(a.edge.send('maker', 'hedger', bytes(8))).toBe(false);
    expect(a.edge.send('maker', 'hedger', bytes(8))).toBe(false);
    expect(a.edge.stats()).toMatchObject({ up: false, sent: 2, dropped: 2 });

    const second = await coordinator({}, port);
    await waitFor(() => a.edge.isUp && b.edge.isUp, 'both links back');
    expect(a.edge.send('maker', 'hedger', bytes(8, 1))).toBe(true);
    await waitFor(() => b.messages.length === 1, 'delivery after reconnect');
    expect(b.messages[0].payload).toEqual(bytes(8, 1));
    expect(a.edge.stats()).toMatchObject({ connects: 2, sent: 3, dropped: 2 });
    // The tops were re-published after the reconnect.
    await waitFor(() => second.nbboOf('BTC/USD')?.bidPx1e9 === 100, 'the re-published top');
  });

  it('keeps reconnecting while nothing listens, reporting the reason once', async () => {
    const cc = await coordinator();
    const port = cc.port;
    await cc.close();
    const a = await edge(port, 'node-a', ['maker']);
    a.edge.start();
    await waitFor(() => a.links.length > 0, 'a link report');
    expect(a.links[0]).toMatchObject({ up: false, reason: expect.stringMatching(/ECONNREFUSED/) });
    const again = await coordinator({}, port);
    await waitFor(() => a.edge.isUp, 'the link up once something listens');
    expect(a.links.filter((l) => !l.up)).toHaveLength(1);
    expect(linkOf(again, 'node-a').labels).toEqual(['maker']);
  });

  it('a killed edge process leaves the others linked; its labels become unknown', async () => {
    const cc = await coordinator();
    const a = await (await edge(cc, 'node-a', ['maker'])).started();
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'support', 'meshEdgeProcess.ts'), `ws://127.0.0.1:${cc.port}`, 'node-k', 'victim'], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => {
      child.kill('SIGKILL');
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => out.includes('up') && linkOf(cc, 'node-k') !== undefined, 'the child edge up', 30_000);
    expect(a.edge.send('maker', 'victim', bytes(4))).toBe(true);
    await waitFor(() => linkOf(cc, 'node-a').delivered === 1, 'delivery to the child');
    child.kill('SIGKILL');
    await waitFor(() => linkOf(cc, 'node-k') === undefined, 'the coordinator to drop the dead edge');
    expect(a.edge.isUp).toBe(true);
    expect(a.links).toHaveLength(1);
    expect(a.edge.send('maker', 'victim', bytes(4))).toBe(true);
    await waitFor(() => linkOf(cc, 'node-a').dropped === 1, 'the drop to be counted');
    expect(cc.unknownLabel).toBe(1);
  });

  it('a new connection from the same node replaces its stale link instead of being refused', async () => {
    const cc = await coordinator();
    const stale = await rawAuthed(cc, 'node-a', ['maker']);
    const a = await (await edge(cc, 'node-a', ['maker'])).started();
    expect((await stale.frame('refused')).reason).toBe('replaced by a newer connection from the same node');
    expect(cc.stats().filter((s) => s.peer === 'node-a')).toHaveLength(1);
    expect(a.edge.isUp).toBe(true);
  });
});

describe('mesh bounds', () => {
  it('a peer that stops reading costs the coordinator at most its queue cap; the rest is dropped and counted', async () => {
    const capBytes = 64 * 1024;
    const cc = await coordinator({ queueCapBytes: capBytes, pingIntervalMs: 60_000 });
    const a = await (await edge(cc, 'node-a', ['maker'])).started();
    const sink = await rawAuthed(cc, 'sink-node', ['sink']);
    sink.ws.pause();
    const payload = bytes(256);
    // Past the kernel's socket buffers the coordinator's own buffer fills, then it drops.
    await waitFor(
      () => {
        for (let i = 0; i < 200; i++) a.edge.send('maker', 'sink', payload);
        return linkOf(cc, 'sink-node').queueDropped > 0;
      },
      'drops at the coordinator',
      30_000,
    );
    const link = linkOf(cc, 'sink-node');
    expect(link.maxBufferedBytes).toBeLessThanOrEqual(capBytes);
    expect(link.bufferedBytes).toBeLessThanOrEqual(capBytes);
    expect(linkOf(cc, 'node-a').dropped).toBeGreaterThan(0);
    expect(a.edge.isUp).toBe(true);
  });

  it('refuses connections past maxPeers', async () => {
    const cc = await coordinator({ maxPeers: 1 });
    await (await edge(cc, 'node-a', ['maker'])).started();
    const c = raw(cc);
    expect((await c.frame('refused')).reason).toBe('coordinator is full (1 peers)');
    expect(await c.closed()).toBe(1001);
  });
});
