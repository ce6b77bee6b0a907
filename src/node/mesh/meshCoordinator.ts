import { WebSocketServer, type WebSocket } from 'ws';
import { wallClockNs } from '../clock.ts';
import { MESH_QUEUE_LIMIT } from '../meshRouter.ts';
import { assertUsableSecret, newNonce, proofMatches, proofOf } from './meshAuth.ts';
import { assertSendable, labelListError, MAX_FRAME_BYTES, topError, type MeshFrame, type MeshNbbo, type MeshTop } from './meshProtocol.ts';
import { CloseCode, DEFAULT_QUEUE_CAP_BYTES, MeshSocket } from './meshSocket.ts';
import { NbboAggregator } from './nbboAggregator.ts';
import { monotonicUs, RttWindow } from './rttWindow.ts';

export interface MeshCoordinatorOptions {
  /** This node's name in stats and refusals. */
  node?: string;
  /** Labels of the instances this node hosts itself. */
  labels?: string[];
  /** A message for one of this node's own instances; called outside any algorithm callback. */
  onLocalMessage?: (from: string, to: string, payload: Uint8Array, sentNs: number) => void;
  /** The cross-venue NBBO of a symbol changed (coalesced per symbol per event-loop turn). */
  onNbbo?: (symbol: string, nbbo: MeshNbbo) => void;
  /** Connections (authenticated or not) held at once; more are refused. */
  maxPeers?: number;
  /** A connection that has not said a valid hello by then is closed. */
  helloTimeoutMs?: number;
  /** Each peer is pinged this often for RTT; one silent for three intervals is dropped. */
  pingIntervalMs?: number;
  /** Per-peer send buffer bound: see DEFAULT_QUEUE_CAP_BYTES. */
  queueCapBytes?: number;
}

/** One link's counters: messages its node sent into the mesh, and what became of them. */
export interface MeshLinkStats {
  peer: string;
  labels: string[];
  sent: number;
  /** Handed to the target's link (or this node's own handler). */
  delivered: number;
  /** Unknown label, or the target's buffer was full. */
  dropped: number;
  /** Frames of any kind to this peer dropped because its buffer was over the cap. */
  queueDropped: number;
  bufferedBytes: number;
  maxBufferedBytes: number;
  rttUsP50: number;
  rttUsP99: number;
}

interface Counters {
  sent: number;
  delivered: number;
  dropped: number;
}

interface Peer {
  readonly id: number;
  readonly sock: MeshSocket;
  readonly nonce: string;
  /** Null until the hello checked out. */
  node: string | null;
  labels: Set<string>;
  readonly counters: Counters;
  readonly rtt: RttWindow;
  helloTimer: NodeJS.Timeout | undefined;
}

interface LocalDelivery {
  from: string;
  to: string;
  payload: Uint8Array;
  sentNs: number;
}

const LOCAL = 'local';

/**
 * The Central Coordinator: authenticates edges, routes `msg` frames by label (to a peer or
 * to this node's own instances), and aggregates every node's tops into a per-symbol NBBO
 * pushed to all. Best-effort throughout: nothing is retried; every drop is counted on the
 * sender's link. Labels are unique in a deployment: a second claim of a label is refused.
 */
export class MeshCoordinator {
  /** Messages to a label no node hosts. */
  unknownLabel = 0;
  private readonly peers = new Map<number, Peer>();
  private readonly owners = new Map<string, Peer | typeof LOCAL>();
  private readonly local: Counters = { sent: 0, delivered: 0, dropped: 0 };
  private readonly localInbox: LocalDelivery[] = [];
  private localFlushScheduled = false;
  private readonly nbbo = new NbboAggregator();
  private nbboScheduled = false;
  private readonly node: string;
  private readonly maxPeers: number;
  private readonly helloTimeoutMs: number;
  private readonly pingIntervalMs: number;
  private readonly queueCapBytes: number;
  private readonly pingTimer: NodeJS.Timeout;
  private nextPeerId = 1;
  private closing = false;

