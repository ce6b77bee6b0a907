import { FILL, L2BOOK, ALGO_STATE, MAX_LABEL_BYTES, MAX_MESSAGE_BYTES, MAX_SENDS_PER_CALLBACK, NBBO, REJECT, SendResult } from './abi.ts';
import { FUEL_EXPORT } from './instrument.ts';
import { liveBudget, type CallBudget } from './fuelBudget.ts';
import type { LoadedBundle } from './loader.ts';
import { ActionBatch, readActions } from './structs.ts';
import { WasmMemory } from './wasmMemory.ts';

/** What an instance needs from the node: a clock and somewhere to put its log lines. */
export interface InstanceHost {
  /** Nanoseconds since the epoch; during replay, the replayed record's time. */
  nowNs(): number;
  log(instance: AlgoInstance, level: number, line: string): void;
  /** Called once, when the instance becomes Aborted. */
  aborted(instance: AlgoInstance, reason: string): void;
}

export type InstanceStatus = 'running' | 'aborted';

const MAX_LOG_BYTES = 4096;
const PARAMS_MAX_BYTES = 64 * 1024;

class AbiViolation extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * One running algorithm: a wasm instance, the host buffers the ABI calls for (allocated
 * once through algo_alloc and reused), the per-callback fuel and deadline, and the mesh
 * outbox filled by __seq_send during a callback. A trap, a timeout or an ABI violation
 * aborts this instance only: its callbacks stop, and the node is told through the host.
 */
export class AlgoInstance {
  status: InstanceStatus = 'running';
  abortReason = '';
  readonly mem: WasmMemory;
  readonly actions = new ActionBatch();
  readonly bookPtr: number;
  readonly statePtr: number;
  readonly fillPtr: number;
  readonly rejectPtr: number;
  readonly nbboPtr: number;
  readonly labelPtr: number;
  readonly payloadPtr: number;
  readonly has: {
    init: boolean;
    message: boolean;
    nbbo: boolean;
    heartbeat: boolean;
    nodeStatus: boolean;
    killSwitch: boolean;
  };

  /** Mesh messages queued by the current callback; the node drains them after it returns. */
  outboxCount = 0;
  readonly outboxLabels: string[] = new Array<string>(MAX_SENDS_PER_CALLBACK).fill('');
  readonly outboxPayloads: Uint8Array[] = Array.from({ length: MAX_SENDS_PER_CALLBACK }, () => new Uint8Array(MAX_MESSAGE_BYTES));
  readonly outboxLengths = new Int32Array(MAX_SENDS_PER_CALLBACK);

  private lastLabel = '';
  private readonly lastLabelBytes = new Uint8Array(MAX_LABEL_BYTES);
  private lastLabelLength = -1;

  calls = 0;
  lastCallNs = 0;
  maxCallNs = 0;

  private readonly exports: Record<string, unknown>;
  private readonly onBookFn: (book: number, state: number) => number;
  private readonly fuel: WebAssembly.Global;
  private readonly fuelBudget: number;
  private readonly wallLimitMs: number;
  private readonly deadlineMs: number;
  private readonly textEncoder = new TextEncoder();

