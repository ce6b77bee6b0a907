import { ACTION, ALGO_STATE, BOOK_LEVELS, FILL, L2BOOK, MAX_ACTIONS, MAX_STATE_ORDERS, NBBO, OPEN_ORDER, REJECT, SYMBOL_META, WASM_ACTIONS } from './abi.ts';
import type { WasmMemory } from './wasmMemory.ts';
import type { L2Book } from '../venues/book.ts';
import type { SymbolMeta } from '../venues/venue.ts';

// Encoders and decoders of the ABI structs over an instance's memory. Every encoder
// writes the whole struct (pads and unused slots zeroed) so what an algorithm reads never
// depends on what was there before.

// The layout offsets as module constants: V8 folds these into the compiled code, while a
// property load from the imported layout objects cost several ns each on this path
// (measured: decoding two actions went from ~180 ns to ~40 ns).
const
  L2BOOK_ASK_CT = L2BOOK.askCt,
  L2BOOK_ASKS = L2BOOK.asks,
  L2BOOK_BID_CT = L2BOOK.bidCt,
  L2BOOK_BIDS = L2BOOK.bids,
  L2BOOK_RECV_NS = L2BOOK.recvNs,
  L2BOOK_SYMBOL_ID = L2BOOK.symbolId;
const
  ALGO_STATE_AVG_ENTRY = ALGO_STATE.avgEntry,
  ALGO_STATE_HALTED = ALGO_STATE.halted,
  ALGO_STATE_NODE_ROLE = ALGO_STATE.nodeRole,
  ALGO_STATE_ORDER_CT = ALGO_STATE.orderCt,
  ALGO_STATE_ORDERS = ALGO_STATE.orders,
  ALGO_STATE_POSITION = ALGO_STATE.position,
  ALGO_STATE_REALIZED_PNL = ALGO_STATE.realizedPnl,
  ALGO_STATE_SESSION_PNL = ALGO_STATE.sessionPnl,
  ALGO_STATE_SYMBOL_META = ALGO_STATE.symbolMeta,
  ALGO_STATE_TOTAL_FILL_COUNT = ALGO_STATE.totalFillCount,
  ALGO_STATE_UNREALIZED_PNL = ALGO_STATE.unrealizedPnl,
  ALGO_STATE_V1_SIZE = ALGO_STATE.v1Size;
const
  OPEN_ORDER_FILLED = OPEN_ORDER.filled,
  OPEN_ORDER_ORDER_ID = OPEN_ORDER.orderId,
  OPEN_ORDER_PX = OPEN_ORDER.px,
  OPEN_ORDER_QTY = OPEN_ORDER.qty,
  OPEN_ORDER_SIDE = OPEN_ORDER.side,
  OPEN_ORDER_SIZE = OPEN_ORDER.size,
  OPEN_ORDER_STATUS = OPEN_ORDER.status;
const
  SYMBOL_META_LOT_SIZE = SYMBOL_META.lotSize,
  SYMBOL_META_MIN_NOTIONAL = SYMBOL_META.minNotional,
  SYMBOL_META_MIN_QTY = SYMBOL_META.minQty,
  SYMBOL_META_PRICE_PRECISION = SYMBOL_META.pricePrecision,
  SYMBOL_META_QTY_PRECISION = SYMBOL_META.qtyPrecision,
  SYMBOL_META_TICK_SIZE = SYMBOL_META.tickSize;
const
  FILL_ORDER_ID = FILL.orderId,
  FILL_PX = FILL.px,
  FILL_QTY = FILL.qty,
  FILL_RECV_NS = FILL.recvNs,
  FILL_SIDE = FILL.side;
const
  REJECT_CODE = REJECT.code,
  REJECT_ORDER_ID = REJECT.orderId;
const
  ACTION_IS_CANCEL = ACTION.isCancel,
  ACTION_ORDER_TYPE = ACTION.orderType,
  ACTION_SIDE = ACTION.side,
  ACTION_SIZE = ACTION.size;
const
  WASM_ACTIONS_ACTIONS = WASM_ACTIONS.actions,
  WASM_ACTIONS_COUNT = WASM_ACTIONS.count,
  WASM_ACTIONS_SIZE = WASM_ACTIONS.size;
