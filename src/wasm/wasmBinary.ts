// The WebAssembly binary format as the loader needs it: bounds-checked reading of its
// primitives and instructions, and encoding of the few values it writes back.
// https://webassembly.github.io/spec/core/binary/index.html

/** A bundle the node refuses to load; the message is written for the algorithm's author. */
export class BundleError extends Error {
  override name = 'BundleError';
}

/** The opcodes the loader writes or looks for. */
export const Op = {
  unreachable: 0x00,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  globalGet: 0x23,
  globalSet: 0x24,
  i32Const: 0x41,
  i32LtS: 0x48,
  i32Sub: 0x6b,
} as const;

export const EMPTY_BLOCK_TYPE = 0x40;
export const VALUE_TYPE_I32 = 0x7f;

/** i32 i64 f32 f64 v128 funcref externref: the types of wasm 2.0. GC reference types are refused. */
const VALUE_TYPES: ReadonlySet<number> = new Set([0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f]);
const REFERENCE_TYPES: ReadonlySet<number> = new Set([0x70, 0x6f]);

/** The number of u32 index immediates of each 0xFC instruction (saturating truncation, bulk memory, tables). */
const MISC_INDEX_IMMEDIATES: readonly number[] = [0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 1, 2, 1, 2, 1, 1, 1];

const V128_BYTES = 16;
const LEB_U32_MAX_BYTES = 5;
const LEB_S64_MAX_BYTES = 10;

export interface Limits {
  min: number;
  max: number | undefined;
  shared: boolean;
}

export function hex(value: number): string {
  return `0x${value.toString(16).padStart(2, '0')}`;
}

/**
 * Reads a window [start, end) of a module. Offsets are absolute in the module so that error
 * messages point at the byte a tool like `wasm-objdump` shows. Every read checks the window.
 */
export class ByteReader {
  private position: number;

  constructor(
    private readonly bytes: Uint8Array,
    readonly start: number,
    readonly end: number,
    /** What the window holds, for error messages: "section 2 (import)", "function body 3". */
    readonly context: string,
  ) {
    if (!(start >= 0 && start <= end && end <= bytes.length)) {
      throw new RangeError(`window [${start}, ${end}) is outside the ${bytes.length}-byte module`);
    }
    this.position = start;
  }

  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  byte(): number {
    if (this.position >= this.end) throw this.truncated();
    return this.bytes[this.position++];
  }

  skip(length: number): void {
    if (length > this.remaining) throw this.truncated();
    this.position += length;
  }

  /** The module's bytes in [from, to), which must lie inside this window. */
  span(from: number, to: number): Uint8Array {
    if (!(from >= this.start && from <= to && to <= this.end)) {
      throw new RangeError(`span [${from}, ${to}) is outside ${this.context}`);
    }
    return this.bytes.subarray(from, to);
  }

  /** A reader over the next `length` bytes, which this one skips. */
  window(length: number, context: string): ByteReader {
    const start = this.position;
    this.skip(length);
    return new ByteReader(this.bytes, start, this.position, context);
  }

  u32(): number {
    const start = this.position;
    let value = 0;
    for (let i = 0; i < LEB_U32_MAX_BYTES; i++) {
      const byte = this.byte();
      value += (byte & 0x7f) * 2 ** (7 * i);
      if ((byte & 0x80) === 0) {
        if (value > 0xffffffff) throw new BundleError(`integer at offset ${start} does not fit in 32 bits`);
        return value;
      }
    }
    throw new BundleError(`integer at offset ${start} is longer than ${LEB_U32_MAX_BYTES} bytes`);
  }

  /** A signed 33-bit LEB128: the encoding of a block type that names a function type. */
  s33(): number {
    const start = this.position;
    let value = 0;
    for (let i = 0; i < LEB_U32_MAX_BYTES; i++) {
      const byte = this.byte();
      value += (byte & 0x7f) * 2 ** (7 * i);
      if ((byte & 0x80) === 0) return (byte & 0x40) === 0 ? value : value - 2 ** (7 * (i + 1));
    }
    throw new BundleError(`integer at offset ${start} is longer than ${LEB_U32_MAX_BYTES} bytes`);
  }

