import { describe, expect, it } from 'vitest';
import { newNonce, proofMatches, proofOf } from '../src/node/mesh/meshAuth.ts';
import { assertSendable, decodeFrame, encodeFrame, MAX_FRAME_BYTES, MeshProtocolError, topError, type MeshFrame, type MeshTop } from '../src/node/mesh/meshProtocol.ts';
import { MAX_TOPS_PER_SOURCE, NbboAggregator } from '../src/node/mesh/nbboAggregator.ts';
import { RttWindow } from '../src/node/mesh/rttWindow.ts';
import { VenueId } from '../src/wasm/abi.ts';

const NONCE = 'ab'.repeat(32);
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);
const wire = (o: Record<string, unknown>) => JSON.stringify(o);
const rejection = (text: string) => {
  try {
    decodeFrame(text);
  } catch (err) {
    expect(err).toBeInstanceOf(MeshProtocolError);
    return (err as Error).message;
  }
  return 'accepted';
};
const top = (venueId: number, bid: number, ask: number, symbol = 'BTC/USD'): MeshTop => ({ venueId, venue: `v${venueId}`, symbol, bidPx1e9: bid, bidSz1e8: 100_000_000, askPx1e9: ask, askSz1e8: 200_000_000 });

describe('mesh protocol: frames', () => {
  it('round-trips every frame type through its wire form', () => {
    const frames: MeshFrame[] = [
      { type: 'challenge', nonce: NONCE },
      { type: 'hello', node: 'node-a', labels: ['maker', 'hedger'], nonce: NONCE, mac: NONCE },
      { type: 'welcome', mac: NONCE },
      { type: 'refused', reason: 'no' },
      { type: 'error', reason: 'bad' },
      { type: 'labels', labels: ['x'] },
      { type: 'msg', from: 'maker', to: 'hedger', payload: bytes(256), sentNs: 1_760_000_000_123_456_768 },
      { type: 'top', ...top(VenueId.Kraken, 60_000_000_000_000, 60_001_000_000_000) },
      { type: 'nbbo', symbol: 'BTC/USD', nbbo: { bidPx1e9: 1, bidSz1e8: 2, askPx1e9: 3, askSz1e8: 4, bidVenue: 1, askVenue: 2, venueCount: 2 } },
      { type: 'ping', t: 123 },
      { type: 'pong', t: 123 },
    ];
    for (const frame of frames) expect(decodeFrame(encodeFrame(frame)), frame.type).toEqual(frame);
  });

  it('uses the snake_case wire names and base64 for payloads', () => {
    const text = encodeFrame({ type: 'msg', from: 'a', to: 'b', payload: Uint8Array.of(1, 2, 3), sentNs: 5 });
    expect(JSON.parse(text)).toEqual({ type: 'msg', from: 'a', to: 'b', payload_b64: 'AQID', sent_ns: 5 });
    expect(JSON.parse(encodeFrame({ type: 'hello', node: 'n', labels: [], nonce: NONCE, mac: NONCE })).v).toBe(1);
  });

  it('rejects what is not a frame, naming the problem', () => {
    expect(rejection('not json')).toMatch(/not JSON/);
    expect(rejection('[1,2]')).toMatch(/must be a JSON object/);
    expect(rejection(wire({ kind: 'msg' }))).toMatch(/type must be a string/);
    expect(rejection(wire({ type: 'gossip' }))).toMatch(/unknown frame type "gossip"/);
    expect(rejection(wire({ type: 'ping', t: 1, extra: 2 }))).toMatch(/ping frame has unknown field "extra"/);
    expect(rejection(wire({ type: 'ping' }))).toMatch(/ping frame lacks field t/);
    expect(rejection(wire({ type: 'challenge', v: 2, nonce: NONCE }))).toMatch(/speaks mesh protocol v2; this node speaks v1/);
    expect(rejection(wire({ type: 'welcome', mac: 'xyz' }))).toMatch(/welcome.mac must be 64 lowercase hex digits/);
    expect(rejection('x'.repeat(MAX_FRAME_BYTES + 1))).toMatch(/the limit is 65536/);
  });

  it('rejects labels outside 1..32 bytes and duplicated or too many labels', () => {
    const msg = (from: string, to: string) => wire({ type: 'msg', from, to, payload_b64: '', sent_ns: 0 });
    expect(rejection(msg('', 'b'))).toMatch(/msg.from must be 1..32 UTF-8 bytes, got 0/);
    expect(rejection(msg('a', 'x'.repeat(33)))).toMatch(/msg.to must be 1..32 UTF-8 bytes, got 33/);
    expect(rejection(msg('a', 'é'.repeat(17)))).toMatch(/got 34/);
    expect(rejection(msg('a', 'x'.repeat(32)))).toBe('accepted');
    expect(rejection(wire({ type: 'labels', labels: ['a', 'a'] }))).toMatch(/"a" is listed twice/);
    expect(rejection(wire({ type: 'labels', labels: Array.from({ length: 257 }, (_, i) => `l${i}`) }))).toMatch(/at most 256/);
    expect(rejection(wire({ type: 'labels', labels: 'maker' }))).toMatch(/labels must be an array/);
  });

  it('carries a 256-byte payload and refuses 257 bytes, on the wire and at the sender', () => {
    const ok = encodeFrame({ type: 'msg', from: 'a', to: 'b', payload: bytes(256), sentNs: 0 });
    expect((decodeFrame(ok) as { payload: Uint8Array }).payload).toEqual(bytes(256));
    const big = wire({ type: 'msg', from: 'a', to: 'b', payload_b64: Buffer.from(bytes(257)).toString('base64'), sent_ns: 0 });
    expect(rejection(big)).toMatch(/payload is 257 bytes; a mesh message carries at most 256/);
    expect(() => assertSendable('b', bytes(257))).toThrow(/payload is 257 bytes/);
    expect(() => assertSendable('', bytes(1))).toThrow(/label "to" must be 1..32/);
  });

  it('accepts only canonical padded base64', () => {
    const msg = (b64: string) => wire({ type: 'msg', from: 'a', to: 'b', payload_b64: b64, sent_ns: 0 });
    expect(rejection(msg('AQID'))).toBe('accepted');
    expect(rejection(msg('AQI'))).toMatch(/padded standard base64/);
    expect(rejection(msg('AQ-_'))).toMatch(/padded standard base64/);
    expect(rejection(msg('AR=='))).toMatch(/not canonical/);
  });

  it('accepts prices and sizes only as non-negative safe integers', () => {
    const t = (o: Record<string, unknown>) => wire({ type: 'top', venue_id: 1, venue: 'kraken', symbol: 'BTC/USD', bid_px: 1, bid_sz: 1, ask_px: 2, ask_sz: 1, ...o });
    expect(rejection(t({}))).toBe('accepted');
    expect(rejection(t({ bid_px: 1.5 }))).toMatch(/top.bid_px must be an integer/);
    expect(rejection(t({ ask_sz: -1 }))).toMatch(/top.ask_sz must be an integer/);
    expect(rejection(t({ ask_px: 2 ** 53 }))).toMatch(/top.ask_px must be an integer in 0..9007199254740991/);
    expect(rejection(t({ bid_px: '1' }))).toMatch(/got "1"/);
    expect(rejection(t({ venue_id: 0 }))).toMatch(/venue_id must be an integer in 1..255/);
    expect(rejection(t({ symbol: '' }))).toMatch(/top.symbol must be 1..32/);
    expect(topError(top(1, 0.5, 2))).toMatch(/bid_px/);
    expect(topError(top(1, 1, 2))).toBeNull();
  });
});

