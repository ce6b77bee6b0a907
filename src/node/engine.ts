import { NodeRole, OrderType, RejectCode } from '../wasm/abi.ts';
import { AlgoInstance, type InstanceHost } from '../wasm/algoInstance.ts';
import type { LoadedBundle } from '../wasm/loader.ts';
import { writeBook, writeFill, writeNbbo, writeReject, writeState, type NbboFields, type OpenOrderFields, type StateFields } from '../wasm/structs.ts';
import type { L2Book } from '../venues/book.ts';
import type { OrderRequest, Side, Venue, VenueOrderEvent } from '../venues/venue.ts';
import type { DeploymentConfig, NodeConfig } from './configTypes.ts';
import { MeshRouter, type MeshDelivery } from './meshRouter.ts';
import { Oms, type Order } from './oms.ts';
import { paramsText } from './paramsText.ts';
import type { Position } from './position.ts';
import { checkOrder } from './riskGate.ts';
import type { EventSink } from './nodeEvent.ts';
import type { TradingMessage } from './tradingMessage.ts';

/** One deployment as it runs: its algorithm instance, venue and symbols. */
export interface RunningDeployment {
  config: DeploymentConfig;
  label: string;
  venue: Venue;
  venueIndex: number;
  algo: AlgoInstance;
  /** Symbol id (the node-wide u16 in L2Book.symbol_id) per symbol of the deployment. */
  symbolIds: Map<string, number>;
  primarySymbol: string;
  positions: Map<string, Position>;
}

export type EnginePhase = 'starting' | 'trading' | 'shutdown' | 'stopped';

export interface ShutdownReport {
  openOrders: number;
  timedOut: boolean;
}

const MAX_INTERNAL_PER_TURN = 10_000;
const HEARTBEAT_MS = 1000;

/**
 * The node's core loop: venue books go to the subscribed algorithm instances, their
 * actions pass the risk and halt gate, become trading messages applied to the OMS, and
 * leave for the venue; venue order events come back the same way as fills and rejects.
 * Everything runs on one thread, one event at a time; a callback's follow-ups (node
 * rejects, mesh messages) are queued and delivered after it returns, never re-entrantly.
 */
export class Engine {
  phase: EnginePhase = 'starting';
  halted = false;
  readonly oms = new Oms();
  readonly mesh: MeshRouter;
  readonly deployments: RunningDeployment[] = [];
  private readonly byLabel = new Map<string, RunningDeployment>();
  private readonly venues: Venue[];
  private readonly subscribers: Map<string, RunningDeployment[]>[];
  private readonly symbolIds = new Map<string, number>();
  private readonly marks: Map<string, number>[];
  private readonly tops: Map<string, Float64Array>[];
  private readonly nbbo = new Map<string, NbboFields>();
  private readonly nbboDirty = new Set<string>();
  private nbboScheduled = false;
  private readonly rejectQueue: { d: RunningDeployment; idLo: number; idHi: number; code: number }[] = [];
  private readonly stateOrders: OpenOrderFields[] = [];
  private readonly stateFields: StateFields = {
    position1e8: 0,
    avgEntry1e9: 0,
    realizedPnl1e9: 0,
    unrealizedPnl1e9: 0,
    sessionPnl1e9: 0,
    totalFillCount: 0,
    nodeRole: NodeRole.Leader,
    halted: false,
  };
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private draining = false;

