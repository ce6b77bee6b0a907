import { NodeRole, OrderStatus, OrderType, RejectCode } from '../wasm/abi.ts';
import { AlgoInstance, type InstanceHost } from '../wasm/algoInstance.ts';
import { liveBudget, replayBudget } from '../wasm/fuelBudget.ts';
import type { LoadedBundle } from '../wasm/loader.ts';
import { writeBook, writeFill, writeNbbo, writeReject, writeState, type NbboFields, type OpenOrderFields, type StateFields } from '../wasm/structs.ts';
import type { L2Book } from '../venues/book.ts';
import { UNKNOWN_META, VenueStartError, type ConnectionState, type OrderRequest, type Side, type Venue, type VenueHealth, type VenueOrderEvent, type VenueStatus } from '../venues/venue.ts';
import { CancelTracker, type CancelOutcome } from './cancelTracker.ts';
import type { DeploymentConfig, LiveVenueSettings, NodeConfig } from './configTypes.ts';
import { CoreState } from './coreState.ts';
import { formatDecimalShort, PX_DECIMALS } from './fixedPoint.ts';
import { latencyTrace, Stage } from './latencyTrace.ts';
import { crashPoint } from './crashPoint.ts';
import { DailyLoss } from './dailyLoss.ts';
import type { DeployPlan } from './deployPlan.ts';
import { HaltMonitor } from './haltMonitor.ts';
import { MeshRouter, type MeshDelivery } from './meshRouter.ts';
import type { MeshNbbo, MeshTop } from './mesh/meshProtocol.ts';
import { NbboAggregator } from './mesh/nbboAggregator.ts';
import type { RemoteMesh } from './remoteMesh.ts';
import type { EventSink } from './nodeEvent.ts';
import type { ApplyOutcome, Order } from './oms.ts';
import { paramsText } from './paramsText.ts';
import { Position } from './position.ts';
import { RateWindow } from './rateWindow.ts';
import { checkOrder, type OrderContext } from './riskGate.ts';
import type { TradingMessage } from './tradingMessage.ts';
import type { NodeRoleName } from '../tui/viewModel.ts';

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
  orderRate: RateWindow;
  dailyLoss: DailyLoss;
}

export type EnginePhase = 'starting' | 'trading' | 'shutdown' | 'stopped';

export interface ShutdownReport {
  openOrders: number;
  timedOut: boolean;
}

export interface HaltReport {
  /** It was already halted: the halt is not recorded again (cancels are still sent when asked). */
  alreadyHalted: boolean;
  /** With cancel all: how each open order's cancel ended. */
  cancels: CancelOutcome[];
}

/** Per-venue facts the node watches: trading status and market-data freshness. */
export interface VenueState {
  status: VenueStatus;
  connection: ConnectionState;
  /** A reconciliation with this venue is running; `again` asks for one more when it ends. */
  reconciling: boolean;
  again: boolean;
  /** Wall ms of the newest book; 0 before any. */
  lastDataMs: number;
}

/**
 * Where committed trading messages go before they take effect: the journal, written
 * ahead. `append` throws when the message cannot be recorded (a fenced term, a full disk).
 */
export interface TradingLog {
  /** Records the messages, in order, all or none. */
  append(messages: readonly TradingMessage[]): void;
  /** Unique to this log (Journal.idTag): in every client order id, so no two logs' ids meet at a venue. */
  readonly idTag: string;
}

/** The order path asks this before every send: false once the lease can no longer be trusted. */
export type MaySend = () => boolean;

/**
 * The time the engine's windows read (order rate, reject rate, data staleness, the UTC day
 * of the daily loss) and the runner of its periodic checks (heartbeat, health). Live it is
 * the wall clock and timers; a replay passes its recording's clock, advanced by its
 * driver, so these follow the recording as they would have followed the wall.
 */
export interface EngineTime {
  /** True in a replay: callbacks are then bounded by fixed fuel alone, so the result does not depend on the machine. */
  readonly deterministic: boolean;
  nowMs(): number;
  /** Calls `fn` every `periodMs` until the returned function is called. */
  every(periodMs: number, fn: () => void): () => void;
}

export const wallTime: EngineTime = {
  deterministic: false,
  // The venues' data times (VenueHealth.currentAtMs) count on this same clock: the process's
  // start plus the monotonic clock, which a step of the system clock does not move.
  nowMs: () => Math.floor(performance.timeOrigin + performance.now()),
  every: (periodMs, fn) => {
    const timer = setInterval(fn, periodMs);
    return () => clearInterval(timer);
  },
};

const MAX_INTERNAL_PER_TURN = 10_000;
const HEARTBEAT_MS = 1000;
const MONITOR_MS = 250;

/**
 * The node's core loop: venue books go to the subscribed algorithm instances, their
 * actions pass the risk and halt gate, become trading messages applied to the core state,
 * and leave for the venue; venue order events come back the same way as fills and
 * rejects. Everything runs on one thread, one event at a time; a callback's follow-ups
 * (node rejects, mesh messages) are queued and delivered after it returns, never
 * re-entrantly.
 */
