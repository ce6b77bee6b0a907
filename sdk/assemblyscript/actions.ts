// The actions a callback returns: ONE static WasmActions buffer (520 bytes: count, then 16
// Action slots of 32 bytes). `Actions` is a view of that buffer, so queuing an order is a
// few stores and never allocates. The SDK resets the count before each callback and hands
// the buffer's address back to the node when the callback returns.

import { OrderType, Side } from "./codes";
import { log } from "./log";
import { AlgoState } from "./state";

export const MAX_ACTIONS: i32 = 16;
export const WASM_ACTIONS_BYTES: i32 = 520;
const ACTIONS: usize = 8;
const ACTION_BYTES: usize = 32;

const buffer = memory.data(WASM_ACTIONS_BYTES, 8);

@unmanaged
export class Actions {
  /** Actions queued in this callback. */
  get count(): i32 {
    return <i32>load<u32>(changetype<usize>(this));
  }

  /** Free slots left in this callback. */
  get remaining(): i32 {
    return MAX_ACTIONS - this.count;
  }

  /** Limit buy. A place with the id of a live order replaces that order (price and quantity). */
  buy(orderId: u64, px: u64, qty: i64): bool {
    return this.place(orderId, Side.Buy, px, qty, OrderType.Limit);
  }

  /** Limit sell; replaces a live order with the same id. */
  sell(orderId: u64, px: u64, qty: i64): bool {
    return this.place(orderId, Side.Sell, px, qty, OrderType.Limit);
  }

  /** Immediate-or-cancel: fills what it can at px or better, the rest is cancelled. */
  ioc(orderId: u64, side: Side, px: u64, qty: i64): bool {
    return this.place(orderId, side, px, qty, OrderType.Ioc);
  }

  /** Fill-or-kill: fills entirely at px or better, or not at all. */
  fok(orderId: u64, side: Side, px: u64, qty: i64): bool {
    return this.place(orderId, side, px, qty, OrderType.Fok);
  }

  /** Maker-only limit order: the venue rejects it rather than let it take liquidity. */
  postOnly(orderId: u64, side: Side, px: u64, qty: i64): bool {
    return this.place(orderId, side, px, qty, OrderType.PostOnly);
  }

  market(orderId: u64, side: Side, qty: i64): bool {
    return this.place(orderId, side, 0, qty, OrderType.Market);
  }

  /**
   * Queues an order. qty (qty_1e8) is positive; side carries the direction. Returns false,
   * queuing nothing, when the 16 slots are full or the order is malformed (logged at Warn).
   */
  place(orderId: u64, side: Side, px: u64, qty: i64, orderType: OrderType): bool {
    if (side != Side.Buy && side != Side.Sell) {
      log.warn("order " + orderId.toString() + " not queued: side must be Side.Buy or Side.Sell");
      return false;
    }
    if (qty <= 0) {
      log.warn("order " + orderId.toString() + " not queued: quantity must be positive, got " + qty.toString());
      return false;
    }
    if (px == 0 && orderType != OrderType.Market) {
      log.warn("order " + orderId.toString() + " not queued: a priced order needs px > 0");
      return false;
    }
    return this.push(orderId, px, qty, <i8>side, 0, <u8>orderType);
  }

  /** Cancels the order with this id; false when the slots are full. */
  cancel(orderId: u64): bool {
    return this.push(orderId, 0, 0, 0, 1, 0);
  }

  /** Cancels every live order in the state; false when not all cancels fit in the slots. */
  cancelAll(state: AlgoState): bool {
    const count = state.orderCount;
    for (let i = 0; i < count; i++) {
      const order = state.order(i);
      if (order.isLive && !this.cancel(order.orderId)) return false;
    }
    return true;
  }

  /** Empties the buffer; the SDK calls it before each callback. */
  reset(): void {
    store<u32>(changetype<usize>(this), 0);
  }

  private push(orderId: u64, px: u64, qty: i64, side: i8, isCancel: u8, orderType: u8): bool {
    const count = this.count;
    if (count >= MAX_ACTIONS) return false;
    const at = changetype<usize>(this) + ACTIONS + <usize>count * ACTION_BYTES;
    store<u64>(at, orderId);
    store<u64>(at, px, 8);
    store<i64>(at, qty, 16);
    store<i8>(at, side, 24);
    store<u8>(at, isCancel, 25);
    store<u8>(at, orderType, 26);
    // The five padding bytes (27..31) must be zero.
    store<u8>(at, 0, 27);
    store<u32>(at, 0, 28);
    store<u32>(changetype<usize>(this), count + 1);
    return true;
  }
}

/** The one Actions buffer of this module. */
export const actions = changetype<Actions>(buffer);
