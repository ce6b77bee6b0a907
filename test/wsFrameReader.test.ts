import { describe, expect, it } from 'vitest';
import { WsFrameReader, WsProtocolError, type WsFrameHandlers } from '../src/venues/wsClient/wsFrameReader.ts';

/** Builds a server frame by hand, including the malformed ones a reader must refuse. */
function frame(
  opcode: number,
  payload: Buffer | string,
  options: { fin?: boolean; rsv?: number; mask?: Buffer; lengthBits?: 7 | 16 | 64; lengthField?: number[] } = {},
): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const fin = options.fin ?? true;
  const bits = options.lengthBits ?? (body.length < 126 ? 7 : body.length < 65536 ? 16 : 64);
  const maskBit = options.mask === undefined ? 0 : 0x80;
  const head = [(fin ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | opcode];
  if (options.lengthField !== undefined) {
    head.push(maskBit | 127, ...options.lengthField);
  } else if (bits === 7) {
    head.push(maskBit | body.length);
  } else if (bits === 16) {
    head.push(maskBit | 126, body.length >> 8, body.length & 0xff);
  } else {
    const length = Buffer.alloc(8);
    length.writeBigUInt64BE(BigInt(body.length));
    head.push(maskBit | 127, ...length);
  }
  if (options.mask === undefined) return Buffer.concat([Buffer.from(head), body]);
  const masked = Buffer.from(body.map((b, i) => b ^ options.mask![i & 3]));
  return Buffer.concat([Buffer.from(head), options.mask, masked]);
}

function closeBody(code: number, reason = ''): Buffer {
  const body = Buffer.alloc(2 + Buffer.byteLength(reason));
  body.writeUInt16BE(code);
  body.write(reason, 2);
  return body;
}

type Event =
  | { kind: 'message'; data: Buffer; isBinary: boolean }
  | { kind: 'ping' | 'pong'; data: Buffer }
  | { kind: 'close'; code: number; reason: string };

function recorder(): { events: Event[]; handlers: WsFrameHandlers } {
  const events: Event[] = [];
  return {
    events,
    handlers: {
      onMessage: (data, start, end, isBinary) => events.push({ kind: 'message', data: data.subarray(start, end), isBinary }),
      onPing: (data) => events.push({ kind: 'ping', data }),
      onPong: (data) => events.push({ kind: 'pong', data }),
      onClose: (code, reason) => events.push({ kind: 'close', code, reason }),
    },
  };
}

/** Feeds the chunks in order and returns what the reader delivered. */
function read(chunks: Buffer[], maxPayloadBytes?: number): Event[] {
  const { events, handlers } = recorder();
  const reader = new WsFrameReader(handlers, maxPayloadBytes);
  for (const chunk of chunks) reader.push(chunk);
  return events;
}