const
  NBBO_ASK_PX = NBBO.askPx,
  NBBO_ASK_SZ = NBBO.askSz,
  NBBO_ASK_VENUE = NBBO.askVenue,
  NBBO_BID_PX = NBBO.bidPx,
  NBBO_BID_SZ = NBBO.bidSz,
  NBBO_BID_VENUE = NBBO.bidVenue,
  NBBO_RECV_NS = NBBO.recvNs,
  NBBO_SIZE = NBBO.size,
  NBBO_SYMBOL_ID = NBBO.symbolId,
  NBBO_VENUE_CT = NBBO.venueCt;
const LEVEL_WORDS = 4;
const TWO_32 = 4294967296;

export function writeBook(mem: WasmMemory, ptr: number, book: L2Book, symbolId: number): void {
  const u32 = mem.u32;
  const bids = book.bidCount;
  const asks = book.askCount;
  writeLevels(u32, (ptr + L2BOOK_BIDS) >>> 2, book.bidPx, book.bidSz, bids);
  writeLevels(u32, (ptr + L2BOOK_ASKS) >>> 2, book.askPx, book.askSz, asks);
  mem.u8[ptr + L2BOOK_BID_CT] = bids;
  mem.u8[ptr + L2BOOK_ASK_CT] = asks;
  mem.writeU16(ptr + L2BOOK_SYMBOL_ID, symbolId);
  u32[(ptr + 644) >>> 2] = 0;
  mem.writeU64(ptr + L2BOOK_RECV_NS, book.recvNs);
}

/** One side's 20 levels as u64 pairs (lo, hi words), unused levels zeroed; written inline because it runs 40 times a book. */
function writeLevels(u32: Uint32Array, word: number, px: Float64Array, sz: Float64Array, count: number): void {
  for (let i = 0; i < count; i++) {
    const p = px[i];
    const s = sz[i];
    const pLo = p >>> 0;
    const sLo = s >>> 0;
    u32[word] = pLo;
    u32[word + 1] = (p - pLo) / TWO_32;
    u32[word + 2] = sLo;
    u32[word + 3] = (s - sLo) / TWO_32;
    word += LEVEL_WORDS;
  }
  if (count < BOOK_LEVELS) u32.fill(0, word, word + (BOOK_LEVELS - count) * LEVEL_WORDS);
}

/** What the state encoder reads of one open order. */
export interface OpenOrderFields {
  algoOrderId: number;
  px1e9: number;
  /** Positive; `side` gives the direction. */
  qty1e8: number;
  filled1e8: number;
  side: 1 | -1;
  status: number;
}

/** What the state encoder reads of an instance's position in one symbol. */
export interface StateFields {
  position1e8: number;
  avgEntry1e9: number;
  realizedPnl1e9: number;
  unrealizedPnl1e9: number;
  sessionPnl1e9: number;
  totalFillCount: number;
  nodeRole: number;
  halted: boolean;
}

