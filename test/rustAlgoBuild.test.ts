// The Rust TestQuoter bundle, built like a `sequence-algo-sdk` 0.1 bundle, checked with
// raw WebAssembly and hand-encoded buffers so that this test does not depend on the
// node's own ABI code.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildRustAlgo } from './support/rustAlgo.ts';

const BOOK_SIZE = 656;
const STATE_V1_SIZE = 1320;
const FILL_SIZE = 40;
const REJECT_SIZE = 16;
const WASM_ACTIONS_SIZE = 520;

const BID0 = 100_500_000_000n;
const BID1 = 100_400_000_000n;
const ASK0 = 100_600_000_000n;
const ASK1 = 100_700_000_000n;

interface V1Exports {
  memory: WebAssembly.Memory;
  algo_alloc(size: number): number;
  algo_on_book(bookPtr: number, statePtr: number): number;
  algo_on_fill(fillPtr: number, statePtr: number): void;
  algo_on_reject(rejectPtr: number): void;
  algo_on_shutdown(statePtr: number): number;
}

interface LogLine {
  level: number;
  text: string;
}

interface DecodedAction {
  orderId: bigint;
  px: bigint;
  qty: bigint;
  side: number;
  isCancel: number;
  orderType: number;
}

let wasmModule: WebAssembly.Module;

beforeAll(() => {
  wasmModule = new WebAssembly.Module(readFileSync(buildRustAlgo()));
});

async function instantiate() {
  const logs: LogLine[] = [];
  let memory: WebAssembly.Memory | undefined;
  const instance = await WebAssembly.instantiate(wasmModule, {
    env: {
      host_log_impl(level: number, ptr: number, len: number) {
        const text = new TextDecoder().decode(new Uint8Array(memory!.buffer, ptr, len));
        logs.push({ level, text });
      },
      host_now_ns: () => 0n,
    },
  });
  const ex = instance.exports as unknown as V1Exports;
  memory = ex.memory;
  // A view per access: any call may grow memory and detach an older buffer.
  const view = () => new DataView(ex.memory.buffer);
  const alloc = (size: number) => {
    const ptr = ex.algo_alloc(size);
    new Uint8Array(ex.memory.buffer, ptr, size).fill(0);
    return ptr;
  };
  const buffers = {
    book: alloc(BOOK_SIZE),
    state: alloc(STATE_V1_SIZE),
    fill: alloc(FILL_SIZE),
    reject: alloc(REJECT_SIZE),
  };
  return { ex, logs, view, buffers };
}

function writeBook(dv: DataView, ptr: number, bids: [bigint, bigint][], asks: [bigint, bigint][]) {
  new Uint8Array(dv.buffer, ptr, BOOK_SIZE).fill(0);
  bids.forEach(([px, sz], i) => {
    dv.setBigUint64(ptr + i * 16, px, true);
    dv.setBigUint64(ptr + i * 16 + 8, sz, true);
  });
  asks.forEach(([px, sz], i) => {
    dv.setBigUint64(ptr + 320 + i * 16, px, true);
    dv.setBigUint64(ptr + 320 + i * 16 + 8, sz, true);
  });
  dv.setUint8(ptr + 640, bids.length);
  dv.setUint8(ptr + 641, asks.length);
  dv.setUint16(ptr + 642, 7, true);
  dv.setBigUint64(ptr + 648, 1_700_000_000_000_000_000n, true);
}

function twoLevelBook(dv: DataView, ptr: number) {
  writeBook(dv, ptr, [[BID0, 50_000_000n], [BID1, 70_000_000n]], [[ASK0, 40_000_000n], [ASK1, 90_000_000n]]);
}

function writeOrders(dv: DataView, ptr: number, orderIds: bigint[]) {
  new Uint8Array(dv.buffer, ptr, STATE_V1_SIZE).fill(0);
  orderIds.forEach((id, i) => {
    const o = ptr + 32 + i * 40;
    dv.setBigUint64(o, id, true);
    dv.setBigUint64(o + 8, BID0, true);
    dv.setBigInt64(o + 16, 1_000_000n, true);
    dv.setInt8(o + 32, 1);
    dv.setUint8(o + 33, i === 0 ? 0 : 1);
  });
  dv.setUint8(ptr + 1312, orderIds.length);
}

function readActions(dv: DataView, ptr: number): DecodedAction[] {
  const count = dv.getUint32(ptr, true);
  expect(count).toBeLessThanOrEqual(16);
  const out: DecodedAction[] = [];
  for (let i = 0; i < count; i++) {
    const a = ptr + 8 + i * 32;
    out.push({
      orderId: dv.getBigUint64(a, true),
      px: dv.getBigUint64(a + 8, true),
      qty: dv.getBigInt64(a + 16, true),
      side: dv.getInt8(a + 24),
      isCancel: dv.getUint8(a + 25),
      orderType: dv.getUint8(a + 26),
    });
  }
  return out;
}