/** Why two event lists differ, or null when they are the same (Buffer.equals, not deep equality: it is fast). */
function difference(got: Event[], want: Event[]): string | null {
  if (got.length !== want.length) return `${got.length} events, expected ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const a = got[i];
    const b = want[i];
    if (a.kind !== b.kind) return `event ${i} is ${a.kind}, expected ${b.kind}`;
    if (a.kind === 'close' && b.kind === 'close') {
      if (a.code !== b.code || a.reason !== b.reason) return `close ${a.code} ${a.reason}, expected ${b.code} ${b.reason}`;
    } else if (a.kind !== 'close' && b.kind !== 'close') {
      if (!a.data.equals(b.data)) return `event ${i} (${a.kind}) has other bytes`;
      if (a.kind === 'message' && b.kind === 'message' && a.isBinary !== b.isBinary) return `event ${i} isBinary ${a.isBinary}`;
    }
  }
  return null;
}

const BIG = Buffer.alloc(70_000, 'x');
const MEDIUM = Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff));

/** Every header form: 7-bit, 16-bit and 64-bit lengths (one of them non-minimal), fragments, control frames. */
const SMALL_FRAMES = [
  frame(0x1, 'hello'),
  frame(0x9, 'p1'),
  frame(0x2, MEDIUM),
  frame(0x1, 'short in 64 bits', { lengthBits: 64 }),
  frame(0x1, 'frag-one ', { fin: false }),
  frame(0x9, 'inside'),
  frame(0x0, 'frag-two ', { fin: false }),
  frame(0x0, 'frag-three'),
  frame(0x1, ''),
  frame(0xa, 'pong'),
  frame(0x8, closeBody(1001, 'going away ✓')),
];
const SMALL_EVENTS: Event[] = [
  { kind: 'message', data: Buffer.from('hello'), isBinary: false },
  { kind: 'ping', data: Buffer.from('p1') },
  { kind: 'message', data: MEDIUM, isBinary: true },
  { kind: 'message', data: Buffer.from('short in 64 bits'), isBinary: false },
  { kind: 'ping', data: Buffer.from('inside') },
  { kind: 'message', data: Buffer.from('frag-one frag-two frag-three'), isBinary: false },
  { kind: 'message', data: Buffer.alloc(0), isBinary: false },
  { kind: 'pong', data: Buffer.from('pong') },
  { kind: 'close', code: 1001, reason: 'going away ✓' },
];

describe('WsFrameReader', () => {
  it('reads a stream of every frame form delivered in one chunk', () => {
    expect(difference(read([Buffer.concat(SMALL_FRAMES)]), SMALL_EVENTS)).toBeNull();
  });

  it('yields the same messages for every split of the stream into two chunks, a 64-bit frame included', () => {
    const stream = Buffer.concat([frame(0x1, 'before'), frame(0x1, BIG), ...SMALL_FRAMES]);
    const want: Event[] = [{ kind: 'message', data: Buffer.from('before'), isBinary: false }, { kind: 'message', data: BIG, isBinary: false }, ...SMALL_EVENTS];
    const failures: string[] = [];
    for (let at = 0; at <= stream.length; at++) {
      const why = difference(read([stream.subarray(0, at), stream.subarray(at)]), want);
      if (why !== null) failures.push(`split at ${at}: ${why}`);
    }
    expect(failures).toEqual([]);
  });

  it('yields the same messages for every split of the stream into three chunks', () => {
    const stream = Buffer.concat(SMALL_FRAMES);
    const failures: string[] = [];
    for (let a = 0; a <= stream.length; a++) {
      for (let b = a; b <= stream.length; b++) {
        const why = difference(read([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)]), SMALL_EVENTS);
        if (why !== null) failures.push(`split at ${a} and ${b}: ${why}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('yields the same messages when the stream arrives one byte at a time', () => {
    const stream = Buffer.concat([frame(0x2, BIG), ...SMALL_FRAMES]);
    const bytes = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1));
    expect(difference(read(bytes), [{ kind: 'message', data: BIG, isBinary: true }, ...SMALL_EVENTS])).toBeNull();
  });

  it('delivers a frame inside the chunk as a view of the chunk, without copying', () => {
    const chunk = Buffer.concat([frame(0x1, 'first'), frame(0x2, MEDIUM), frame(0x1, BIG)]);
    const events = read([chunk]);
    expect(events.map((e) => (e.kind === 'message' ? e.data.length : -1))).toEqual([5, 300, 70_000]);
    for (const event of events) {
      if (event.kind !== 'message') continue;
      expect(event.data.buffer).toBe(chunk.buffer);
    }
    const first = events[0] as { data: Buffer };
    expect(first.data.byteOffset).toBe(chunk.byteOffset + 2);
  });

  it('assembles a frame cut across chunks into a copy that later writes to the chunks do not touch', () => {
    const stream = frame(0x1, 'split across reads');
    const [event] = read([stream.subarray(0, 7), stream.subarray(7)]) as { data: Buffer }[];
    stream.fill(0);
    expect(event.data.toString()).toBe('split across reads');
  });

  it('assembles a fragmented message with a ping between its fragments, the ping delivered first', () => {
    const events = read([Buffer.concat([frame(0x2, Buffer.from([1, 2]), { fin: false }), frame(0x9, 'keepalive'), frame(0x0, Buffer.from([3]), { fin: false }), frame(0x0, Buffer.from([4, 5]))])]);
    expect(events).toEqual([
      { kind: 'ping', data: Buffer.from('keepalive') },
      { kind: 'message', data: Buffer.from([1, 2, 3, 4, 5]), isBinary: true },
    ]);
  });

  it('reports a close frame without a body as code 1005', () => {
    expect(read([frame(0x8, '')])).toEqual([{ kind: 'close', code: 1005, reason: '' }]);
  });

  it('accepts a message of exactly maxPayloadBytes, single or fragmented', () => {
    const events = read([frame(0x2, Buffer.alloc(10)), frame(0x1, 'abcd', { fin: false }), frame(0x0, 'efghij')], 10);
    expect(events.map((e) => (e.kind === 'message' ? e.data.length : -1))).toEqual([10, 10]);
  });

  it('stops delivering the rest of the chunk, and later chunks, once a handler halts the reader', () => {
    const delivered: string[] = [];
    const reader = new WsFrameReader({
      onMessage: (data, start, end) => {
        delivered.push(data.toString('utf8', start, end));
        if (data.toString('utf8', start, end) === 'stop') reader.halt();
      },
      onPing: () => delivered.push('ping'),
      onPong: () => {},
      onClose: () => {},
    });
    reader.push(Buffer.concat([frame(0x1, 'one'), frame(0x1, 'stop'), frame(0x9, ''), frame(0x1, 'three')]));
    reader.push(frame(0x1, 'later'));
    expect(delivered).toEqual(['one', 'stop']);
    expect(reader.isHalted).toBe(true);
  });

  it('is left halted when a handler throws, since the rest of that chunk is lost', () => {
    const delivered: string[] = [];
    const reader = new WsFrameReader({
      onMessage: (data, start, end) => {
        delivered.push(data.toString('utf8', start, end));
        if (data.toString('utf8', start, end) === 'bad') throw new Error('caller bug');
      },
      onPing: () => {},
      onPong: () => {},
      onClose: () => {},
    });
    expect(() => reader.push(Buffer.concat([frame(0x1, 'ok'), frame(0x1, 'bad'), frame(0x1, 'lost')]))).toThrow('caller bug');
    reader.push(frame(0x1, 'ignored'));
    expect(delivered).toEqual(['ok', 'bad']);
    expect(reader.isHalted).toBe(true);
  });

  it('refuses a maxPayloadBytes that is not a positive integer', () => {
    const { handlers } = recorder();
    expect(() => new WsFrameReader(handlers, 0)).toThrow('maxPayloadBytes must be a positive integer, got 0');
    expect(() => new WsFrameReader(handlers, 1.5)).toThrow(RangeError);
    expect(() => new WsFrameReader(handlers, 2 ** 53 - 1)).toThrow(/^maxPayloadBytes 9007199254740991 is over the largest Buffer/);
  });

  describe('protocol violations, refused the same way at every split point', () => {
    const violations: { name: string; bytes: Buffer; message: string | RegExp; closeCode: number; maxPayloadBytes?: number }[] = [
      { name: 'a masked server frame', bytes: frame(0x1, 'hi', { mask: Buffer.from([1, 2, 3, 4]) }), message: 'masked frame from the server', closeCode: 1002 },
      { name: 'reserved bits set', bytes: frame(0x1, 'hi', { rsv: 4 }), message: 'reserved bits set (RSV1-3 = 4) but no extension was negotiated', closeCode: 1002 },
      { name: 'an unknown opcode', bytes: frame(0x3, 'hi'), message: 'unknown opcode 0x3', closeCode: 1002 },
      { name: 'an unknown control opcode', bytes: frame(0xb, ''), message: 'unknown opcode 0xb', closeCode: 1002 },
      { name: 'a fragmented control frame', bytes: frame(0x9, 'hi', { fin: false }), message: 'fragmented control frame (opcode 0x9)', closeCode: 1002 },
      { name: 'a control frame over 125 bytes', bytes: frame(0xa, Buffer.alloc(126)), message: 'control frame (opcode 0xa) of 126 bytes; the limit is 125', closeCode: 1002 },
      { name: 'a continuation without a start', bytes: frame(0x0, 'hi'), message: 'continuation frame without a message to continue', closeCode: 1002 },
      {
        name: 'a new data frame inside a fragmented message',
        bytes: Buffer.concat([frame(0x1, 'a', { fin: false }), frame(0x2, 'b')]),
        message: 'new data frame (opcode 0x2) inside a fragmented message',
        closeCode: 1002,
      },
      {
        name: 'a 64-bit length with the top bit set',
        bytes: frame(0x2, '', { lengthField: [0x80, 0, 0, 0, 0, 0, 0, 1] }),
        message: '64-bit payload length with the most significant bit set',
        closeCode: 1002,
      },
      { name: 'a close frame with a 1-byte body', bytes: frame(0x8, Buffer.from([3])), message: 'close frame with a 1-byte body', closeCode: 1002 },
      { name: 'close code 1005 on the wire', bytes: frame(0x8, closeBody(1005)), message: 'close frame with invalid close code 1005', closeCode: 1002 },
      { name: 'close code 999', bytes: frame(0x8, closeBody(999)), message: 'close frame with invalid close code 999', closeCode: 1002 },
      { name: 'close code 2000', bytes: frame(0x8, closeBody(2000, 'x')), message: 'close frame with invalid close code 2000', closeCode: 1002 },
      { name: 'close code 5000', bytes: frame(0x8, closeBody(5000)), message: 'close frame with invalid close code 5000', closeCode: 1002 },
      { name: 'a frame over maxPayloadBytes', bytes: frame(0x1, Buffer.alloc(11)), message: 'message of 11 bytes exceeds maxPayloadBytes 10', closeCode: 1009, maxPayloadBytes: 10 },
      {
        name: 'fragments summing over maxPayloadBytes',
        bytes: Buffer.concat([frame(0x1, 'abcdef', { fin: false }), frame(0x0, 'ghijk')]),
        message: 'message of 11 bytes exceeds maxPayloadBytes 10',
        closeCode: 1009,
        maxPayloadBytes: 10,
      },
    ];
    for (const violation of violations) {
      it(`refuses ${violation.name}`, () => {
        for (let at = 0; at <= violation.bytes.length; at++) {
          const reader = new WsFrameReader(recorder().handlers, violation.maxPayloadBytes);
          let thrown: unknown = null;
          try {
            reader.push(violation.bytes.subarray(0, at));
            reader.push(violation.bytes.subarray(at));
          } catch (error) {
            thrown = error;
          }
          expect(thrown, `split at ${at}`).toBeInstanceOf(WsProtocolError);
          expect((thrown as WsProtocolError).message).toContain(violation.message);
          expect((thrown as WsProtocolError).closeCode).toBe(violation.closeCode);
        }
      });
    }

    it('refuses an oversized frame from its header alone, before any payload is buffered', () => {
      const reader = new WsFrameReader(recorder().handlers);
      // A header announcing 2^40 bytes, with not one payload byte behind it.
      const header = frame(0x2, '', { lengthField: [0, 0, 1, 0, 0, 0, 0, 0] });
      expect(() => reader.push(header)).toThrow(new WsProtocolError(`message of ${2 ** 40} bytes exceeds maxPayloadBytes ${64 * 1024 * 1024}`, 1009));
    });

    it('ignores every chunk after a protocol error', () => {
      const { events, handlers } = recorder();
      const reader = new WsFrameReader(handlers);
      expect(() => reader.push(frame(0x3, ''))).toThrow(WsProtocolError);
      reader.push(frame(0x1, 'after'));
      expect(events).toEqual([]);
    });
  });
});