export class Engine {
  phase: EnginePhase = 'starting';
  role: NodeRoleName = 'bootstrap';
  /** While replaying (Bootstrap, Follower): the record's time, which host_now_ns returns. */
  private replayTsNs = -1;
  readonly core = new CoreState();
  readonly mesh: MeshRouter;
  readonly deployments: RunningDeployment[] = [];
  readonly venueStates: VenueState[];
  private readonly byLabel = new Map<string, RunningDeployment>();
  private readonly venues: Venue[];
  private readonly subscribers: Map<string, RunningDeployment[]>[];
  private readonly symbolIds = new Map<string, number>();
  private readonly marks: Map<string, number>[];
  /** The venue's own latest book object per symbol (kept by reference, never copied), for the UI. */
  private readonly books: Map<string, L2Book>[];
  /** The cross-venue NBBO of this node's own venues (on a mesh, the coordinator's replaces it for the instances). */
  private readonly nbbo = new NbboAggregator();
  private remote: RemoteMesh | null = null;
  private readonly remoteNbbo = new Map<string, NbboFields>();
  /** `venueIndex:symbol` of the books refused as crossed until they uncross. */
  private readonly crossed = new Set<string>();
  private readonly top: MeshTop = { venueId: 0, venue: '', symbol: '', bidPx1e9: 0, bidSz1e8: 0, askPx1e9: 0, askSz1e8: 0 };
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
  private readonly orderContext: OrderContext;
  private readonly cancels = new CancelTracker();
  private readonly monitor: HaltMonitor;
  /** Stops the periodic checks. */
  private timers: (() => void)[] = [];
  private draining = false;
  /** This turn's committed messages and the venue requests waiting for them to be journaled. */
  private unwritten: TradingMessage[] = [];
  private waitingSends: (() => void)[] = [];
  private flushQueued = false;
  private journalBroken = false;
  private readonly host: InstanceHost;

  constructor(
    readonly config: NodeConfig,
    venues: Venue[],
    bundles: Map<string, LoadedBundle>,
    private readonly sink: EventSink,
    private readonly clockNs: () => number,
    private readonly log: TradingLog,
    private readonly maySend: MaySend = () => true,
    private readonly time: EngineTime = wallTime,
  ) {
    this.venues = venues;
    this.subscribers = venues.map(() => new Map());
    this.marks = venues.map(() => new Map());
    this.books = venues.map(() => new Map());
    this.venueStates = venues.map(() => ({ status: 'online', connection: 'connecting', reconciling: false, again: false, lastDataMs: 0 }));
    this.monitor = new HaltMonitor(config.haltTriggers);
    const allSymbols = [...new Set(config.deployments.flatMap((d) => d.symbols))].sort();
    allSymbols.forEach((s, i) => this.symbolIds.set(s, i));
    this.host = {
      nowNs: () => (this.replayTsNs >= 0 ? this.replayTsNs : this.clockNs()),
      log: (instance, level, line) => this.sink.emit({ type: 'log', label: instance.label, level, line }),
      aborted: (instance, reason) => this.onAborted(instance, reason),
    };
    for (const dc of config.deployments) {
      const bundle = bundles.get(dc.label);
      if (bundle === undefined) throw new Error(`no bundle loaded for deployment ${dc.label}`);
      this.addDeployment(dc, bundle);
    }
    this.orderContext = {
      limits: config.risk,
      halted: false,
      pauseCode: 0,
      position: new Position(),
      liveOrders: [],
      replacing: undefined,
      mark1e9: 0,
      meta: UNKNOWN_META,
      rateExceeded: false,
    };
    this.mesh = new MeshRouter((label) => this.byLabel.get(label)?.algo, (delivery) => this.deliverMessage(delivery));
  }

  /** Creates and subscribes an instance; its params and role come from prepare() or startDeployment(). */
  private addDeployment(dc: DeploymentConfig, bundle: LoadedBundle): RunningDeployment {
    const venueIndex = this.venues.findIndex((v) => v.name === dc.venue);
    for (const s of dc.symbols) if (!this.symbolIds.has(s)) this.symbolIds.set(s, this.symbolIds.size);
    const d: RunningDeployment = {
      config: dc,
      label: dc.label,
      venue: this.venues[venueIndex],
      venueIndex,
      algo: new AlgoInstance(dc.label, bundle, dc.callbackDeadlineMs, this.host, this.time.deterministic ? replayBudget(dc.callbackDeadlineMs) : liveBudget(dc.callbackDeadlineMs)),
      symbolIds: new Map(dc.symbols.map((s) => [s, this.symbolIds.get(s) as number])),
      primarySymbol: dc.symbols[0],
      positions: new Map(dc.symbols.map((s) => [s, this.core.oms.position(dc.label, s)])),
      orderRate: new RateWindow(dc.risk.maxOrdersPerSec),
      dailyLoss: new DailyLoss(),
    };
    this.deployments.push(d);
    this.byLabel.set(d.label, d);
    for (const symbol of dc.symbols) {
      const subs = this.subscribers[venueIndex].get(symbol) ?? [];
      subs.push(d);
      this.subscribers[venueIndex].set(symbol, subs);
    }
    return d;
  }

  // ---- redeploy --------------------------------------------------------------------

  /**
   * Applies a deployment plan to the running node (`sequence deploy`): stopped and
   * restarted instances get on_shutdown (their cancels are sent) and the node cancels
   * whatever they leave open; new and restarted ones start as the Leader's. Each change is
   * journaled. The caller has validated everything (config, venues, bundles) first.
   */
  redeploy(plan: DeployPlan, bundles: ReadonlyMap<string, LoadedBundle>): void {
    if (this.role !== 'leader' || this.phase !== 'trading') throw new EngineError(`this node is ${this.role} and ${this.phase}: deploy to a trading leader`);
    for (const label of plan.stop) this.retireDeployment(label, 'stop');
    for (const dc of plan.restart) {
      this.retireDeployment(dc.label, 'restart');
      this.startDeployment(dc, bundles.get(dc.label) as LoadedBundle, 'restart');
    }
    for (const dc of plan.start) this.startDeployment(dc, bundles.get(dc.label) as LoadedBundle, 'start');
    this.drain();
  }

  /** Why a deployment cannot run on this node as it is (its venue or symbols are not running here), or ''. */
  cannotRun(dc: DeploymentConfig): string {
    const venue = this.venues.find((v) => v.name === dc.venue);
    if (venue === undefined) return `deploy.${dc.name}: venue "${dc.venue}" is not running in this node; adding a venue needs a restart`;
    const missing = dc.symbols.filter((s) => !venue.symbols.includes(s));
    if (missing.length > 0) return `deploy.${dc.name}: venue "${dc.venue}" does not trade ${missing.join(', ')} in this node; adding markets needs a restart`;
    return '';
  }

