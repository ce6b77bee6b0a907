import { describe, expect, it } from 'vitest';
import { RecordDecodeError, RecordEncodeError } from '../src/node/journal/journalErrors.ts';
import { KIND_CODES, decodeMessage, encodeMessage, encodeMessageTransient, kindOfBody } from '../src/node/journal/recordCodec.ts';
import type { TradingMessage } from '../src/node/tradingMessage.ts';

const TS = 1_700_000_000_123_456_768;

const meshPayload = Uint8Array.from({ length: 256 }, (_, i) => (i * 37 + 11) & 0xff);

/** One message of every kind, with the awkward values each field allows. */
const everyKind: TradingMessage[] = [
  {
    kind: 'order',
    tsNs: TS,
    label: 'maker',
    venue: 'kraken',
    symbol: 'BTC/USD',
    algoOrderId: 2 ** 53 - 1,
    clientOrderId: 'maker-1-42',
    side: -1,
    px1e9: 9_007_199_254_740_991,
    qty1e8: 1,
    orderType: 4,
    replaces: 'maker-1-41',
  },
  { kind: 'cancelRequest', tsNs: TS, clientOrderId: 'maker-1-42' },
  { kind: 'nodeReject', tsNs: TS, label: 'hedger', algoOrderId: 7, code: 102, reason: 'halted: ✋ operator' },
  { kind: 'ack', clientOrderId: 'maker-1-42', venueOrderId: 'OQCLML-BW3P3-BUCMWZ', tsNs: TS },
  { kind: 'reject', clientOrderId: 'maker-1-43', code: 1, reason: 'EOrder:Insufficient funds', tsNs: TS },
  { kind: 'fill', clientOrderId: 'maker-1-42', fillId: 'T1', px1e9: 60_000_500_000_000, qty1e8: 250_000, fee1e9: -1_234_567, liquidity: 'maker', tsNs: TS },
  { kind: 'fill', clientOrderId: 'maker-1-42', fillId: 'T2', px1e9: 1, qty1e8: 90_000_000_00_000_000, fee1e9: 0, liquidity: 'taker', tsNs: 0 },
  { kind: 'canceled', clientOrderId: 'maker-1-42', reason: 'user requested', tsNs: TS },
  { kind: 'cancelReject', clientOrderId: 'maker-1-44', reason: 'unknown order', tsNs: TS },
  { kind: 'halt', tsNs: TS, by: 'operator:zoë', reason: '市場 stale', cancelAll: true },
  { kind: 'resume', tsNs: TS, by: 'operator:root', reason: '' },
  { kind: 'pause', tsNs: TS, label: 'maker', paused: true, code: 104, reason: 'daily loss' },
  { kind: 'pause', tsNs: TS, label: 'maker', paused: false, code: 0, reason: '' },
  { kind: 'mesh', tsNs: TS, from: 'maker', to: 'hedger', payload: meshPayload },
  { kind: 'mesh', tsNs: TS, from: 'maker', to: 'hedger', payload: new Uint8Array(0) },
  { kind: 'deployment', tsNs: TS, label: 'maker', venue: 'sim', symbols: ['BTC/USD', 'ETH/USD', 'Ünïcode/€'], bundleSha256: 'ab'.repeat(32), action: 'restart' },
  { kind: 'deployment', tsNs: TS, label: 'maker', venue: 'sim', symbols: [], bundleSha256: '', action: 'stop' },
  { kind: 'role', tsNs: TS, nodeId: 'node-a', role: 'leader', term: 0xffffffff },
  { kind: 'role', tsNs: TS, nodeId: 'node-b', role: 'follower', term: 0 },
  { kind: 'shutdown', tsNs: TS, reason: 'SIGTERM — ünïcode', openOrders: 3, timedOut: true },
  { kind: 'shutdown', tsNs: TS, reason: '', openOrders: 0, timedOut: false },
];

function withField(m: TradingMessage, field: string, value: unknown): TradingMessage {
  return { ...m, [field]: value } as TradingMessage;
}

