import type { Engine } from '../node/engine.ts';
import type { EventSink, NodeEvent } from '../node/nodeEvent.ts';
import type { TradingMessage } from '../node/tradingMessage.ts';
import type { Side } from '../venues/venue.ts';

// What a replay did, per instance, built as it runs from the node's own event stream (the
// trading messages the engine commits) and the engine's positions (the same OMS and
// average-cost accounting as live). PnL is marked at the last mid; total PnL (realized net
// of fees + unrealized) is sampled at every fill of the instance and every sample interval
// of recording time, which gives the PnL and position series and the max drawdown.

export interface ReportFill {
  tsNs: number;
  clientOrderId: string;
  symbol: string;
  side: Side;
  px1e9: number;
  qty1e8: number;
  fee1e9: number;
  liquidity: 'maker' | 'taker';
}

export interface SeriesPoint {
  tsNs: number;
  value: number;
}

export interface InstanceReport {
  label: string;
  venue: string;
  symbols: string[];
  /** Orders sent (new and replace). */
  orders: number;
  fills: number;
  /** Orders that got at least one fill. */
  filledOrders: number;
  /** filledOrders / orders; 0 without orders. */
  fillRatio: number;
  cancels: number;
  nodeRejects: number;
  venueRejects: number;
  boughtQty1e8: number;
  soldQty1e8: number;
  fees1e9: number;
  /** Net of fees. */
  realizedPnl1e9: number;
  /** The open position marked at the last mid. */
  unrealizedPnl1e9: number;
  totalPnl1e9: number;
  /** Largest fall of total PnL from an earlier peak, >= 0. */
  maxDrawdown1e9: number;
  positions: { symbol: string; qty1e8: number; avgEntry1e9: number; mark1e9: number }[];
  /** Total PnL over time, px_1e9 units. */
  pnlSeries: SeriesPoint[];
  /** Position in the primary symbol over time, qty_1e8. */
  positionSeries: SeriesPoint[];
  /** Every fill, oldest first (at most MAX_REPORT_FILLS; fillsLeftOut counts the rest). */
  fillList: ReportFill[];
  fillsLeftOut: number;
}

export interface ReplaySummary {
  source: string;
  startNs: number;
  endNs: number;
  frames: number;
  books: number;
  latencyMs: number;
  journalRecords: number;
  /** Things the operator should know: aborted instances, halts, pauses, anomalies (the first MAX_NOTES). */
  notes: string[];
  instances: InstanceReport[];
}

/** Series points kept per instance: past this, every other point is dropped and the interval doubles. */
export const MAX_SERIES_POINTS = 2_000;
export const MAX_REPORT_FILLS = 100_000;
const MAX_NOTES = 100;

interface Tracker {
  report: InstanceReport;
  filled: Set<string>;
  peak: number;
}

export class ReportBuilder implements EventSink {
  private readonly trackers = new Map<string, Tracker>();
  private readonly notes: string[] = [];
  private nextSampleNs = 0;
  private intervalNs: number;

  constructor(
    private readonly engine: Engine,
    sampleIntervalMs: number,
  ) {
    if (!(sampleIntervalMs > 0)) throw new RangeError(`the sample interval must be positive, got ${sampleIntervalMs} ms`);
    this.intervalNs = sampleIntervalMs * 1e6;
  }

  emit(event: NodeEvent): void {
    if (event.type === 'instance' && event.status === 'aborted') this.note(`instance ${String(event.label)} aborted: ${String(event.reason)}`);
    else if (event.type === 'anomaly' || event.type === 'journal_failure') this.note(`${event.type}: ${String(event.reason)}`);
    else if (event.type === 'venue_notice') this.note(`${String(event.venue)}: ${String(event.message)}`);
  }

  trading(m: TradingMessage): void {
    switch (m.kind) {
      case 'order':
        this.tracker(m.label).report.orders++;
        break;
      case 'cancelRequest': {
        const order = this.engine.oms.order(m.clientOrderId);
        if (order !== undefined) this.tracker(order.label).report.cancels++;
        break;
      }
      case 'nodeReject':
        this.tracker(m.label).report.nodeRejects++;
        break;
      case 'reject': {
        const order = this.engine.oms.order(m.clientOrderId);
        if (order !== undefined) this.tracker(order.label).report.venueRejects++;
        break;
      }
      case 'fill':
        this.onFill(m);
        break;
      case 'halt':
        this.note(`halted by ${m.by}: ${m.reason}`);
        break;
      case 'pause':
        if (m.paused) this.note(`${m.label} paused: ${m.reason}`);
        break;
      default:
        break;
    }
  }

