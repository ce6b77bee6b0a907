import { mkdtempSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildError, buildAlgo, buildAlgos, isStale, SDK_DIR } from '../src/build/buildAlgo.ts';
import type { BuildResult } from '../src/build/buildAlgo.ts';
import {
  ACTION,
  ALGO_STATE,
  ALLOWED_IMPORTS,
  FILL,
  L2BOOK,
  OPEN_ORDER,
  OPTIONAL_EXPORTS,
  OrderStatus,
  OrderType,
  REQUIRED_EXPORTS,
  SYMBOL_META,
  WASM_ACTIONS,
} from '../src/wasm/abi.ts';

const ALGOS_DIR = fileURLToPath(new URL('../algos', import.meta.url));
const NOW_NS = 1_700_000_000_000_000_000n;
/** A decimal price as px_1e9, exactly. */
const px = (price: string) => {
  const [whole, fraction = ''] = price.split('.');
  return BigInt(whole!) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0'));
};

interface Order { id: bigint; px: bigint; qty: bigint; side: 1 | -1; status: number }
interface StateInput { position?: bigint; tick?: bigint; lot?: bigint; minQty?: bigint; orders?: Order[]; halted?: boolean }
interface Action { orderId: bigint; px: bigint; qty: bigint; side: number; isCancel: boolean; orderType: number }

/** One instance driven through the ABI by hand, with the host imports captured. */
class Harness {
  readonly logs: { level: number; text: string }[] = [];
  readonly sends: { label: string; payload: Uint8Array }[] = [];
  private readonly instance: WebAssembly.Instance;
  private readonly book: number;
  private readonly state: number;
  private readonly fill: number;
  private readonly scratch: number;

  constructor(module: WebAssembly.Module) {
    const text = (ptr: number, len: number) => new TextDecoder().decode(this.bytes().subarray(ptr, ptr + len));
    this.instance = new WebAssembly.Instance(module, {
      env: {
        host_log_impl: (level: number, ptr: number, len: number) => this.logs.push({ level, text: text(ptr, len) }),
        __seq_send: (labelPtr: number, labelLen: number, payloadPtr: number, payloadLen: number) => {
          this.sends.push({ label: text(labelPtr, labelLen), payload: this.bytes().slice(payloadPtr, payloadPtr + payloadLen) });
          return 0;
        },
        host_now_ns: () => NOW_NS,
      },
    });
    this.book = this.alloc(L2BOOK.size);
    this.state = this.alloc(ALGO_STATE.size);
    this.fill = this.alloc(FILL.size);
    this.scratch = this.alloc(1024);
    this.setState({});
  }

  get exports(): Record<string, (...args: number[]) => number> {
    return this.instance.exports as Record<string, (...args: number[]) => number>;
  }

  alloc(size: number): number {
    const ptr = this.exports.algo_alloc!(size);
    expect(ptr % 8).toBe(0);
    return ptr;
  }

  init(params: string): void {
    const encoded = new TextEncoder().encode(params);
    this.bytes().set(encoded, this.scratch);
    this.exports.algo_init!(this.scratch, encoded.length);
  }

  setState(input: StateInput): void {
    const view = this.view();
    this.bytes().fill(0, this.state, this.state + ALGO_STATE.size);
    view.setBigInt64(this.state + ALGO_STATE.position, input.position ?? 0n, true);
    const orders = input.orders ?? [];
    orders.forEach((order, i) => {
      const at = this.state + ALGO_STATE.orders + i * OPEN_ORDER.size;
      view.setBigUint64(at + OPEN_ORDER.orderId, order.id, true);
      view.setBigUint64(at + OPEN_ORDER.px, order.px, true);
      view.setBigInt64(at + OPEN_ORDER.qty, order.side === 1 ? order.qty : -order.qty, true);
      view.setInt8(at + OPEN_ORDER.side, order.side);
      view.setUint8(at + OPEN_ORDER.status, order.status);
    });
    view.setUint8(this.state + ALGO_STATE.orderCt, orders.length);
    const meta = this.state + ALGO_STATE.symbolMeta;
    view.setBigUint64(meta + SYMBOL_META.tickSize, input.tick ?? 0n, true);
    view.setBigUint64(meta + SYMBOL_META.lotSize, input.lot ?? 0n, true);
    view.setBigUint64(meta + SYMBOL_META.minQty, input.minQty ?? 0n, true);
    view.setUint8(this.state + ALGO_STATE.halted, input.halted ? 1 : 0);
  }

