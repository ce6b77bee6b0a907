import type { Engine } from './engine.ts';
import { formatDecimalShort, PX_DECIMALS, QTY_DECIMALS } from './fixedPoint.ts';
import type { NodeEvent } from './nodeEvent.ts';

const px = (v: number) => formatDecimalShort(v, PX_DECIMALS);
const qty = (v: number) => formatDecimalShort(v, QTY_DECIMALS);

/** The periodic status line: each instance's position, PnL, orders and callback cost, each venue's link and book health, and the mesh links. */
export function statusEvent(engine: Engine): NodeEvent {
  return {
    type: 'status',
    phase: engine.phase,
    halted: engine.halted,
    ...(engine.halted ? { halt_by: engine.core.halt.by, halt_reason: engine.core.halt.reason } : {}),
    instances: engine.deployments.map((d) => {
      const symbols = d.config.symbols.map((symbol) => {
        const p = d.positions.get(symbol);
        const mark = engine.mark(d.venue.name, symbol);
        return {
          symbol,
          position: qty(p?.qty1e8 ?? 0),
          avg_entry: px(p?.avgEntry1e9() ?? 0),
          realized_pnl: px(p?.realizedPnl1e9() ?? 0),
          unrealized_pnl: px(p?.unrealizedPnl1e9(mark) ?? 0),
          fills: p?.fillCount ?? 0,
          mark: px(mark),
        };
      });
      return {
        label: d.label,
        venue: d.venue.name,
        ...instanceStatus(engine, d.label, d.algo.status, d.algo.abortReason),
        open_orders: engine.oms.liveOrders(d.label).length,
        calls: d.algo.calls,
        last_call_us: Math.round(d.algo.lastCallNs / 100) / 10,
        max_call_us: Math.round(d.algo.maxCallNs / 100) / 10,
        symbols,
      };
    }),
    venues: engine.venueList().map((v) => {
      const h = v.health();
      return {
        name: v.name,
        connection: h.connection,
        invalid_books: h.invalidBooks,
        resyncs: h.resyncs,
        checksum_failures: h.checksumFailures,
        sequence_gaps: h.sequenceGaps,
        reconnects: h.reconnects,
        rate_headroom: h.rateHeadroom,
        rate_limited: h.rateLimited,
      };
    }),
    mesh: engine.mesh.links(),
    anomalies: engine.oms.anomalies,
  };
}

/** Aborted wins over paused: an aborted instance never trades again in this run. */
function instanceStatus(engine: Engine, label: string, status: string, abortReason: string): { status: string; reason?: string } {
  if (status === 'aborted') return { status, reason: abortReason };
  const pause = engine.core.paused.get(label);
  return pause === undefined ? { status } : { status: 'paused', reason: pause.reason };
}