  constructor(
    readonly config: NodeConfig,
    venues: Venue[],
    bundles: Map<string, LoadedBundle>,
    private readonly sink: EventSink,
    private readonly clockNs: () => number,
  ) {
    this.venues = venues;
    this.subscribers = venues.map(() => new Map());
    this.marks = venues.map(() => new Map());
    this.tops = venues.map(() => new Map());
    const allSymbols = [...new Set(config.deployments.flatMap((d) => d.symbols))].sort();
    allSymbols.forEach((s, i) => this.symbolIds.set(s, i));
    const host: InstanceHost = {
      nowNs: () => this.clockNs(),
      log: (instance, level, line) => this.sink.emit({ type: 'log', label: instance.label, level, line }),
      aborted: (instance, reason) => this.onAborted(instance, reason),
    };
    for (const dc of config.deployments) {
      const venueIndex = venues.findIndex((v) => v.name === dc.venue);
      const venue = venues[venueIndex];
      const bundle = bundles.get(dc.label);
      if (bundle === undefined) throw new Error(`no bundle loaded for deployment ${dc.label}`);
      const algo = new AlgoInstance(dc.label, bundle, dc.callbackDeadlineMs, host);
      const d: RunningDeployment = {
        config: dc,
        label: dc.label,
        venue,
        venueIndex,
        algo,
        symbolIds: new Map(dc.symbols.map((s) => [s, this.symbolIds.get(s) as number])),
        primarySymbol: dc.symbols[0],
        positions: new Map(dc.symbols.map((s) => [s, this.oms.position(dc.label, s)])),
      };
      this.deployments.push(d);
      this.byLabel.set(d.label, d);
      for (const symbol of dc.symbols) {
        const subs = this.subscribers[venueIndex].get(symbol) ?? [];
        subs.push(d);
        this.subscribers[venueIndex].set(symbol, subs);
      }
    }
    this.mesh = new MeshRouter((label) => this.byLabel.get(label)?.algo, (delivery) => this.deliverMessage(delivery));
  }

  /** Hands each instance its params and role, then starts the venues; books flow after this resolves. */
  async start(): Promise<void> {
    for (const d of this.deployments) {
      d.algo.init(paramsText(d.config.params));
      d.algo.onNodeStatus(NodeRole.Bootstrap);
      d.algo.onNodeStatus(NodeRole.Leader);
      this.sink.emit({ type: 'instance', label: d.label, venue: d.venue.name, status: d.algo.status, exports: d.algo.bundle.abiExports });
    }
    this.phase = 'trading';
    for (let i = 0; i < this.venues.length; i++) {
      const venueIndex = i;
      await this.venues[i].start({
        onBook: (book) => this.onBook(venueIndex, book),
        onOrderEvent: (event) => this.onOrderEvent(event),
      });
    }
    this.heartbeatTimer = setInterval(() => this.onHeartbeat(), HEARTBEAT_MS);
  }

  /** The mark price (mid) of a symbol on a venue, px_1e9; 0 before its first book. */
  mark(venueName: string, symbol: string): number {
    const i = this.venues.findIndex((v) => v.name === venueName);
    return i < 0 ? 0 : (this.marks[i].get(symbol) ?? 0);
  }

  deployment(label: string): RunningDeployment | undefined {
    return this.byLabel.get(label);
  }

  // ---- market data -------------------------------------------------------------------

  private onBook(venueIndex: number, book: L2Book): void {
    if (!book.valid || this.phase !== 'trading') return;
    this.marks[venueIndex].set(book.symbol, book.mid());
    this.updateTop(venueIndex, book);
    const subs = this.subscribers[venueIndex].get(book.symbol);
    if (subs === undefined) return;
    for (let i = 0; i < subs.length; i++) {
      const d = subs[i];
      if (!d.algo.running) continue;
      writeBook(d.algo.mem, d.algo.bookPtr, book, d.symbolIds.get(book.symbol) as number);
      this.writeStateFor(d, book.symbol);
      if (d.algo.onBook()) this.processActions(d, book.symbol);
      this.mesh.collect(d);
    }
    this.drain();
  }

  private updateTop(venueIndex: number, book: L2Book): void {
    let top = this.tops[venueIndex].get(book.symbol);
    if (top === undefined) {
      top = new Float64Array(4);
      this.tops[venueIndex].set(book.symbol, top);
    }
    const bidPx = book.bidCount > 0 ? book.bidPx[0] : 0;
    const bidSz = book.bidCount > 0 ? book.bidSz[0] : 0;
    const askPx = book.askCount > 0 ? book.askPx[0] : 0;
    const askSz = book.askCount > 0 ? book.askSz[0] : 0;
    if (top[0] === bidPx && top[1] === bidSz && top[2] === askPx && top[3] === askSz) return;
    top[0] = bidPx;
    top[1] = bidSz;
    top[2] = askPx;
    top[3] = askSz;
    this.nbboDirty.add(book.symbol);
    if (!this.nbboScheduled) {
      this.nbboScheduled = true;
      setImmediate(() => this.publishNbbo());
    }
  }

