import { wallClockNs } from '../../node/clock.ts';
import { DecimalError, PX_DECIMALS, QTY_DECIMALS, parseDecimal } from '../../node/fixedPoint.ts';
import { Backoff } from '../backoff.ts';
import type { ConnectionState } from '../venue.ts';
import { WsClient } from '../wsClient/wsClient.ts';

// The private WebSocket client for Kraken's `executions` channel (WS v2 on ws-auth). Each
// connection fetches a fresh token (GetWebSocketsToken over REST), subscribes with
// snap_orders, and turns execution reports into ExecutionReports with exact integers: the
// frame's numbers are read from their text (JSON.parse would turn 0.00010000 into a float).
// The same link carries order entry (KrakenWsOrders): send() writes a request while the
// link is subscribed, and add_order / cancel_order answers go to onOrderAnswer.
// It reconnects with jittered backoff on close, error, a silent link (app-level ping
// unanswered) or a gap in `sequence`, since a missed execution report can only be
// recovered by reconciliation, which the 'connected' after 'disconnected' triggers.

export interface ExecutionReport {
  /** pending_new, new, trade, filled, canceled, expired, ... */
  execType: string;
  orderStatus: string;
  orderId: string;
  /** '' when the order carries none. */
  clOrdId: string;
  execId: string;
  symbol: string;
  /** Set on trades. */
  lastQty1e8: number;
  lastPx1e9: number;
  /** Fee in quote currency, px_1e9 units. */
  fee1e9: number;
  liquidity: 'maker' | 'taker';
  reason: string;
  tsNs: number;
}

export interface KrakenExecutionsHandlers {
  /** The open orders at (re)subscription. */
  onSnapshot(orders: ExecutionReport[]): void;
  onExecution(report: ExecutionReport): void;
  onConnection(state: ConnectionState, reason: string): void;
  /** An add_order or cancel_order answer (numbers kept as text). */
  onOrderAnswer?(frame: Record<string, unknown>): void;
}

export interface KrakenExecutionsOptions {
  url: string;
  /** A fresh token per connection; rejects with the reason when none can be had. */
  fetchToken(): Promise<string>;
  handlers: KrakenExecutionsHandlers;
  /** App-level ping cadence; the link counts as dead after 3 silent intervals. Default 5000. */
  pingIntervalMs?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** How long a subscribe may wait for its ack. Default 10,000. */
  subscribeTimeoutMs?: number;
}

export class ExecutionFrameError extends Error {}

const MAX_FRAME_BYTES = 1024 * 1024;

export class KrakenExecutions {
  /** Successful subscriptions after the first. */
  reconnects = 0;
  sequenceGaps = 0;
  /** Frames that could not be read (reported, skipped). */
  badFrames = 0;
  private ws: WsClient | null = null;
  /** Settles when the current socket has closed (stop() waits on it). */
  private closed: Promise<void> = Promise.resolve();
  private state: ConnectionState = 'connecting';
  private stopped = true;
  private everConnected = false;
  private lastSequence = 0;
  private lastInboundMs = 0;
  private pingTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private subscribeTimer: NodeJS.Timeout | null = null;
  private reqId = 0;
  /** The current connection's token, which trading requests carry too. */
  private currentToken = '';
  private readonly backoff: Backoff;
  private readonly pingIntervalMs: number;

  constructor(private readonly options: KrakenExecutionsOptions) {
    this.backoff = new Backoff(options.backoffMinMs ?? 250, options.backoffMaxMs ?? 30_000);
    this.pingIntervalMs = options.pingIntervalMs ?? 5000;
  }

