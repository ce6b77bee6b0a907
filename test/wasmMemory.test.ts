import { describe, expect, it } from 'vitest';
import { WasmMemory } from '../src/wasm/wasmMemory.ts';

describe('64-bit fields as two u32 halves', () => {
  const mem = new WasmMemory(new WebAssembly.Memory({ initial: 1 }));
  const view = new DataView(mem.memory.buffer);

  it.each([0, 1, 4294967295, 4294967296, 60_000_123_456_789, Number.MAX_SAFE_INTEGER])('writes u64 %d as the little-endian value', (v) => {
    mem.writeU64(64, v);
    expect(view.getBigUint64(64, true)).toBe(BigInt(v));
    expect(mem.readU64(64)).toBe(v);
  });

  it.each([-1, -4294967296, -4294967297, -1_000_000, Number.MIN_SAFE_INTEGER])('writes i64 %d in two\'s complement', (v) => {
    mem.writeI64(128, v);
    expect(view.getBigInt64(128, true)).toBe(BigInt(v));
    expect(mem.readI64(128)).toBe(v);
  });

  it('reads values beyond 2^53 as NaN instead of a rounded number', () => {
    view.setBigUint64(192, 2n ** 60n, true);
    expect(mem.readU64(192)).toBeNaN();
    view.setBigInt64(200, -(2n ** 60n), true);
    expect(mem.readI64(200)).toBeNaN();
  });

  it('re-derives its views after the memory grows', () => {
    const m = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const w = new WasmMemory(m);
    m.grow(1);
    w.refresh();
    w.writeU64(65536 + 8, 42);
    expect(new DataView(m.buffer).getBigUint64(65536 + 8, true)).toBe(42n);
  });
});
