import { RejectCode, type OrderType } from '../../wasm/abi.ts';
import type { Side } from '../../venues/venue.ts';
import type { DeploymentMessage, RoleMessage, TradingMessage } from '../tradingMessage.ts';
import { RecordDecodeError, RecordEncodeError } from './journalErrors.ts';

// The journal's binary body of one trading message: a kind byte, tsNs as a float64 (an
// integer-valued double near 1.7e18 is above 2^53, and a float64 holds it bit for bit),
// then the kind's fields in declaration order, little-endian. Money and ids are integers
// up to 2^53, written as float64 and refused on read unless they are safe integers; small
// enumerations are one byte; strings and payloads are a u16 byte length then the bytes.
// The encoder refuses anything the decoder would refuse, so a message that was journaled
// can always be read back.

export const KIND_CODES = {
  order: 1,
  cancelRequest: 2,
  nodeReject: 3,
  ack: 4,
  reject: 5,
  fill: 6,
  canceled: 7,
  cancelReject: 8,
  halt: 9,
  resume: 10,
  pause: 11,
  mesh: 12,
  deployment: 13,
  role: 14,
  shutdown: 15,
} as const satisfies Record<TradingMessage['kind'], number>;

type Kind = TradingMessage['kind'];

const KIND_BY_CODE: readonly (Kind | undefined)[] = (() => {
  const byCode: (Kind | undefined)[] = [];
  for (const [kind, code] of Object.entries(KIND_CODES)) byCode[code] = kind as Kind;
  return byCode;
})();

/** A body larger than this is refused: it bounds the scratch buffer and every record. */
export const MAX_BODY_BYTES = 1 << 20;
const MAX_FIELD_BYTES = 0xffff;

const ORDER_TYPE_MAX = 4;
const REJECT_CODES = new Set<number>(Object.values(RejectCode));
const LIQUIDITY = ['maker', 'taker'] as const;
const ACTIONS = ['start', 'stop', 'restart'] as const satisfies readonly DeploymentMessage['action'][];
const ROLES = ['leader', 'follower'] as const satisfies readonly RoleMessage['role'][];

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

let scratch = new Uint8Array(512);
let scratchView = new DataView(scratch.buffer);
let pos = 0;
let encodingKind: Kind = 'order';

function encodeFail(field: string, problem: string): never {
  throw new RecordEncodeError(`cannot encode ${encodingKind}.${field}: ${problem}`);
}

function ensure(extra: number): void {
  const need = pos + extra;
  if (need <= scratch.length) return;
  if (need > MAX_BODY_BYTES) encodeFail('(body)', `the record would exceed ${MAX_BODY_BYTES} bytes`);
  let size = scratch.length * 2;
  while (size < need) size *= 2;
  const grown = new Uint8Array(Math.min(size, MAX_BODY_BYTES));
  grown.set(scratch.subarray(0, pos));
  scratch = grown;
  scratchView = new DataView(grown.buffer);
}

function putU8(value: number): void {
  ensure(1);
  scratch[pos++] = value;
}

function putU32(field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) encodeFail(field, `${value} is not an integer in 0..2^32-1`);
  ensure(4);
  scratchView.setUint32(pos, value, true);
  pos += 4;
}

function putInt53(field: string, value: number): void {
  if (!Number.isSafeInteger(value)) encodeFail(field, `${value} is not a safe integer`);
  ensure(8);
  scratchView.setFloat64(pos, value, true);
  pos += 8;
}

function putTsNs(value: number): void {
  if (!Number.isInteger(value) || value < 0) encodeFail('tsNs', `${value} is not a non-negative integer`);
  ensure(8);
  scratchView.setFloat64(pos, value, true);
  pos += 8;
}

function putString(field: string, value: string): void {
  const length = value.length;
  ensure(2 + length * 3);
  const start = pos + 2;
  let i = 0;
  // Labels, venues, symbols and ids are ASCII: copy them without the encoder's call cost.
  for (; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x80) break;
    scratch[start + i] = c;
  }
  let written = i;
  if (i < length) written += utf8Encoder.encodeInto(value.slice(i), scratch.subarray(start + i)).written;
  if (written > MAX_FIELD_BYTES) encodeFail(field, `${written} UTF-8 bytes is more than ${MAX_FIELD_BYTES}`);
  scratchView.setUint16(pos, written, true);
  pos = start + written;
}