  runningDeployments(): { config: DeploymentConfig; sha256: string }[] {
    return this.deployments.map((d) => ({ config: d.config, sha256: d.algo.bundle.sha256 }));
  }

  private startDeployment(dc: DeploymentConfig, bundle: LoadedBundle, action: 'start' | 'restart'): void {
    const d = this.addDeployment(dc, bundle);
    d.algo.init(paramsText(dc.params));
    d.algo.onNodeStatus(NodeRole.Leader);
    this.commit({ kind: 'deployment', tsNs: this.clockNs(), label: dc.label, venue: dc.venue, symbols: dc.symbols, bundleSha256: bundle.sha256, action });
    this.sink.emit({ type: 'instance', label: d.label, venue: d.venue.name, status: d.algo.status, exports: bundle.abiExports });
  }

  private retireDeployment(label: string, action: 'stop' | 'restart'): void {
    const d = this.byLabel.get(label);
    if (d === undefined) return;
    if (d.algo.running) {
      this.writeStateFor(d, d.primarySymbol);
      if (d.algo.onShutdown()) {
        const a = d.algo.actions;
        for (let i = 0; i < a.count; i++) {
          const order = a.isCancel[i] === 1 ? this.oms.liveByAlgoOrderId(label, a.orderId[i]) : undefined;
          if (order !== undefined) this.requestCancel(order);
        }
      }
    }
    for (const order of [...this.oms.liveOrders(label)]) this.requestCancel(order);
    this.deployments.splice(this.deployments.indexOf(d), 1);
    this.byLabel.delete(label);
    for (const symbol of d.config.symbols) {
      const subs = this.subscribers[d.venueIndex].get(symbol) ?? [];
      subs.splice(subs.indexOf(d), 1);
    }
    if (action === 'stop') {
      this.commit({ kind: 'deployment', tsNs: this.clockNs(), label, venue: d.config.venue, symbols: d.config.symbols, bundleSha256: d.algo.bundle.sha256, action });
      this.sink.emit({ type: 'instance', label, status: 'stopped' });
    }
  }

  // ---- the mesh beyond this process ----------------------------------------------------

  /**
   * Puts this node on a mesh across processes: messages to labels hosted elsewhere go out
   * through it, and the cross-venue NBBO comes from its coordinator (which sees every
   * node's venues), so this node publishes its own tops there instead of computing one.
   */
  attachRemote(remote: RemoteMesh): void {
    this.remote = remote;
    this.mesh.remote = (from, to, payload) => remote.send(from, to, payload);
  }

  /** A message for an instance of this node, from an instance on another node. */
  receiveRemote(from: string, to: string, payload: Uint8Array): void {
    this.mesh.receive(from, to, payload);
    this.drain();
  }

  /** The mesh coordinator's NBBO for a symbol changed. */
  receiveRemoteNbbo(symbol: string, nbbo: MeshNbbo): void {
    const fields: NbboFields = { ...nbbo, symbolId: this.symbolIds.get(symbol) ?? 0, recvNs: this.clockNs() };
    this.remoteNbbo.set(symbol, fields);
    if (this.phase !== 'trading') return;
    this.tellNbbo(symbol, fields);
    this.drain();
  }

  /** The NBBO the instances see: the mesh coordinator's when on a mesh, else this node's own. */
  nbboOf(symbol: string): NbboFields | undefined {
    if (this.remote !== null) return this.remoteNbbo.get(symbol);
    const nbbo = this.nbbo.nbboOf(symbol);
    return nbbo === undefined ? undefined : { ...nbbo, symbolId: this.symbolIds.get(symbol) ?? 0, recvNs: 0 };
  }

  get oms() {
    return this.core.oms;
  }

  get halted(): boolean {
    return this.core.halt.halted;
  }

  /** Hands each instance its params and tells it the node is bootstrapping. */
  prepare(): void {
    for (const d of this.deployments) {
      d.algo.init(paramsText(d.config.params));
      d.algo.onNodeStatus(NodeRole.Bootstrap);
      this.sink.emit({ type: 'instance', label: d.label, venue: d.venue.name, status: d.algo.status, exports: d.algo.bundle.abiExports });
    }
  }

  /** A single node with nothing to replay: prepare and lead at once (tests, and the first run on a new data directory). */
  async start(term: number): Promise<void> {
    this.prepare();
    await this.lead(term);
  }

  /**
   * Applies one journaled message as Bootstrap or Follower: the state changes exactly as
   * it did live, and the algorithms get the same callbacks (fills, rejects, messages,
   * kill switch) with host_now_ns at the record's time, but whatever they answer is
   * discarded: only a Leader acts.
   */
  replay(message: TradingMessage): void {
    this.replayTsNs = message.tsNs;
    try {
      // Not reported as events: they happened before, and were reported then.
      const outcome = this.core.apply(message);
      this.replayCallbacks(message, outcome);
    } finally {
      this.replayTsNs = -1;
    }
  }