  /** Coalesced: a burst of book updates gives each subscriber one call with the latest state. */
  private publishNbbo(): void {
    this.nbboScheduled = false;
    if (this.phase !== 'trading') return;
    for (const symbol of this.nbboDirty) {
      const next = this.computeNbbo(symbol);
      const prev = this.nbbo.get(symbol);
      if (prev !== undefined && prev.bidPx1e9 === next.bidPx1e9 && prev.askPx1e9 === next.askPx1e9 && prev.bidSz1e8 === next.bidSz1e8 && prev.askSz1e8 === next.askSz1e8) continue;
      this.nbbo.set(symbol, next);
      for (const d of this.deployments) {
        if (!d.algo.running || !d.algo.has.nbbo || !d.symbolIds.has(symbol)) continue;
        writeNbbo(d.algo.mem, d.algo.nbboPtr, next);
        this.writeStateFor(d, symbol);
        if (d.algo.onNbbo()) this.processActions(d, symbol);
        this.mesh.collect(d);
      }
    }
    this.nbboDirty.clear();
    this.drain();
  }

  private computeNbbo(symbol: string): NbboFields {
    const n: NbboFields = { bidPx1e9: 0, bidSz1e8: 0, askPx1e9: 0, askSz1e8: 0, bidVenue: 0, askVenue: 0, symbolId: this.symbolIds.get(symbol) ?? 0, recvNs: this.clockNs(), venueCount: 0 };
    for (let i = 0; i < this.venues.length; i++) {
      const top = this.tops[i].get(symbol);
      if (top === undefined) continue;
      n.venueCount++;
      if (top[0] > n.bidPx1e9) {
        n.bidPx1e9 = top[0];
        n.bidSz1e8 = top[1];
        n.bidVenue = this.venues[i].venueId;
      }
      if (top[2] > 0 && (n.askPx1e9 === 0 || top[2] < n.askPx1e9)) {
        n.askPx1e9 = top[2];
        n.askSz1e8 = top[3];
        n.askVenue = this.venues[i].venueId;
      }
    }
    return n;
  }

  private onHeartbeat(): void {
    if (this.phase !== 'trading') return;
    for (const d of this.deployments) {
      if (!d.algo.running || !d.algo.has.heartbeat) continue;
      this.writeStateFor(d, d.primarySymbol);
      if (d.algo.onHeartbeat()) this.processActions(d, d.primarySymbol);
      this.mesh.collect(d);
    }
    this.drain();
  }

  // ---- algorithm state and actions ---------------------------------------------------

  private writeStateFor(d: RunningDeployment, symbol: string): void {
    const position = d.positions.get(symbol) as Position;
    const mark = this.marks[d.venueIndex].get(symbol) ?? 0;
    const f = this.stateFields;
    f.position1e8 = position.qty1e8;
    f.avgEntry1e9 = position.avgEntry1e9();
    f.realizedPnl1e9 = position.realizedPnl1e9();
    f.unrealizedPnl1e9 = position.unrealizedPnl1e9(mark);
    f.sessionPnl1e9 = f.realizedPnl1e9 + f.unrealizedPnl1e9;
    f.totalFillCount = position.fillCount;
    f.halted = this.halted;
    const live = this.oms.liveOrders(d.label);
    let n = 0;
    for (let i = 0; i < live.length; i++) {
      const o = live[i];
      // A replaced order still dying at the venue is not shown: the algorithm sees its id once, as the new order.
      if (o.symbol !== symbol || this.oms.liveByAlgoOrderId(d.label, o.algoOrderId) !== o) continue;
      this.stateOrders[n++] = o;
    }
    writeState(d.algo.mem, d.algo.statePtr, f, this.stateOrders, n, d.venue.symbolMeta(symbol));
  }

