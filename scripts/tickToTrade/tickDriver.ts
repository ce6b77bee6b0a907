import { randomBytes } from 'node:crypto';
import type { SimMarketConfig } from '../../src/node/configTypes.ts';
import { KrakenEmulator, type KrakenEmulatorProbe, type KrakenEmulatorUrls } from '../../src/venues/kraken/emulator/krakenEmulator.ts';
import { OrderType } from '../../src/wasm/abi.ts';
import type { FrameMark, OrderMark } from './pairSamples.ts';

// The Kraken emulator as the tick-to-trade harness drives it, in the harness's process so
// that its clock is the measuring clock. The synthetic flow is stepped once at start and
// then left alone (no taker flow, no drift), and the harness moves each symbol's top of
// book itself with a bid and an ask of its own, one tick either side of a centre that
// alternates between two prices 2 x CENTRE_OFFSET_TICKS apart inside the synthetic spread.
// Each move is one book update frame per symbol, and it shifts the mid by far more than the
// re-quote threshold, so every move makes every quoting client re-quote. A step waits for
// the re-quotes it caused (an AddOrder per side per quoting instance) and a settling pause
// before the next move, so one step's traffic does not queue behind another's.

/** Half the distance the centre alternates over, in ticks. */
const CENTRE_OFFSET_TICKS = 30;
/** The harness's own quotes: 0.01 of the base asset. */
const HARNESS_QTY_1E8 = 1_000_000;
/** The synthetic flow steps on start only: its interval is longer than any run (setInterval's largest). */
const NO_TICKS_MS = 2_000_000_000;
/** Bounds what one run records: frames and orders beyond this are an error, not growth. */
const MAX_MARKS = 2_000_000;
/** Order requests by either transport: REST (the script, or the node with order_entry "rest") and the private WebSocket (the node). */
const ORDER_METHODS = new Set(['AddOrder', 'CancelOrder', 'add_order', 'cancel_order']);

/** `count` markets like Kraken's BTC/USD (60000.0, tick 0.1); the first is BTC/USD. */
export function benchMarkets(count: number): SimMarketConfig[] {
  if (!(Number.isInteger(count) && count >= 1 && count <= 999)) throw new RangeError(`market count must be a whole number in 1..999, got ${count}`);
  return Array.from({ length: count }, (_, i) => ({
    symbol: i === 0 ? 'BTC/USD' : `S${String(i).padStart(3, '0')}/USD`,
    startPrice1e9: 60_000_000_000_000,
    tickSize1e9: 100_000_000,
    lotSize1e8: 1,
    minQty1e8: 10_000,
  }));
}

export interface StepResult {
  /** Steps whose re-quotes did not all arrive within the step timeout. */
  incomplete: number;
}

export class TickDriver implements KrakenEmulatorProbe {
  readonly emulator: KrakenEmulator;
  readonly credentials = { apiKey: randomBytes(42).toString('base64'), secret: randomBytes(64).toString('base64') };
  readonly symbols: readonly string[];
  /** Driven frames (the first frame of each symbol after a move) while recording. */
  frames: FrameMark[] = [];
  /** Every AddOrder while recording. */
  orders: OrderMark[] = [];
  /** Every order request (AddOrder or CancelOrder) while recording; its symbol is not known before the body is read, so it is ''. */
  orderRequests: OrderMark[] = [];
  private recording = false;
  private readonly armed = new Set<string>();
  /** AddOrders per symbol since the last move. */
  private readonly seen = new Map<string, number>();
  private wake: (() => void) | null = null;
  private readonly centres = new Map<string, readonly [number, number]>();
  private readonly tick1e9 = new Map<string, number>();
  private harnessSeq = 0;
  /** The harness's live order ids per symbol. */
  private readonly live = new Map<string, string[]>();
  private moves = 0;

  constructor(marketCount: number) {
    const markets = benchMarkets(marketCount);
    this.symbols = markets.map((m) => m.symbol);
    this.emulator = new KrakenEmulator({ credentials: this.credentials, markets, tickIntervalMs: NO_TICKS_MS, probe: this });
  }