function putBytes(field: string, value: Uint8Array): void {
  if (value.length > MAX_FIELD_BYTES) encodeFail(field, `${value.length} bytes is more than ${MAX_FIELD_BYTES}`);
  ensure(2 + value.length);
  scratchView.setUint16(pos, value.length, true);
  scratch.set(value, pos + 2);
  pos += 2 + value.length;
}

function putSide(value: Side): void {
  if (value !== 1 && value !== -1) encodeFail('side', `${value} is not 1 or -1`);
  putU8(value === 1 ? 1 : 0xff);
}

function putOrderType(value: OrderType): void {
  if (!Number.isInteger(value) || value < 0 || value > ORDER_TYPE_MAX) encodeFail('orderType', `${value} is not an order type`);
  putU8(value);
}

function putRejectCode(field: string, value: number): void {
  if (!REJECT_CODES.has(value)) encodeFail(field, `${value} is not a reject code`);
  putU8(value);
}

function putBool(field: string, value: boolean): void {
  if (typeof value !== 'boolean') encodeFail(field, `${String(value)} is not a boolean`);
  putU8(value ? 1 : 0);
}

function putChoice(field: string, choices: readonly string[], value: string): void {
  const index = choices.indexOf(value);
  if (index < 0) encodeFail(field, `"${value}" is not one of ${choices.join(', ')}`);
  putU8(index);
}

function writeBody(m: TradingMessage): void {
  const code = KIND_CODES[m.kind];
  if (code === undefined) throw new RecordEncodeError(`cannot encode a message of unknown kind "${String((m as { kind: unknown }).kind)}"`);
  encodingKind = m.kind;
  putU8(code);
  putTsNs(m.tsNs);
  switch (m.kind) {
    case 'order':
      putString('label', m.label);
      putString('venue', m.venue);
      putString('symbol', m.symbol);
      putInt53('algoOrderId', m.algoOrderId);
      putString('clientOrderId', m.clientOrderId);
      putSide(m.side);
      putInt53('px1e9', m.px1e9);
      putInt53('qty1e8', m.qty1e8);
      putOrderType(m.orderType);
      putString('replaces', m.replaces);
      return;
    case 'cancelRequest':
      putString('clientOrderId', m.clientOrderId);
      return;
    case 'nodeReject':
      putString('label', m.label);
      putInt53('algoOrderId', m.algoOrderId);
      putRejectCode('code', m.code);
      putString('reason', m.reason);
      return;
    case 'ack':
      putString('clientOrderId', m.clientOrderId);
      putString('venueOrderId', m.venueOrderId);
      return;
    case 'reject':
      putString('clientOrderId', m.clientOrderId);
      putRejectCode('code', m.code);
      putString('reason', m.reason);
      return;
    case 'fill':
      putString('clientOrderId', m.clientOrderId);
      putString('fillId', m.fillId);
      putInt53('px1e9', m.px1e9);
      putInt53('qty1e8', m.qty1e8);
      putInt53('fee1e9', m.fee1e9);
      putChoice('liquidity', LIQUIDITY, m.liquidity);
      return;
    case 'canceled':
    case 'cancelReject':
      putString('clientOrderId', m.clientOrderId);
      putString('reason', m.reason);
      return;
    case 'halt':
      putString('by', m.by);
      putString('reason', m.reason);
      putBool('cancelAll', m.cancelAll);
      return;
    case 'resume':
      putString('by', m.by);
      putString('reason', m.reason);
      return;
    case 'pause':
      putString('label', m.label);
      putBool('paused', m.paused);
      putRejectCode('code', m.code);
      putString('reason', m.reason);
      return;
    case 'mesh':
      putString('from', m.from);
      putString('to', m.to);
      putBytes('payload', m.payload);
      return;
    case 'deployment':
      putString('label', m.label);
      putString('venue', m.venue);
      if (m.symbols.length > MAX_FIELD_BYTES) encodeFail('symbols', `${m.symbols.length} symbols is more than ${MAX_FIELD_BYTES}`);
      ensure(2);
      scratchView.setUint16(pos, m.symbols.length, true);
      pos += 2;
      for (const symbol of m.symbols) putString('symbols', symbol);
      putString('bundleSha256', m.bundleSha256);
      putChoice('action', ACTIONS, m.action);
      return;
    case 'role':
      putString('nodeId', m.nodeId);
      putChoice('role', ROLES, m.role);
      putU32('term', m.term);
      return;
    case 'shutdown':
      putString('reason', m.reason);
      putU32('openOrders', m.openOrders);
      putBool('timedOut', m.timedOut);
      return;
  }
}