  private processActions(d: RunningDeployment, symbol: string): void {
    const a = d.algo.actions;
    for (let i = 0; i < a.count; i++) {
      if (a.isCancel[i] === 1) {
        const order = this.oms.liveByAlgoOrderId(d.label, a.orderId[i]);
        if (order !== undefined) this.requestCancel(order);
        continue;
      }
      if (this.phase !== 'trading') {
        this.sink.emit({ type: 'ignored', label: d.label, reason: 'new orders are not accepted during shutdown' });
        continue;
      }
      const orderId = a.orderId[i];
      if (Number.isNaN(orderId)) {
        this.nodeReject(d, a.orderIdLo[i], a.orderIdHi[i], RejectCode.InvalidParams, 'order ids must be below 2^53');
        continue;
      }
      const side = a.side[i] as Side;
      const px1e9 = a.px1e9[i];
      const qty1e8 = a.qty1e8[i];
      const orderType = a.orderType[i] as OrderType;
      const replacing = this.oms.liveByAlgoOrderId(d.label, orderId);
      const orderSymbol = replacing === undefined ? symbol : replacing.symbol;
      if (replacing !== undefined && !replacing.cancelRequested && replacing.side === side && replacing.px1e9 === px1e9 && replacing.qty1e8 === qty1e8 && replacing.orderType === orderType) {
        continue;
      }
      const verdict = checkOrder(
        { side, px1e9, qty1e8, orderType },
        d.config.risk,
        this.halted,
        d.positions.get(orderSymbol) ?? this.oms.position(d.label, orderSymbol),
        this.oms.liveOrders(d.label),
        replacing,
        this.marks[d.venueIndex].get(orderSymbol) ?? 0,
      );
      if (verdict.code !== 0) {
        this.nodeReject(d, a.orderIdLo[i], a.orderIdHi[i], verdict.code, verdict.reason);
        continue;
      }
      this.sendOrder(d, orderSymbol, orderId, side, px1e9, qty1e8, orderType, replacing);
    }
  }

  private sendOrder(d: RunningDeployment, symbol: string, algoOrderId: number, side: Side, px1e9: number, qty1e8: number, orderType: OrderType, replacing: Order | undefined): void {
    const clientOrderId = `${d.label}.${algoOrderId}.${this.oms.requests + 1}`;
    if (replacing !== undefined && !replacing.cancelRequested) this.requestCancel(replacing);
    this.commit({
      kind: 'order',
      tsNs: this.clockNs(),
      label: d.label,
      venue: d.venue.name,
      symbol,
      algoOrderId,
      clientOrderId,
      side,
      px1e9,
      qty1e8,
      orderType,
      replaces: replacing?.clientOrderId ?? '',
    });
    const request: OrderRequest = { clientOrderId, symbol, side, px1e9, qty1e8, type: orderType };
    d.venue.place(request);
  }

  private requestCancel(order: Order): void {
    if (order.cancelRequested) return;
    this.commit({ kind: 'cancelRequest', tsNs: this.clockNs(), clientOrderId: order.clientOrderId });
    const d = this.byLabel.get(order.label);
    d?.venue.cancel(order.clientOrderId, order.symbol);
  }

  private nodeReject(d: RunningDeployment, idLo: number, idHi: number, code: number, reason: string): void {
    const algoOrderId = idHi * 4294967296 + idLo;
    this.commit({ kind: 'nodeReject', tsNs: this.clockNs(), label: d.label, algoOrderId, code: code as RejectCode, reason });
    this.rejectQueue.push({ d, idLo, idHi, code });
  }

  // ---- venue order events ------------------------------------------------------------

