import type { RejectCode } from '../wasm/abi.ts';
import { Oms, type ApplyOutcome, type OmsSnapshot } from './oms.ts';
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

interface CoreSnapshot {
  version: 1;
  oms: OmsSnapshot;
  halt: HaltState;
  paused: [string, PauseState][];
}

const NONE: ApplyOutcome = { kind: 'none' };
const SNAPSHOT_VERSION = 1;

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

  /** The whole state as bytes: with the journal seq it covers, it stands for every record up to that seq. */
  snapshot(): Uint8Array {
    const snapshot: CoreSnapshot = { version: SNAPSHOT_VERSION, oms: this.oms.snapshot(), halt: { ...this.halt }, paused: [...this.paused] };
    return new TextEncoder().encode(JSON.stringify(snapshot));
  }

  /** Loads a snapshot into this (fresh) state. */
  restore(bytes: Uint8Array): void {
    const snapshot = JSON.parse(new TextDecoder().decode(bytes)) as CoreSnapshot;
    if (snapshot.version !== SNAPSHOT_VERSION) throw new Error(`core snapshot version ${snapshot.version}; this node reads version ${SNAPSHOT_VERSION}`);
    this.oms.restore(snapshot.oms);
    Object.assign(this.halt, snapshot.halt);
    this.paused.clear();
    for (const [label, pause] of snapshot.paused) this.paused.set(label, pause);
  }

  pauseCode(label: string): number {
    return this.paused.get(label)?.code ?? 0;
  }
}