  async start(): Promise<KrakenEmulatorUrls> {
    const urls = await this.emulator.start();
    for (const symbol of this.symbols) {
      const book = this.emulator.market.book(symbol);
      const tick = this.emulator.market.meta(symbol).tickSize1e9;
      if (book.bidCount === 0 || book.askCount === 0) throw new Error(`the emulator's ${symbol} book is empty on start`);
      const bid = book.bidPx[0] as number;
      const ask = book.askPx[0] as number;
      const mid = Math.floor((bid + ask) / 2 / tick) * tick;
      const low = mid - CENTRE_OFFSET_TICKS * tick;
      const high = mid + CENTRE_OFFSET_TICKS * tick;
      if (low - tick <= bid || high + tick >= ask) throw new Error(`the synthetic spread of ${symbol} (${bid}..${ask}) is too narrow for the harness's moves`);
      this.centres.set(symbol, [low, high]);
      this.tick1e9.set(symbol, tick);
      this.live.set(symbol, []);
    }
    return urls;
  }

  async stop(): Promise<void> {
    await this.emulator.stop();
  }

  frameWritten(symbol: string, atNs: number): void {
    if (!this.armed.delete(symbol)) return;
    if (this.recording) this.push(this.frames, { symbol, atNs });
  }

  orderReceived(symbol: string, _clOrdId: string, arrivedNs: number): void {
    this.seen.set(symbol, (this.seen.get(symbol) ?? 0) + 1);
    if (this.recording) this.push(this.orders, { symbol, arrivedNs });
    this.wake?.();
  }

  privateRequestArrived(method: string, arrivedNs: number): void {
    if (this.recording && ORDER_METHODS.has(method)) this.push(this.orderRequests, { symbol: '', arrivedNs });
  }

  /** Resolves once each symbol in `expected` has had that many AddOrders since the last move. */
  async waitForOrders(expected: ReadonlyMap<string, number>, timeoutMs: number, alive: () => void): Promise<boolean> {
    const done = () => [...expected].every(([symbol, n]) => (this.seen.get(symbol) ?? 0) >= n);
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      alive();
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      await new Promise<void>((resolve) => {
        // Woken by an order, or after a while to check the client is still alive.
        const timer = setTimeout(resolve, Math.min(remaining, 250));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
    return true;
  }

  /** Moves every symbol's top of book to the other centre: one frame per symbol. */
  move(): void {
    const side = this.moves++ % 2;
    this.seen.clear();
    for (const symbol of this.symbols) {
      const centre = (this.centres.get(symbol) as readonly [number, number])[side] as number;
      const tick = this.tick1e9.get(symbol) as number;
      const live = this.live.get(symbol) as string[];
      for (const id of live) void this.emulator.market.cancel(id);
      live.length = 0;
      this.armed.add(symbol);
      for (const [orderSide, px1e9] of [
        [1, centre - tick],
        [-1, centre + tick],
      ] as const) {
        const clientOrderId = `tick-to-trade-${++this.harnessSeq}`;
        live.push(clientOrderId);
        void this.emulator.market.place({ clientOrderId, symbol, side: orderSide, type: OrderType.PostOnly, px1e9, qty1e8: HARNESS_QTY_1E8 });
      }
    }
  }

  /**
   * Runs `steps` moves, each followed by waiting for `expected` AddOrders per symbol (or
   * `stepTimeoutMs`) and `settleMs`; records frames and orders when `record` is set.
   */
  async run(steps: number, expected: ReadonlyMap<string, number>, o: { record: boolean; settleMs: number; stepTimeoutMs: number; alive: () => void }): Promise<StepResult> {
    let incomplete = 0;
    this.recording = o.record;
    try {
      for (let step = 0; step < steps; step++) {
        this.move();
        if (!(await this.waitForOrders(expected, o.stepTimeoutMs, o.alive))) incomplete++;
        await new Promise((r) => setTimeout(r, o.settleMs));
      }
    } finally {
      this.recording = false;
      this.armed.clear();
    }
    return { incomplete };
  }

  /** Forgets what was recorded. */
  clearMarks(): void {
    this.frames = [];
    this.orders = [];
    this.orderRequests = [];
  }

  private push<T>(list: T[], item: T): void {
    if (list.length >= MAX_MARKS) throw new Error(`more than ${MAX_MARKS} marks in one run`);
    list.push(item);
  }
}