  private onOrderEvent(event: VenueOrderEvent): void {
    const outcome = this.commit(event);
    if (outcome.kind === 'fill') {
      const d = this.byLabel.get(outcome.order.label);
      if (d !== undefined && d.algo.running) {
        writeFill(d.algo.mem, d.algo.fillPtr, outcome.order.algoOrderId, outcome.px1e9, outcome.qty1e8, outcome.order.side, outcome.tsNs);
        this.writeStateFor(d, outcome.order.symbol);
        d.algo.onFill();
        this.mesh.collect(d);
      }
    } else if (outcome.kind === 'reject') {
      const d = this.byLabel.get(outcome.order.label);
      if (d !== undefined && d.algo.running) {
        const id = outcome.order.algoOrderId;
        writeReject(d.algo.mem, d.algo.rejectPtr, id % 4294967296, Math.floor(id / 4294967296), outcome.code);
        d.algo.onReject();
        this.mesh.collect(d);
      }
    } else if (outcome.kind === 'anomaly') {
      this.sink.emit({ type: 'anomaly', reason: outcome.reason });
    }
    this.drain();
  }

  // ---- the single state transition ---------------------------------------------------

  /** Applies one trading message to the OMS and reports it. The journal's write-ahead append joins here. */
  private commit(message: TradingMessage) {
    const outcome = this.oms.apply(message);
    this.sink.trading(message);
    return outcome;
  }

  // ---- follow-ups: node rejects and mesh messages -----------------------------------

  private deliverMessage(delivery: MeshDelivery): void {
    const d = this.byLabel.get(delivery.to) as RunningDeployment;
    this.writeStateFor(d, d.primarySymbol);
    if (d.algo.onMessage(delivery.from, delivery.payload, delivery.length)) this.processActions(d, d.primarySymbol);
    this.mesh.collect(d);
  }

  /** Delivers queued follow-ups after the callback that caused them; bounded per turn so two chatty instances cannot starve the venues. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    let budget = MAX_INTERNAL_PER_TURN;
    while (budget > 0 && (this.rejectQueue.length > 0 || this.mesh.pending > 0)) {
      const reject = this.rejectQueue.shift();
      if (reject !== undefined) {
        budget--;
        const d = reject.d;
        if (!d.algo.running) continue;
        writeReject(d.algo.mem, d.algo.rejectPtr, reject.idLo, reject.idHi, reject.code);
        d.algo.onReject();
        this.mesh.collect(d);
        continue;
      }
      budget -= this.mesh.deliverNext(this.phase === 'trading');
    }
    this.draining = false;
    if (this.rejectQueue.length > 0 || this.mesh.pending > 0) setImmediate(() => this.drain());
  }

  // ---- aborts and shutdown -----------------------------------------------------------

  private onAborted(instance: AlgoInstance, reason: string): void {
    this.sink.emit({ type: 'instance', label: instance.label, status: 'aborted', reason });
    for (const order of [...this.oms.liveOrders(instance.label)]) this.requestCancel(order);
  }

  /**
   * Graceful shutdown: each instance gets on_shutdown and may cancel; then, when
   * configured, the node cancels whatever is still open; then it waits for the venues to
   * confirm, up to the configured timeout. Nothing new is sent after this starts.
   */
  async shutdown(): Promise<ShutdownReport> {
    if (this.phase !== 'trading' && this.phase !== 'starting') return { openOrders: this.oms.liveCount, timedOut: false };
    this.phase = 'shutdown';
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    for (const d of this.deployments) {
      if (!d.algo.running) continue;
      this.writeStateFor(d, d.primarySymbol);
      if (d.algo.onShutdown()) this.processActions(d, d.primarySymbol);
    }
    if (this.config.node.cancelOnShutdown) {
      for (const order of [...this.oms.allLiveOrders()]) this.requestCancel(order);
    }
    const deadline = performance.now() + this.config.node.shutdownTimeoutMs;
    while (this.pendingCancels() > 0 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const openOrders = this.oms.liveCount;
    const timedOut = this.pendingCancels() > 0;
    this.phase = 'stopped';
    for (const venue of this.venues) await venue.stop();
    return { openOrders, timedOut };
  }

  private pendingCancels(): number {
    let n = 0;
    for (const order of this.oms.allLiveOrders()) {
      const inFlight = order.orderType !== OrderType.Limit && order.orderType !== OrderType.PostOnly;
      if (order.cancelRequested || inFlight) n++;
    }
    return n;
  }
}