  /** Samples every instance when the sample interval has passed since the last periodic sample. */
  maybeSample(nowNs: number): void {
    if (nowNs < this.nextSampleNs) return;
    this.nextSampleNs = nowNs + this.intervalNs;
    for (const d of this.engine.deployments) this.sample(this.tracker(d.label), nowNs);
  }

  /** The final figures, marked at the last mids, with a last sample at `endNs`. */
  finish(endNs: number): InstanceReport[] {
    const out: InstanceReport[] = [];
    for (const d of this.engine.deployments) {
      const t = this.tracker(d.label);
      this.sample(t, endNs);
      const r = t.report;
      r.venue = d.venue.name;
      r.symbols = [...d.config.symbols];
      r.realizedPnl1e9 = 0;
      r.unrealizedPnl1e9 = 0;
      r.fees1e9 = 0;
      r.positions = [];
      for (const [symbol, p] of d.positions) {
        const mark = this.engine.mark(d.venue.name, symbol);
        r.realizedPnl1e9 += p.realizedPnl1e9();
        r.unrealizedPnl1e9 += p.unrealizedPnl1e9(mark);
        r.fees1e9 += p.fees1e9;
        r.positions.push({ symbol, qty1e8: p.qty1e8, avgEntry1e9: p.avgEntry1e9(), mark1e9: mark });
      }
      r.totalPnl1e9 = r.realizedPnl1e9 + r.unrealizedPnl1e9;
      r.filledOrders = t.filled.size;
      r.fillRatio = r.orders === 0 ? 0 : r.filledOrders / r.orders;
      out.push(r);
    }
    return out;
  }

  get noteList(): string[] {
    return this.notes;
  }

  private onFill(m: Extract<TradingMessage, { kind: 'fill' }>): void {
    const order = this.engine.oms.order(m.clientOrderId);
    if (order === undefined) return;
    const t = this.tracker(order.label);
    const r = t.report;
    r.fills++;
    t.filled.add(m.clientOrderId);
    if (order.side === 1) r.boughtQty1e8 += m.qty1e8;
    else r.soldQty1e8 += m.qty1e8;
    if (r.fillList.length < MAX_REPORT_FILLS) {
      r.fillList.push({ tsNs: m.tsNs, clientOrderId: m.clientOrderId, symbol: order.symbol, side: order.side, px1e9: m.px1e9, qty1e8: m.qty1e8, fee1e9: m.fee1e9, liquidity: m.liquidity });
    } else {
      r.fillsLeftOut++;
    }
    this.sample(t, m.tsNs);
  }

  private sample(t: Tracker, tsNs: number): void {
    const d = this.engine.deployment(t.report.label);
    if (d === undefined) return;
    let pnl = 0;
    for (const [symbol, p] of d.positions) pnl += p.realizedPnl1e9() + p.unrealizedPnl1e9(this.engine.mark(d.venue.name, symbol));
    if (pnl > t.peak) t.peak = pnl;
    const drawdown = t.peak - pnl;
    const r = t.report;
    if (drawdown > r.maxDrawdown1e9) r.maxDrawdown1e9 = drawdown;
    r.pnlSeries.push({ tsNs, value: pnl });
    r.positionSeries.push({ tsNs, value: d.positions.get(d.primarySymbol)?.qty1e8 ?? 0 });
    if (r.pnlSeries.length > MAX_SERIES_POINTS) {
      r.pnlSeries = thin(r.pnlSeries);
      r.positionSeries = thin(r.positionSeries);
      this.intervalNs *= 2;
    }
  }

  private tracker(label: string): Tracker {
    let t = this.trackers.get(label);
    if (t === undefined) {
      t = {
        filled: new Set(),
        peak: 0,
        report: {
          label,
          venue: '',
          symbols: [],
          orders: 0,
          fills: 0,
          filledOrders: 0,
          fillRatio: 0,
          cancels: 0,
          nodeRejects: 0,
          venueRejects: 0,
          boughtQty1e8: 0,
          soldQty1e8: 0,
          fees1e9: 0,
          realizedPnl1e9: 0,
          unrealizedPnl1e9: 0,
          totalPnl1e9: 0,
          maxDrawdown1e9: 0,
          positions: [],
          pnlSeries: [],
          positionSeries: [],
          fillList: [],
          fillsLeftOut: 0,
        },
      };
      this.trackers.set(label, t);
    }
    return t;
  }

  private note(text: string): void {
    if (this.notes.length < MAX_NOTES) this.notes.push(text);
  }
}

/** Every other point, keeping the last. */
function thin(points: SeriesPoint[]): SeriesPoint[] {
  const kept = points.filter((_, i) => i % 2 === 0);
  const last = points[points.length - 1];
  if (kept[kept.length - 1] !== last) kept.push(last);
  return kept;
}
