import { REPLAY_FUEL_PER_MS, replayBudget } from '../src/wasm/fuelBudget.ts';
import { describe, expect, it } from 'vitest';
import { AlgoInstance, type InstanceHost } from '../src/wasm/algoInstance.ts';
import { compileBundle, loadBundle, BundleError } from '../src/wasm/loader.ts';
import { writeBook, writeState } from '../src/wasm/structs.ts';
import { L2Book } from '../src/venues/book.ts';
import { buildRustAlgo } from './support/rustAlgo.ts';
import { placeAction, v1Bundle, wat } from './support/watBundle.ts';

const LOAD = { memoryMaxMib: 64, callbackDeadlineMs: 50 };
const META = { tickSize1e9: 100_000_000, lotSize1e8: 10_000, minQty1e8: 10_000, minNotional1e9: 0, pricePrecision: 1, qtyPrecision: 4 };
const FLAT = { position1e8: 0, avgEntry1e9: 0, realizedPnl1e9: 0, unrealizedPnl1e9: 0, sessionPnl1e9: 0, totalFillCount: 0, nodeRole: 2, halted: false };

function recordingHost() {
  const logs: string[] = [];
  const aborts: string[] = [];
  const host: InstanceHost = {
    nowNs: () => 1_700_000_000_000_000_000,
    log: (_i, level, line) => logs.push(`${level}:${line}`),
    aborted: (_i, reason) => aborts.push(reason),
  };
  return { host, logs, aborts };
}

function book(): L2Book {
  const b = new L2Book('BTC/USD');
  b.bidPx.set([60_000_000_000_000, 59_999_900_000_000]);
  b.bidSz.set([50_000_000, 120_000_000]);
  b.askPx.set([60_000_100_000_000, 60_000_200_000_000]);
  b.askSz.set([30_000_000, 70_000_000]);
  b.bidCount = 2;
  b.askCount = 2;
  b.recvNs = 1_700_000_000_000_000_000;
  return b;
}

describe('a bundle built like the Rust sequence-algo-sdk 0.1 runs unmodified', () => {
  const path = buildRustAlgo();

  it('probes exactly the version-1 exports and ignores the toolchain\'s own', () => {
    const bundle = loadBundle(path, LOAD);
    expect(bundle.abiExports).toEqual(['algo_alloc', 'algo_on_book', 'algo_on_fill', 'algo_on_reject', 'algo_on_shutdown']);
    expect(bundle.otherExports).toEqual(expect.arrayContaining(['__data_end', '__heap_base']));
  });

  it('quotes the best bid and ask on a book, and logs through host_log_impl', () => {
    const { host, logs } = recordingHost();
    const algo = new AlgoInstance('rust', loadBundle(path, LOAD), 50, host);
    writeBook(algo.mem, algo.bookPtr, book(), 0);
    writeState(algo.mem, algo.statePtr, FLAT, [], 0, META);
    expect(algo.onBook()).toBe(true);
    const a = algo.actions;
    expect(a.count).toBe(2);
    expect([a.orderId[0], a.side[0], a.px1e9[0], a.qty1e8[0], a.isCancel[0], a.orderType[0]]).toEqual([1, 1, 60_000_000_000_000, 1_000_000, 0, 0]);
    expect([a.orderId[1], a.side[1], a.px1e9[1], a.qty1e8[1]]).toEqual([2, -1, 60_000_100_000_000, 1_000_000]);
    expect(logs).toContain('2:quoting bid=60000000000000 ask=60000100000000');
  });

  it('its shutdown cancels (side 0, as the real SDK writes them) are accepted, one per open order', () => {
    const { host, aborts } = recordingHost();
    const algo = new AlgoInstance('rust', loadBundle(path, LOAD), 50, host);
    const orders = [
      { algoOrderId: 1, px1e9: 60_000_000_000_000, qty1e8: 1_000_000, filled1e8: 0, side: 1 as const, status: 1 },
      { algoOrderId: 2, px1e9: 60_000_100_000_000, qty1e8: 1_000_000, filled1e8: 0, side: -1 as const, status: 1 },
    ];
    writeState(algo.mem, algo.statePtr, FLAT, orders, 2, META);
    expect(algo.onShutdown()).toBe(true);
    expect(aborts).toEqual([]);
    expect(algo.actions.count).toBe(2);
    expect([...algo.actions.isCancel.subarray(0, 2)]).toEqual([1, 1]);
    expect([...algo.actions.orderId.subarray(0, 2)]).toEqual([1, 2]);
  });
});