  onBook(bids: [bigint, bigint][], asks: [bigint, bigint][]): Action[] {
    const view = this.view();
    this.bytes().fill(0, this.book, this.book + L2BOOK.size);
    bids.forEach(([price, size], i) => {
      view.setBigUint64(this.book + L2BOOK.bids + i * 16, price, true);
      view.setBigUint64(this.book + L2BOOK.bids + i * 16 + 8, size, true);
    });
    asks.forEach(([price, size], i) => {
      view.setBigUint64(this.book + L2BOOK.asks + i * 16, price, true);
      view.setBigUint64(this.book + L2BOOK.asks + i * 16 + 8, size, true);
    });
    view.setUint8(this.book + L2BOOK.bidCt, bids.length);
    view.setUint8(this.book + L2BOOK.askCt, asks.length);
    return this.actions(this.exports.algo_on_book!(this.book, this.state));
  }

  onFill(orderId: bigint, price: bigint, qty: bigint, side: 1 | -1): void {
    const view = this.view();
    view.setBigUint64(this.fill + FILL.orderId, orderId, true);
    view.setBigUint64(this.fill + FILL.px, price, true);
    view.setBigInt64(this.fill + FILL.qty, qty, true);
    view.setBigUint64(this.fill + FILL.recvNs, NOW_NS, true);
    view.setInt8(this.fill + FILL.side, side);
    this.exports.algo_on_fill!(this.fill, this.state);
  }

  onMessage(from: string, payload: Uint8Array): Action[] {
    const label = new TextEncoder().encode(from);
    this.bytes().set(label, this.scratch);
    this.bytes().set(payload, this.scratch + 64);
    return this.actions(this.exports.algo_on_message!(this.scratch, label.length, this.scratch + 64, payload.length, this.state));
  }

  onShutdown(): Action[] {
    return this.actions(this.exports.algo_on_shutdown!(this.state));
  }

  onKillSwitch(halted: boolean): Action[] {
    return this.actions(this.exports.algo_on_kill_switch!(halted ? 1 : 0, this.state));
  }

  private actions(ptr: number): Action[] {
    const view = this.view();
    const count = view.getUint32(ptr + WASM_ACTIONS.count, true);
    return Array.from({ length: count }, (_, i) => {
      const at = ptr + WASM_ACTIONS.actions + i * ACTION.size;
      return {
        orderId: view.getBigUint64(at + ACTION.orderId, true),
        px: view.getBigUint64(at + ACTION.px, true),
        qty: view.getBigInt64(at + ACTION.qty, true),
        side: view.getInt8(at + ACTION.side),
        isCancel: view.getUint8(at + ACTION.isCancel) === 1,
        orderType: view.getUint8(at + ACTION.orderType),
      };
    });
  }

  private memory(): WebAssembly.Memory {
    return this.instance.exports.memory as WebAssembly.Memory;
  }

  private bytes(): Uint8Array {
    return new Uint8Array(this.memory().buffer);
  }

  private view(): DataView {
    return new DataView(this.memory().buffer);
  }
}

async function compileWasm(wasmPath: string): Promise<WebAssembly.Module> {
  return WebAssembly.compile(new Uint8Array(await readFile(wasmPath)));
}

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'sequence-as-'));
  tempDirs.push(dir);
  return dir;
}

/** Writes algos/<name>/algo.ts under a temporary root, importing the SDK by relative path. */
function writeAlgo(root: string, name: string, body: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  const sdk = path.relative(dir, path.join(SDK_DIR, 'index')).split(path.sep).join('/');
  writeFileSync(path.join(dir, 'algo.ts'), `import { Actions, Algo, AlgoState, L2Book, register } from "${sdk}";\n${body}`);
  return dir;
}