  private replayCallbacks(message: TradingMessage, outcome: ApplyOutcome): void {
    if (outcome.kind === 'fill') {
      const d = this.byLabel.get(outcome.order.label);
      if (d === undefined || !d.algo.running) return;
      writeFill(d.algo.mem, d.algo.fillPtr, outcome.order.algoOrderId, outcome.px1e9, outcome.qty1e8, outcome.order.side, outcome.tsNs);
      this.writeStateFor(d, outcome.order.symbol);
      d.algo.onFill();
    } else if (outcome.kind === 'reject' || message.kind === 'nodeReject') {
      const label = outcome.kind === 'reject' ? outcome.order.label : (message as { label: string }).label;
      const id = outcome.kind === 'reject' ? outcome.order.algoOrderId : (message as { algoOrderId: number }).algoOrderId;
      const code = outcome.kind === 'reject' ? outcome.code : (message as { code: number }).code;
      const d = this.byLabel.get(label);
      if (d === undefined || !d.algo.running) return;
      writeReject(d.algo.mem, d.algo.rejectPtr, id % 4294967296, Math.floor(id / 4294967296), code);
      d.algo.onReject();
    } else if (message.kind === 'mesh') {
      const d = this.byLabel.get(message.to);
      if (d === undefined || !d.algo.running) return;
      this.writeStateFor(d, d.primarySymbol);
      d.algo.onMessage(message.from, message.payload, message.payload.length);
    } else if (message.kind === 'halt' || message.kind === 'resume') {
      for (const d of this.deployments) {
        if (!d.algo.running || !d.algo.has.killSwitch) continue;
        this.writeStateFor(d, d.primarySymbol);
        d.algo.onKillSwitch(message.kind === 'halt');
      }
    }
  }

  /** Standby: the algorithms learn they follow; the node applies what the Leader journals and sends nothing. */
  follow(): void {
    this.role = 'follower';
    for (const d of this.deployments) d.algo.onNodeStatus(NodeRole.Follower);
  }

  /**
   * Becomes the Leader: reconciles the journal's open orders with the venues before any
   * algorithm may trade, then starts market data and the timers.
   */
  async lead(term: number): Promise<void> {
    this.role = 'leader';
    this.commit({ kind: 'role', tsNs: this.clockNs(), nodeId: this.config.node.id, role: 'leader', term });
    for (const d of this.deployments) {
      this.commit({ kind: 'deployment', tsNs: this.clockNs(), label: d.label, venue: d.venue.name, symbols: d.config.symbols, bundleSha256: d.algo.bundle.sha256, action: 'start' });
    }
    this.stateFields.nodeRole = NodeRole.Leader;
    for (const d of this.deployments) d.algo.onNodeStatus(NodeRole.Leader);
    // The day's loss baseline is the PnL at start, not at the first periodic check.
    for (const d of this.deployments) this.checkDailyLoss(d, this.time.nowMs());
    for (let i = 0; i < this.venues.length; i++) {
      const venueIndex = i;
      const venue = this.venues[i];
      const started = venue.start({
        onBook: (book) => this.onBook(venueIndex, book),
        onOrderEvent: (event) => this.onOrderEvent(event),
        onStatus: (status) => this.onVenueStatus(venueIndex, status),
        onConnection: (state, reason) => this.onVenueConnection(venueIndex, state, reason),
        onNotice: (message) => this.sink.emit({ type: 'venue_notice', venue: venue.name, message }),
      });
      await started.catch((err: unknown) => {
        throw new VenueStartError(`venue "${venue.name}" could not start: ${err instanceof Error ? err.message : String(err)}`);
      });
    }
    for (let i = 0; i < this.venues.length; i++) await this.reconcileVenue(i, 'when this node became leader', true);
    // A limit lowered since the position was taken (a new config, a restart) is a breach now.
    for (const d of this.deployments) for (const symbol of d.config.symbols) this.checkPositionLimit(d, symbol);
    this.phase = 'trading';
    // A venue's status arrives first on connect, while starting, when no halt can be taken yet.
    this.venueStates.forEach((state, i) => this.haltOnVenueStatus(i, state.status));
    this.timers.push(this.time.every(HEARTBEAT_MS, () => this.onHeartbeat()));
    this.timers.push(this.time.every(MONITOR_MS, () => this.checkHealth()));
  }

  /**
   * This node may no longer act as Leader (its lease ran out, or the journal fenced its
   * term): from this call on nothing is sent, not even cancels (the new Leader owns the
   * orders now), and market data and timers stop.
   */
  async stepDown(reason: string): Promise<void> {
    if (this.role !== 'leader') return;
    this.role = 'follower';
    this.stateFields.nodeRole = NodeRole.Follower;
    this.phase = 'stopped';
    for (const stopTimer of this.timers) stopTimer();
    this.timers = [];
    this.sink.emit({ type: 'step_down', reason });
    for (const venue of this.venues) await venue.stop();
  }

  /**
   * Matches the node's view of a venue's orders to the venue's own, when this node becomes
   * Leader and after every reconnect, before it trusts that view again. Fills the node
   * missed are applied (once: the OMS drops a fill id it has seen); orders the journal
   * holds open but the venue does not have were lost with a previous process, or closed
   * while nobody listened, and are closed through the journal so no intent is ever sent
   * twice; venue orders the node has no intent for are reported and, with
   * `unknown_orders = "cancel"`, cancelled. After a reconnect an order still waiting for
   * its ack is left alone (this process may have it in flight, and the venue may not have
   * seen it yet); when leading, nothing of this process is in flight, so it is checked too.
   */
  private async reconcileVenue(venueIndex: number, when: string, includePending = false): Promise<void> {
    const state = this.venueStates[venueIndex];
    if (state.reconciling) {
      state.again = true;
      return;
    }
    state.reconciling = true;
    const venue = this.venues[venueIndex];
    try {
      do {
        state.again = false;
        const asked = [...this.oms.allLiveOrders()].filter((o) => o.venue === venue.name && (includePending || o.status !== OrderStatus.Pending));
        const snapshot = await venue.snapshot(asked.map((o) => o.clientOrderId));
        let fillsApplied = 0;
        for (const fill of snapshot.recentFills) {
          const order = this.oms.order(fill.clientOrderId);
          if (order === undefined || order.fillIds.has(fill.fillId)) continue;
          this.onOrderEvent(fill);
          fillsApplied++;
        }
        const open = new Set(snapshot.openOrders.map((o) => o.clientOrderId));
        let closed = 0;
        for (const order of asked) {
          if (open.has(order.clientOrderId) || this.oms.order(order.clientOrderId)?.status === OrderStatus.Dead) continue;
          this.commit({ kind: 'canceled', clientOrderId: order.clientOrderId, reason: `not open at the venue ${when}`, tsNs: this.clockNs() });
          closed++;
        }
        const cancelUnknown = this.liveSettings(venue.name)?.unknownOrders === 'cancel';
        let unknown = 0;
        for (const o of snapshot.openOrders) {
          const order = o.clientOrderId === '' ? undefined : this.oms.order(o.clientOrderId);
          if (order !== undefined && order.status !== OrderStatus.Dead) continue;
          unknown++;
          this.sink.emit({ type: 'unknown_venue_order', venue: venue.name, id: o.clientOrderId, venue_order_id: o.venueOrderId, symbol: o.symbol, action: cancelUnknown ? 'cancel' : 'leave' });
          if (cancelUnknown) await venue.cancelForeign(o);
        }
        this.sink.emit({ type: 'reconciled', venue: venue.name, open_at_venue: snapshot.openOrders.length, fills_applied: fillsApplied, closed, unknown });
      } while (state.again && this.role === 'leader');
    } finally {
      state.reconciling = false;
    }
  }

