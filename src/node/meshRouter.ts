import { MAX_MESSAGE_BYTES } from '../wasm/abi.ts';
import type { AlgoInstance } from '../wasm/algoInstance.ts';

/** One message on its way to an instance. The payload buffer is the router's, reused after delivery. */
export interface MeshDelivery {
  from: string;
  to: string;
  payload: Uint8Array;
  length: number;
  /** performance.now() when the message was queued, for the link's latency. */
  queuedMs: number;
}

export interface LinkStats {
  from: string;
  to: string;
  sent: number;
  delivered: number;
  dropped: number;
  /** Queue-to-delivery time of the link's last message and its worst, microseconds. */
  latencyUsLast: number;
  latencyUsMax: number;
}

/** Messages waiting for delivery, across all instances; past this, new sends are dropped and counted. */
export const MESH_QUEUE_LIMIT = 4096;

/**
 * In-process routing of `send(label, payload)` between instances. A callback's outbox is
 * collected after the callback returns and delivered in order per sender. Delivery is
 * best-effort: an unknown label, a target without algo_on_message, an aborted target or
 * a full queue drops the message and counts it on its link.
 */
export class MeshRouter {
  unknownLabel = 0;
  private readonly queue: MeshDelivery[] = Array.from({ length: MESH_QUEUE_LIMIT }, () => ({
    from: '',
    to: '',
    payload: new Uint8Array(MAX_MESSAGE_BYTES),
    length: 0,
    queuedMs: 0,
  }));
  private head = 0;
  private count = 0;
  /** Per sender, per target: nested so finding a link allocates nothing. */
  private readonly stats = new Map<string, Map<string, LinkStats>>();
  /**
   * Where a message to a label not hosted in this process goes (the mesh across hosts);
   * returns false when it was dropped there. Null: this node is not on a mesh.
   */
  remote: ((from: string, to: string, payload: Uint8Array) => boolean) | null = null;

  constructor(
    private readonly lookup: (label: string) => AlgoInstance | undefined,
    private readonly deliver: (delivery: MeshDelivery) => void,
  ) {}

  get pending(): number {
    return this.count;
  }

  /** Moves an instance's outbox (filled during its last callback) into the delivery queue. */
  collect(sender: { label: string; algo: AlgoInstance }): void {
    const algo = sender.algo;
    const n = algo.outboxCount;
    if (n === 0) return;
    algo.outboxCount = 0;
    for (let i = 0; i < n; i++) {
      const to = algo.outboxLabels[i];
      const link = this.link(sender.label, to);
      link.sent++;
      const target = this.lookup(to);
      const payload = algo.outboxPayloads[i].subarray(0, algo.outboxLengths[i]);
      if (target === undefined) {
        if (this.remote !== null && this.remote(sender.label, to, payload)) {
          link.delivered++;
        } else {
          if (this.remote === null) this.unknownLabel++;
          link.dropped++;
        }
        continue;
      }
      if (!this.enqueue(sender.label, to, payload, target)) link.dropped++;
    }
  }

  /** A message from an instance on another node for one hosted here; dropped and counted when it cannot be delivered. */
  receive(from: string, to: string, payload: Uint8Array): void {
    const link = this.link(from, to);
    link.sent++;
    const target = this.lookup(to);
    if (target === undefined) {
      this.unknownLabel++;
      link.dropped++;
    } else if (!this.enqueue(from, to, payload, target)) {
      link.dropped++;
    }
  }

  private enqueue(from: string, to: string, payload: Uint8Array, target: AlgoInstance): boolean {
    if (!target.has.message || this.count >= MESH_QUEUE_LIMIT || payload.length > MAX_MESSAGE_BYTES) return false;
    const slot = this.queue[(this.head + this.count) % MESH_QUEUE_LIMIT];
    slot.from = from;
    slot.to = to;
    slot.length = payload.length;
    slot.payload.set(payload);
    slot.queuedMs = performance.now();
    this.count++;
    return true;
  }

  /** Delivers the oldest queued message (or drops it when `live` is false or its target is gone); returns how many were taken. */
  deliverNext(live: boolean): number {
    if (this.count === 0) return 0;
    const slot = this.queue[this.head];
    this.head = (this.head + 1) % MESH_QUEUE_LIMIT;
    this.count--;
    const link = this.link(slot.from, slot.to);
    const target = this.lookup(slot.to);
    if (!live || target === undefined || !target.running) {
      link.dropped++;
      return 1;
    }
    link.delivered++;
    const latencyUs = Math.round((performance.now() - slot.queuedMs) * 1000);
    link.latencyUsLast = latencyUs;
    if (latencyUs > link.latencyUsMax) link.latencyUsMax = latencyUs;
    this.deliver(slot);
    return 1;
  }

  links(): LinkStats[] {
    return [...this.stats.values()].flatMap((targets) => [...targets.values()]);
  }

  private link(from: string, to: string): LinkStats {
    let targets = this.stats.get(from);
    if (targets === undefined) {
      targets = new Map();
      this.stats.set(from, targets);
    }
    let s = targets.get(to);
    if (s === undefined) {
      s = { from, to, sent: 0, delivered: 0, dropped: 0, latencyUsLast: 0, latencyUsMax: 0 };
      targets.set(to, s);
    }
    return s;
  }
}