describe('Rust sequence-algo-sdk 0.1 style bundle (TestQuoter)', () => {
  it('exports exactly the ABI v1 set plus memory', () => {
    const exports = WebAssembly.Module.exports(wasmModule)
      .filter((e) => !(e.kind === 'global' && (e.name === '__data_end' || e.name === '__heap_base')))
      .map((e) => `${e.kind}:${e.name}`)
      .sort();
    expect(exports).toEqual([
      'function:algo_alloc',
      'function:algo_on_book',
      'function:algo_on_fill',
      'function:algo_on_reject',
      'function:algo_on_shutdown',
      'memory:memory',
    ]);
  });

  it('imports only allowed env functions', () => {
    const imports = WebAssembly.Module.imports(wasmModule);
    for (const imp of imports) {
      expect(imp.module).toBe('env');
      expect(imp.kind).toBe('function');
      expect(['host_log_impl', 'host_now_ns']).toContain(imp.name);
    }
    expect(imports.map((i) => i.name)).toContain('host_log_impl');
  });

  it('hands out distinct 8-aligned buffers from algo_alloc', async () => {
    const { buffers, ex } = await instantiate();
    const ptrs = Object.values(buffers);
    for (const p of ptrs) {
      expect(p).toBeGreaterThan(0);
      expect(p % 8).toBe(0);
      expect(p + BOOK_SIZE).toBeLessThanOrEqual(ex.memory.buffer.byteLength);
    }
    expect(new Set(ptrs).size).toBe(ptrs.length);
  });

  it('quotes best bid and best ask when it has no orders', async () => {
    const { ex, view, buffers, logs } = await instantiate();
    twoLevelBook(view(), buffers.book);
    const out = ex.algo_on_book(buffers.book, buffers.state);
    expect(out % 8).toBe(0);
    expect(out + WASM_ACTIONS_SIZE).toBeLessThanOrEqual(ex.memory.buffer.byteLength);
    expect(readActions(view(), out)).toEqual([
      { orderId: 1n, px: BID0, qty: 1_000_000n, side: 1, isCancel: 0, orderType: 0 },
      { orderId: 2n, px: ASK0, qty: 1_000_000n, side: -1, isCancel: 0, orderType: 0 },
    ]);
    expect(logs).toEqual([{ level: 2, text: `quoting bid=${BID0} ask=${ASK0}` }]);

    expect(readActions(view(), ex.algo_on_book(buffers.book, buffers.state))).toHaveLength(2);
    expect(logs).toHaveLength(1);
  });

  it('does not quote while it has orders or when a side is empty', async () => {
    const { ex, view, buffers, logs } = await instantiate();
    twoLevelBook(view(), buffers.book);
    writeOrders(view(), buffers.state, [1n]);
    expect(readActions(view(), ex.algo_on_book(buffers.book, buffers.state))).toEqual([]);

    writeOrders(view(), buffers.state, []);
    writeBook(view(), buffers.book, [[BID0, 1n]], []);
    expect(readActions(view(), ex.algo_on_book(buffers.book, buffers.state))).toEqual([]);
    expect(logs).toEqual([]);
  });

  it('logs fills and rejects, and cancels every listed order at shutdown', async () => {
    const { ex, view, buffers, logs } = await instantiate();
    const dv = view();
    dv.setBigUint64(buffers.fill, 2n, true);
    dv.setBigUint64(buffers.fill + 8, ASK0, true);
    dv.setBigInt64(buffers.fill + 16, 400_000n, true);
    dv.setInt8(buffers.fill + 32, -1);
    ex.algo_on_fill(buffers.fill, buffers.state);

    dv.setBigUint64(buffers.reject, 1n, true);
    dv.setUint8(buffers.reject + 8, 102);
    ex.algo_on_reject(buffers.reject);

    writeOrders(view(), buffers.state, [1n, 2n]);
    const cancels = readActions(view(), ex.algo_on_shutdown(buffers.state));
    expect(cancels).toEqual([
      { orderId: 1n, px: 0n, qty: 0n, side: 0, isCancel: 1, orderType: 0 },
      { orderId: 2n, px: 0n, qty: 0n, side: 0, isCancel: 1, orderType: 0 },
    ]);
    expect(logs).toEqual([
      { level: 2, text: 'fill order=2 qty=400000' },
      { level: 3, text: 'reject order=1 code=102' },
      { level: 2, text: 'shutdown fills=1 cancels=2' },
    ]);
  });
});
