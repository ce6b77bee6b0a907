import type { TradingMessage } from './tradingMessage.ts';

// Everything the node reports as it runs: every trading message (orders, fills, rejects,
// cancels), instance changes, algorithm log lines and a periodic status. A sink must not
// do work on the caller's stack beyond keeping a reference: formatting and writing happen
// later, off the trading path.

export interface NodeEvent {
  type: string;
  [field: string]: unknown;
}

export interface EventSink {
  emit(event: NodeEvent): void;
  trading(message: TradingMessage): void;
}