describe('mesh auth', () => {
  it('a proof made with the secret matches; another secret or the other role does not', () => {
    const nonce = newNonce();
    expect(nonce).toMatch(/^[0-9a-f]{64}$/);
    const mac = proofOf('s'.repeat(16), 'edge', nonce);
    expect(proofMatches('s'.repeat(16), 'edge', nonce, mac)).toBe(true);
    expect(proofMatches('t'.repeat(16), 'edge', nonce, mac)).toBe(false);
    expect(proofMatches('s'.repeat(16), 'coordinator', nonce, mac)).toBe(false);
    expect(proofMatches('s'.repeat(16), 'edge', newNonce(), mac)).toBe(false);
  });
});

describe('NBBO aggregation', () => {
  it('takes the best bid and the best ask across venues, with their venue ids', () => {
    const a = new NbboAggregator();
    a.setTop('n1', top(VenueId.Kraken, 100, 105));
    a.setTop('n2', top(VenueId.Coinbase, 101, 106));
    expect(a.takeChanges()).toEqual([['BTC/USD', { bidPx1e9: 101, bidSz1e8: 100_000_000, askPx1e9: 105, askSz1e8: 200_000_000, bidVenue: VenueId.Coinbase, askVenue: VenueId.Kraken, venueCount: 2 }]]);
    expect(a.takeChanges()).toEqual([]);
  });

  it('coalesces a burst into one change carrying the latest values', () => {
    const a = new NbboAggregator();
    for (let i = 0; i < 100; i++) a.setTop('n1', top(VenueId.Kraken, 100 + i, 300));
    const changes = a.takeChanges();
    expect(changes).toHaveLength(1);
    expect(changes[0][1].bidPx1e9).toBe(199);
  });

  it('a departed source takes its tops along; the last one leaving publishes an empty NBBO once', () => {
    const a = new NbboAggregator();
    a.setTop('n1', top(VenueId.Kraken, 100, 105));
    a.setTop('n2', top(VenueId.Coinbase, 99, 104));
    a.takeChanges();
    a.dropSource('n2');
    expect(a.takeChanges()[0][1]).toMatchObject({ bidVenue: VenueId.Kraken, askVenue: VenueId.Kraken, askPx1e9: 105, venueCount: 1 });
    a.setTop('n1', top(VenueId.Kraken, 0, 0));
    expect(a.takeChanges()).toEqual([['BTC/USD', { bidPx1e9: 0, bidSz1e8: 0, askPx1e9: 0, askSz1e8: 0, bidVenue: 0, askVenue: 0, venueCount: 0 }]]);
    expect(a.snapshot()).toEqual([]);
  });

  it('bounds the tops one source may hold', () => {
    const a = new NbboAggregator();
    for (let i = 0; i < MAX_TOPS_PER_SOURCE; i++) expect(a.setTop('n1', top(1, 1, 2, `S${i}`))).toBe('changed');
    expect(a.setTop('n1', top(1, 1, 2, 'ONE-MORE'))).toBe('full');
    expect(a.setTop('n1', top(1, 5, 6, 'S0'))).toBe('changed');
    expect(a.setTop('n2', top(1, 1, 2, 'ONE-MORE'))).toBe('changed');
  });

  it('a top identical to what its source last said is not a change', () => {
    const a = new NbboAggregator();
    expect(a.setTop('n1', top(VenueId.Kraken, 100, 105))).toBe('changed');
    a.takeChanges();
    expect(a.setTop('n1', top(VenueId.Kraken, 100, 105))).toBe('unchanged');
    expect(a.takeChanges()).toEqual([]);
  });

  it('venues are counted by name: two sim venues sharing ABI id 32 are two venues, one venue seen by two nodes is one', () => {
    const a = new NbboAggregator();
    a.setTop('local', { ...top(VenueId.Sim, 100, 105), venue: 'sim_a' });
    a.setTop('local', { ...top(VenueId.Sim, 101, 104), venue: 'sim_b' });
    expect(a.takeChanges()[0][1]).toMatchObject({ bidPx1e9: 101, askPx1e9: 104, venueCount: 2 });
    a.setTop('n2', { ...top(VenueId.Sim, 99, 106), venue: 'sim_a' });
    expect(a.takeChanges()).toEqual([]);
    expect(a.nbboOf('BTC/USD')!.venueCount).toBe(2);
  });

  it('an empty ask side does not win the offer', () => {
    const a = new NbboAggregator();
    a.setTop('n1', { ...top(VenueId.Kraken, 100, 0), venue: 'kraken' });
    a.setTop('n1', { ...top(VenueId.Coinbase, 99, 105), venue: 'coinbase' });
    expect(a.takeChanges()[0][1]).toMatchObject({ askPx1e9: 105, askVenue: VenueId.Coinbase });
  });
});

describe('RTT window', () => {
  it('reports nearest-rank percentiles over the last samples', () => {
    const w = new RttWindow();
    expect(w.percentileUs(0.5)).toBe(0);
    for (let i = 1; i <= 100; i++) w.add(i);
    expect(w.percentileUs(0.5)).toBe(50);
    expect(w.percentileUs(0.99)).toBe(99);
    for (let i = 0; i < 300; i++) w.add(1000);
    expect(w.percentileUs(0.5)).toBe(1000);
  });
});
