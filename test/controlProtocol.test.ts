import { describe, expect, it } from 'vitest';
import { LineFramer } from '../src/control/lineFramer.ts';
import {
  encodeError,
  encodeEvent,
  encodeRequest,
  encodeResult,
  MAX_REASON_CHARS,
  parseRequestLine,
  parseServerLine,
  ProtocolError,
  type RequestParse,
} from '../src/control/protocol.ts';
import { SnapshotOutbox } from '../src/control/snapshotOutbox.ts';

const line = (message: unknown) => JSON.stringify(message);
const req = (method: string, params?: unknown) => line({ v: 1, id: 7, method, ...(params === undefined ? {} : { params }) });
const errorOf = (parsed: RequestParse) => (parsed.kind === 'request' ? 'accepted' : `${parsed.kind}: ${parsed.error}`);

describe('control protocol: requests', () => {
  it('accepts every method with its params', () => {
    const cases: [string, unknown][] = [
      ['hello', { v: 1 }],
      ['status', undefined],
      ['status', {}],
      ['halt', { cancelAll: true, reason: 'venue misbehaving', by: 'cli:ops' }],
      ['resume', { reason: 'venue back', by: 'cli:ops' }],
      ['deploy', { config: '[deploy.maker]\nvenue = "sim_a"\n' }],
      ['subscribe', undefined],
      ['unsubscribe', {}],
      ['shutdown', { by: 'cli:ops' }],
    ];
    for (const [method, params] of cases) {
      const parsed = parseRequestLine(req(method, params));
      expect(parsed, method).toEqual({ kind: 'request', request: { id: 7, method, params: params ?? {} } });
    }
  });

  it('round-trips what encodeRequest writes', () => {
    const text = encodeRequest(3, 'halt', { cancelAll: false, reason: 'r', by: 'b' });
    expect(text.endsWith('\n')).toBe(true);
    expect(parseRequestLine(text.trimEnd())).toEqual({ kind: 'request', request: { id: 3, method: 'halt', params: { cancelAll: false, reason: 'r', by: 'b' } } });
  });

  it('rejects bad params with a clear error and keeps the connection (invalid)', () => {
    const long = 'x'.repeat(MAX_REASON_CHARS + 1);
    const cases: [string, unknown, string][] = [
      ['halt', undefined, 'invalid: halt: params are required: {cancelAll, reason, by}'],
      ['halt', { cancelAll: true, by: 'ops' }, 'invalid: halt: params.reason is required'],
      ['halt', { cancelAll: 'yes', reason: 'r', by: 'ops' }, 'invalid: halt: params.cancelAll must be a boolean, got a string'],
      ['halt', { cancelAll: true, reason: 42, by: 'ops' }, 'invalid: halt: params.reason must be a string, got number 42'],
      ['halt', { cancelAll: true, reason: '   ', by: 'ops' }, 'invalid: halt: params.reason must not be empty'],
      ['halt', { cancelAll: true, reason: long, by: 'ops' }, 'invalid: halt: params.reason is 501 characters; the limit is 500'],
      ['halt', { cancelAll: true, reason: 'two\nlines', by: 'ops' }, 'invalid: halt: params.reason must be one line of text (no control characters)'],
      ['halt', { cancelAll: true, reason: 'r', by: 'ops', force: true }, 'invalid: halt: unknown param "force"; expected {cancelAll, reason, by}'],
      ['halt', [true, 'r'], 'invalid: halt: params must be an object, got an array'],
      ['resume', { reason: 'r' }, 'invalid: resume: params.by is required'],
      ['resume', { reason: 'r', by: '' }, 'invalid: resume: params.by must not be empty'],
      ['deploy', { config: 7 }, 'invalid: deploy: params.config must be a string, got number 7'],
      ['deploy', { config: '' }, 'invalid: deploy: params.config must not be empty'],
      ['shutdown', {}, 'invalid: shutdown: params.by is required'],
      ['status', { verbose: true }, 'invalid: status: takes no params, got "verbose"'],
      ['frobnicate', undefined, 'invalid: unknown method "frobnicate"; known: hello, status, halt, resume, deploy, subscribe, unsubscribe, shutdown'],
    ];
    for (const [method, params, expected] of cases) expect(errorOf(parseRequestLine(req(method, params))), `${method} ${line(params)}`).toBe(expected);
  });

  it('counts reason length in characters, not UTF-16 units', () => {
    const emoji = '🛑'.repeat(MAX_REASON_CHARS);
    expect(errorOf(parseRequestLine(req('halt', { cancelAll: false, reason: emoji, by: 'ops' })))).toBe('accepted');
  });

  it('rejects malformed envelopes', () => {
    expect(errorOf(parseRequestLine(line({ v: 1, id: 7, method: 5 })))).toBe('invalid: request field method must be a string, got number 5');
    expect(errorOf(parseRequestLine(line({ v: 1, id: 7, method: 'status', extra: 1 })))).toBe('invalid: unknown request field "extra"');
  });

  it('treats garbage, missing ids and other versions as fatal', () => {
    expect(parseRequestLine('hello there')).toMatchObject({ kind: 'fatal', id: null, error: expect.stringMatching(/^request is not JSON: /) });
    expect(errorOf(parseRequestLine('[1,2]'))).toBe('fatal: request must be a JSON object, got an array');
    expect(errorOf(parseRequestLine(line({ v: 1, method: 'status' })))).toBe('fatal: request field id must be an integer, got nothing');
    expect(errorOf(parseRequestLine(line({ v: 1, id: 1.5, method: 'status' })))).toBe('fatal: request field id must be an integer, got number 1.5');
    expect(errorOf(parseRequestLine(line({ id: 1, method: 'status' })))).toBe('fatal: request has no protocol version field v');
    expect(parseRequestLine(line({ v: 2, id: 1, method: 'hello', params: { v: 2 } }))).toEqual({
      kind: 'fatal',
      id: 1,
      error: 'the node speaks control protocol v1; this sequence speaks v2',
    });
    expect(errorOf(parseRequestLine(req('hello', {})))).toBe('fatal: hello: params.v is required');
    expect(errorOf(parseRequestLine(req('hello', { v: '1' })))).toBe('fatal: hello: params.v must be an integer protocol version, got a string');
  });
});

