import type { Writable } from 'node:stream';
import { formatDecimalShort, PX_DECIMALS, QTY_DECIMALS } from './fixedPoint.ts';
import type { EventSink, NodeEvent } from './nodeEvent.ts';
import type { TradingMessage } from './tradingMessage.ts';

/** Events held while the output is slow; past this, events are dropped and the drop is counted and reported. */
export const EVENT_BUFFER_LIMIT = 100_000;

export type EventFormat = 'json' | 'text';

const ORDER_TYPE_NAMES = ['limit', 'market', 'ioc', 'fok', 'post_only'];

/**
 * Writes node events to a stream as JSON lines (daemon, pipes) or as readable text (a
 * terminal). Events are only queued on the caller's stack; formatting and writing happen
 * in a later turn of the event loop, so the trading path never waits on output.
 */
export class EventWriter implements EventSink {
  dropped = 0;
  private queue: (NodeEvent | TradingMessage)[] = [];
  private times: number[] = [];
  private scheduled = false;
  private closed = false;

  /**
   * A reader that goes away (a closed pipe, `| head`) must not stop the node: the writer
   * stops writing and says so once on stderr, and trading carries on.
   */
  constructor(
    private readonly out: Writable,
    private readonly format: EventFormat,
  ) {
    out.on('error', (error: NodeJS.ErrnoException) => {
      if (this.closed) return;
      this.closed = true;
      process.stderr.write(`sequence: event output closed (${error.code ?? error.message}); the node keeps running without it\n`);
    });
  }

  emit(event: NodeEvent): void {
    this.push(event);
  }

  trading(message: TradingMessage): void {
    this.push(message);
  }

  /** Writes everything queued now (used at exit). */
  flush(): void {
    this.scheduled = false;
    if (this.closed) {
      this.queue.length = 0;
      this.times.length = 0;
      return;
    }
    if (this.queue.length === 0) return;
    const queue = this.queue;
    const times = this.times;
    this.queue = [];
    this.times = [];
    let text = '';
    if (this.dropped > 0) {
      text += this.line({ type: 'events_dropped', count: this.dropped }, Date.now());
      this.dropped = 0;
    }
    for (let i = 0; i < queue.length; i++) text += this.line(toEvent(queue[i]), times[i]);
    this.out.write(text);
  }

  /** Resolves once everything written so far has left the process (or the output is closed). */
  drained(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.out.write('', () => resolve()));
  }

  private push(item: NodeEvent | TradingMessage): void {
    if (this.queue.length >= EVENT_BUFFER_LIMIT) {
      this.dropped++;
      return;
    }
    this.queue.push(item);
    this.times.push(Date.now());
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private line(event: NodeEvent, timeMs: number): string {
    if (this.format === 'json') return JSON.stringify({ ts: new Date(timeMs).toISOString(), ...event }) + '\n';
    return `${new Date(timeMs).toISOString().slice(11, 23)} ${formatText(event)}\n`;
  }
}

function isTrading(item: NodeEvent | TradingMessage): item is TradingMessage {
  return 'kind' in item && !('type' in item);
}

function toEvent(item: NodeEvent | TradingMessage): NodeEvent {
  return isTrading(item) ? describeTrading(item) : item;
}

/** The report form of a trading message: decimals as text, sides and types by name. */
export function describeTrading(m: TradingMessage): NodeEvent {
  switch (m.kind) {
    case 'order':
      return {
        type: 'order',
        label: m.label,
        venue: m.venue,
        symbol: m.symbol,
        id: m.clientOrderId,
        side: m.side === 1 ? 'buy' : 'sell',
        px: formatDecimalShort(m.px1e9, PX_DECIMALS),
        qty: formatDecimalShort(m.qty1e8, QTY_DECIMALS),
        order_type: ORDER_TYPE_NAMES[m.orderType],
        ...(m.replaces !== '' ? { replaces: m.replaces } : {}),
      };
    case 'cancelRequest':
      return { type: 'cancel', id: m.clientOrderId };
    case 'nodeReject':
      return { type: 'reject', by: 'node', label: m.label, algo_order_id: m.algoOrderId, code: m.code, reason: m.reason };
    case 'ack':
      return { type: 'ack', id: m.clientOrderId, venue_order_id: m.venueOrderId };
    case 'fill':
      return {
        type: 'fill',
        id: m.clientOrderId,
        fill_id: m.fillId,
        px: formatDecimalShort(m.px1e9, PX_DECIMALS),
        qty: formatDecimalShort(m.qty1e8, QTY_DECIMALS),
        fee: formatDecimalShort(m.fee1e9, PX_DECIMALS),
        liquidity: m.liquidity,
      };
    case 'reject':
      return { type: 'reject', by: 'venue', id: m.clientOrderId, code: m.code, reason: m.reason };
    case 'canceled':
      return { type: 'canceled', id: m.clientOrderId, reason: m.reason };
    case 'cancelReject':
      return { type: 'cancel_reject', id: m.clientOrderId, reason: m.reason };
    case 'halt':
      return { type: 'halt', by: m.by, reason: m.reason, cancel_all: m.cancelAll };
    case 'resume':
      return { type: 'resume', by: m.by, reason: m.reason };
    case 'pause':
      return { type: 'pause', label: m.label, paused: m.paused, code: m.code, reason: m.reason };
    case 'mesh':
      return { type: 'mesh', from: m.from, to: m.to, bytes: m.payload.length };
    case 'deployment':
      return { type: 'deployment', label: m.label, venue: m.venue, symbols: m.symbols, bundle_sha256: m.bundleSha256, action: m.action };
    case 'role':
      return { type: 'role', node: m.nodeId, role: m.role, term: m.term };
    case 'shutdown':
      return { type: 'shutdown_record', reason: m.reason, open_orders: m.openOrders, timed_out: m.timedOut };
  }
}

function formatText(e: NodeEvent): string {
  const rest = Object.entries(e)
    .filter(([k]) => k !== 'type')
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return `${e.type.padEnd(9)} ${rest}`;
}
