// A view of the host's Reject (16 bytes) and the reject codes (ABI.md).

export const REJECT_BYTES: i32 = 16;

export enum RejectCode {
  Unknown = 0,
  InsufficientBalance = 1,
  InvalidParams = 2,
  RateLimit = 3,
  ExchangeBusy = 4,
  Network = 5,
  Auth = 6,
  // From the node's own pre-trade checks.
  Risk = 100,
  PositionLimit = 101,
  KillSwitch = 102,
  PriceDeviation = 103,
  /** The instance is paused after this one. */
  DailyLossLimit = 104,
}

@unmanaged
export class Reject {
  get orderId(): u64 {
    return load<u64>(changetype<usize>(this));
  }

  get code(): RejectCode {
    return <RejectCode>load<u8>(changetype<usize>(this), 8);
  }
}