export function writeState(
  mem: WasmMemory,
  ptr: number,
  state: StateFields,
  orders: readonly OpenOrderFields[],
  orderCount: number,
  meta: SymbolMeta,
): void {
  mem.writeI64(ptr + ALGO_STATE_POSITION, state.position1e8);
  mem.writeU64(ptr + ALGO_STATE_AVG_ENTRY, state.avgEntry1e9);
  mem.writeI64(ptr + ALGO_STATE_REALIZED_PNL, state.realizedPnl1e9);
  mem.writeI64(ptr + ALGO_STATE_UNREALIZED_PNL, state.unrealizedPnl1e9);
  const count = Math.min(orderCount, MAX_STATE_ORDERS);
  for (let i = 0; i < count; i++) {
    const o = orders[i];
    const at = ptr + ALGO_STATE_ORDERS + i * OPEN_ORDER_SIZE;
    mem.writeU64(at + OPEN_ORDER_ORDER_ID, o.algoOrderId);
    mem.writeU64(at + OPEN_ORDER_PX, o.px1e9);
    mem.writeI64(at + OPEN_ORDER_QTY, o.side * o.qty1e8);
    mem.writeI64(at + OPEN_ORDER_FILLED, o.filled1e8);
    mem.u32[(at + 32) >>> 2] = 0;
    mem.u32[(at + 36) >>> 2] = 0;
    mem.u8[at + OPEN_ORDER_SIDE] = o.side & 0xff;
    mem.u8[at + OPEN_ORDER_STATUS] = o.status;
  }
  const ordersEnd = ptr + ALGO_STATE_ORDERS + MAX_STATE_ORDERS * OPEN_ORDER_SIZE;
  mem.u8.fill(0, ptr + ALGO_STATE_ORDERS + count * OPEN_ORDER_SIZE, ordersEnd);
  mem.u8.fill(0, ptr + ALGO_STATE_ORDER_CT, ptr + ALGO_STATE_V1_SIZE);
  mem.u8[ptr + ALGO_STATE_ORDER_CT] = count;
  mem.writeI64(ptr + ALGO_STATE_SESSION_PNL, state.sessionPnl1e9);
  mem.writeU64(ptr + ALGO_STATE_TOTAL_FILL_COUNT, state.totalFillCount);
  const m = ptr + ALGO_STATE_SYMBOL_META;
  mem.writeU64(m + SYMBOL_META_TICK_SIZE, meta.tickSize1e9);
  mem.writeU64(m + SYMBOL_META_LOT_SIZE, meta.lotSize1e8);
  mem.writeU64(m + SYMBOL_META_MIN_QTY, meta.minQty1e8);
  mem.writeU64(m + SYMBOL_META_MIN_NOTIONAL, meta.minNotional1e9);
  mem.u32[(m + 32) >>> 2] = 0;
  mem.u32[(m + 36) >>> 2] = 0;
  mem.u8[m + SYMBOL_META_PRICE_PRECISION] = meta.pricePrecision;
  mem.u8[m + SYMBOL_META_QTY_PRECISION] = meta.qtyPrecision;
  mem.u32[(ptr + ALGO_STATE_NODE_ROLE) >>> 2] = 0;
  mem.u32[(ptr + ALGO_STATE_NODE_ROLE + 4) >>> 2] = 0;
  mem.u8[ptr + ALGO_STATE_NODE_ROLE] = state.nodeRole;
  mem.u8[ptr + ALGO_STATE_HALTED] = state.halted ? 1 : 0;
}

export function writeFill(mem: WasmMemory, ptr: number, algoOrderId: number, px1e9: number, qty1e8: number, side: 1 | -1, recvNs: number): void {
  mem.writeU64(ptr + FILL_ORDER_ID, algoOrderId);
  mem.writeU64(ptr + FILL_PX, px1e9);
  mem.writeI64(ptr + FILL_QTY, qty1e8);
  mem.writeU64(ptr + FILL_RECV_NS, recvNs);
  mem.u32[(ptr + 32) >>> 2] = 0;
  mem.u32[(ptr + 36) >>> 2] = 0;
  mem.u8[ptr + FILL_SIDE] = side & 0xff;
}

/** `idLo`/`idHi` are the order id's u32 halves, so ids of 2^53 and more are echoed exactly. */
export function writeReject(mem: WasmMemory, ptr: number, idLo: number, idHi: number, code: number): void {
  mem.u32[(ptr + REJECT_ORDER_ID) >>> 2] = idLo;
  mem.u32[(ptr + REJECT_ORDER_ID + 4) >>> 2] = idHi;
  mem.u32[(ptr + 8) >>> 2] = 0;
  mem.u32[(ptr + 12) >>> 2] = 0;
  mem.u8[ptr + REJECT_CODE] = code;
}

export interface NbboFields {
  bidPx1e9: number;
  bidSz1e8: number;
  askPx1e9: number;
  askSz1e8: number;
  bidVenue: number;
  askVenue: number;
  symbolId: number;
  recvNs: number;
  venueCount: number;
}

export function writeNbbo(mem: WasmMemory, ptr: number, nbbo: NbboFields): void {
  mem.u8.fill(0, ptr, ptr + NBBO_SIZE);
  mem.writeU64(ptr + NBBO_BID_PX, nbbo.bidPx1e9);
  mem.writeU64(ptr + NBBO_BID_SZ, nbbo.bidSz1e8);
  mem.writeU64(ptr + NBBO_ASK_PX, nbbo.askPx1e9);
  mem.writeU64(ptr + NBBO_ASK_SZ, nbbo.askSz1e8);
  mem.u8[ptr + NBBO_BID_VENUE] = nbbo.bidVenue;
  mem.u8[ptr + NBBO_ASK_VENUE] = nbbo.askVenue;
  mem.writeU16(ptr + NBBO_SYMBOL_ID, nbbo.symbolId);
  mem.writeU64(ptr + NBBO_RECV_NS, nbbo.recvNs);
  mem.u8[ptr + NBBO_VENUE_CT] = nbbo.venueCount;
}