describe('control protocol: server messages', () => {
  it('reads results, errors and events', () => {
    expect(parseServerLine(encodeResult(4, { halted: true }))).toEqual({ kind: 'response', id: 4, ok: true, result: { halted: true } });
    expect(parseServerLine(encodeResult(4, undefined))).toEqual({ kind: 'response', id: 4, ok: true, result: null });
    expect(parseServerLine(encodeError(null, 'bad\nsecond line'))).toEqual({ kind: 'response', id: null, ok: false, error: 'bad' });
    expect(parseServerLine(encodeEvent('snapshot', { version: 1 }))).toEqual({ kind: 'event', event: 'snapshot', data: { version: 1 } });
  });

  it('throws ProtocolError on what is not this protocol', () => {
    expect(() => parseServerLine('SSH-2.0-OpenSSH')).toThrow(ProtocolError);
    expect(() => parseServerLine('SSH-2.0-OpenSSH')).toThrow(/^the node sent a line that is not JSON: /);
    expect(() => parseServerLine('"hi"')).toThrow('the node sent a string where a JSON object belongs');
    expect(() => parseServerLine(line({ id: 'a', ok: true }))).toThrow('the node sent a response whose id is a string');
    expect(() => parseServerLine(line({ id: 1 }))).toThrow('the node sent a message that is neither a response nor an event');
  });
});

describe('line framer', () => {
  const chunk = (text: string) => Buffer.from(text, 'utf8');

  it('joins lines split across chunks and splits several lines in one chunk', () => {
    const framer = new LineFramer(100);
    expect(framer.push(chunk('{"a":'))).toEqual({ lines: [], overflow: false });
    expect(framer.push(chunk('1}\n{"b":2}\n{"c"'))).toEqual({ lines: ['{"a":1}', '{"b":2}'], overflow: false });
    expect(framer.push(chunk(':3}\n'))).toEqual({ lines: ['{"c":3}'], overflow: false });
  });

  it('keeps a multi-byte character split between chunks intact', () => {
    const framer = new LineFramer(100);
    const bytes = chunk('"€"\n');
    expect(framer.push(bytes.subarray(0, 2)).lines).toEqual([]);
    expect(framer.push(bytes.subarray(2)).lines).toEqual(['"€"']);
  });

  it('accepts a line of exactly the limit and fails one byte over, for good', () => {
    const framer = new LineFramer(8);
    expect(framer.push(chunk('12345678\n'))).toEqual({ lines: ['12345678'], overflow: false });
    expect(framer.push(chunk('1234'))).toEqual({ lines: [], overflow: false });
    expect(framer.push(chunk('56789'))).toEqual({ lines: [], overflow: true });
    expect(framer.push(chunk('\nok\n'))).toEqual({ lines: [], overflow: true });
  });

  it('returns the lines before an over-long one', () => {
    const framer = new LineFramer(4);
    expect(framer.push(chunk('ab\nabcdefgh\ncd\n'))).toEqual({ lines: ['ab'], overflow: true });
  });
});

describe('snapshot outbox', () => {
  it('keeps the newest snapshots up to its capacity and counts the dropped', () => {
    const outbox = new SnapshotOutbox(2);
    for (const n of [1, 2, 3, 4, 5]) outbox.push(Buffer.from(String(n)));
    expect(outbox.length).toBe(2);
    expect(outbox.dropped).toBe(3);
    expect(String(outbox.take())).toBe('4');
    expect(String(outbox.take())).toBe('5');
    expect(outbox.take()).toBeUndefined();
  });

  it('refuses a capacity that cannot hold a snapshot', () => {
    expect(() => new SnapshotOutbox(0)).toThrow('snapshot outbox capacity must be a positive integer, got 0');
  });
});