  private onVenueConnection(venueIndex: number, connection: ConnectionState, reason: string): void {
    const state = this.venueStates[venueIndex];
    const wasDown = state.connection === 'disconnected';
    state.connection = connection;
    const venue = this.venues[venueIndex].name;
    this.sink.emit({ type: 'venue_connection', venue, state: connection, reason });
    if (connection !== 'connected' || !wasDown || this.phase !== 'trading') return;
    this.reconcileVenue(venueIndex, 'after the link came back').catch((err: unknown) => {
      // The orders' view stays as it was; the next reconnect tries again, and stale data halts meanwhile.
      this.sink.emit({ type: 'reconcile_failed', venue, reason: err instanceof Error ? err.message : String(err) });
    });
  }

  private liveSettings(venueName: string): LiveVenueSettings | undefined {
    const config = this.config.venues.find((v) => v.name === venueName);
    return config === undefined || config.kind === 'sim' ? undefined : config;
  }

  /**
   * When a venue's market data was last known current, wall ms (0: never): its latest book,
   * or a live venue's latest frame received with every book valid (a heartbeat proves an
   * unchanged book is still current; a book that only changed below its top 20 publishes nothing).
   */
  dataAtMs(venueIndex: number, health: VenueHealth = this.venues[venueIndex].health()): number {
    return Math.max(this.venueStates[venueIndex].lastDataMs, health.currentAtMs);
  }

  /** The mark price (mid) of a symbol on a venue, px_1e9; 0 before its first book. */
  mark(venueName: string, symbol: string): number {
    const i = this.venues.findIndex((v) => v.name === venueName);
    return i < 0 ? 0 : (this.marks[i].get(symbol) ?? 0);
  }

  /** The latest book of a symbol on a venue (the venue's own object: read it, do not keep it). */
  book(venueIndex: number, symbol: string): L2Book | undefined {
    return this.books[venueIndex].get(symbol);
  }

  deployment(label: string): RunningDeployment | undefined {
    return this.byLabel.get(label);
  }

  venueList(): readonly Venue[] {
    return this.venues;
  }

  // ---- operator actions --------------------------------------------------------------

  /**
   * Halts trading: from here every new and replace order is rejected with KILL_SWITCH in
   * the order path; algorithms get on_kill_switch(1) and may cancel. With `cancelAll`, every
   * open order of every instance is also cancelled and the report says how each ended.
   */
  async halt(by: string, reason: string, cancelAll: boolean): Promise<HaltReport> {
    const alreadyHalted = this.halted;
    if (!alreadyHalted) {
      this.commit({ kind: 'halt', tsNs: this.clockNs(), by, reason, cancelAll });
      // A halt can come from inside the order path (an automatic trigger) while an
      // instance's actions are being read: its callbacks wait until that turn is over.
      queueMicrotask(() => this.tellKillSwitch(true));
    }
    let cancels: CancelOutcome[] = [];
    if (cancelAll) {
      const open = [...this.oms.allLiveOrders()];
      const tracked = this.cancels.track(open.map((o) => ({ clientOrderId: o.clientOrderId, label: o.label, venue: o.venue })), this.config.node.shutdownTimeoutMs);
      for (const order of open) this.requestCancel(order);
      this.drain();
      cancels = await tracked;
    }
    return { alreadyHalted, cancels };
  }

  /** Resumes trading after a halt: always an explicit operator action, recorded with who and why. */
  resume(by: string, reason: string): void {
    if (!this.halted) throw new EngineError('trading is not halted');
    if (this.journalBroken) throw new EngineError('the journal is failing: nothing can be recorded, so trading cannot resume; restart the node once the journal is writable');
    this.commit({ kind: 'resume', tsNs: this.clockNs(), by, reason });
    this.tellKillSwitch(false);
  }

  /** Lifts an instance's pause (daily loss or position limit): an explicit operator action. */
  unpause(label: string, by: string, reason: string): void {
    if (!this.byLabel.has(label)) throw new EngineError(`no instance labelled "${label}"`);
    if (this.core.pauseCode(label) === 0) throw new EngineError(`instance "${label}" is not paused`);
    this.commit({ kind: 'pause', tsNs: this.clockNs(), label, paused: false, code: 0, reason: `${reason} (by ${by})` });
  }

  private tellKillSwitch(halted: boolean): void {
    for (const d of this.deployments) {
      if (!d.algo.running || !d.algo.has.killSwitch) continue;
      this.writeStateFor(d, d.primarySymbol);
      if (d.algo.onKillSwitch(halted)) this.processActions(d, d.primarySymbol);
      this.mesh.collect(d);
    }
    this.drain();
  }

