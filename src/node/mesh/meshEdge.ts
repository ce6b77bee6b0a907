import { WebSocket } from 'ws';
import { Backoff } from '../../venues/backoff.ts';
import { wallClockNs } from '../clock.ts';
import { assertUsableSecret, newNonce, proofMatches, proofOf } from './meshAuth.ts';
import { assertSendable, labelListError, MAX_FRAME_BYTES, topError, type MeshFrame, type MeshNbbo, type MeshTop } from './meshProtocol.ts';
import { CloseCode, DEFAULT_QUEUE_CAP_BYTES, MeshSocket } from './meshSocket.ts';
import { MAX_TOPS_PER_SOURCE } from './nbboAggregator.ts';
import { monotonicUs, RttWindow } from './rttWindow.ts';

export interface MeshEdgeHandlers {
  /** A message for one of this node's instances; called from the event loop, never inside a send. */
  onMessage(from: string, to: string, payload: Uint8Array, sentNs: number): void;
  onNbbo(symbol: string, nbbo: MeshNbbo): void;
  /** The link came up (welcomed) or went down / was refused; called on changes only. */
  onLinkChange(up: boolean, reason: string): void;
}

export interface MeshEdgeOptions {
  /** Reconnect delays double from min to max, each drawn uniformly from its upper half. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** The coordinator is pinged this often for RTT; one silent for three intervals is dropped. */
  pingIntervalMs?: number;
  /** Connect plus challenge/hello/welcome must finish within this, or the attempt is abandoned. */
  handshakeTimeoutMs?: number;
  /** Send buffer bound: see DEFAULT_QUEUE_CAP_BYTES. */
  queueCapBytes?: number;
}

export interface MeshEdgeStats {
  up: boolean;
  /** send() calls. */
  sent: number;
  /** Of those, not handed to the link: it was down, or its buffer over the cap. */
  dropped: number;
  /** Messages from the mesh handed to onMessage. */
  delivered: number;
  /** Frames of any kind not sent because the buffer was over the cap. */
  queueDropped: number;
  /** Links established, the first included. */
  connects: number;
  rttUsP50: number;
  rttUsP99: number;
}

/**
 * A node's link to the mesh coordinator. It keeps itself connected (jittered exponential
 * backoff) and re-announces its labels and tops after every reconnect; while the link is
 * down the node keeps running: remote sends are dropped and counted, and nothing arrives.
 */
export class MeshEdge {
  private sock: MeshSocket | null = null;
  private up = false;
  private stopped = true;
  private labels: string[];
  private nonce = '';
  private lastDownReason = '';
  /** Why the coordinator last refused or reported an error: a better close reason than the close code. */
  private lastFrameReason = '';
  private reconnectTimer: NodeJS.Timeout | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  /** The latest top per (venue, symbol): re-published after a reconnect, since the coordinator forgets a departed node's tops. */
  private readonly tops = new Map<string, MeshTop>();
  private readonly dirtyTops = new Set<string>();
  private topsScheduled = false;
  private readonly rtt = new RttWindow();
  private readonly counts = { sent: 0, dropped: 0, delivered: 0, queueDropped: 0, connects: 0 };
  private readonly backoff: Backoff;
  private readonly pingIntervalMs: number;
  private readonly handshakeTimeoutMs: number;
  private readonly queueCapBytes: number;

  constructor(
    private readonly url: string,
    private readonly node: string,
    private readonly secret: string,
    labels: string[],
    private readonly handlers: MeshEdgeHandlers,
    options: MeshEdgeOptions = {},
  ) {
    assertUsableSecret(secret);
    this.labels = checkedLabels(labels);
    this.backoff = new Backoff(options.backoffMinMs ?? 100, options.backoffMaxMs ?? 5000);
    this.pingIntervalMs = options.pingIntervalMs ?? 1000;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 5000;
    this.queueCapBytes = options.queueCapBytes ?? DEFAULT_QUEUE_CAP_BYTES;
  }