/** The actions one callback returned, decoded into preallocated arrays (reused every call). */
export class ActionBatch {
  count = 0;
  /** NaN where the algorithm used an id of 2^53 or more (rejected as INVALID_PARAMS). */
  readonly orderId = new Float64Array(MAX_ACTIONS);
  /** The id's raw u32 halves, to echo it exactly in a reject. */
  readonly orderIdLo = new Uint32Array(MAX_ACTIONS);
  readonly orderIdHi = new Uint32Array(MAX_ACTIONS);
  readonly px1e9 = new Float64Array(MAX_ACTIONS);
  readonly qty1e8 = new Float64Array(MAX_ACTIONS);
  readonly side = new Int8Array(MAX_ACTIONS);
  readonly isCancel = new Uint8Array(MAX_ACTIONS);
  readonly orderType = new Uint8Array(MAX_ACTIONS);
}

/**
 * Decodes the WasmActions at `ptr` into `out`. Returns null, or the ABI violation that
 * makes the whole batch void (the caller aborts the instance). All-zero actions are
 * no-ops and are skipped.
 */
export function readActions(mem: WasmMemory, ptr: number, out: ActionBatch): string | null {
  out.count = 0;
  if (ptr === 0) return null;
  const u8 = mem.u8;
  const u32 = mem.u32;
  if ((ptr & 7) !== 0 || ptr < 0 || ptr + WASM_ACTIONS_SIZE > u8.length) {
    return `returned an actions pointer outside memory or misaligned (${ptr})`;
  }
  const declared = u32[(ptr + WASM_ACTIONS_COUNT) >>> 2];
  if (declared > MAX_ACTIONS) return `returned ${declared} actions (at most ${MAX_ACTIONS})`;
  let n = 0;
  for (let i = 0; i < declared; i++) {
    const at = ptr + WASM_ACTIONS_ACTIONS + i * ACTION_SIZE;
    const w = at >>> 2;
    if ((u32[w] | u32[w + 1] | u32[w + 2] | u32[w + 3] | u32[w + 4] | u32[w + 5] | u32[w + 6] | u32[w + 7]) === 0) continue;
    const isCancel = u8[at + ACTION_IS_CANCEL];
    if (isCancel > 1) return `action ${i}: is_cancel is ${isCancel} (0 or 1)`;
    if (isCancel === 0) {
      const side = (u8[at + ACTION_SIDE] << 24) >> 24;
      if (side !== 1 && side !== -1) return `action ${i}: side is ${side} (1 buy, -1 sell)`;
      const type = u8[at + ACTION_ORDER_TYPE];
      if (type > 4) return `action ${i}: order_type is ${type} (0..4)`;
      // qty is an i64 that must be positive and below 2^53: its high word in [0, 2^21).
      const qtyHi = u32[w + 5];
      const qty = qtyHi * TWO_32 + u32[w + 4];
      if (qtyHi >= 0x200000 || qty === 0) return `action ${i}: qty_1e8 is ${qtyHi >= 0x80000000 ? 'negative' : qty === 0 ? '0' : 'out of range'} (must be positive)`;
      const pxHi = u32[w + 3];
      if (pxHi >= 0x200000) return `action ${i}: px_1e9 out of range`;
      out.side[n] = side;
      out.orderType[n] = type;
      out.qty1e8[n] = qty;
      out.px1e9[n] = pxHi * TWO_32 + u32[w + 2];
    }
    const idHi = u32[w + 1];
    out.isCancel[n] = isCancel;
    out.orderId[n] = idHi >= 0x200000 ? NaN : idHi * TWO_32 + u32[w];
    out.orderIdLo[n] = u32[w];
    out.orderIdHi[n] = idHi;
    n++;
  }
  out.count = n;
  return null;
}