  private autoHalt(trigger: string, reason: string): void {
    if (this.halted || this.phase !== 'trading') return;
    void this.halt(`auto:${trigger}`, reason, false);
  }

  private pause(d: RunningDeployment, code: RejectCode, reason: string): void {
    if (this.core.pauseCode(d.label) !== 0) return;
    this.commit({ kind: 'pause', tsNs: this.clockNs(), label: d.label, paused: true, code, reason });
  }

  // ---- market data -------------------------------------------------------------------

  private onBook(venueIndex: number, book: L2Book): void {
    if (!book.valid || this.phase !== 'trading') return;
    if (book.bidCount > 0 && book.askCount > 0 && book.bidPx[0] >= book.askPx[0]) return this.refuseCrossed(venueIndex, book);
    if (this.crossed.size > 0) this.crossed.delete(`${venueIndex}:${book.symbol}`);
    this.venueStates[venueIndex].lastDataMs = this.time.nowMs();
    this.marks[venueIndex].set(book.symbol, book.mid());
    if (!this.books[venueIndex].has(book.symbol)) this.books[venueIndex].set(book.symbol, book);
    this.updateTop(venueIndex, book);
    const subs = this.subscribers[venueIndex].get(book.symbol);
    if (subs === undefined) return;
    for (let i = 0; i < subs.length; i++) {
      const d = subs[i];
      if (!d.algo.running) continue;
      writeBook(d.algo.mem, d.algo.bookPtr, book, d.symbolIds.get(book.symbol) as number);
      this.writeStateFor(d, book.symbol);
      if (latencyTrace.on) latencyTrace.mark(Stage.Encoded);
      if (d.algo.onBook()) {
        if (latencyTrace.on) latencyTrace.mark(Stage.Called);
        this.processActions(d, book.symbol);
        if (latencyTrace.on) latencyTrace.mark(Stage.Committed);
      }
      this.mesh.collect(d);
    }
    this.drain();
  }

  /**
   * A book its venue calls valid but whose best bid is at or above its best ask is broken
   * (one venue's own book cannot cross), and no algorithm is shown it: the venue's own
   * checks missed something. Reported once per episode, so the soak and the operator see it.
   */
  private refuseCrossed(venueIndex: number, book: L2Book): void {
    const key = `${venueIndex}:${book.symbol}`;
    if (this.crossed.has(key)) return;
    this.crossed.add(key);
    this.sink.emit({ type: 'crossed_book_refused', venue: this.venues[venueIndex].name, symbol: book.symbol, bid: formatDecimalShort(book.bidPx[0], PX_DECIMALS), ask: formatDecimalShort(book.askPx[0], PX_DECIMALS) });
  }

  private onVenueStatus(venueIndex: number, status: VenueStatus): void {
    this.venueStates[venueIndex].status = status;
    const venue = this.venues[venueIndex].name;
    this.sink.emit({ type: 'venue_status', venue, status });
    this.haltOnVenueStatus(venueIndex, status);
  }

  private haltOnVenueStatus(venueIndex: number, status: VenueStatus): void {
    if (status === 'cancel_only' || status === 'maintenance') this.autoHalt('venue-status', `venue ${this.venues[venueIndex].name} reports ${status}`);
  }

  private updateTop(venueIndex: number, book: L2Book): void {
    const venue = this.venues[venueIndex];
    const t = this.top;
    t.venueId = venue.venueId;
    t.venue = venue.name;
    t.symbol = book.symbol;
    t.bidPx1e9 = book.bidCount > 0 ? book.bidPx[0] : 0;
    t.bidSz1e8 = book.bidCount > 0 ? book.bidSz[0] : 0;
    t.askPx1e9 = book.askCount > 0 ? book.askPx[0] : 0;
    t.askSz1e8 = book.askCount > 0 ? book.askSz[0] : 0;
    if (this.nbbo.setTop('local', t) !== 'changed') return;
    if (this.remote === null) this.scheduleNbbo();
    else this.remote.publishTop(t);
  }

  /** Coalesced: a burst of book updates gives each subscriber one call with the latest state. */
  private scheduleNbbo(): void {
    if (this.nbboScheduled) return;
    this.nbboScheduled = true;
    setImmediate(() => this.publishNbbo());
  }

  private publishNbbo(): void {
    this.nbboScheduled = false;
    if (this.phase !== 'trading') return;
    const recvNs = this.clockNs();
    for (const [symbol, nbbo] of this.nbbo.takeChanges()) this.tellNbbo(symbol, { ...nbbo, symbolId: this.symbolIds.get(symbol) ?? 0, recvNs });
    this.drain();
  }

