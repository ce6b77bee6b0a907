import { OrderStatus, type OrderType } from '../wasm/abi.ts';
import type { Side } from '../venues/venue.ts';
import { Position, type PositionSnapshot } from './position.ts';
import type { TradingMessage } from './tradingMessage.ts';

/** One order as the OMS knows it. */
export interface Order {
  clientOrderId: string;
  label: string;
  venue: string;
  symbol: string;
  algoOrderId: number;
  side: Side;
  px1e9: number;
  qty1e8: number;
  filled1e8: number;
  orderType: OrderType;
  status: OrderStatus;
  venueOrderId: string;
  cancelRequested: boolean;
  /** Fill ids applied to this order, so a fill repeated by the venue is applied once. */
  fillIds: Set<string>;
}

/** What applying one message did, for the node to tell the algorithm. */
export type ApplyOutcome =
  | { kind: 'none' }
  | { kind: 'fill'; order: Order; px1e9: number; qty1e8: number; tsNs: number }
  | { kind: 'reject'; order: Order; code: number; reason: string }
  | { kind: 'dead'; order: Order }
  | { kind: 'anomaly'; reason: string };

/** Everything the OMS holds, as plain data (order fill ids as arrays). */
export interface OmsSnapshot {
  requestCount: number;
  anomalies: number;
  live: (Omit<Order, 'fillIds'> & { fillIds: string[] })[];
  recentDead: (Omit<Order, 'fillIds'> & { fillIds: string[] })[];
  /** [label, algorithm order id, client order id] of each algorithm id's newest live order. */
  byAlgoId: [string, number, string][];
  positions: [string, PositionSnapshot][];
}

const NONE: ApplyOutcome = { kind: 'none' };
const RECENT_DEAD_LIMIT = 4096;

/**
 * Orders and positions of every instance. State changes only through `apply`, so the same
 * sequence of trading messages always rebuilds the same state (live, from a journal
 * replay, or while tailing as a Follower).
 */
export class Oms {
  private readonly live = new Map<string, Order>();
  /** Recently dead orders, kept (bounded) so late events for them are recognised. */
  private readonly recentDead = new Map<string, Order>();
  /** Per label: the algorithm's order id -> its newest live order. */
  private readonly byAlgoId = new Map<string, Map<number, Order>>();
  /** Per label: every live order, including ones being replaced. */
  private readonly liveByLabel = new Map<string, Order[]>();
  private readonly positions = new Map<string, Position>();
  private requestCount = 0;
  anomalies = 0;

  /** How many order requests have been applied; client order ids are derived from it. */
  get requests(): number {
    return this.requestCount;
  }

  apply(message: TradingMessage): ApplyOutcome {
    switch (message.kind) {
      case 'order':
        return this.applyOrder(message);
      case 'cancelRequest': {
        const order = this.live.get(message.clientOrderId);
        if (order !== undefined) order.cancelRequested = true;
        return NONE;
      }
      case 'nodeReject':
        return NONE;
      case 'ack': {
        const order = this.live.get(message.clientOrderId);
        if (order === undefined) return this.anomaly(`ack for unknown order ${message.clientOrderId}`);
        order.venueOrderId = message.venueOrderId;
        if (order.status === OrderStatus.Pending) order.status = OrderStatus.Acked;
        return NONE;
      }
      case 'fill':
        return this.applyFill(message.clientOrderId, message.fillId, message.px1e9, message.qty1e8, message.fee1e9, message.tsNs);
      case 'reject': {
        const order = this.live.get(message.clientOrderId);
        if (order === undefined) return this.anomaly(`reject for unknown order ${message.clientOrderId}`);
        this.retire(order);
        return { kind: 'reject', order, code: message.code, reason: message.reason };
      }
      case 'canceled': {
        const order = this.live.get(message.clientOrderId);
        if (order === undefined) return this.recentDead.has(message.clientOrderId) ? NONE : this.anomaly(`cancel of unknown order ${message.clientOrderId}`);
        this.retire(order);
        return { kind: 'dead', order };
      }
      case 'cancelReject': {
        const order = this.live.get(message.clientOrderId);
        if (order !== undefined) order.cancelRequested = false;
        return NONE;
      }
      default:
        return NONE;
    }
  }

  snapshot(): OmsSnapshot {
    const plain = (o: Order) => ({ ...o, fillIds: [...o.fillIds] });
    const byAlgoId: [string, number, string][] = [];
    for (const [label, ids] of this.byAlgoId) for (const [id, order] of ids) byAlgoId.push([label, id, order.clientOrderId]);
    return {
      requestCount: this.requestCount,
      anomalies: this.anomalies,
      live: [...this.live.values()].map(plain),
      recentDead: [...this.recentDead.values()].map(plain),
      byAlgoId,
      positions: [...this.positions].map(([key, p]) => [key, p.snapshot()]),
    };
  }