  get connection(): ConnectionState {
    return this.state;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    if (ws === null) return;
    ws.terminate();
    await this.closed;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let token: string;
    try {
      token = await this.options.fetchToken();
    } catch (err) {
      this.lost(`no WebSocket token: ${(err as Error).message}`);
      return;
    }
    if (this.stopped) return;
    this.currentToken = token;
    let settle = () => {};
    this.closed = new Promise((resolve) => (settle = resolve));
    // Our own client, as the book feeds use: it can hold a turn's requests for one write (cork).
    const ws: WsClient = new WsClient(
      this.options.url,
      {
        onOpen: () => {
          this.lastInboundMs = performance.now();
          ws.send(JSON.stringify({ method: 'subscribe', params: { channel: 'executions', token, snap_orders: true, snap_trades: false }, req_id: ++this.reqId }));
          this.subscribeTimer = setTimeout(() => this.drop(ws, 'executions subscribe got no answer'), this.options.subscribeTimeoutMs ?? 10_000);
          this.pingTimer = setInterval(() => this.ping(ws), this.pingIntervalMs);
        },
        onMessage: (data, start, end) => {
          if (ws !== this.ws) return;
          this.lastInboundMs = performance.now();
          this.onFrame(ws, data.toString('utf8', start, end));
        },
        onClose: (code, reason) => {
          settle();
          if (ws !== this.ws) return;
          this.ws = null;
          this.clearTimers();
          this.lost(`private link closed (${code}${reason.length > 0 ? ` ${reason}` : ''})`);
        },
      },
      { maxPayloadBytes: MAX_FRAME_BYTES, handshakeTimeoutMs: 10_000 },
    );
    this.ws = ws;
    this.lastSequence = 0;
  }

  get token(): string {
    return this.currentToken;
  }

  /** Writes one request on the link; false (nothing sent) unless it is open and subscribed. */
  send(text: string): boolean {
    const ws = this.ws;
    if (ws === null || this.state !== 'connected') return false;
    return ws.send(text);
  }

  /** Holds this link's writes until releaseWrites(), so requests sent in between leave in one write. */
  holdWrites(): void {
    this.ws?.cork();
  }

  releaseWrites(): void {
    this.ws?.uncork();
  }

  private ping(ws: WsClient): void {
    if (performance.now() - this.lastInboundMs > this.pingIntervalMs * 3) {
      this.drop(ws, 'private link silent: no pong or traffic');
      return;
    }
    ws.send(JSON.stringify({ method: 'ping', req_id: ++this.reqId }));
  }

  private drop(ws: WsClient, reason: string): void {
    if (ws !== this.ws) return;
    this.ws = null;
    this.clearTimers();
    ws.terminate();
    this.lost(reason);
  }

  private lost(reason: string): void {
    if (this.stopped) return;
    this.setState(this.everConnected ? 'disconnected' : 'connecting', reason);
    const delayMs = this.backoff.nextDelayMs();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delayMs);
  }

  private onFrame(ws: WsClient, text: string): void {
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(quoteNumbers(text)) as Record<string, unknown>;
    } catch {
      this.badFrames++;
      return;
    }
    // `null`, a number or an array is valid JSON but no frame of this channel.
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      this.badFrames++;
      return;
    }
    if (frame.method === 'subscribe') {
      if (this.subscribeTimer !== null) clearTimeout(this.subscribeTimer);
      this.subscribeTimer = null;
      if (frame.success !== 'true' && frame.success !== true) {
        this.drop(ws, `executions subscribe refused: ${String(frame.error ?? 'no reason given')}`);
        return;
      }
      if (this.everConnected) this.reconnects++;
      this.everConnected = true;
      this.backoff.reset();
      this.setState('connected', 'executions subscribed');
      return;
    }
    if (frame.method === 'add_order' || frame.method === 'cancel_order') {
      this.options.handlers.onOrderAnswer?.(frame);
      return;
    }
    if (frame.channel !== 'executions') return;
    const sequence = Number(frame.sequence);
    if (Number.isInteger(sequence)) {
      if (this.lastSequence !== 0 && sequence !== this.lastSequence + 1) {
        this.sequenceGaps++;
        this.drop(ws, `executions sequence gap: ${this.lastSequence} then ${sequence}`);
        return;
      }
      this.lastSequence = sequence;
    }
    const data = Array.isArray(frame.data) ? (frame.data as Record<string, unknown>[]) : [];
    const reports: ExecutionReport[] = [];
    for (const entry of data) {
      try {
        reports.push(executionReport(entry));
      } catch (err) {
        if (!(err instanceof ExecutionFrameError || err instanceof DecimalError)) throw err;
        this.badFrames++;
      }
    }
    if (frame.type === 'snapshot') this.options.handlers.onSnapshot(reports);
    else for (const report of reports) this.options.handlers.onExecution(report);
  }

  private setState(state: ConnectionState, reason: string): void {
    // Every failed attempt is reported with its reason; 'connected' only once per connection.
    if (state === this.state && state === 'connected') return;
    this.state = state;
    this.options.handlers.onConnection(state, reason);
  }

  private clearTimers(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.subscribeTimer !== null) clearTimeout(this.subscribeTimer);
    this.pingTimer = null;
    this.retryTimer = null;
    this.subscribeTimer = null;
  }
}

