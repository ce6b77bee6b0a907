import type { RejectCode } from '../wasm/abi.ts';
import { Oms, type ApplyOutcome } from './oms.ts';
import type { TradingMessage } from './tradingMessage.ts';

export interface HaltState {
  halted: boolean;
  by: string;
  reason: string;
  tsNs: number;
}

export interface PauseState {
  code: RejectCode;
  reason: string;
}

const NONE: ApplyOutcome = { kind: 'none' };

/**
 * The node's whole trading state: orders and positions (the OMS), the halt, and which
 * instances are paused. It changes only through `apply`, the one function that runs live,
 * on journal replay at start and while a Follower tails the Leader, so all three end in
 * the same state for the same messages.
 */
export class CoreState {
  readonly oms = new Oms();
  readonly halt: HaltState = { halted: false, by: '', reason: '', tsNs: 0 };
  readonly paused = new Map<string, PauseState>();

  apply(message: TradingMessage): ApplyOutcome {
    switch (message.kind) {
      case 'halt':
        this.halt.halted = true;
        this.halt.by = message.by;
        this.halt.reason = message.reason;
        this.halt.tsNs = message.tsNs;
        return NONE;
      case 'resume':
        this.halt.halted = false;
        this.halt.by = message.by;
        this.halt.reason = message.reason;
        this.halt.tsNs = message.tsNs;
        return NONE;
      case 'pause':
        if (message.paused && message.code !== 0) this.paused.set(message.label, { code: message.code, reason: message.reason });
        else this.paused.delete(message.label);
        return NONE;
      default:
        return this.oms.apply(message);
    }
  }

  pauseCode(label: string): number {
    return this.paused.get(label)?.code ?? 0;
  }
}