  private tellNbbo(symbol: string, nbbo: NbboFields): void {
    for (const d of this.deployments) {
      if (!d.algo.running || !d.algo.has.nbbo || !d.symbolIds.has(symbol)) continue;
      writeNbbo(d.algo.mem, d.algo.nbboPtr, nbbo);
      this.writeStateFor(d, symbol);
      if (d.algo.onNbbo()) this.processActions(d, symbol);
      this.mesh.collect(d);
    }
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

  /** Periodic: stale market data halts the node; a daily loss over its limit pauses that instance. */
  private checkHealth(): void {
    if (this.phase !== 'trading') return;
    const nowMs = this.time.nowMs();
    const health = this.venues.map((v, i) => ({ name: v.name, lastDataMs: this.dataAtMs(i), openOrders: this.openOrdersOn(v.name) }));
    const stale = this.monitor.staleVenue(nowMs, health);
    if (stale !== '') this.autoHalt('stale-data', stale);
    for (const d of this.deployments) this.checkDailyLoss(d, nowMs);
  }

  private openOrdersOn(venue: string): number {
    let n = 0;
    for (const order of this.oms.allLiveOrders()) if (order.venue === venue) n++;
    return n;
  }

  private checkDailyLoss(d: RunningDeployment, nowMs: number): void {
    const limit = d.config.risk.maxDailyLoss1e9;
    if (limit === 0) return;
    let pnl = 0;
    for (const [symbol, position] of d.positions) pnl += position.realizedPnl1e9() + position.unrealizedPnl1e9(this.marks[d.venueIndex].get(symbol) ?? 0);
    const loss = d.dailyLoss.update(nowMs, pnl);
    if (loss > limit) this.pause(d, RejectCode.DailyLossLimit, `daily loss ${loss} over the limit ${limit} (px_1e9)`);
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
    if (this.role !== 'leader') return;
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
      if (!this.maySend()) {
        this.autoHalt('lease', 'the lease could not be confirmed in time; this node must not send');
        // Losing the lease can step this node down right here: then nothing more is sent.
        if (this.role !== 'leader') return;
      }
      const nowMs = this.time.nowMs();
      const c = this.orderContext;
      c.limits = d.config.risk;
      c.halted = this.halted;
      c.pauseCode = this.core.pauseCode(d.label);
      c.position = d.positions.get(orderSymbol) ?? this.oms.position(d.label, orderSymbol);
      c.liveOrders = this.oms.liveOrders(d.label);
      c.replacing = replacing;
      c.mark1e9 = this.marks[d.venueIndex].get(orderSymbol) ?? 0;
      c.meta = d.venue.symbolMeta(orderSymbol);
      c.rateExceeded = d.orderRate.full(nowMs);
      const verdict = checkOrder({ side, px1e9, qty1e8, orderType }, c);
      if (latencyTrace.on) latencyTrace.mark(Stage.Risked);
      if (verdict.code !== 0) {
        this.nodeReject(d, a.orderIdLo[i], a.orderIdHi[i], verdict.code, verdict.reason);
        continue;
      }
      d.orderRate.record(nowMs);
      this.sendOrder(d, orderSymbol, orderId, side, px1e9, qty1e8, orderType, replacing);
    }
  }