/** One `data` entry of an executions frame (numbers already quoted by quoteNumbers). */
export function executionReport(entry: Record<string, unknown>): ExecutionReport {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ExecutionFrameError('execution report is not an object');
  const orderId = entry.order_id;
  if (typeof orderId !== 'string' || orderId === '') throw new ExecutionFrameError('execution report without order_id');
  const execType = typeof entry.exec_type === 'string' ? entry.exec_type : '';
  const isTrade = execType === 'trade';
  const fees = Array.isArray(entry.fees) ? (entry.fees as Record<string, unknown>[]) : [];
  let fee1e9 = 0;
  for (const fee of fees) {
    if (typeof fee !== 'object' || fee === null) throw new ExecutionFrameError('a fees entry is not an object');
    if (typeof fee.qty === 'string') fee1e9 += scaled(fee.qty, PX_DECIMALS);
  }
  const ts = typeof entry.timestamp === 'string' ? Date.parse(entry.timestamp) : NaN;
  return {
    execType,
    orderStatus: typeof entry.order_status === 'string' ? entry.order_status : '',
    orderId,
    clOrdId: typeof entry.cl_ord_id === 'string' ? entry.cl_ord_id : '',
    execId: typeof entry.exec_id === 'string' ? entry.exec_id : '',
    symbol: typeof entry.symbol === 'string' ? entry.symbol : '',
    lastQty1e8: isTrade ? scaled(required(entry, 'last_qty'), QTY_DECIMALS) : 0,
    lastPx1e9: isTrade ? scaled(required(entry, 'last_price'), PX_DECIMALS) : 0,
    fee1e9,
    liquidity: entry.liquidity_ind === 'm' ? 'maker' : 'taker',
    reason: typeof entry.reason === 'string' ? entry.reason : '',
    tsNs: Number.isFinite(ts) ? ts * 1e6 : wallClockNs(),
  };
}

function required(entry: Record<string, unknown>, key: string): string {
  const value = entry[key];
  if (typeof value !== 'string') throw new ExecutionFrameError(`trade report without ${key}`);
  return value;
}

/** A JSON number's text as a scaled integer, exponent forms (5.1e-05) included. */
export function scaled(text: string, decimals: number): number {
  const e = text.search(/[eE]/);
  if (e < 0) return parseDecimal(text, decimals);
  const exponent = Number(text.slice(e + 1));
  const mantissa = text.slice(0, e);
  const negative = mantissa.startsWith('-');
  const unsigned = negative ? mantissa.slice(1) : mantissa;
  const dot = unsigned.indexOf('.');
  const digits = unsigned.replace('.', '');
  if (!Number.isInteger(exponent) || Math.abs(exponent) > 40 || !/^[0-9]+$/.test(digits)) throw new DecimalError(`not a decimal number: "${text}"`);
  const point = (dot < 0 ? unsigned.length : dot) + exponent;
  const plain =
    point <= 0 ? `0.${'0'.repeat(-point)}${digits}` : point >= digits.length ? digits + '0'.repeat(point - digits.length) : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return parseDecimal((negative ? '-' : '') + plain, decimals);
}

/**
 * Rewrites every JSON number outside strings as a string holding its exact text, so a
 * later JSON.parse keeps `0.00010000` as written. A linear scan; strings and escapes are
 * copied through untouched.
 */
export function quoteNumbers(text: string): string {
  let out = '';
  let start = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i += 2;
        else if (d === 34) break;
        else i++;
      }
      i++;
      continue;
    }
    if (c === 45 /* - */ || (c >= 48 && c <= 57)) {
      const begin = i;
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if ((d >= 48 && d <= 57) || d === 46 || d === 101 || d === 69 || d === 43 || d === 45) i++;
        else break;
      }
      out += text.slice(start, begin) + '"' + text.slice(begin, i) + '"';
      start = i;
      continue;
    }
    if (c === 116 /* t */ || c === 102 /* f */) {
      // true/false stay literals; skip the word so its letters are not scanned.
      while (i < n && text.charCodeAt(i) >= 97 && text.charCodeAt(i) <= 122) i++;
      continue;
    }
    i++;
  }
  return out + text.slice(start);
}