  /** Skips a signed LEB128 constant; the engine's validator checks its value bits. */
  skipSignedLeb(maxBytes: number): void {
    const start = this.position;
    for (let i = 0; i < maxBytes; i++) {
      if ((this.byte() & 0x80) === 0) return;
    }
    throw new BundleError(`integer at offset ${start} is longer than ${maxBytes} bytes`);
  }

  /** A vector length. Every element takes at least one byte, so a count over the bytes left is corrupt. */
  count(what: string): number {
    const start = this.position;
    const count = this.u32();
    if (count > this.remaining) {
      throw new BundleError(
        `${what} count ${count} at offset ${start} is more than the ${this.remaining} bytes left in ${this.context}`,
      );
    }
    return count;
  }

  /** A length-prefixed name, as raw UTF-8 bytes. */
  name(): Uint8Array {
    const length = this.u32();
    const start = this.position;
    this.skip(length);
    return this.bytes.subarray(start, this.position);
  }

  valueType(): number {
    const start = this.position;
    const type = this.byte();
    if (!VALUE_TYPES.has(type)) throw new BundleError(`unsupported value type ${hex(type)} at offset ${start}`);
    return type;
  }

  blockType(): void {
    const start = this.position;
    if (this.position < this.end) {
      const first = this.bytes[this.position];
      if (first === EMPTY_BLOCK_TYPE || VALUE_TYPES.has(first)) {
        this.position++;
        return;
      }
    }
    if (this.s33() < 0) throw new BundleError(`unsupported block type at offset ${start}`);
  }

  limits(): Limits {
    const start = this.position;
    const flags = this.byte();
    if ((flags & 0x04) !== 0) {
      throw new BundleError(`64-bit memory or table (memory64) at offset ${start} is not supported`);
    }
    if (flags > 0x03) throw new BundleError(`unknown limits flags ${hex(flags)} at offset ${start}`);
    const min = this.u32();
    const max = (flags & 0x01) !== 0 ? this.u32() : undefined;
    return { min, max, shared: (flags & 0x02) !== 0 };
  }

  expectEnd(): void {
    if (this.position !== this.end) {
      throw new BundleError(`${this.context} has ${this.remaining} unexpected bytes at offset ${this.position}`);
    }
  }

  private truncated(): BundleError {
    return new BundleError(`unexpected end of ${this.context} at offset ${this.end}`);
  }
}

/**
 * Reads one instruction and skips its immediates; returns its opcode (for a prefixed
 * instruction, the prefix byte). The set is wasm 2.0: MVP, sign extension, saturating
 * truncation, bulk memory, reference types and SIMD. Anything else is refused rather than
 * guessed at: a wrongly sized immediate would misplace every later fuel charge.
 */