  private constructor(
    private readonly wss: WebSocketServer,
    private readonly secret: string,
    private readonly options: MeshCoordinatorOptions,
  ) {
    this.node = options.node ?? 'coordinator';
    this.maxPeers = options.maxPeers ?? 64;
    this.helloTimeoutMs = options.helloTimeoutMs ?? 5000;
    this.pingIntervalMs = options.pingIntervalMs ?? 1000;
    this.queueCapBytes = options.queueCapBytes ?? DEFAULT_QUEUE_CAP_BYTES;
    this.setLocalLabels(options.labels ?? []);
    wss.on('connection', (ws: WebSocket) => this.accept(ws));
    this.pingTimer = setInterval(() => this.pingAll(), this.pingIntervalMs);
  }

  static async listen(host: string, port: number, secret: string, options: MeshCoordinatorOptions = {}): Promise<MeshCoordinator> {
    assertUsableSecret(secret);
    const wss = new WebSocketServer({ host, port, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    return new MeshCoordinator(wss, secret, options);
  }

  get port(): number {
    const address = this.wss.address();
    if (address === null || typeof address === 'string') throw new Error('the mesh coordinator is not listening on TCP');
    return address.port;
  }

  /** Replaces this node's own hosted labels; throws if one is hosted by a peer. */
  setLocalLabels(labels: string[]): void {
    const err = labelListError(labels);
    if (err !== null) throw new RangeError(`mesh labels: ${err}`);
    for (const l of labels) {
      const owner = this.owners.get(l);
      if (owner !== undefined && owner !== LOCAL) throw new RangeError(`mesh label ${JSON.stringify(l)} is already hosted by node ${owner.node}`);
    }
    for (const [l, owner] of this.owners) if (owner === LOCAL) this.owners.delete(l);
    for (const l of labels) this.owners.set(l, LOCAL);
  }

  /**
   * Sends from one of this node's instances. False when dropped (unknown label, the
   * target's buffer full, or this node's inbox full); counted on this node's link. Throws
   * on arguments the ABI would never have queued (bad label, payload over 256 bytes).
   */
  sendFromLocal(from: string, to: string, payload: Uint8Array): boolean {
    if (this.owners.get(from) !== LOCAL) throw new RangeError(`mesh send from ${JSON.stringify(from)}: not a label this node hosts`);
    assertSendable(to, payload);
    return this.route(this.local, from, to, payload, wallClockNs());
  }

  /** This node's own venue top, aggregated with the peers' (both sides zero withdraws it). */
  publishLocalTop(top: MeshTop): void {
    const err = topError(top);
    if (err !== null) throw new RangeError(err);
    const result = this.nbbo.setTop(LOCAL, top);
    if (result === 'full') throw new RangeError(`this node publishes more (venue, symbol) tops than the mesh keeps per node`);
    if (result === 'changed') this.scheduleNbbo();
  }

  nbboOf(symbol: string): MeshNbbo | undefined {
    return this.nbbo.nbboOf(symbol);
  }

  /** This node's own link first, then every authenticated peer. */
  stats(): MeshLinkStats[] {
    const labels = [...this.owners].filter(([, o]) => o === LOCAL).map(([l]) => l);
    const rows: MeshLinkStats[] = [{ peer: this.node, labels, ...this.local, queueDropped: 0, bufferedBytes: 0, maxBufferedBytes: 0, rttUsP50: 0, rttUsP99: 0 }];
    for (const p of this.peers.values()) {
      if (p.node === null) continue;
      rows.push({
        peer: p.node,
        labels: [...p.labels],
        ...p.counters,
        queueDropped: p.sock.dropped,
        bufferedBytes: p.sock.bufferedBytes,
        maxBufferedBytes: p.sock.maxBufferedBytes,
        rttUsP50: p.rtt.percentileUs(0.5),
        rttUsP99: p.rtt.percentileUs(0.99),
      });
    }
    return rows;
  }

  /** Closes every link (edges see it and start reconnecting) and stops listening. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    clearInterval(this.pingTimer);
    const closed = [...this.peers.values()].map((p) => {
      clearTimeout(p.helloTimer);
      const done = new Promise<void>((resolve) => p.sock.ws.once('close', () => resolve()));
      p.sock.close(CloseCode.GoingAway, 'coordinator shutting down');
      return done;
    });
    // A peer that does not answer the closing handshake must not hold the port.
    const grace = setTimeout(() => {
      for (const p of this.peers.values()) p.sock.terminate();
    }, 1000);
    await Promise.all(closed);
    clearTimeout(grace);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(ws: WebSocket): void {
    const id = this.nextPeerId++;
    const peer: Peer = {
      id,
      sock: new MeshSocket(
        ws,
        this.queueCapBytes,
        (frame) => this.onFrame(peer, frame),
        () => this.onClose(peer),
      ),
      nonce: newNonce(),
      node: null,
      labels: new Set(),
      counters: { sent: 0, delivered: 0, dropped: 0 },
      rtt: new RttWindow(),
      helloTimer: undefined,
    };
    if (this.closing || this.peers.size >= this.maxPeers) {
      peer.sock.fail(this.closing ? 'coordinator shutting down' : `coordinator is full (${this.maxPeers} peers)`, 'refused', CloseCode.GoingAway);
      return;
    }
    this.peers.set(id, peer);
    peer.helloTimer = setTimeout(() => peer.sock.fail(`no valid hello within ${this.helloTimeoutMs} ms`, 'refused'), this.helloTimeoutMs);
    peer.sock.send({ type: 'challenge', nonce: peer.nonce });
  }

  private onFrame(peer: Peer, frame: MeshFrame): void {
    if (peer.node === null) {
      if (frame.type !== 'hello') return peer.sock.fail(`expected hello, got ${frame.type}`);
      return this.onHello(peer, frame);
    }
    switch (frame.type) {
      case 'msg':
        if (!peer.labels.has(frame.from)) return peer.sock.fail(`msg.from ${JSON.stringify(frame.from)} is not a label node ${peer.node} announced`);
        this.route(peer.counters, frame.from, frame.to, frame.payload, frame.sentNs);
        return;
      case 'top': {
        const result = this.nbbo.setTop(sourceOf(peer), frame);
        if (result === 'full') return peer.sock.fail('more (venue, symbol) tops than the mesh keeps per node');
        if (result === 'changed') this.scheduleNbbo();
        return;
      }
      case 'labels': {
        const conflict = this.conflictOf(peer, frame.labels);
        if (conflict !== null) return peer.sock.fail(conflict, 'refused');
        this.claim(peer, frame.labels);
        return;
      }
      case 'ping':
        peer.sock.send({ type: 'pong', t: frame.t });
        return;
      case 'pong':
        this.recordRtt(peer.rtt, frame.t);
        return;
      case 'error':
        peer.sock.close(CloseCode.Protocol, `peer reported: ${frame.reason}`);
        return;
      default:
        peer.sock.fail(`unexpected ${frame.type} frame from an edge`);
    }
  }

  private onHello(peer: Peer, hello: Extract<MeshFrame, { type: 'hello' }>): void {
    if (!proofMatches(this.secret, 'edge', peer.nonce, hello.mac)) return peer.sock.fail('authentication failed: the mesh secret does not match', 'refused');
    if (hello.node === this.node) return peer.sock.fail(`node name ${JSON.stringify(hello.node)} is the coordinator's own`, 'refused');
    const conflict = this.conflictOf(peer, hello.labels, hello.node);
    if (conflict !== null) return peer.sock.fail(conflict, 'refused');
    // The same node reconnecting before its old link timed out: the newer link is the live one.
    for (const other of this.peers.values()) {
      if (other !== peer && other.node === hello.node) {
        other.sock.fail('replaced by a newer connection from the same node', 'refused');
        this.release(other);
      }
    }
    clearTimeout(peer.helloTimer);
    peer.node = hello.node;
    this.claim(peer, hello.labels);
    peer.sock.send({ type: 'welcome', mac: proofOf(this.secret, 'coordinator', hello.nonce) });
    for (const [symbol, nbbo] of this.nbbo.snapshot()) peer.sock.send({ type: 'nbbo', symbol, nbbo });
  }

  /** Why `labels` cannot be hosted by `peer` (a node named `node`), or null. */
  private conflictOf(peer: Peer, labels: string[], node = peer.node): string | null {
    for (const l of labels) {
      const owner = this.owners.get(l);
      if (owner === undefined || owner === peer) continue;
      if (owner !== LOCAL && owner.node === node) continue;
      const holder = owner === LOCAL ? this.node : owner.node;
      return `duplicate label ${JSON.stringify(l)}: already hosted by node ${holder} (labels are unique in a deployment)`;
    }
    return null;
  }

  private claim(peer: Peer, labels: string[]): void {
    for (const l of peer.labels) if (this.owners.get(l) === peer) this.owners.delete(l);
    peer.labels = new Set(labels);
    for (const l of labels) this.owners.set(l, peer);
  }

  private onClose(peer: Peer): void {
    clearTimeout(peer.helloTimer);
    this.release(peer);
  }

  /** Forgets a peer's labels and tops; idempotent (a replaced peer is released twice). */
  private release(peer: Peer): void {
    if (!this.peers.delete(peer.id)) return;
    for (const l of peer.labels) if (this.owners.get(l) === peer) this.owners.delete(l);
    if (peer.node !== null) {
      this.nbbo.dropSource(sourceOf(peer));
      this.scheduleNbbo();
    }
  }

  private route(link: Counters, from: string, to: string, payload: Uint8Array, sentNs: number): boolean {
    link.sent++;
    const owner = this.owners.get(to);
    let ok: boolean;
    if (owner === undefined) {
      this.unknownLabel++;
      ok = false;
    } else if (owner === LOCAL) {
      ok = this.enqueueLocal({ from, to, payload, sentNs });
    } else {
      ok = owner.sock.send({ type: 'msg', from, to, payload, sentNs });
    }
    if (ok) link.delivered++;
    else link.dropped++;
    return ok;
  }

  /** Local delivery waits for the next turn so that a send made inside an algorithm callback never re-enters the engine. */
  private enqueueLocal(delivery: LocalDelivery): boolean {
    if (this.options.onLocalMessage === undefined || this.localInbox.length >= MESH_QUEUE_LIMIT) return false;
    this.localInbox.push({ ...delivery, payload: delivery.payload.slice() });
    if (!this.localFlushScheduled) {
      this.localFlushScheduled = true;
      setImmediate(() => this.flushLocal());
    }
    return true;
  }

  private flushLocal(): void {
    this.localFlushScheduled = false;
    const batch = this.localInbox.splice(0, this.localInbox.length);
    for (const d of batch) this.options.onLocalMessage?.(d.from, d.to, d.payload, d.sentNs);
  }

  private scheduleNbbo(): void {
    if (this.nbboScheduled) return;
    this.nbboScheduled = true;
    setImmediate(() => this.publishNbbo());
  }

  /** Coalesced: a burst of tops becomes one push per changed symbol. */
  private publishNbbo(): void {
    this.nbboScheduled = false;
    if (this.closing) return;
    for (const [symbol, nbbo] of this.nbbo.takeChanges()) {
      for (const p of this.peers.values()) if (p.node !== null) p.sock.send({ type: 'nbbo', symbol, nbbo });
      this.options.onNbbo?.(symbol, nbbo);
    }
  }

  private pingAll(): void {
    const deadline = Date.now() - 3 * this.pingIntervalMs;
    for (const p of this.peers.values()) {
      if (p.node === null) continue;
      if (p.sock.lastReceiveMs < deadline) {
        p.sock.terminate();
        continue;
      }
      p.sock.send({ type: 'ping', t: monotonicUs() });
    }
  }

  private recordRtt(rtt: RttWindow, t: number): void {
    const now = monotonicUs();
    if (t <= now) rtt.add(now - t);
  }
}

function sourceOf(peer: Peer): string {
  return `peer#${peer.id}`;
}
