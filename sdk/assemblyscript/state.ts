// A view of the host's AlgoState (1384 bytes: the version-1 part, then session PnL, fill
// count, symbol meta, node role and halt flag). Zero-copy, like L2Book.

import { NodeRole } from "./codes";
import { OpenOrder } from "./order";

const ORDERS: usize = 32;
const ORDER_BYTES: usize = 40;
const ORDER_CT: usize = 1312;
const SYMBOL_META: usize = 1336;

export const MAX_STATE_ORDERS: i32 = 32;
export const ALGO_STATE_BYTES: i32 = 1384;

@unmanaged
export class AlgoState {
  /** Signed position (qty_1e8). */
  get position(): i64 {
    return load<i64>(changetype<usize>(this));
  }

  get avgEntry(): u64 {
    return load<u64>(changetype<usize>(this), 8);
  }

  get realizedPnl(): i64 {
    return load<i64>(changetype<usize>(this), 16);
  }

  get unrealizedPnl(): i64 {
    return load<i64>(changetype<usize>(this), 24);
  }

  get orderCount(): i32 {
    return <i32>min(load<u8>(changetype<usize>(this) + ORDER_CT), <u8>MAX_STATE_ORDERS);
  }

  /** Order slot i (0 <= i < orderCount); a view into the state, valid during this callback. */
  order(i: i32): OpenOrder {
    assert(i >= 0 && i < this.orderCount, "order index out of range");
    return this.slot(i);
  }

  /** The order with this id, live or dead, or null. */
  findOrder(orderId: u64): OpenOrder | null {
    const count = this.orderCount;
    for (let i = 0; i < count; i++) {
      const order = this.slot(i);
      if (order.orderId == orderId) return order;
    }
    return null;
  }

  hasLiveOrder(orderId: u64): bool {
    const order = this.findOrder(orderId);
    return order !== null && order.isLive;
  }

  get sessionPnl(): i64 {
    return load<i64>(changetype<usize>(this), 1320);
  }

  get totalFillCount(): u64 {
    return load<u64>(changetype<usize>(this), 1328);
  }

  /** Price increment (px_1e9); 0 when the venue did not say. */
  get tickSize(): u64 {
    return load<u64>(changetype<usize>(this) + SYMBOL_META);
  }

  /** Quantity increment (qty_1e8); 0 when unknown. */
  get lotSize(): u64 {
    return load<u64>(changetype<usize>(this) + SYMBOL_META, 8);
  }

  get minQty(): u64 {
    return load<u64>(changetype<usize>(this) + SYMBOL_META, 16);
  }

  get minNotional(): u64 {
    return load<u64>(changetype<usize>(this) + SYMBOL_META, 24);
  }

  get pricePrecision(): u8 {
    return load<u8>(changetype<usize>(this) + SYMBOL_META, 32);
  }

  get qtyPrecision(): u8 {
    return load<u8>(changetype<usize>(this) + SYMBOL_META, 33);
  }

  get nodeRole(): NodeRole {
    return <NodeRole>load<u8>(changetype<usize>(this), 1376);
  }

  /** Trading is halted by the kill switch: only cancels pass. */
  get halted(): bool {
    return load<u8>(changetype<usize>(this), 1377) != 0;
  }

  @inline
  private slot(i: i32): OpenOrder {
    return changetype<OpenOrder>(changetype<usize>(this) + ORDERS + <usize>i * ORDER_BYTES);
  }
}