const BOOK_BIDS: [bigint, bigint][] = [[px('99999.75'), 50_000_000n], [px('99999.5'), 10_000_000n]];
const BOOK_ASKS: [bigint, bigint][] = [[px('100000.75'), 40_000_000n]];
const TICK = px('0.1');

let maker: BuildResult;
let hedger: BuildResult;
let makerModule: WebAssembly.Module;
let hedgerModule: WebAssembly.Module;

beforeAll(async () => {
  const outDir = tempDir();
  maker = await buildAlgo(path.join(ALGOS_DIR, 'maker'), { outDir: path.join(outDir, 'maker') });
  hedger = await buildAlgo(path.join(ALGOS_DIR, 'hedger'), { outDir: path.join(outDir, 'hedger') });
  makerModule = await compileWasm(maker.wasmPath);
  hedgerModule = await compileWasm(hedger.wasmPath);
});

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function startMaker(params = ''): Harness {
  const harness = new Harness(makerModule);
  harness.init(params);
  return harness;
}

function quotes(actions: Action[]): { bid: Action; ask: Action } {
  const bid = actions.find((action) => action.orderId === 1n);
  const ask = actions.find((action) => action.orderId === 2n);
  expect(bid).toBeDefined();
  expect(ask).toBeDefined();
  return { bid: bid!, ask: ask! };
}

describe('building', () => {
  it('emits the version-1 exports plus only the callbacks the maker overrides', () => {
    expect(maker.exports.filter((name) => name !== 'memory').sort()).toEqual(
      [...REQUIRED_EXPORTS, 'algo_init', 'algo_on_kill_switch', 'algo_on_node_status'].sort(),
    );
    expect(maker.sizeBytes).toBeGreaterThan(0);
    expect(maker.name).toBe('maker');
  });

  it("emits the hedger's algo_on_message but no export for a callback it does not override", () => {
    expect(hedger.exports).toEqual(expect.arrayContaining([...REQUIRED_EXPORTS, 'algo_init', 'algo_on_message']));
    for (const name of OPTIONAL_EXPORTS.filter((name) => name !== 'algo_init' && name !== 'algo_on_message')) {
      expect(hedger.exports).not.toContain(name);
    }
  });

  it('bundles import only the host functions the node allows', () => {
    for (const module of [makerModule, hedgerModule]) {
      for (const entry of WebAssembly.Module.imports(module)) {
        expect(entry.module).toBe('env');
        expect(ALLOWED_IMPORTS).toContain(entry.name);
      }
    }
  });

  it('a compile error is a BuildError naming the file, line and column', async () => {
    const dir = writeAlgo(tempDir(), 'broken', 'class Broken extends Algo {\n  onBook(book: L2Book, state: AlgoState, actions: Actions): void {\n    missingName = 1;\n  }\n}\nregister(new Broken());\n');
    const error = await buildAlgo(dir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BuildError);
    expect((error as BuildError).message).toContain("Cannot find name 'missingName'");
    expect((error as BuildError).message).toMatch(/broken\/algo\.ts\(4,5\)/);
  });

  it('a source without a class extending Algo is a BuildError', async () => {
    const dir = writeAlgo(tempDir(), 'classless', 'export function nothing(): void {}\n');
    await expect(buildAlgo(dir)).rejects.toThrow(/no class extends Algo/);
  });

  it('a misspelt callback is a BuildError with its location instead of a callback that never fires', async () => {
    const dir = writeAlgo(tempDir(), 'typo', 'class Typo extends Algo {\n  onNBBO(): void {}\n}\nregister(new Typo());\n');
    const error = await buildAlgo(dir).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BuildError);
    expect((error as BuildError).message).toMatch(/algo\.ts\(3,3\): Typo\.onNBBO is not an Algo callback/);
  });

  it('a folder without algo.ts is a BuildError', async () => {
    await expect(buildAlgo(tempDir())).rejects.toThrow(/no algo\.ts/);
  });

  it('isStale is true before a build, false after, and true again when the source changes', async () => {
    const root = tempDir();
    const dir = writeAlgo(root, 'quiet', 'class Quiet extends Algo {}\nregister(new Quiet());\n');
    expect(isStale(dir)).toBe(true);
    const [result] = await buildAlgos(root, { onlyStale: true });
    expect(result!.wasmPath).toBe(path.join(dir, 'build', 'quiet.wasm'));
    expect(isStale(dir)).toBe(false);
    expect(await buildAlgos(root, { onlyStale: true })).toEqual([]);
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(dir, 'algo.ts'), later, later);
    expect(isStale(dir)).toBe(true);
  });
});