describe('record codec', () => {
  it('covers every message kind', () => {
    expect(new Set(everyKind.map((m) => m.kind))).toEqual(new Set(Object.keys(KIND_CODES)));
  });

  it.each(everyKind.map((m, i) => [`${i} ${m.kind}`, m] as const))('round-trips %s exactly', (_name, message) => {
    const bytes = encodeMessage(message);
    expect(decodeMessage(bytes)).toEqual(message);
    expect(kindOfBody(bytes)).toBe(message.kind);
  });

  it('keeps an integer tsNs above 2^53 bit for bit', () => {
    const message: TradingMessage = { kind: 'cancelRequest', tsNs: 1_700_000_000_123_456_768, clientOrderId: 'x' };
    const decoded = decodeMessage(encodeMessage(message));
    expect(Object.is(decoded.tsNs, 1_700_000_000_123_456_768)).toBe(true);
    expect(BigInt(decoded.tsNs)).toBe(1_700_000_000_123_456_768n);
  });

  it('returns a copy that a later encode does not overwrite', () => {
    const first = encodeMessage(everyKind[0]);
    const snapshot = Uint8Array.from(first);
    encodeMessage(everyKind[13]);
    expect(first).toEqual(snapshot);
    expect(decodeMessage(first)).toEqual(everyKind[0]);
  });

  it('writes a transient body after the header bytes the caller reserves', () => {
    const body = Uint8Array.from(encodeMessageTransient(everyKind[1], 4).subarray(4));
    expect(body).toEqual(encodeMessage(everyKind[1]));
  });

  it('grows its scratch buffer for a large record and still encodes small ones after', () => {
    const big: TradingMessage = { kind: 'halt', tsNs: TS, by: 'operator', reason: 'r'.repeat(60_000), cancelAll: false };
    expect(decodeMessage(encodeMessage(big))).toEqual(big);
    expect(decodeMessage(encodeMessage(everyKind[3]))).toEqual(everyKind[3]);
  });

  it('encodes an order compactly', () => {
    // kind 1, tsNs 8, algoOrderId 8, side 1, px 8, qty 8, orderType 1: 35 bytes, then five strings with u16 lengths.
    const m = everyKind[0] as Extract<TradingMessage, { kind: 'order' }>;
    const strings = m.label.length + m.venue.length + m.symbol.length + m.clientOrderId.length + m.replaces.length;
    expect(encodeMessage(m).length).toBe(35 + 5 * 2 + strings);
  });

  describe('refuses bytes it did not write', () => {
    it('an empty body', () => {
      expect(() => decodeMessage(new Uint8Array(0))).toThrow(new RecordDecodeError('empty record body'));
    });

    it('an unknown kind code', () => {
      expect(() => decodeMessage(Uint8Array.of(200, 0, 0))).toThrow(new RecordDecodeError('unknown message kind code 200'));
      expect(() => kindOfBody(Uint8Array.of(0))).toThrow(new RecordDecodeError('unknown message kind code 0'));
    });

    it('every truncation of every kind, naming the kind and the field', () => {
      for (const message of everyKind) {
        const bytes = encodeMessage(message);
        for (let length = 1; length < bytes.length; length++) {
          expect(() => decodeMessage(bytes.subarray(0, length)), `${message.kind} cut at ${length}`).toThrow(RecordDecodeError);
        }
      }
      const order = encodeMessage(everyKind[0]);
      expect(() => decodeMessage(order.subarray(0, 12))).toThrow(new RecordDecodeError('order record, field label at offset 11: truncated: needs 5 bytes, 1 left'));
      expect(() => decodeMessage(order.subarray(0, 5))).toThrow('order record, field tsNs at offset 1: truncated: needs 8 bytes, 4 left');
    });

    it('trailing bytes after a complete record', () => {
      const bytes = encodeMessage(everyKind[1]);
      const longer = new Uint8Array(bytes.length + 2);
      longer.set(bytes);
      expect(() => decodeMessage(longer)).toThrow(`cancelRequest record: 2 trailing bytes after offset ${bytes.length}`);
    });

    it('values out of range in an otherwise well-formed record', () => {
      const order = encodeMessage(everyKind[0]);
      const sideAt = order.length - 1 - 2 - 'maker-1-41'.length - 8 - 8 - 1;
      const badSide = Uint8Array.from(order);
      badSide[sideAt] = 3;
      expect(() => decodeMessage(badSide)).toThrow(`order record, field side at offset ${sideAt + 1}: byte 3 is not a side`);

      const badType = Uint8Array.from(order);
      badType[order.length - 1 - 2 - 'maker-1-41'.length] = 9;
      expect(() => decodeMessage(badType)).toThrow(/field orderType .*9 is not an order type/);

      const notInteger = Uint8Array.from(order);
      new DataView(notInteger.buffer).setFloat64(sideAt + 1, 0.5, true);
      expect(() => decodeMessage(notInteger)).toThrow(/field px1e9 .*0\.5 is not a safe integer/);

      const halt = encodeMessage(everyKind[9]);
      const badBool = Uint8Array.from(halt);
      badBool[halt.length - 1] = 2;
      expect(() => decodeMessage(badBool)).toThrow(/field cancelAll .*byte 2 is not a boolean/);

      const badTs = Uint8Array.from(halt);
      new DataView(badTs.buffer).setFloat64(1, -1, true);
      expect(() => decodeMessage(badTs)).toThrow(/field tsNs .*-1 is not a non-negative integer/);
    });

    it('invalid UTF-8 in a string', () => {
      const bytes = Uint8Array.of(KIND_CODES.cancelRequest, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0xc3, 0x28);
      expect(() => decodeMessage(bytes)).toThrow(/cancelRequest record, field clientOrderId .*invalid UTF-8/);
    });
  });

  describe('refuses to write what it could not read back', () => {
    const order = everyKind[0];
    it.each([
      ['px1e9', 2 ** 53, 'cannot encode order.px1e9: 9007199254740992 is not a safe integer'],
      ['qty1e8', 1.5, 'cannot encode order.qty1e8: 1.5 is not a safe integer'],
      ['side', 0, 'cannot encode order.side: 0 is not 1 or -1'],
      ['orderType', 5, 'cannot encode order.orderType: 5 is not an order type'],
      ['tsNs', Number.NaN, 'cannot encode order.tsNs: NaN is not a non-negative integer'],
      ['label', 'x'.repeat(70_000), 'cannot encode order.label: 70000 UTF-8 bytes is more than 65535'],
    ])('order.%s = %s', (field, value, message) => {
      expect(() => encodeMessage(withField(order, field, value))).toThrow(new RecordEncodeError(message));
    });

    it('an unknown reject code, liquidity, action, role or term', () => {
      expect(() => encodeMessage(withField(everyKind[4], 'code', 55))).toThrow('cannot encode reject.code: 55 is not a reject code');
      expect(() => encodeMessage(withField(everyKind[5], 'liquidity', 'both'))).toThrow('cannot encode fill.liquidity: "both" is not one of maker, taker');
      expect(() => encodeMessage(withField(everyKind[15], 'action', 'pause'))).toThrow('cannot encode deployment.action: "pause" is not one of start, stop, restart');
      expect(() => encodeMessage(withField(everyKind[17], 'role', 'king'))).toThrow('cannot encode role.role: "king" is not one of leader, follower');
      expect(() => encodeMessage(withField(everyKind[17], 'term', -1))).toThrow('cannot encode role.term: -1 is not an integer in 0..2^32-1');
    });

    it('a payload longer than a u16 length and an unknown kind', () => {
      expect(() => encodeMessage(withField(everyKind[13], 'payload', new Uint8Array(70_000)))).toThrow('cannot encode mesh.payload: 70000 bytes is more than 65535');
      expect(() => encodeMessage(withField(everyKind[1], 'kind', 'teleport'))).toThrow('cannot encode a message of unknown kind "teleport"');
    });

    it('a record past the body limit', () => {
      const symbols = Array.from({ length: 20 }, () => 's'.repeat(60_000));
      expect(() => encodeMessage(withField(everyKind[15], 'symbols', symbols))).toThrow('cannot encode deployment.(body): the record would exceed 1048576 bytes');
      expect(decodeMessage(encodeMessage(everyKind[15]))).toEqual(everyKind[15]);
    });
  });
});
