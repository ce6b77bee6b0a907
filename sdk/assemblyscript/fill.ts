// A view of the host's Fill (40 bytes).

import { Side } from "./codes";

export const FILL_BYTES: i32 = 40;

@unmanaged
export class Fill {
  get orderId(): u64 {
    return load<u64>(changetype<usize>(this));
  }

  get px(): u64 {
    return load<u64>(changetype<usize>(this), 8);
  }

  /** Filled quantity (qty_1e8) as the host wrote it; see signedQty for the direction. */
  get qty(): i64 {
    return load<i64>(changetype<usize>(this), 16);
  }

  get recvNs(): u64 {
    return load<u64>(changetype<usize>(this), 24);
  }

  get side(): Side {
    return <Side>load<i8>(changetype<usize>(this), 32);
  }

  /** Filled quantity signed by side: positive when bought, negative when sold. */
  get signedQty(): i64 {
    const qty = this.qty;
    const magnitude = qty < 0 ? -qty : qty;
    return this.side == Side.Sell ? -magnitude : magnitude;
  }
}
