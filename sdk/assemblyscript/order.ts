// A view of one OpenOrder (40 bytes) inside the host's AlgoState.

import { OrderStatus } from "./codes";

@unmanaged
export class OpenOrder {
  get orderId(): u64 {
    return load<u64>(changetype<usize>(this));
  }

  get px(): u64 {
    return load<u64>(changetype<usize>(this), 8);
  }

  /** Signed quantity (qty_1e8): positive buy, negative sell. */
  get qty(): i64 {
    return load<i64>(changetype<usize>(this), 16);
  }

  get filled(): i64 {
    return load<i64>(changetype<usize>(this), 24);
  }

  get side(): i8 {
    return load<i8>(changetype<usize>(this), 32);
  }

  get status(): OrderStatus {
    return <OrderStatus>load<u8>(changetype<usize>(this), 33);
  }

  /** Pending, acknowledged or partially filled: the order can still trade. */
  get isLive(): bool {
    return this.status != OrderStatus.Dead;
  }
}
