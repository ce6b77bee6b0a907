import asc from 'assemblyscript/asc';
import binaryen from 'binaryen';
import { describe, expect, it } from 'vitest';
import { BundleError, FUEL_EXPORT, instrumentModule } from '../src/wasm/instrument.ts';
import type { InstrumentOptions } from '../src/wasm/instrument.ts';

const OPTIONS: InstrumentOptions = { memoryMaxPages: 16 };

/** The features of wasm 2.0, which Node 20 runs; with GC on, binaryen would write GC encodings. */
const WASM_2_FEATURES =
  binaryen.Features.MutableGlobals |
  binaryen.Features.NontrappingFPToInt |
  binaryen.Features.SignExt |
  binaryen.Features.BulkMemory |
  binaryen.Features.BulkMemoryOpt |
  binaryen.Features.CallIndirectOverlong |
  binaryen.Features.ReferenceTypes |
  binaryen.Features.SIMD128 |
  binaryen.Features.Multivalue;

function fromWat(text: string): Uint8Array {
  const module = binaryen.parseText(text);
  try {
    module.setFeatures(WASM_2_FEATURES);
    if (!module.validate()) throw new Error('test module does not validate');
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

interface Metered {
  exports: WebAssembly.Exports;
  fuel: WebAssembly.Global;
  call: (name: string, ...args: unknown[]) => unknown;
}

function meter(bytes: Uint8Array, options: InstrumentOptions = OPTIONS, imports: WebAssembly.Imports = {}): Metered {
  const instrumented = instrumentModule(bytes, options);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(instrumented), imports);
  const exports = instance.exports;
  const call = (name: string, ...args: unknown[]) => (exports[name] as (...a: unknown[]) => unknown)(...args);
  return { exports, fuel: exports[FUEL_EXPORT] as WebAssembly.Global, call };
}

function bundleError(run: () => unknown): BundleError {
  try {
    run();
  } catch (error) {
    if (error instanceof BundleError) return error;
    throw error;
  }
  throw new Error('expected a BundleError');
}

function leb(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  for (let i = 0; i < 5; i++) {
    const low = rest & 0x7f;
    rest >>>= 7;
    out.push(rest === 0 ? low : low | 0x80);
    if (rest === 0) break;
  }
  return out;
}

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

function section(id: number, content: number[]): number[] {
  return [id, ...leb(content.length), ...content];
}

function moduleOf(...sections: number[][]): Uint8Array {
  return Uint8Array.from([...HEADER, ...sections.flat()]);
}

const VOID_FUNC_TYPE = section(1, [1, 0x60, 0, 0]);
const ONE_FUNC = section(3, [1, 0]);

/** A module with one `() -> ()` function whose body is no locals, `instructions`, `end`. */
function moduleWithBody(instructions: number[]): { bytes: Uint8Array; instructionsAt: number } {
  const body = [0x00, ...instructions, 0x0b];
  const bytes = moduleOf(VOID_FUNC_TYPE, ONE_FUNC, section(10, [1, ...leb(body.length), ...body]));
  return { bytes, instructionsAt: bytes.length - 1 - instructions.length };
}

const SUM_AND_FIB = `(module
  (func (export "sum") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (loop $next
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (local.set $s (i32.add (local.get $s) (local.get $i)))
      (br_if $next (i32.lt_s (local.get $i) (local.get $n))))
    (local.get $s))
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_s (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func (export "spin") (loop $forever (br $forever)))
  (func $recurse (export "recurse") (call $recurse)))`;

describe('an instrumented module computes what the original computes', () => {
  it('sums 1..n in a loop', () => {
    const m = meter(fromWat(SUM_AND_FIB));
    m.fuel.value = 1_000_000;
    expect(m.call('sum', 1000)).toBe(500500);
  });

  it('computes a recursive Fibonacci number', () => {
    const m = meter(fromWat(SUM_AND_FIB));
    m.fuel.value = 1_000_000;
    expect(m.call('fib', 20)).toBe(6765);
  });

  it('keeps branch targets: br_table out of nested blocks inside a loop still lands right', () => {
    const m = meter(
      fromWat(`(module
        (func (export "classify") (param $n i32) (result i32) (local $acc i32)
          (loop $again
            (block $two (block $one (block $zero
              (br_table $zero $one $two (local.get $n)))
              (local.set $acc (i32.add (local.get $acc) (i32.const 100)))
              (br $two))
            (local.set $acc (i32.add (local.get $acc) (i32.const 10))))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br_if $again (i32.ge_s (local.get $n) (i32.const 0))))
          (local.get $acc)))`),
    );
    m.fuel.value = 1000;
    // n=2 (the default label) adds nothing; n=1 adds 10; n=0 adds 100 and branches past the 10.
    expect(m.call('classify', 2)).toBe(110);
  });
});

describe('fuel', () => {
  it('starts at initialFuel, 0 by default, and is exported as a mutable i32 global', () => {
    expect(meter(fromWat(SUM_AND_FIB)).fuel.value).toBe(0);
    const m = meter(fromWat(SUM_AND_FIB), { ...OPTIONS, initialFuel: 1234 });
    expect(m.fuel.value).toBe(1234);
    m.fuel.value = 7;
    expect(m.fuel.value).toBe(7);
  });

  it('stops an infinite loop with a RuntimeError, leaves the fuel negative, and runs again after a refill', () => {
    const m = meter(fromWat(SUM_AND_FIB));
    m.fuel.value = 10_000;
    expect(() => m.call('spin')).toThrow(WebAssembly.RuntimeError);
    expect(m.fuel.value).toBeLessThan(0);

    m.fuel.value = 10_000;
    expect(m.call('sum', 10)).toBe(55);
    expect(() => m.call('spin')).toThrow(WebAssembly.RuntimeError);
  });

  it('stops unbounded recursion without loops by the charge at function entry', () => {
    const m = meter(fromWat(SUM_AND_FIB));
    m.fuel.value = 1000;
    expect(() => m.call('recurse')).toThrow(WebAssembly.RuntimeError);
    expect(m.fuel.value).toBeLessThan(0);
  });

  it('charges one unit per loop iteration plus one per call', () => {
    const m = meter(fromWat(SUM_AND_FIB));
    const costOf = (name: string, arg: number) => {
      m.fuel.value = 1_000_000;
      m.call(name, arg);
      return 1_000_000 - (m.fuel.value as number);
    };
    expect(costOf('sum', 1000)).toBe(1001);
    expect(costOf('sum', 2000)).toBe(2001);
    // fib(10) makes 2 * fib(11) - 1 = 177 calls.
    expect(costOf('fib', 10)).toBe(177);
  });

  it('traps with exactly as much fuel as the work needs minus one, and not with exactly enough', () => {
    const m = meter(fromWat(SUM_AND_FIB));
    m.fuel.value = 1000;
    expect(() => m.call('sum', 1000)).toThrow(WebAssembly.RuntimeError);
    m.fuel.value = 1001;
    expect(m.call('sum', 1000)).toBe(500500);
    expect(m.fuel.value).toBe(0);
  });

  it('charges a start function from initialFuel while instantiating', () => {
    const bytes = fromWat(`(module
      (global $ready (export "ready") (mut i32) (i32.const 0))
      (func $init (global.set $ready (i32.const 1)))
      (start $init))`);
    expect(() => meter(bytes)).toThrow(WebAssembly.RuntimeError);
    const m = meter(bytes, { ...OPTIONS, initialFuel: 10 });
    expect((m.exports.ready as WebAssembly.Global).value).toBe(1);
    expect(m.fuel.value).toBe(9);
  });
});

describe('the fuel global', () => {
  it('comes after the imported and defined globals, whose indices do not move', () => {
    const bytes = fromWat(`(module
      (import "env" "a" (global $a (mut i32)))
      (import "env" "b" (global $b (mut i32)))
      (global $own (export "own") (mut i32) (i32.const 30))
      (func (export "read") (result i32)
        (i32.add (i32.add (global.get $a) (global.get $b)) (global.get $own))))`);
    const a = new WebAssembly.Global({ value: 'i32', mutable: true }, 1);
    const b = new WebAssembly.Global({ value: 'i32', mutable: true }, 2);
    const m = meter(bytes, OPTIONS, { env: { a, b } });
    expect(m.fuel).not.toBe(a);
    expect(m.fuel).not.toBe(b);
    expect(m.fuel).not.toBe(m.exports.own);

    m.fuel.value = 5;
    expect(m.call('read')).toBe(33);
    expect(m.fuel.value).toBe(4);
    expect([a.value, b.value, (m.exports.own as WebAssembly.Global).value]).toEqual([1, 2, 30]);
  });

  it('gets a global and an export section created, in section order, when the module has neither', () => {
    const bytes = fromWat(`(module
      (memory 1)
      (data (i32.const 0) "x")
      (func $f (loop $l (br_if $l (i32.const 0))))
      (start $f))`);
    const instrumented = instrumentModule(bytes, { ...OPTIONS, initialFuel: 5 });
    expect(WebAssembly.validate(instrumented)).toBe(true);
    const module = new WebAssembly.Module(instrumented);
    expect(WebAssembly.Module.exports(module)).toEqual([{ name: FUEL_EXPORT, kind: 'global' }]);
    const fuel = new WebAssembly.Instance(module).exports[FUEL_EXPORT] as WebAssembly.Global;
    expect(fuel.value).toBe(3);
  });

  it('refuses a module that already exports __seq_fuel', () => {
    const bytes = fromWat(`(module (global (export "__seq_fuel") i32 (i32.const 0)))`);
    expect(bundleError(() => instrumentModule(bytes, OPTIONS)).message).toBe(
      'the module exports "__seq_fuel", a name the node reserves for its fuel counter',
    );
  });
});

describe('memory cap', () => {
  const growModule = (memory: string) =>
    fromWat(`(module ${memory}
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`);

  it('gives a memory without a maximum the cap, so memory.grow past it returns -1', () => {
    const m = meter(growModule('(memory (export "memory") 1)'), { memoryMaxPages: 4 });
    m.fuel.value = 100;
    expect(m.call('grow', 3)).toBe(1);
    expect(m.call('grow', 1)).toBe(-1);
    expect((m.exports.memory as WebAssembly.Memory).buffer.byteLength).toBe(4 * 65536);
  });

  it('lowers a larger maximum to the cap and keeps a smaller one', () => {
    const large = meter(growModule('(memory 1 100)'), { memoryMaxPages: 4 });
    large.fuel.value = 100;
    expect(large.call('grow', 4)).toBe(-1);
    expect(large.call('grow', 3)).toBe(1);

    const small = meter(growModule('(memory 1 2)'), { memoryMaxPages: 4 });
    small.fuel.value = 100;
    expect(small.call('grow', 2)).toBe(-1);
    expect(small.call('grow', 1)).toBe(1);
  });

  it('refuses a module whose initial memory is over the cap, with the numbers', () => {
    expect(bundleError(() => instrumentModule(growModule('(memory 2000)'), { memoryMaxPages: 1024 })).message).toBe(
      'the module needs 2000 pages of memory at start, over the limit of 1024 pages (64 MiB)',
    );
  });

  it('leaves an imported memory alone', () => {
    const bytes = fromWat(`(module (import "env" "memory" (memory 1))
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 100 });
    const m = meter(bytes, { memoryMaxPages: 4 }, { env: { memory } });
    m.fuel.value = 100;
    expect(m.call('grow', 10)).toBe(1);
  });

  it('refuses shared and 64-bit memories', () => {
    const shared = moduleOf(section(5, [1, 0x03, 1, 1]));
    expect(bundleError(() => instrumentModule(shared, OPTIONS)).message).toBe(
      'memory 0 at offset 11 is shared, which needs threads (not supported)',
    );
    const memory64 = moduleOf(section(5, [1, 0x04, 1]));
    expect(bundleError(() => instrumentModule(memory64, OPTIONS)).message).toBe(
      '64-bit memory or table (memory64) at offset 11 is not supported',
    );
  });
});

describe('wasm 2.0 instructions', () => {
  // Each exported function computes into $r, then runs a 3-iteration loop: the loop is only
  // charged if the decoder stepped over every immediate before it correctly.
  const countdown = (result: string) => `(local.set $r ${result})
      (local.set $n (i32.const 3))
      (loop $down (br_if $down (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
      (local.get $r)`;
  const FEATURES = `(module
    (memory (export "memory") 1)
    (data $bytes "\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f\\10")
    (type $unary (func (param i32) (result i32)))
    (table $table 2 funcref)
    (elem declare func $double)
    (func $double (type $unary) (i32.mul (local.get 0) (i32.const 2)))
    (func (export "bulk") (result i32) (local $r i32) (local $n i32)
      (memory.init $bytes (i32.const 0) (i32.const 0) (i32.const 16))
      (data.drop $bytes)
      (memory.copy (i32.const 16) (i32.const 0) (i32.const 16))
      (memory.fill (i32.const 32) (i32.const 255) (i32.const 4))
      ${countdown('(i32.add (i32.load8_u offset=31 (i32.const 0)) (i32.load8_u (i32.const 32)))')})
    (func (export "signExtAndSaturate") (param $x i32) (param $y f64) (result i32) (local $r i32) (local $n i32)
      ${countdown('(i32.add (i32.extend8_s (local.get $x)) (i32.trunc_sat_f64_s (local.get $y)))')})
    (func (export "references") (param $x i32) (result i32) (local $r i32) (local $n i32)
      (table.set $table (i32.const 1) (ref.func $double))
      (if (i32.eqz (ref.is_null (ref.null func))) (then (unreachable)))
      (drop (table.grow $table (ref.null func) (i32.const 1)))
      ${countdown(`(i32.add (call_indirect $table (type $unary) (local.get $x) (i32.const 1))
                    (select (result i32) (table.size $table) (i32.const 0) (i32.const 1)))`)})
    (func (export "simd") (result i32) (local $r i32) (local $n i32)
      (v128.store (i32.const 64)
        (i8x16.shuffle 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0
          (v128.load (i32.const 0)) (v128.const i32x4 0 0 0 0)))
      ${countdown(`(i32.add (i8x16.extract_lane_u 15 (v128.load (i32.const 64)))
                    (i8x16.extract_lane_u 3 (v128.load8_lane 3 (i32.const 5) (v128.const i64x2 0 0))))`)}))`;

  it('bulk memory, sign extension, saturating truncation, reference types and SIMD instrument, validate and run', () => {
    const bytes = fromWat(FEATURES);
    const instrumented = instrumentModule(bytes, OPTIONS);
    expect(WebAssembly.validate(instrumented)).toBe(true);

    const m = meter(bytes);
    const run = (name: string, ...args: unknown[]) => {
      m.fuel.value = 1000;
      const result = m.call(name, ...args);
      return { result, cost: 1000 - (m.fuel.value as number) };
    };
    // Entry plus 3 iterations cost 4; 'references' also calls $double.
    expect(run('bulk')).toEqual({ result: 16 + 255, cost: 4 });
    expect(run('signExtAndSaturate', 0xff, 1e20)).toEqual({ result: -1 + 2147483647, cost: 4 });
    expect(run('references', 21)).toEqual({ result: 42 + 3, cost: 5 });
    // 'bulk' left bytes 1..16 at address 0: reversed, lane 15 holds 1; byte 5 holds 6.
    expect(run('simd')).toEqual({ result: 1 + 6, cost: 4 });
  });

  it('an AssemblyScript program with a loop and a start function instruments and runs', async () => {
    const source = `
      let ready: i32 = 0;
      ready = 1;
      export function isReady(): i32 { return ready; }
      export function sum(n: i32): i32 { let s = 0; for (let i = 1; i <= n; i++) s += i; return s; }
      export function spin(): void { while (true) ready++; }`;
    const compiled = await asc.compileString(source, { optimizeLevel: 2, runtime: 'stub' });
    expect(compiled.error).toBeNull();
    const m = meter(compiled.binary as Uint8Array, { ...OPTIONS, initialFuel: 100 });
    expect(m.call('isReady')).toBe(1);

    m.fuel.value = 1_000_000;
    expect(m.call('sum', 100)).toBe(5050);
    expect(1_000_000 - (m.fuel.value as number)).toBeGreaterThanOrEqual(100);
    expect(() => m.call('spin')).toThrow(WebAssembly.RuntimeError);
    expect(m.fuel.value).toBeLessThan(0);
  });
});

describe('the decoder steps over every immediate', () => {
  // fuel -= 1; if (fuel < 0) unreachable, for the fuel global at index 0.
  const CHARGE = [0x23, 0, 0x41, 1, 0x6b, 0x24, 0, 0x23, 0, 0x41, 0, 0x48, 0x04, 0x40, 0x00, 0x0b];
  const LOOP = 0x03;
  const threes = (n: number) => new Array<number>(n).fill(LOOP);

  function expectMetered(instructions: number[], expectedBody: number[]): void {
    const out = instrumentModule(moduleWithBody(instructions).bytes, OPTIONS);
    // The code section comes last, so the body and its one-byte size end the module.
    expect([...out.subarray(out.length - expectedBody.length - 1)]).toEqual([expectedBody.length, ...expectedBody]);
  }

  // Every immediate below is made of 0x03 bytes, the `loop` opcode: a decoder that reads one
  // byte too few or too many would take one for a loop and insert a charge there.
  it.each([
    { name: 'block with a type index', code: [0x02, 0x03] },
    { name: 'br', code: [0x0c, 0x03] },
    { name: 'br_table', code: [0x0e, 0x02, 0x03, 0x03, 0x03] },
    { name: 'call', code: [0x10, 0x03] },
    { name: 'call_indirect', code: [0x11, 0x03, 0x03] },
    { name: 'local.get', code: [0x20, 0x03] },
    { name: 'table.get', code: [0x25, 0x03] },
    { name: 'i32.load', code: [0x28, 0x03, 0x03] },
    { name: 'i32.load with a memory index', code: [0x28, 0x43, 0x03, 0x03] },
    { name: 'memory.grow', code: [0x40, 0x03] },
    { name: 'i32.const', code: [0x41, 0x83, 0x03] },
    { name: 'i64.const', code: [0x42, 0x83, 0x83, 0x83, 0x83, 0x83, 0x83, 0x83, 0x83, 0x83, 0x03] },
    { name: 'f32.const', code: [0x43, ...threes(4)] },
    { name: 'f64.const', code: [0x44, ...threes(8)] },
    { name: 'ref.func', code: [0xd2, 0x03] },
    { name: 'memory.init', code: [0xfc, 0x08, 0x03, 0x03] },
    { name: 'data.drop', code: [0xfc, 0x09, 0x03] },
    { name: 'memory.copy', code: [0xfc, 0x0a, 0x03, 0x03] },
    { name: 'table.init', code: [0xfc, 0x0c, 0x03, 0x03] },
    { name: 'table.copy', code: [0xfc, 0x0e, 0x03, 0x03] },
    { name: 'table.fill', code: [0xfc, 0x11, 0x03] },
    { name: 'v128.load', code: [0xfd, 0x00, 0x03, 0x03] },
    { name: 'v128.const', code: [0xfd, 0x0c, ...threes(16)] },
    { name: 'v128.const with a padded sub-opcode', code: [0xfd, 0x8c, 0x00, ...threes(16)] },
    { name: 'i8x16.shuffle', code: [0xfd, 0x0d, ...threes(16)] },
    { name: 'i8x16.extract_lane_s', code: [0xfd, 0x15, 0x03] },
    { name: 'v128.load8_lane', code: [0xfd, 0x54, 0x03, 0x03, 0x03] },
    { name: 'v128.load32_zero', code: [0xfd, 0x5c, 0x03, 0x03] },
  ])('$name is not mistaken for a loop', ({ code }) => {
    expectMetered(code, [0x00, ...CHARGE, ...code, 0x0b]);
  });

  it('charges after a loop whose block type is a multi-byte type index, and after each nested loop', () => {
    expectMetered([LOOP, 0x83, 0x00, 0x0b], [0x00, ...CHARGE, LOOP, 0x83, 0x00, ...CHARGE, 0x0b, 0x0b]);
    expectMetered(
      [LOOP, 0x40, LOOP, 0x7f, 0x0b, 0x0b],
      [0x00, ...CHARGE, LOOP, 0x40, ...CHARGE, LOOP, 0x7f, ...CHARGE, 0x0b, 0x0b, 0x0b],
    );
  });
});

describe('custom sections', () => {
  it('are kept byte for byte', () => {
    const name = [...new TextEncoder().encode('sequence.meta')];
    const payload = [1, 2, 3, 0xff];
    const custom = section(0, [name.length, ...name, ...payload]);
    const bytes = Uint8Array.from([...fromWat(SUM_AND_FIB), ...custom]);
    const module = new WebAssembly.Module(instrumentModule(bytes, OPTIONS));
    const kept = WebAssembly.Module.customSections(module, 'sequence.meta');
    expect(kept.map((b) => [...new Uint8Array(b)])).toEqual([payload]);
  });
});

describe('malformed input is a BundleError that says what and where', () => {
  it('refuses bytes that are not a WebAssembly module', () => {
    expect(bundleError(() => instrumentModule(Uint8Array.of(0, 0x61, 0x73), OPTIONS)).message).toBe(
      'not a WebAssembly module (3 bytes, shorter than the 8-byte header)',
    );
    expect(bundleError(() => instrumentModule(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 1, 0, 0, 0), OPTIONS)).message).toBe(
      'not a WebAssembly module (bad magic)',
    );
    expect(bundleError(() => instrumentModule(Uint8Array.of(0, 0x61, 0x73, 0x6d, 2, 0, 0, 0), OPTIONS)).message).toBe(
      'unsupported WebAssembly binary version 2 (expected 1)',
    );
  });

  it('refuses a truncated module', () => {
    const bytes = fromWat(SUM_AND_FIB);
    const message = bundleError(() => instrumentModule(bytes.subarray(0, bytes.length - 5), OPTIONS)).message;
    expect(message).toMatch(/^section 10 \(code\) overruns the module at offset \d+$/);
    expect(bundleError(() => instrumentModule(Uint8Array.from([...HEADER, 1]), OPTIONS)).message).toBe(
      'unexpected end of module at offset 9',
    );
  });

  it('refuses sections that are unknown, repeated or out of order', () => {
    expect(bundleError(() => instrumentModule(moduleOf(section(14, [])), OPTIONS)).message).toBe(
      'unknown section id 14 at offset 8',
    );
    expect(bundleError(() => instrumentModule(moduleOf(ONE_FUNC, VOID_FUNC_TYPE), OPTIONS)).message).toBe(
      'section 1 (type) at offset 12 is repeated or out of order',
    );
    expect(bundleError(() => instrumentModule(moduleOf(VOID_FUNC_TYPE, VOID_FUNC_TYPE), OPTIONS)).message).toBe(
      'section 1 (type) at offset 14 is repeated or out of order',
    );
  });

  it('refuses a section with bytes left over or a count larger than its contents', () => {
    expect(bundleError(() => instrumentModule(moduleOf(section(5, [1, 0x00, 1, 0xaa])), OPTIONS)).message).toBe(
      'section 5 (memory) has 1 unexpected bytes at offset 13',
    );
    expect(bundleError(() => instrumentModule(moduleOf(section(7, [9, 0])), OPTIONS)).message).toBe(
      'export count 9 at offset 10 is more than the 1 bytes left in section 7 (export)',
    );
  });

  it('refuses a function body that overruns the code section', () => {
    const bytes = moduleOf(VOID_FUNC_TYPE, ONE_FUNC, section(10, [1, 9, 0x00, 0x0b]));
    expect(bundleError(() => instrumentModule(bytes, OPTIONS)).message).toBe(
      'function body 0 at offset 21 overruns section 10 (code)',
    );
  });

  it('refuses an integer longer than its encoding allows', () => {
    const { bytes, instructionsAt } = moduleWithBody([0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x1a]);
    expect(bundleError(() => instrumentModule(bytes, OPTIONS)).message).toBe(
      `integer at offset ${instructionsAt + 1} is longer than 5 bytes`,
    );
  });

  it('refuses an instruction cut off by the end of its body', () => {
    const { bytes, instructionsAt } = moduleWithBody([0x44, 0, 0, 0]);
    expect(bundleError(() => instrumentModule(bytes, OPTIONS)).message).toBe(
      `unexpected end of function body 0 at offset ${instructionsAt + 5}`,
    );
  });

  it('refuses a local of a GC reference type', () => {
    const body = [0x01, 0x01, 0x63, 0x6f, 0x0b];
    const bytes = moduleOf(VOID_FUNC_TYPE, ONE_FUNC, section(10, [1, body.length, ...body]));
    expect(bundleError(() => instrumentModule(bytes, OPTIONS)).message).toBe(
      `unsupported value type 0x63 at offset ${bytes.length - 3}`,
    );
  });

  it.each([
    { what: 'exception handling (try)', code: [0x06, 0x40], name: '0x06' },
    { what: 'an unassigned opcode', code: [0x27], name: '0x27' },
    { what: 'tail calls (return_call)', code: [0x12, 0x00], name: '0x12' },
    { what: 'a GC instruction', code: [0xfb, 0x00], name: '0xfb' },
    { what: 'an atomic instruction', code: [0xfe, 0x03, 0x00], name: '0xfe' },
    { what: 'an unknown 0xFC instruction', code: [0xfc, 0x12], name: '0xfc 0x12' },
    { what: 'a relaxed SIMD instruction', code: [0xfd, 0x80, 0x02], name: '0xfd 0x100' },
  ])('refuses $what', ({ code, name }) => {
    const { bytes, instructionsAt } = moduleWithBody(code);
    expect(bundleError(() => instrumentModule(bytes, OPTIONS)).message).toBe(
      `unsupported instruction ${name} at offset ${instructionsAt}`,
    );
  });

  it('refuses a block type and a ref.null type from the GC proposal', () => {
    const block = moduleWithBody([0x02, 0x63, 0x70, 0x0b]);
    expect(bundleError(() => instrumentModule(block.bytes, OPTIONS)).message).toBe(
      `unsupported block type at offset ${block.instructionsAt + 1}`,
    );
    const refNull = moduleWithBody([0xd0, 0x00, 0x1a]);
    expect(bundleError(() => instrumentModule(refNull.bytes, OPTIONS)).message).toBe(
      `unsupported ref.null type 0x00 at offset ${refNull.instructionsAt + 1}`,
    );
  });

  it('refuses out-of-range options with a RangeError', () => {
    const bytes = fromWat(SUM_AND_FIB);
    expect(() => instrumentModule(bytes, { memoryMaxPages: -1 })).toThrow(
      new RangeError('memoryMaxPages must be an integer from 0 to 65536, got -1'),
    );
    expect(() => instrumentModule(bytes, { memoryMaxPages: 1.5 })).toThrow(RangeError);
    expect(() => instrumentModule(bytes, { memoryMaxPages: 65537 })).toThrow(RangeError);
    expect(() => instrumentModule(bytes, { memoryMaxPages: 1, initialFuel: 2 ** 31 })).toThrow(
      new RangeError('initialFuel must be an integer from 0 to 2147483647, got 2147483648'),
    );
  });
});