  /** Replaces this OMS's state with a snapshot's (on a fresh OMS, at Bootstrap). */
  restore(s: OmsSnapshot): void {
    this.requestCount = s.requestCount;
    this.anomalies = s.anomalies;
    this.live.clear();
    this.recentDead.clear();
    this.byAlgoId.clear();
    this.liveByLabel.clear();
    for (const o of s.live) {
      const order: Order = { ...o, fillIds: new Set(o.fillIds) };
      this.live.set(order.clientOrderId, order);
      const list = this.liveByLabel.get(order.label) ?? [];
      list.push(order);
      this.liveByLabel.set(order.label, list);
    }
    for (const o of s.recentDead) this.recentDead.set(o.clientOrderId, { ...o, fillIds: new Set(o.fillIds) });
    for (const [label, id, clientOrderId] of s.byAlgoId) {
      const order = this.live.get(clientOrderId);
      if (order === undefined) continue;
      const ids = this.byAlgoId.get(label) ?? new Map<number, Order>();
      ids.set(id, order);
      this.byAlgoId.set(label, ids);
    }
    for (const [key, p] of s.positions) {
      const [label, symbol] = key.split('\u0000');
      this.position(label, symbol).restore(p);
    }
  }

  order(clientOrderId: string): Order | undefined {
    return this.live.get(clientOrderId) ?? this.recentDead.get(clientOrderId);
  }

  /** The newest live order the algorithm knows by this id, if any. */
  liveByAlgoOrderId(label: string, algoOrderId: number): Order | undefined {
    return this.byAlgoId.get(label)?.get(algoOrderId);
  }

  /** Every live order of an instance (the array is owned by the OMS: do not keep it). */
  liveOrders(label: string): readonly Order[] {
    return this.liveByLabel.get(label) ?? EMPTY;
  }

  allLiveOrders(): IterableIterator<Order> {
    return this.live.values();
  }

  get liveCount(): number {
    return this.live.size;
  }

  position(label: string, symbol: string): Position {
    const key = label + '\u0000' + symbol;
    let p = this.positions.get(key);
    if (p === undefined) {
      p = new Position();
      this.positions.set(key, p);
    }
    return p;
  }

  private applyOrder(m: Extract<TradingMessage, { kind: 'order' }>): ApplyOutcome {
    this.requestCount++;
    if (this.live.has(m.clientOrderId) || this.recentDead.has(m.clientOrderId)) {
      return this.anomaly(`duplicate client order id ${m.clientOrderId}`);
    }
    if (m.replaces !== '') {
      const old = this.live.get(m.replaces);
      if (old !== undefined) old.cancelRequested = true;
    }
    const order: Order = {
      clientOrderId: m.clientOrderId,
      label: m.label,
      venue: m.venue,
      symbol: m.symbol,
      algoOrderId: m.algoOrderId,
      side: m.side,
      px1e9: m.px1e9,
      qty1e8: m.qty1e8,
      filled1e8: 0,
      orderType: m.orderType,
      status: OrderStatus.Pending,
      venueOrderId: '',
      cancelRequested: false,
      fillIds: new Set(),
    };
    this.live.set(order.clientOrderId, order);
    let ids = this.byAlgoId.get(m.label);
    if (ids === undefined) {
      ids = new Map();
      this.byAlgoId.set(m.label, ids);
    }
    ids.set(m.algoOrderId, order);
    let list = this.liveByLabel.get(m.label);
    if (list === undefined) {
      list = [];
      this.liveByLabel.set(m.label, list);
    }
    list.push(order);
    return NONE;
  }

  private applyFill(clientOrderId: string, fillId: string, px1e9: number, qty1e8: number, fee1e9: number, tsNs: number): ApplyOutcome {
    const order = this.live.get(clientOrderId) ?? this.recentDead.get(clientOrderId);
    if (order === undefined) return this.anomaly(`fill ${fillId} for unknown order ${clientOrderId}`);
    if (order.fillIds.has(fillId)) return NONE;
    const remaining = order.qty1e8 - order.filled1e8;
    if (qty1e8 <= 0 || qty1e8 > remaining) {
      return this.anomaly(`fill ${fillId} of ${qty1e8} on order ${clientOrderId} with ${remaining} remaining`);
    }
    order.fillIds.add(fillId);
    order.filled1e8 += qty1e8;
    this.position(order.label, order.symbol).applyFill(order.side, px1e9, qty1e8, fee1e9);
    if (order.filled1e8 === order.qty1e8) {
      if (this.live.has(clientOrderId)) this.retire(order);
    } else if (order.status !== OrderStatus.Dead) {
      order.status = OrderStatus.Partial;
    }
    return { kind: 'fill', order, px1e9, qty1e8, tsNs };
  }

  private retire(order: Order): void {
    order.status = OrderStatus.Dead;
    this.live.delete(order.clientOrderId);
    const ids = this.byAlgoId.get(order.label);
    if (ids !== undefined && ids.get(order.algoOrderId) === order) ids.delete(order.algoOrderId);
    const list = this.liveByLabel.get(order.label);
    if (list !== undefined) {
      const i = list.indexOf(order);
      if (i >= 0) list.splice(i, 1);
    }
    this.recentDead.set(order.clientOrderId, order);
    if (this.recentDead.size > RECENT_DEAD_LIMIT) {
      const oldest = this.recentDead.keys().next().value as string;
      this.recentDead.delete(oldest);
    }
  }

  private anomaly(reason: string): ApplyOutcome {
    this.anomalies++;
    return { kind: 'anomaly', reason };
  }
}

const EMPTY: readonly Order[] = [];