/** The message's body as a fresh array the caller owns. */
export function encodeMessage(m: TradingMessage): Uint8Array {
  pos = 0;
  writeBody(m);
  return scratch.slice(0, pos);
}

/**
 * The body after `headerBytes` bytes the caller fills in, as a view of the codec's shared
 * scratch buffer: valid only until the next encode. For a writer that copies it at once
 * (the journal's put), which saves an allocation per record.
 */
export function encodeMessageTransient(m: TradingMessage, headerBytes: number): Uint8Array {
  pos = 0;
  ensure(headerBytes);
  pos = headerBytes;
  writeBody(m);
  return scratch.subarray(0, pos);
}

/** The kind of an encoded body (starting at `offset`) from its first byte, without decoding the rest. */
export function kindOfBody(bytes: Uint8Array, offset = 0): Kind {
  const kind = bytes.length > offset ? KIND_BY_CODE[bytes[offset]] : undefined;
  if (kind === undefined) throw new RecordDecodeError(bytes.length <= offset ? 'empty record body' : `unknown message kind code ${bytes[offset]}`);
  return kind;
}

// The decoder reads bytes by index and never takes a view of its input: lmdb hands out
// small Buffers, and asking one for its ArrayBuffer (a DataView, subarray) costs more
// than decoding the whole record.
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) throw new Error('the record codec assumes a little-endian host');
const MAX_ASCII_RUN = 64;
const codeUnits: number[] = [];

class BodyReader {
  private pos: number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly base: number,
    private readonly kind: Kind,
  ) {
    this.pos = base + 1;
  }

  private fail(field: string, problem: string): never {
    throw new RecordDecodeError(`${this.kind} record, field ${field} at offset ${this.pos - this.base}: ${problem}`);
  }

  private need(field: string, n: number): number {
    const at = this.pos;
    if (at + n > this.bytes.length) this.fail(field, `truncated: needs ${n} bytes, ${this.bytes.length - at} left`);
    this.pos = at + n;
    return at;
  }

  u8(field: string): number {
    return this.bytes[this.need(field, 1)];
  }

  u16(field: string): number {
    const at = this.need(field, 2);
    return this.bytes[at] | (this.bytes[at + 1] << 8);
  }

  u32(field: string): number {
    const b = this.bytes;
    const at = this.need(field, 4);
    return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 0x1000000;
  }

  private f64(field: string): number {
    const b = this.bytes;
    const at = this.need(field, 8);
    for (let i = 0; i < 8; i++) f64Bytes[i] = b[at + i];
    return f64[0];
  }

  int53(field: string): number {
    const value = this.f64(field);
    if (!Number.isSafeInteger(value)) this.fail(field, `${value} is not a safe integer`);
    return value;
  }

  tsNs(): number {
    const value = this.f64('tsNs');
    if (!Number.isInteger(value) || value < 0) this.fail('tsNs', `${value} is not a non-negative integer`);
    return value;
  }

  string(field: string): string {
    const length = this.u16(field);
    const start = this.need(field, length);
    const bytes = this.bytes;
    if (length <= MAX_ASCII_RUN) {
      codeUnits.length = length;
      let i = 0;
      for (; i < length; i++) {
        const c = bytes[start + i];
        if (c >= 0x80) break;
        codeUnits[i] = c;
      }
      if (i === length) return String.fromCharCode.apply(null, codeUnits);
    }
    try {
      return utf8Decoder.decode(bytes.subarray(start, start + length));
    } catch {
      this.pos = start;
      return this.fail(field, 'invalid UTF-8');
    }
  }

  bytesField(field: string): Uint8Array {
    const length = this.u16(field);
    const start = this.need(field, length);
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.bytes[start + i];
    return out;
  }

  side(): Side {
    const value = this.u8('side');
    if (value === 1) return 1;
    if (value === 0xff) return -1;
    return this.fail('side', `byte ${value} is not a side`);
  }

  orderType(): OrderType {
    const value = this.u8('orderType');
    if (value > ORDER_TYPE_MAX) this.fail('orderType', `${value} is not an order type`);
    return value as OrderType;
  }

  rejectCode(field: string): RejectCode {
    const value = this.u8(field);
    if (!REJECT_CODES.has(value)) this.fail(field, `${value} is not a reject code`);
    return value as RejectCode;
  }

  bool(field: string): boolean {
    const value = this.u8(field);
    if (value > 1) this.fail(field, `byte ${value} is not a boolean`);
    return value === 1;
  }

  choice<T extends string>(field: string, choices: readonly T[]): T {
    const value = this.u8(field);
    if (value >= choices.length) this.fail(field, `${value} is not one of ${choices.length} choices`);
    return choices[value];
  }

  end<M>(message: M): M {
    if (this.pos !== this.bytes.length) throw new RecordDecodeError(`${this.kind} record: ${this.bytes.length - this.pos} trailing bytes after offset ${this.pos - this.base}`);
    return message;
  }
}