  constructor(
    readonly label: string,
    readonly bundle: LoadedBundle,
    deadlineMs: number,
    private readonly host: InstanceHost,
    budget: CallBudget = liveBudget(deadlineMs),
  ) {
    this.deadlineMs = deadlineMs;
    this.fuelBudget = budget.fuel;
    this.wallLimitMs = budget.wallLimitMs;
    const imports = {
      env: {
        host_log_impl: (level: number, ptr: number, len: number) => this.hostLog(level, ptr, len),
        __seq_send: (labelPtr: number, labelLen: number, payloadPtr: number, payloadLen: number) =>
          this.hostSend(labelPtr, labelLen, payloadPtr, payloadLen),
        host_now_ns: () => BigInt(this.host.nowNs()),
      },
    };
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(bundle.module, imports);
    } catch (error) {
      throw new Error(`${bundle.path}: instantiation failed: ${(error as Error).message}`);
    }
    this.exports = instance.exports as Record<string, unknown>;
    this.mem = new WasmMemory(this.exports.memory as WebAssembly.Memory);
    this.fuel = this.exports[FUEL_EXPORT] as WebAssembly.Global;
    const e = this.exports;
    this.onBookFn = e.algo_on_book as (book: number, state: number) => number;
    this.has = {
      init: typeof e.algo_init === 'function',
      message: typeof e.algo_on_message === 'function',
      nbbo: typeof e.algo_on_nbbo === 'function',
      heartbeat: typeof e.algo_on_heartbeat === 'function',
      nodeStatus: typeof e.algo_on_node_status === 'function',
      killSwitch: typeof e.algo_on_kill_switch === 'function',
    };
    this.bookPtr = this.alloc(L2BOOK.size);
    this.statePtr = this.alloc(ALGO_STATE.size);
    this.fillPtr = this.alloc(FILL.size);
    this.rejectPtr = this.alloc(REJECT.size);
    this.nbboPtr = this.alloc(NBBO.size);
    this.labelPtr = this.alloc(MAX_LABEL_BYTES);
    this.payloadPtr = this.alloc(MAX_MESSAGE_BYTES);
  }

  get running(): boolean {
    return this.status === 'running';
  }

  /** Hands the deployment's params (`key=value` lines) to algo_init, when the bundle exports it. */
  init(paramsText: string): boolean {
    if (!this.has.init || !this.running) return this.running;
    const bytes = this.textEncoder.encode(paramsText);
    if (bytes.length > PARAMS_MAX_BYTES) throw new Error(`${this.label}: params are ${bytes.length} bytes (at most ${PARAMS_MAX_BYTES})`);
    const ptr = bytes.length === 0 ? 0 : this.alloc(bytes.length);
    if (!this.running) return false;
    this.mem.refresh();
    this.mem.u8.set(bytes, ptr);
    return this.callVoid('algo_init', ptr, bytes.length);
  }

  /** Calls algo_on_book with the book and state already written to bookPtr and statePtr. */
  onBook(): boolean {
    const t0 = this.begin();
    if (t0 < 0) return false;
    let ptr: number;
    try {
      ptr = this.onBookFn(this.bookPtr, this.statePtr);
    } catch (error) {
      return this.trapped('algo_on_book', error);
    }
    return this.finish('algo_on_book', t0) && this.takeActions('algo_on_book', ptr);
  }

  onFill(): boolean {
    return this.callVoid('algo_on_fill', this.fillPtr, this.statePtr);
  }

  onReject(): boolean {
    return this.callVoid('algo_on_reject', this.rejectPtr, 0);
  }

  onShutdown(): boolean {
    return this.callActions('algo_on_shutdown', this.statePtr, 0);
  }

  onHeartbeat(): boolean {
    return this.has.heartbeat ? this.callActions('algo_on_heartbeat', this.statePtr, 0) : this.noActions();
  }

  onNbbo(): boolean {
    return this.has.nbbo ? this.callActions('algo_on_nbbo', this.nbboPtr, this.statePtr) : this.noActions();
  }

  onNodeStatus(role: number): boolean {
    return this.has.nodeStatus ? this.callVoid('algo_on_node_status', role, 0) : this.running;
  }

  onKillSwitch(halted: boolean): boolean {
    return this.has.killSwitch ? this.callActions('algo_on_kill_switch', halted ? 1 : 0, this.statePtr) : this.noActions();
  }

  /** Delivers a sibling's message; the sender's label and the payload are copied into this instance's buffers. */
  onMessage(from: string, payload: Uint8Array, payloadLength: number): boolean {
    if (!this.has.message) return this.noActions();
    this.mem.refresh();
    const written = this.textEncoder.encodeInto(from, this.mem.u8.subarray(this.labelPtr, this.labelPtr + MAX_LABEL_BYTES)).written;
    this.mem.u8.set(payload.subarray(0, payloadLength), this.payloadPtr);
    return this.callMessage(written, payloadLength);
  }

  abort(reason: string): void {
    if (this.status === 'aborted') return;
    this.status = 'aborted';
    this.abortReason = reason;
    this.actions.count = 0;
    this.outboxCount = 0;
    this.host.aborted(this, reason);
  }

  /** For an optional callback the bundle does not export: nothing to do, nothing returned. */
  private noActions(): boolean {
    this.actions.count = 0;
    this.outboxCount = 0;
    return this.running;
  }

  private alloc(size: number): number {
    const fn = this.exports.algo_alloc as (size: number) => number;
    this.fuel.value = this.fuelBudget;
    let ptr: number;
    try {
      ptr = fn(size);
    } catch (error) {
      throw new Error(`${this.label}: algo_alloc(${size}) failed: ${(error as Error).message}`);
    }
    this.mem.refresh();
    if (!this.mem.holds(ptr, size)) {
      throw new Error(`${this.label}: algo_alloc(${size}) returned ${ptr}, which is not 8-aligned memory inside the instance`);
    }
    return ptr;
  }

  /** Clears the last call's actions and outbox and refills the fuel; returns the start time, or -1 when the instance is not running. */
  private begin(): number {
    this.actions.count = 0;
    this.outboxCount = 0;
    if (!this.running) return -1;
    this.fuel.value = this.fuelBudget;
    return performance.now();
  }

  private callActions(name: string, a: number, b: number): boolean {
    const fn = this.exports[name] as (a: number, b: number) => number;
    const t0 = this.begin();
    if (t0 < 0) return false;
    let ptr: number;
    try {
      ptr = fn(a, b);
    } catch (error) {
      return this.trapped(name, error);
    }
    return this.finish(name, t0) && this.takeActions(name, ptr);
  }

  private takeActions(name: string, ptr: number): boolean {
    const violation = readActions(this.mem, ptr, this.actions);
    if (violation !== null) {
      this.abort(`ABI violation in ${name}: ${violation}`);
      return false;
    }
    return true;
  }

  private callVoid(name: string, a: number, b: number): boolean {
    const fn = this.exports[name] as (a: number, b: number) => void;
    const t0 = this.begin();
    if (t0 < 0) return false;
    try {
      fn(a, b);
    } catch (error) {
      return this.trapped(name, error);
    }
    return this.finish(name, t0);
  }

  private callMessage(labelLength: number, payloadLength: number): boolean {
    const fn = this.exports.algo_on_message as (a: number, b: number, c: number, d: number, e: number) => number;
    const t0 = this.begin();
    if (t0 < 0) return false;
    let ptr: number;
    try {
      ptr = fn(this.labelPtr, labelLength, this.payloadPtr, payloadLength, this.statePtr);
    } catch (error) {
      return this.trapped('algo_on_message', error);
    }
    return this.finish('algo_on_message', t0) && this.takeActions('algo_on_message', ptr);
  }

  private finish(name: string, t0: number): boolean {
    const elapsedMs = performance.now() - t0;
    const ns = Math.round(elapsedMs * 1e6);
    this.calls++;
    this.lastCallNs = ns;
    if (ns > this.maxCallNs) this.maxCallNs = ns;
    this.mem.refresh();
    if (elapsedMs > this.wallLimitMs) {
      this.abort(`${name} ran ${elapsedMs.toFixed(1)} ms, past its ${this.deadlineMs} ms deadline`);
      return false;
    }
    return true;
  }

  private trapped(name: string, error: unknown): false {
    this.mem.refresh();
    if (error instanceof AbiViolation) {
      this.abort(`ABI violation in ${name}: ${error.message}`);
    } else if ((this.fuel.value as number) < 0) {
      this.abort(`${name} ran past its ${this.deadlineMs} ms deadline (fuel exhausted)`);
    } else if (error instanceof WebAssembly.RuntimeError) {
      this.abort(`${name} trapped: ${error.message}`);
    } else {
      this.abort(`${name} failed: ${(error as Error)?.message ?? String(error)}`);
    }
    return false;
  }

  private hostLog(level: number, ptr: number, len: number): void {
    const bytes = this.readBytes(ptr, len, 'host_log_impl', MAX_LOG_BYTES);
    this.host.log(this, level, utf8.decode(bytes));
  }

  private hostSend(labelPtr: number, labelLen: number, payloadPtr: number, payloadLen: number): number {
    if (labelLen <= 0 || labelLen > MAX_LABEL_BYTES) return SendResult.BadLabel;
    if (payloadLen < 0 || payloadLen > MAX_MESSAGE_BYTES) return SendResult.PayloadTooLarge;
    if (this.outboxCount >= MAX_SENDS_PER_CALLBACK) return SendResult.OutboxFull;
    const label = this.labelOf(this.readBytes(labelPtr, labelLen, '__seq_send', MAX_LABEL_BYTES));
    const payload = this.readBytes(payloadPtr, payloadLen, '__seq_send', MAX_MESSAGE_BYTES);
    const slot = this.outboxCount++;
    this.outboxLabels[slot] = label;
    this.outboxPayloads[slot].set(payload);
    this.outboxLengths[slot] = payloadLen;
    return SendResult.Queued;
  }

  /**
   * The label's text, decoded only when it differs from the last one: an algorithm sends to
   * the same few siblings over and over, and a fresh string per send is garbage the
   * collector must later stop the trading thread to clear.
   */
  private labelOf(bytes: Uint8Array): string {
    const last = this.lastLabelBytes;
    let same = bytes.length === this.lastLabelLength;
    for (let i = 0; same && i < bytes.length; i++) same = bytes[i] === last[i];
    if (!same) {
      this.lastLabel = utf8.decode(bytes);
      last.set(bytes);
      this.lastLabelLength = bytes.length;
    }
    return this.lastLabel;
  }

  /** A view of guest memory for a host import; a range outside memory is an ABI violation. */
  private readBytes(ptr: number, len: number, what: string, max: number): Uint8Array {
    this.mem.refresh();
    const n = Math.min(len, max);
    if (ptr < 0 || len < 0 || ptr + n > this.mem.byteLength) {
      throw new AbiViolation(`${what} was given bytes [${ptr}, ${ptr + len}) outside memory`);
    }
    return this.mem.u8.subarray(ptr, ptr + n);
  }
}
