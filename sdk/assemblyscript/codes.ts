// The ABI's enumerations (ABI.md). Values are fixed by the ABI; names follow TypeScript.

export enum Side {
  Buy = 1,
  Sell = -1,
}

export enum OrderType {
  Limit = 0,
  Market = 1,
  Ioc = 2,
  Fok = 3,
  PostOnly = 4,
}

export enum OrderStatus {
  Pending = 0,
  Acked = 1,
  Partial = 2,
  Dead = 3,
}

export enum NodeRole {
  Bootstrap = 0,
  Follower = 1,
  Leader = 2,
}

export enum VenueId {
  Kraken = 1,
  Coinbase = 2,
  Sim = 32,
}
