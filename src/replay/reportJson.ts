import { formatDecimalShort, PX_DECIMALS, QTY_DECIMALS } from '../node/fixedPoint.ts';
import type { ReplaySummary } from './replayReport.ts';

// The replay report as JSON: money and quantities as exact decimal strings (as the node's
// events print them), times as ISO strings with the nanoseconds alongside.

const px = (v: number) => formatDecimalShort(v, PX_DECIMALS);
const qty = (v: number) => formatDecimalShort(v, QTY_DECIMALS);
const iso = (ns: number) => new Date(Math.floor(ns / 1e6)).toISOString();

export function reportJson(s: ReplaySummary): object {
  return {
    source: s.source,
    start: iso(s.startNs),
    end: iso(s.endNs),
    start_ns: s.startNs,
    end_ns: s.endNs,
    frames: s.frames,
    books: s.books,
    latency_ms: s.latencyMs,
    journal_records: s.journalRecords,
    notes: s.notes,
    instances: s.instances.map((r) => ({
      label: r.label,
      venue: r.venue,
      symbols: r.symbols,
      orders: r.orders,
      fills: r.fills,
      filled_orders: r.filledOrders,
      fill_ratio: Number(r.fillRatio.toFixed(4)),
      cancels: r.cancels,
      node_rejects: r.nodeRejects,
      venue_rejects: r.venueRejects,
      bought: qty(r.boughtQty1e8),
      sold: qty(r.soldQty1e8),
      fees: px(r.fees1e9),
      realized_pnl: px(r.realizedPnl1e9),
      unrealized_pnl: px(r.unrealizedPnl1e9),
      total_pnl: px(r.totalPnl1e9),
      max_drawdown: px(r.maxDrawdown1e9),
      positions: r.positions.map((p) => ({ symbol: p.symbol, qty: qty(p.qty1e8), avg_entry: px(p.avgEntry1e9), mark: px(p.mark1e9) })),
      pnl_series: r.pnlSeries.map((p) => ({ ts_ns: p.tsNs, pnl: px(p.value) })),
      position_series: r.positionSeries.map((p) => ({ ts_ns: p.tsNs, qty: qty(p.value) })),
      fills_list: r.fillList.map((f) => ({ ts_ns: f.tsNs, id: f.clientOrderId, symbol: f.symbol, side: f.side === 1 ? 'buy' : 'sell', px: px(f.px1e9), qty: qty(f.qty1e8), fee: px(f.fee1e9), liquidity: f.liquidity })),
      fills_left_out: r.fillsLeftOut,
    })),
  };
}