export function readInstruction(r: ByteReader): number {
  const start = r.offset;
  const op = r.byte();
  // Numeric instructions (MVP 0x45-0xBF, sign extension 0xC0-0xC4) have no immediates.
  if (op >= 0x45 && op <= 0xc4) return op;
  switch (op) {
    case 0x00: // unreachable
    case 0x01: // nop
    case 0x05: // else
    case 0x0b: // end
    case 0x0f: // return
    case 0x1a: // drop
    case 0x1b: // select
    case 0xd1: // ref.is_null
      return op;
    case 0x02: // block
    case 0x03: // loop
    case 0x04: // if
      r.blockType();
      return op;
    case 0x0c: // br
    case 0x0d: // br_if
    case 0x10: // call
    case 0x20: // local.get
    case 0x21: // local.set
    case 0x22: // local.tee
    case 0x23: // global.get
    case 0x24: // global.set
    case 0x25: // table.get
    case 0x26: // table.set
    case 0x3f: // memory.size
    case 0x40: // memory.grow
    case 0xd2: // ref.func
      r.u32();
      return op;
    case 0x0e: {
      // br_table: a vector of labels, then the default label
      const labels = r.count('br_table label');
      for (let i = 0; i <= labels; i++) r.u32();
      return op;
    }
    case 0x11: // call_indirect: type index, table index
      r.u32();
      r.u32();
      return op;
    case 0x1c: {
      // select with explicit result types
      const types = r.count('select type');
      for (let i = 0; i < types; i++) r.valueType();
      return op;
    }
    case 0x41: // i32.const
      r.skipSignedLeb(LEB_U32_MAX_BYTES);
      return op;
    case 0x42: // i64.const
      r.skipSignedLeb(LEB_S64_MAX_BYTES);
      return op;
    case 0x43: // f32.const
      r.skip(4);
      return op;
    case 0x44: // f64.const
      r.skip(8);
      return op;
    case 0xd0: {
      // ref.null: only the wasm 2.0 heap types, not GC's s33 type indices
      const typeAt = r.offset;
      const type = r.byte();
      if (!REFERENCE_TYPES.has(type)) {
        throw new BundleError(`unsupported ref.null type ${hex(type)} at offset ${typeAt}`);
      }
      return op;
    }
    case 0xfc:
      readMiscImmediates(r, start);
      return op;
    case 0xfd:
      readSimdImmediates(r, start);
      return op;
  }
  if (op >= 0x28 && op <= 0x3e) {
    readMemArg(r); // loads and stores
    return op;
  }
  throw unsupportedInstruction(start, op);
}

function readMiscImmediates(r: ByteReader, start: number): void {
  const sub = r.u32();
  const indices = MISC_INDEX_IMMEDIATES[sub];
  if (indices === undefined) throw unsupportedInstruction(start, 0xfc, sub);
  for (let i = 0; i < indices; i++) r.u32();
}

function readSimdImmediates(r: ByteReader, start: number): void {
  const sub = r.u32();
  // Opcodes above 0xFF are relaxed SIMD and later proposals. Unassigned opcodes below it are
  // read as immediate-free; the engine's validator refuses them.
  if (sub > 0xff) throw unsupportedInstruction(start, 0xfd, sub);
  if (sub <= 0x0b || sub === 0x5c || sub === 0x5d) {
    readMemArg(r); // v128 loads, stores, splat/extend/zero loads
  } else if (sub === 0x0c || sub === 0x0d) {
    r.skip(V128_BYTES); // v128.const, i8x16.shuffle
  } else if (sub >= 0x15 && sub <= 0x22) {
    r.skip(1); // extract_lane, replace_lane: lane index
  } else if (sub >= 0x54 && sub <= 0x5b) {
    readMemArg(r); // load_lane, store_lane: memarg, then lane index
    r.skip(1);
  }
}

function readMemArg(r: ByteReader): void {
  const align = r.u32();
  // Bit 6 of the alignment field announces a memory index (multi-memory).
  if ((align & 0x40) !== 0) r.u32();
  r.u32();
}

function unsupportedInstruction(start: number, op: number, sub?: number): BundleError {
  const name = sub === undefined ? hex(op) : `${hex(op)} ${hex(sub)}`;
  return new BundleError(`unsupported instruction ${name} at offset ${start}`);
}

export function encodeU32(value: number): Uint8Array {
  if (!(Number.isInteger(value) && value >= 0 && value <= 0xffffffff)) throw new RangeError(`${value} is not a u32`);
  const out: number[] = [];
  let rest = value;
  for (let i = 0; i < LEB_U32_MAX_BYTES; i++) {
    const low = rest % 128;
    rest = Math.floor(rest / 128);
    out.push(rest === 0 ? low : low | 0x80);
    if (rest === 0) break;
  }
  return Uint8Array.from(out);
}

export function encodeS32(value: number): Uint8Array {
  if (!(Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff)) {
    throw new RangeError(`${value} is not an i32`);
  }
  const out: number[] = [];
  let rest = value;
  for (let i = 0; i < LEB_U32_MAX_BYTES; i++) {
    const low = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (low & 0x40) === 0) || (rest === -1 && (low & 0x40) !== 0);
    out.push(done ? low : low | 0x80);
    if (done) break;
  }
  return Uint8Array.from(out);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