  private sendOrder(d: RunningDeployment, symbol: string, algoOrderId: number, side: Side, px1e9: number, qty1e8: number, orderType: OrderType, replacing: Order | undefined): void {
    const clientOrderId = `${d.label}.${algoOrderId}.${this.log.idTag}.${this.oms.requests + 1}`;
    if (replacing !== undefined && !replacing.cancelRequested) this.requestCancel(replacing);
    const recorded = this.commit({
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
    if (recorded === null) return;
    const request: OrderRequest = { clientOrderId, symbol, side, px1e9, qty1e8, type: orderType };
    this.afterJournal(() => {
      d.venue.place(request);
      crashPoint('order-sent');
    });
  }

  private requestCancel(order: Order): void {
    if (order.cancelRequested || this.role !== 'leader') return;
    if (this.commit({ kind: 'cancelRequest', tsNs: this.clockNs(), clientOrderId: order.clientOrderId }) === null) return;
    const venue = this.venues.find((v) => v.name === order.venue);
    this.afterJournal(() => venue?.cancel(order.clientOrderId, order.symbol));
  }

  private nodeReject(d: RunningDeployment, idLo: number, idHi: number, code: number, reason: string): void {
    const algoOrderId = idHi * 4294967296 + idLo;
    this.commit({ kind: 'nodeReject', tsNs: this.clockNs(), label: d.label, algoOrderId, code: code as RejectCode, reason });
    this.rejectQueue.push({ d, idLo, idHi, code });
    // The node's own kill-switch rejects are the halt working, not a symptom of a problem.
    if (code !== RejectCode.KillSwitch) this.countReject();
  }

  private countReject(): void {
    const over = this.monitor.onReject(this.time.nowMs());
    if (over !== '') this.autoHalt('reject-rate', over);
  }

  // ---- venue order events ------------------------------------------------------------

  private onOrderEvent(event: VenueOrderEvent): void {
    // A venue event is applied even when the journal refuses it (it happened): never null.
    const outcome = this.commit(event) as ApplyOutcome;
    this.settleCancels(event, outcome);
    if (outcome.kind === 'fill') {
      const d = this.byLabel.get(outcome.order.label);
      if (d !== undefined) {
        this.checkPositionLimit(d, outcome.order.symbol);
        if (d.algo.running) {
          writeFill(d.algo.mem, d.algo.fillPtr, outcome.order.algoOrderId, outcome.px1e9, outcome.qty1e8, outcome.order.side, outcome.tsNs);
          this.writeStateFor(d, outcome.order.symbol);
          d.algo.onFill();
          this.mesh.collect(d);
        }
      }
    } else if (outcome.kind === 'reject') {
      this.countReject();
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

  private settleCancels(event: VenueOrderEvent, outcome: ApplyOutcome): void {
    if (event.kind === 'canceled') this.cancels.settle(event.clientOrderId, 'canceled', event.reason);
    else if (event.kind === 'cancelReject') this.cancels.settle(event.clientOrderId, 'cancel_rejected', event.reason);
    else if (event.kind === 'reject') this.cancels.settle(event.clientOrderId, 'rejected', event.reason);
    else if (outcome.kind === 'fill' && outcome.order.filled1e8 === outcome.order.qty1e8) this.cancels.settle(event.clientOrderId, 'filled', '');
  }

  /** A fill that takes the position past its limit (the pre-trade check bounds orders, not fills) pauses the instance. */
  private checkPositionLimit(d: RunningDeployment, symbol: string): void {
    const limit = d.config.risk.maxPosition1e8;
    const position = d.positions.get(symbol)?.qty1e8 ?? 0;
    if (limit > 0 && Math.abs(position) > limit) this.pause(d, RejectCode.PositionLimit, `position ${position} in ${symbol} over the limit ${limit} (qty_1e8)`);
  }

  // ---- the single state transition ---------------------------------------------------

  /**
   * The single state transition, written ahead. The message takes effect at once (the rest
   * of this turn sees it) and joins the turn's batch; right after the turn (a microtask)
   * the batch is journaled in one transaction, and only then do the turn's venue requests
   * leave: one commit per turn rather than per message, and nothing sent that is not
   * journaled. Once the journal has failed, nothing new is recorded (null: the caller must
   * not act), while venue events still apply, since they happened.
   */
  private commit(message: TradingMessage): ApplyOutcome | null {
    if (this.journalBroken) {
      if (!isVenueEvent(message)) return null;
    } else {
      this.unwritten.push(message);
      this.queueFlush();
    }
    const outcome = this.core.apply(message);
    this.sink.trading(message);
    return outcome;
  }

  /** Runs a venue request once everything committed before it is journaled. */
  private afterJournal(send: () => void): void {
    this.waitingSends.push(send);
    this.queueFlush();
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(this.flushJournal);
  }

  private readonly flushJournal = (): void => {
    this.flushQueued = false;
    const batch = this.unwritten;
    const sends = this.waitingSends;
    this.unwritten = [];
    this.waitingSends = [];
    if (batch.length > 0) {
      try {
        this.log.append(batch);
        if (latencyTrace.on) latencyTrace.mark(Stage.Journaled);
      } catch (error) {
        this.onJournalFailure(batch, error);
        return;
      }
      for (const m of batch) if (m.kind === 'order') crashPoint('order-journaled');
    }
    if (sends.length === 0) return;
    const venues = this.venues;
    for (const v of venues) v.holdWrites?.();
    try {
      for (const send of sends) send();
    } finally {
      for (const v of venues) v.releaseWrites?.();
    }
  };

  /**
   * The journal refused a batch. Trading stops at once: the halt is applied in memory (it
   * cannot be journaled either), the batch's orders and cancels are never sent (its orders
   * are rejected locally, the algorithm told through on_reject), and the runner decides what
   * follows from the error (a fenced term steps this node down).
   */
  private onJournalFailure(batch: readonly TradingMessage[], error: unknown): void {
    this.journalBroken = true;
    const reason = `the journal refused ${batch.length} record(s): ${(error as Error).message}`;
    const tsNs = this.clockNs();
    if (!this.halted) {
      const halt: TradingMessage = { kind: 'halt', tsNs, by: 'auto:journal', reason, cancelAll: false };
      this.core.apply(halt);
      this.sink.trading(halt);
    }
    const notSent = 'not sent: the journal refused it';
    for (const m of batch) {
      if (m.kind === 'order') {
        const reject: TradingMessage = { kind: 'reject', clientOrderId: m.clientOrderId, code: RejectCode.Unknown, reason: notSent, tsNs };
        this.core.apply(reject);
        this.sink.trading(reject);
        const d = this.byLabel.get(m.label);
        if (d !== undefined) this.rejectQueue.push({ d, idLo: m.algoOrderId % 4294967296, idHi: Math.floor(m.algoOrderId / 4294967296), code: RejectCode.Unknown });
      } else if (m.kind === 'cancelRequest') {
        this.core.apply({ kind: 'cancelReject', clientOrderId: m.clientOrderId, reason: notSent, tsNs });
      }
    }
    const cancelsSent = this.cancelUnjournaled(tsNs);
    this.sink.emit({ type: 'journal_failure', reason, cancels_sent: cancelsSent });
    this.journalFailed?.(error);
    this.drain();
  }

  /**
   * With the journal failing nothing more can be recorded, so the orders resting at the
   * venues could never be managed again by this process: they are cancelled now, without
   * a journal record. A cancel only lowers risk, and the next start reconciles: an order
   * the venue no longer has open is closed through the journal then.
   */
  private cancelUnjournaled(tsNs: number): number {
    if (this.role !== 'leader') return 0;
    let sent = 0;
    for (const order of [...this.oms.allLiveOrders()]) {
      if (order.cancelRequested) continue;
      const request: TradingMessage = { kind: 'cancelRequest', tsNs, clientOrderId: order.clientOrderId };
      this.core.apply(request);
      this.sink.trading(request);
      this.venues.find((v) => v.name === order.venue)?.cancel(order.clientOrderId, order.symbol);
      sent++;
    }
    return sent;
  }

  /** Set by the runner: told when the journal refuses a record. */
  journalFailed: ((error: unknown) => void) | null = null;

  // ---- follow-ups: node rejects and mesh messages -----------------------------------

  /** A delivered mesh message is a trading message too: journaled, so a replay delivers the same ones. */
  private deliverMessage(delivery: MeshDelivery): void {
    const d = this.byLabel.get(delivery.to) as RunningDeployment;
    this.commit({ kind: 'mesh', tsNs: this.clockNs(), from: delivery.from, to: delivery.to, payload: delivery.payload.slice(0, delivery.length) });
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
   * confirm, up to the configured timeout, and journals how it ended. Nothing new is sent
   * after this starts.
   */
  async shutdown(reason = 'shutdown'): Promise<ShutdownReport> {
    if (this.phase !== 'trading' && this.phase !== 'starting') return { openOrders: this.oms.liveCount, timedOut: false };
    this.phase = 'shutdown';
    for (const stopTimer of this.timers) stopTimer();
    this.timers = [];
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
    this.commit({ kind: 'shutdown', tsNs: this.clockNs(), reason, openOrders, timedOut });
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

function isVenueEvent(m: TradingMessage): m is VenueOrderEvent {
  return m.kind === 'ack' || m.kind === 'fill' || m.kind === 'reject' || m.kind === 'canceled' || m.kind === 'cancelReject';
}

/** An operator action that cannot be done in the node's current state. */
export class EngineError extends Error {}
