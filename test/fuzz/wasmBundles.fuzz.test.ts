import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { L2Book } from '../../src/venues/book.ts';
import { AlgoInstance, type InstanceHost } from '../../src/wasm/algoInstance.ts';
import { BundleError, compileBundle, type LoadedBundle } from '../../src/wasm/loader.ts';
import { writeBook, writeState } from '../../src/wasm/structs.ts';
import { placeAction, v1Bundle } from '../support/watBundle.ts';
import { fuzzRuns, mutatedBytes } from './support/mutations.ts';

// Algorithm bundles from a stranger: random bytes and mutations of real bundles (the
// maker algo the repository builds, small hand-written ones). Loading gives a bundle or a
// BundleError; a bundle that loads and then traps, loops or breaks the ABI aborts only its
// own instance, and the instance next to it keeps running.

const LOAD = { memoryMaxMib: 16, callbackDeadlineMs: 20 };
const META = { tickSize1e9: 100_000_000, lotSize1e8: 10_000, minQty1e8: 10_000, minNotional1e9: 0, pricePrecision: 1, qtyPrecision: 4 };
const FLAT = { position1e8: 0, avgEntry1e9: 0, realizedPnl1e9: 0, unrealizedPnl1e9: 0, sessionPnl1e9: 0, totalFillCount: 0, nodeRole: 2, halted: false };

function book(): L2Book {
  const b = new L2Book('BTC/USD');
  b.bidPx.set([60_000_000_000_000]);
  b.bidSz.set([50_000_000]);
  b.askPx.set([60_000_100_000_000]);
  b.askSz.set([30_000_000]);
  b.bidCount = 1;
  b.askCount = 1;
  return b;
}

const SMALL_BUNDLES = [
  v1Bundle({}),
  v1Bundle({ onBook: placeAction(1, '(i64.const 60000000000000)', 10_000, 1) }),
  v1Bundle({ onBook: '(loop $l (br $l)) (i32.const 0)' }),
  v1Bundle({ onBook: '(i32.load (i32.const -4))' }),
  v1Bundle({ imports: '(import "env" "host_log_impl" (func $log (param i32 i32 i32)))', onBook: '(call $log (i32.const 2) (i32.const 0) (i32.const 16)) (i32.const 0)' }),
];

describe('algorithm bundles from a stranger', () => {
  let samples: Uint8Array[];
  const aborts: string[] = [];
  const host: InstanceHost = { nowNs: () => 1_700_000_000_000_000_000, log: () => undefined, aborted: (_i, reason) => aborts.push(reason) };
  let neighbour: AlgoInstance;

  beforeAll(() => {
    execFileSync(process.execPath, ['bin/sequence.js', 'build', '--if-stale'], { stdio: 'pipe' });
    samples = [new Uint8Array(readFileSync('algos/maker/build/maker.wasm')), ...SMALL_BUNDLES];
    neighbour = new AlgoInstance('neighbour', compileBundle(SMALL_BUNDLES[1], 'neighbour.wasm', LOAD), LOAD.callbackDeadlineMs, host);
    writeBook(neighbour.mem, neighbour.bookPtr, book(), 0);
    writeState(neighbour.mem, neighbour.statePtr, FLAT, [], 0, META);
  });

  /** Loads the bytes; a bundle that loads is run through its callbacks. Returns how it ended. */
  function loadAndRun(bytes: Uint8Array<ArrayBuffer>): 'refused' | 'instantiation failed' | 'running' | 'aborted' {
    let bundle: LoadedBundle;
    try {
      bundle = compileBundle(bytes, 'fuzz.wasm', LOAD);
    } catch (error) {
      expect(error).toBeInstanceOf(BundleError);
      expect((error as Error).message).toMatch(/^fuzz\.wasm: /);
      return 'refused';
    }
    let algo: AlgoInstance;
    try {
      algo = new AlgoInstance('fuzz', bundle, LOAD.callbackDeadlineMs, host);
    } catch (error) {
      // A start function that traps or an algo_alloc that misbehaves: the deployment fails with the reason.
      expect((error as Error).message).toMatch(/^(fuzz\.wasm: instantiation failed|fuzz: algo_alloc)/);
      return 'instantiation failed';
    }
    writeBook(algo.mem, algo.bookPtr, book(), 0);
    writeState(algo.mem, algo.statePtr, FLAT, [], 0, META);
    algo.onBook();
    algo.onFill();
    algo.onReject();
    algo.onHeartbeat();
    algo.onShutdown();
    if (algo.running) return 'running';
    expect(algo.abortReason.length).toBeGreaterThan(0);
    expect(algo.onBook()).toBe(false);
    return 'aborted';
  }

  function neighbourStillTrades(): void {
    expect(neighbour.onBook()).toBe(true);
    expect(neighbour.running).toBe(true);
    expect(neighbour.actions.count).toBe(1);
  }

  it('random bytes, with or without the wasm header, are refused with a BundleError', () => {
    const header = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, withHeader) => {
        const all = new Uint8Array(withHeader ? [...header, ...bytes] : bytes);
        expect(['refused', 'instantiation failed', 'running', 'aborted']).toContain(loadAndRun(all));
      }),
      fuzzRuns(300),
    );
  });

  it('mutated real bundles load and run or are refused; one that traps or loops aborts only itself', () => {
    const outcomes = new Map<string, number>();
    fc.assert(
      fc.property(fc.oneof(mutatedBytes(samples), mutatedBytes(samples, true)), (bytes) => {
        const outcome = loadAndRun(bytes);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        neighbourStillTrades();
      }),
      fuzzRuns(250),
    );
    // The mutations reach past the loader: some mutated bundles load and run.
    expect((outcomes.get('running') ?? 0) + (outcomes.get('aborted') ?? 0)).toBeGreaterThan(0);
    expect(neighbour.running).toBe(true);
  });
});