describe('the SDK at run time', () => {
  it('an algorithm that never registers traps with an Error log saying so', async () => {
    const dir = writeAlgo(tempDir(), 'unregistered', 'class Lonely extends Algo {}\n');
    const result = await buildAlgo(dir);
    const harness = new Harness(await compileWasm(result.wasmPath));
    expect(() => harness.onBook(BOOK_BIDS, BOOK_ASKS)).toThrow(WebAssembly.RuntimeError);
    expect(harness.logs.at(-1)).toMatchObject({ level: 4, text: expect.stringContaining('no algorithm registered') });
  });

  it('a parameter that does not parse aborts the instance with a message naming the key', () => {
    const harness = new Harness(makerModule);
    expect(() => harness.init('spread_bps=wide')).toThrow(WebAssembly.RuntimeError);
    expect(harness.logs.at(-1)).toMatchObject({ level: 4, text: expect.stringContaining('param spread_bps: expected a whole number, got "wide"') });
  });

  it('a decimal parameter with more places than its scale aborts rather than rounds', () => {
    const harness = new Harness(makerModule);
    expect(() => harness.init('quote_qty=0.123456789')).toThrow(WebAssembly.RuntimeError);
    expect(harness.logs.at(-1)!.text).toContain('param quote_qty: "0.123456789" has more than 8 decimal places');
  });

  it('a params line without "=" aborts with its line number', () => {
    const harness = new Harness(makerModule);
    expect(() => harness.init('spread_bps=6\nquote_qty')).toThrow(WebAssembly.RuntimeError);
    expect(harness.logs.at(-1)!.text).toContain('params: line 2 is not key=value');
  });
});