function readMessage(r: BodyReader, kind: Kind, tsNs: number): TradingMessage {
  switch (kind) {
    case 'order':
      return {
        kind,
        tsNs,
        label: r.string('label'),
        venue: r.string('venue'),
        symbol: r.string('symbol'),
        algoOrderId: r.int53('algoOrderId'),
        clientOrderId: r.string('clientOrderId'),
        side: r.side(),
        px1e9: r.int53('px1e9'),
        qty1e8: r.int53('qty1e8'),
        orderType: r.orderType(),
        replaces: r.string('replaces'),
      };
    case 'cancelRequest':
      return { kind, tsNs, clientOrderId: r.string('clientOrderId') };
    case 'nodeReject':
      return { kind, tsNs, label: r.string('label'), algoOrderId: r.int53('algoOrderId'), code: r.rejectCode('code'), reason: r.string('reason') };
    case 'ack':
      return { kind, clientOrderId: r.string('clientOrderId'), venueOrderId: r.string('venueOrderId'), tsNs };
    case 'reject':
      return { kind, clientOrderId: r.string('clientOrderId'), code: r.rejectCode('code'), reason: r.string('reason'), tsNs };
    case 'fill':
      return {
        kind,
        clientOrderId: r.string('clientOrderId'),
        fillId: r.string('fillId'),
        px1e9: r.int53('px1e9'),
        qty1e8: r.int53('qty1e8'),
        fee1e9: r.int53('fee1e9'),
        liquidity: r.choice('liquidity', LIQUIDITY),
        tsNs,
      };
    case 'canceled':
    case 'cancelReject':
      return { kind, clientOrderId: r.string('clientOrderId'), reason: r.string('reason'), tsNs };
    case 'halt':
      return { kind, tsNs, by: r.string('by'), reason: r.string('reason'), cancelAll: r.bool('cancelAll') };
    case 'resume':
      return { kind, tsNs, by: r.string('by'), reason: r.string('reason') };
    case 'pause':
      return { kind, tsNs, label: r.string('label'), paused: r.bool('paused'), code: r.rejectCode('code'), reason: r.string('reason') };
    case 'mesh':
      return { kind, tsNs, from: r.string('from'), to: r.string('to'), payload: r.bytesField('payload') };
    case 'deployment': {
      const label = r.string('label');
      const venue = r.string('venue');
      const count = r.u16('symbols');
      const symbols: string[] = [];
      for (let i = 0; i < count; i++) symbols.push(r.string('symbols'));
      return { kind, tsNs, label, venue, symbols, bundleSha256: r.string('bundleSha256'), action: r.choice('action', ACTIONS) };
    }
    case 'role':
      return { kind, tsNs, nodeId: r.string('nodeId'), role: r.choice('role', ROLES), term: r.u32('term') };
    case 'shutdown':
      return { kind, tsNs, reason: r.string('reason'), openOrders: r.u32('openOrders'), timedOut: r.bool('timedOut') };
  }
}

/**
 * Decodes the body that starts at `offset` and runs to the end of `bytes`; throws
 * RecordDecodeError naming the kind, the field and its offset in the body.
 */
export function decodeMessage(bytes: Uint8Array, offset = 0): TradingMessage {
  const kind = kindOfBody(bytes, offset);
  const r = new BodyReader(bytes, offset, kind);
  const tsNs = r.tsNs();
  return r.end(readMessage(r, kind, tsNs));
}