describe('load-time checks', () => {
  it('refuses an import outside the allow-list and names it', () => {
    const bytes = v1Bundle({ imports: '(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))' });
    expect(() => compileBundle(bytes, 'wasi.wasm', LOAD)).toThrow(BundleError);
    expect(() => compileBundle(bytes, 'wasi.wasm', LOAD)).toThrow(/imports function "wasi_snapshot_preview1\.fd_write", which the node does not provide/);
  });

  it('refuses an env import that is not one of the three host functions', () => {
    const bytes = v1Bundle({ imports: '(import "env" "abort" (func (param i32 i32 i32 i32)))' });
    expect(() => compileBundle(bytes, 'as.wasm', LOAD)).toThrow(/"env\.abort"/);
  });

  it('refuses a bundle without a version-1 export and names the export', () => {
    const bytes = wat('(module (memory (export "memory") 1) (func (export "algo_alloc") (param i32) (result i32) (i32.const 8)))');
    expect(() => compileBundle(bytes, 'partial.wasm', LOAD)).toThrow('partial.wasm: missing export algo_on_book (required by ABI version 1)');
  });

  it('refuses bytes that are not WebAssembly', () => {
    expect(() => compileBundle(new Uint8Array([1, 2, 3, 4]), 'junk.wasm', LOAD)).toThrow(/junk\.wasm: not a valid WebAssembly module/);
  });

  it('refuses a bundle that needs more memory at start than its cap', () => {
    const bytes = wat('(module (memory (export "memory") 20) (func (export "algo_alloc") (param i32) (result i32) (i32.const 8)) (func (export "algo_on_book") (param i32 i32) (result i32) (i32.const 0)) (func (export "algo_on_fill") (param i32 i32)) (func (export "algo_on_reject") (param i32)) (func (export "algo_on_shutdown") (param i32) (result i32) (i32.const 0)))');
    expect(() => compileBundle(bytes, 'big.wasm', { memoryMaxMib: 1, callbackDeadlineMs: 50 })).toThrow(/big\.wasm: .*20 pages/);
  });

  it('a missing file is a clear error', () => {
    expect(() => loadBundle('/nonexistent/algo.wasm', LOAD)).toThrow('/nonexistent/algo.wasm: cannot read the bundle (ENOENT)');
  });
});

describe('an instance that misbehaves is aborted alone', () => {
  function instance(body: string, deadlineMs = 50) {
    const rec = recordingHost();
    const algo = new AlgoInstance('bad', compileBundle(v1Bundle({ onBook: body }), 'bad.wasm', { memoryMaxMib: 64, callbackDeadlineMs: deadlineMs }), deadlineMs, rec.host);
    return { algo, ...rec };
  }

  it('a trap aborts the instance and names the callback', () => {
    const { algo, aborts } = instance('(unreachable)');
    expect(algo.onBook()).toBe(false);
    expect(algo.status).toBe('aborted');
    expect(aborts[0]).toMatch(/^algo_on_book trapped: unreachable/);
    expect(algo.onBook()).toBe(false);
    expect(aborts).toHaveLength(1);
  });

  it('an infinite loop runs out of fuel and the call returns', () => {
    const { algo, aborts } = instance('(loop $l (br $l)) (i32.const 0)', 20);
    expect(algo.onBook()).toBe(false);
    expect(aborts[0]).toBe('algo_on_book ran past its 20 ms deadline (fuel exhausted)');
  });

  it('in a replay the budget is fixed fuel, the same on any machine, with no wall-clock check', () => {
    const loop = (iterations: number) =>
      `(local.set 0 (i32.const ${iterations})) (loop $l (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))) (i32.const 0)`;
    const run = (iterations: number) => {
      const rec = recordingHost();
      const bundle = compileBundle(v1Bundle({ onBook: loop(iterations) }), 'replay.wasm', { memoryMaxMib: 64, callbackDeadlineMs: 1 });
      const algo = new AlgoInstance('replay', bundle, 1, rec.host, replayBudget(1));
      return { ok: algo.onBook(), aborts: rec.aborts };
    };
    expect(REPLAY_FUEL_PER_MS).toBe(3_000_000);
    expect(run(2_900_000)).toEqual({ ok: true, aborts: [] });
    expect(run(3_100_000)).toEqual({ ok: false, aborts: ['algo_on_book ran past its 1 ms deadline (fuel exhausted)'] });
  });

  it('more than 16 actions is an ABI violation and no action is taken', () => {
    const { algo, aborts } = instance('(i32.store (i32.const 4096) (i32.const 17)) (i32.const 4096)');
    expect(algo.onBook()).toBe(false);
    expect(algo.actions.count).toBe(0);
    expect(aborts[0]).toBe('ABI violation in algo_on_book: returned 17 actions (at most 16)');
  });

  it('an actions pointer outside memory is an ABI violation', () => {
    const { aborts } = (() => {
      const r = instance('(i32.const 2147483640)');
      r.algo.onBook();
      return r;
    })();
    expect(aborts[0]).toMatch(/ABI violation in algo_on_book: returned an actions pointer outside memory/);
  });

  it('an invalid side on a place is an ABI violation', () => {
    const body = placeAction(7, '(i64.const 1000)', 5, 1).replace('(i32.store8 (i32.const 4128) (i32.const 1))', '(i32.store8 (i32.const 4128) (i32.const 3))');
    const { algo, aborts } = instance(body);
    expect(algo.onBook()).toBe(false);
    expect(aborts[0]).toBe('ABI violation in algo_on_book: action 0: side is 3 (1 buy, -1 sell)');
  });
});