describe('maker', () => {
  it('places a post-only bid and ask around the mid, rounded outwards to the tick', () => {
    const harness = startMaker();
    harness.setState({ tick: TICK });
    const actions = harness.onBook(BOOK_BIDS, BOOK_ASKS);
    expect(actions).toHaveLength(2);
    // mid 100000.25, half spread 3 bps = 30.000075: 99970.249925 down, 100030.250075 up.
    expect(actions).toEqual([
      { orderId: 1n, px: px('99970.2'), qty: 1_000_000n, side: 1, isCancel: false, orderType: OrderType.PostOnly },
      { orderId: 2n, px: px('100030.3'), qty: 1_000_000n, side: -1, isCancel: false, orderType: OrderType.PostOnly },
    ]);
  });

  it('deployment params reach the algorithm: spread_bps=100 quotes wider than 6, quote_qty sets the size', () => {
    const narrow = quotes(startMaker('spread_bps=6').onBook(BOOK_BIDS, BOOK_ASKS));
    const wide = quotes(startMaker('spread_bps=100\nquote_qty=0.02').onBook(BOOK_BIDS, BOOK_ASKS));
    expect(wide.ask.px - wide.bid.px).toBeGreaterThan(narrow.ask.px - narrow.bid.px);
    expect(wide.bid.px).toBe(px('99500.24875'));
    expect(wide.bid.qty).toBe(2_000_000n);
  });

  it('shifts both quotes down when long, by position x skew_bps_per_unit', () => {
    const flat = startMaker();
    flat.setState({ tick: TICK });
    const long = startMaker();
    long.setState({ tick: TICK, position: 5_000_000n });
    const flatQuotes = quotes(flat.onBook(BOOK_BIDS, BOOK_ASKS));
    const longQuotes = quotes(long.onBook(BOOK_BIDS, BOOK_ASKS));
    // 0.05 long x 40 bps per unit = 2 bps of 100000.25 = 20.00005 lower.
    expect(longQuotes.bid.px).toBe(px('99950.2'));
    expect(longQuotes.ask.px).toBe(px('100010.3'));
    expect(longQuotes.bid.px).toBeLessThan(flatQuotes.bid.px);
    expect(longQuotes.ask.px).toBeLessThan(flatQuotes.ask.px);
  });

  it('leaves a live quote within requote_ticks alone and replaces one that moved further', () => {
    const harness = startMaker();
    harness.setState({
      tick: TICK,
      orders: [
        { id: 1n, px: px('99970.3'), qty: 1_000_000n, side: 1, status: OrderStatus.Acked },
        { id: 2n, px: px('100030.6'), qty: 1_000_000n, side: -1, status: OrderStatus.Acked },
      ],
    });
    const actions = harness.onBook(BOOK_BIDS, BOOK_ASKS);
    expect(actions).toEqual([
      { orderId: 2n, px: px('100030.3'), qty: 1_000_000n, side: -1, isCancel: false, orderType: OrderType.PostOnly },
    ]);
  });

  it('stops quoting the side that would take |position| past 10 quote sizes, cancelling its live order', () => {
    const harness = startMaker();
    harness.setState({
      tick: TICK,
      position: 10_000_000n,
      orders: [{ id: 1n, px: px('99000'), qty: 1_000_000n, side: 1, status: OrderStatus.Acked }],
    });
    const actions = harness.onBook(BOOK_BIDS, BOOK_ASKS);
    expect(actions).toEqual([
      { orderId: 1n, px: 0n, qty: 0n, side: 0, isCancel: true, orderType: 0 },
      expect.objectContaining({ orderId: 2n, side: -1, orderType: OrderType.PostOnly }),
    ]);
  });

  it('tells the hedger about each fill in 16 bytes: signed quantity then price', () => {
    const harness = startMaker();
    harness.onFill(1n, px('99970.2'), 1_000_000n, 1);
    harness.onFill(2n, px('100030.3'), 400_000n, -1);
    expect(harness.sends).toHaveLength(2);
    const [bought, sold] = harness.sends.map(({ label, payload }) => {
      const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
      return { label, length: payload.length, qty: view.getBigInt64(0, true), px: view.getBigUint64(8, true) };
    });
    expect(bought).toEqual({ label: 'hedger', length: 16, qty: 1_000_000n, px: px('99970.2') });
    expect(sold).toEqual({ label: 'hedger', length: 16, qty: -400_000n, px: px('100030.3') });
    expect(harness.logs.filter((line) => line.level === 2 && line.text.includes('fill order 1'))).toHaveLength(1);
  });

  it('sends fills to the label given by the hedger param', () => {
    const harness = startMaker('hedger=hedge-coinbase');
    harness.onFill(1n, px('100'), 1_000_000n, 1);
    expect(harness.sends.map((send) => send.label)).toEqual(['hedge-coinbase']);
  });

  it('cancels every live order on shutdown and on a halt, and nothing on resume', () => {
    const harness = startMaker();
    harness.setState({
      orders: [
        { id: 1n, px: px('99970'), qty: 1_000_000n, side: 1, status: OrderStatus.Acked },
        { id: 2n, px: px('100030'), qty: 1_000_000n, side: -1, status: OrderStatus.Dead },
        { id: 7n, px: px('100031'), qty: 1_000_000n, side: -1, status: OrderStatus.Pending },
      ],
    });
    const cancelledIds = (actions: Action[]) => actions.filter((action) => action.isCancel).map((action) => action.orderId);
    expect(cancelledIds(harness.onShutdown())).toEqual([1n, 7n]);
    expect(cancelledIds(harness.onKillSwitch(true))).toEqual([1n, 7n]);
    expect(harness.onKillSwitch(false)).toEqual([]);
  });

  it('logs node role changes', () => {
    const harness = startMaker();
    harness.exports.algo_on_node_status!(2);
    expect(harness.logs.at(-1)).toEqual({ level: 2, text: 'maker: node role is now leader' });
  });
});