  get isUp(): boolean {
    return this.up;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  /**
   * Sends to the instance labelled `to`, wherever it runs. False when dropped here (link
   * down or buffer full), counted; true means handed to the link, not delivered: delivery
   * is best-effort and the coordinator counts its own drops. Throws on arguments the ABI
   * would never have queued, or a `from` this node does not host.
   */
  send(from: string, to: string, payload: Uint8Array): boolean {
    if (!this.labels.includes(from)) throw new RangeError(`mesh send from ${JSON.stringify(from)}: not a label this node hosts`);
    assertSendable(to, payload);
    this.counts.sent++;
    if (this.up && this.sock !== null && this.sock.send({ type: 'msg', from, to, payload, sentNs: wallClockNs() })) return true;
    this.counts.dropped++;
    return false;
  }

  /** Publishes a venue's top for the mesh NBBO; a burst is coalesced to the latest per (venue, symbol) each turn. */
  publishTop(top: MeshTop): void {
    const err = topError(top);
    if (err !== null) throw new RangeError(err);
    const key = `${top.venueId}\u0000${top.symbol}`;
    if (!this.tops.has(key) && this.tops.size >= MAX_TOPS_PER_SOURCE) throw new RangeError(`a node publishes at most ${MAX_TOPS_PER_SOURCE} (venue, symbol) tops`);
    this.tops.set(key, { ...top });
    this.dirtyTops.add(key);
    this.scheduleTops();
  }

  /** Replaces the labels this node hosts; announced now if the link is up, else at the next hello. */
  setLabels(labels: string[]): void {
    this.labels = checkedLabels(labels);
    if (this.up) this.sock?.send({ type: 'labels', labels: this.labels });
  }

  stats(): MeshEdgeStats {
    return { up: this.up, ...this.counts, queueDropped: this.counts.queueDropped + (this.sock?.dropped ?? 0), rttUsP50: this.rtt.percentileUs(0.5), rttUsP99: this.rtt.percentileUs(0.99) };
  }

  /** Closes the link and stops reconnecting. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const sock = this.sock;
    if (sock === null) return;
    const ws = sock.ws;
    if (ws.readyState === ws.CLOSED) return;
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    if (ws.readyState === ws.CONNECTING) sock.terminate();
    else sock.close(CloseCode.Normal, 'edge stopping');
    await closed;
  }

  private connect(): void {
    this.nonce = newNonce();
    const ws = new WebSocket(this.url, { maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, handshakeTimeout: this.handshakeTimeoutMs });
    const sock: MeshSocket = new MeshSocket(
      ws,
      this.queueCapBytes,
      (frame) => this.onFrame(sock, frame),
      (reason) => this.onClose(sock, reason),
    );
    this.sock = sock;
    // Before the WebSocket opens there is no one to tell why; after, the coordinator hears the reason.
    this.handshakeTimer = setTimeout(() => (sock.open ? sock.fail(`no welcome within ${this.handshakeTimeoutMs} ms`) : sock.terminate()), this.handshakeTimeoutMs);
  }

  private onFrame(sock: MeshSocket, frame: MeshFrame): void {
    if (sock !== this.sock) return;
    switch (frame.type) {
      case 'challenge':
        if (this.up) return sock.fail('challenge after welcome');
        sock.send({ type: 'hello', node: this.node, labels: this.labels, nonce: this.nonce, mac: proofOf(this.secret, 'edge', frame.nonce) });
        return;
      case 'welcome':
        if (this.up) return sock.fail('second welcome');
        if (!proofMatches(this.secret, 'coordinator', this.nonce, frame.mac)) return sock.fail('the coordinator failed authentication: it does not hold the mesh secret');
        this.onWelcome(sock);
        return;
      case 'refused':
      case 'error':
        this.lastFrameReason = `${frame.type}: ${frame.reason}`;
        return;
      default:
        if (!this.up) return sock.fail(`expected challenge or welcome, got ${frame.type}`);
    }
    switch (frame.type) {
      case 'msg':
        // Counted but not delivered: the coordinator routed by a label this node no longer hosts.
        if (!this.labels.includes(frame.to)) return;
        this.counts.delivered++;
        this.handlers.onMessage(frame.from, frame.to, frame.payload, frame.sentNs);
        return;
      case 'nbbo':
        this.handlers.onNbbo(frame.symbol, frame.nbbo);
        return;
      case 'ping':
        sock.send({ type: 'pong', t: frame.t });
        return;
      case 'pong': {
        const now = monotonicUs();
        if (frame.t <= now) this.rtt.add(now - frame.t);
        return;
      }
      default:
        sock.fail(`unexpected ${frame.type} frame from the coordinator`);
    }
  }

  private onWelcome(sock: MeshSocket): void {
    clearTimeout(this.handshakeTimer);
    this.up = true;
    this.backoff.reset();
    this.counts.connects++;
    this.lastDownReason = '';
    for (const key of this.tops.keys()) this.dirtyTops.add(key);
    this.flushTops();
    this.pingTimer = setInterval(() => this.ping(sock), this.pingIntervalMs);
    this.handlers.onLinkChange(true, 'welcomed by the coordinator');
  }

  private onClose(sock: MeshSocket, closeReason: string): void {
    if (sock !== this.sock) return;
    clearTimeout(this.handshakeTimer);
    clearInterval(this.pingTimer);
    this.counts.queueDropped += sock.dropped;
    this.sock = null;
    const wasUp = this.up;
    this.up = false;
    const reason = this.lastFrameReason !== '' ? this.lastFrameReason : closeReason;
    this.lastFrameReason = '';
    // Report every loss of the link, and each new reason while down, not each identical failed retry.
    if (wasUp || reason !== this.lastDownReason) {
      this.lastDownReason = reason;
      this.handlers.onLinkChange(false, reason);
    }
    if (this.stopped) return;
    this.reconnectTimer = setTimeout(() => this.connect(), this.backoff.nextDelayMs());
  }

  private ping(sock: MeshSocket): void {
    if (Date.now() - sock.lastReceiveMs > 3 * this.pingIntervalMs) {
      sock.terminate();
      return;
    }
    sock.send({ type: 'ping', t: monotonicUs() });
  }

  private scheduleTops(): void {
    if (this.topsScheduled) return;
    this.topsScheduled = true;
    setImmediate(() => {
      this.topsScheduled = false;
      this.flushTops();
    });
  }

  /** While down, dirty tops wait: the reconnect re-sends every top anyway. */
  private flushTops(): void {
    if (!this.up || this.sock === null) return;
    for (const key of this.dirtyTops) {
      const top = this.tops.get(key);
      if (top === undefined) continue;
      this.sock.send({ type: 'top', ...top });
      // A withdrawn top has been said; keeping it would re-publish a venue with no book.
      if (top.bidPx1e9 === 0 && top.askPx1e9 === 0) this.tops.delete(key);
    }
    this.dirtyTops.clear();
  }
}

function checkedLabels(labels: string[]): string[] {
  const err = labelListError(labels);
  if (err !== null) throw new RangeError(`mesh labels: ${err}`);
  return [...labels];
}
