// Typed views over an instance's linear memory. 64-bit fields travel as two u32 halves
// (ABI.md: DataView.setBigInt64 is about 20 times slower on the hot path); the values are
// integers held exactly in JS numbers (|v| < 2^53).

const TWO_32 = 4294967296;

export class WasmMemory {
  u8!: Uint8Array;
  u32!: Uint32Array;
  i32!: Int32Array;

  constructor(readonly memory: WebAssembly.Memory) {
    this.refresh();
  }

  get byteLength(): number {
    return this.u8.length;
  }

  /**
   * Re-derives the views after a memory.grow. A grow detaches the old buffer, which
   * zeroes its views' lengths: checking that is much cheaper than reading
   * `memory.buffer`, a call into the engine, after every callback.
   */
  refresh(): void {
    if (this.u8 !== undefined && this.u8.length !== 0) return;
    const buffer = this.memory.buffer;
    this.u8 = new Uint8Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.i32 = new Int32Array(buffer);
  }

  /** True when [ptr, ptr + size) lies inside memory and ptr is 8-aligned. */
  holds(ptr: number, size: number): boolean {
    return ptr > 0 && (ptr & 7) === 0 && ptr + size <= this.memory.buffer.byteLength;
  }

  /** `value >>> 0` is ToUint32, exactly value mod 2^32 for any integer up to 2^53, and compiles to a truncation. */
  writeU64(byteOffset: number, value: number): void {
    const w = byteOffset >>> 2;
    const lo = value >>> 0;
    this.u32[w] = lo;
    this.u32[w + 1] = (value - lo) / TWO_32;
  }

  writeI64(byteOffset: number, value: number): void {
    if (value >= 0) {
      this.writeU64(byteOffset, value);
      return;
    }
    const magnitude = -value;
    const lo = magnitude >>> 0;
    const hi = (magnitude - lo) / TWO_32;
    const w = byteOffset >>> 2;
    // Two's complement of the 64-bit magnitude, computed on the halves.
    const negLo = (~lo + 1) >>> 0;
    this.u32[w] = negLo;
    this.u32[w + 1] = (~hi + (negLo === 0 ? 1 : 0)) >>> 0;
  }

  /** Reads a u64; returns NaN when it does not fit a safe integer. */
  readU64(byteOffset: number): number {
    const w = byteOffset >>> 2;
    const hi = this.u32[w + 1];
    if (hi >= 0x200000) return NaN;
    return hi * TWO_32 + this.u32[w];
  }

  /** Reads an i64; returns NaN when it does not fit a safe integer. */
  readI64(byteOffset: number): number {
    const w = byteOffset >>> 2;
    const hi = this.i32[w + 1];
    if (hi >= 0x200000 || hi < -0x200000) return NaN;
    return hi * TWO_32 + this.u32[w];
  }

  writeU16(byteOffset: number, value: number): void {
    this.u8[byteOffset] = value & 0xff;
    this.u8[byteOffset + 1] = (value >>> 8) & 0xff;
  }
}