describe('hedger', () => {
  const fillMessage = (qty: bigint, price: bigint) => {
    const payload = new Uint8Array(16);
    const view = new DataView(payload.buffer);
    view.setBigInt64(0, qty, true);
    view.setBigUint64(8, price, true);
    return payload;
  };

  function startHedger(params = ''): Harness {
    const harness = new Harness(hedgerModule);
    harness.init(params);
    harness.setState({ tick: TICK, lot: 100_000n, minQty: 100_000n });
    return harness;
  }

  it("offsets a maker buy with an IOC sell at the best bid minus the slippage cap", () => {
    const harness = startHedger();
    expect(harness.onBook(BOOK_BIDS, BOOK_ASKS)).toEqual([]);
    const actions = harness.onMessage('maker', fillMessage(1_000_000n, px('99970.2')));
    // 99999.75 x (1 - 20 bps) = 99799.7505, rounded up to the tick to stay within the cap.
    expect(actions).toEqual([
      { orderId: 100n, px: px('99799.8'), qty: 1_000_000n, side: -1, isCancel: false, orderType: OrderType.Ioc },
    ]);
  });

  it('offsets a maker sell with an IOC buy, waits for a book first, and rounds the size down to the lot', () => {
    const harness = startHedger('max_slippage_bps=10');
    expect(harness.onMessage('maker', fillMessage(-1_050_000n, px('100030.3')))).toEqual([]);
    const actions = harness.onBook(BOOK_BIDS, BOOK_ASKS);
    // 100000.75 x (1 + 10 bps) = 100100.75075, rounded down to the tick.
    expect(actions).toEqual([
      { orderId: 100n, px: px('100100.7'), qty: 1_000_000n, side: 1, isCancel: false, orderType: OrderType.Ioc },
    ]);
  });

  it('places no second hedge while one is live, and counts its fill against what is pending', () => {
    const harness = startHedger();
    harness.onBook(BOOK_BIDS, BOOK_ASKS);
    expect(harness.onMessage('maker', fillMessage(2_000_000n, px('100000')))).toHaveLength(1);
    harness.setState({ tick: TICK, lot: 100_000n, orders: [{ id: 100n, px: px('99799.8'), qty: 2_000_000n, side: -1, status: OrderStatus.Pending }] });
    expect(harness.onBook(BOOK_BIDS, BOOK_ASKS)).toEqual([]);
    harness.onFill(100n, px('99999.75'), 1_500_000n, -1);
    harness.setState({ tick: TICK, lot: 100_000n, orders: [{ id: 100n, px: px('99799.8'), qty: 2_000_000n, side: -1, status: OrderStatus.Dead }] });
    expect(harness.onBook(BOOK_BIDS, BOOK_ASKS)).toEqual([
      expect.objectContaining({ orderId: 101n, qty: 500_000n, side: -1, orderType: OrderType.Ioc }),
    ]);
  });

  it('ignores a message of the wrong length and says so in the log', () => {
    const harness = startHedger();
    harness.onBook(BOOK_BIDS, BOOK_ASKS);
    expect(harness.onMessage('maker', new Uint8Array(15))).toEqual([]);
    expect(harness.logs.at(-1)).toEqual({ level: 3, text: 'hedger: ignored a 15-byte message from maker; expected 16' });
    expect(harness.onBook(BOOK_BIDS, BOOK_ASKS)).toEqual([]);
  });

  it('skips a hedge smaller than the minimum quantity', () => {
    const harness = startHedger();
    harness.setState({ tick: TICK, lot: 100_000n, minQty: 2_000_000n });
    harness.onBook(BOOK_BIDS, BOOK_ASKS);
    expect(harness.onMessage('maker', fillMessage(1_000_000n, px('100000')))).toEqual([]);
  });
});
