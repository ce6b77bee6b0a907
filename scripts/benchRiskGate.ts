import { OrderType } from '../src/wasm/abi.ts';
import { Oms } from '../src/node/oms.ts';
import { Position } from '../src/node/position.ts';
import { checkOrder, type OrderContext, type OrderIntent } from '../src/node/riskGate.ts';
import { summarize } from './stats.ts';
import type { BenchFigure } from './benchOnBook.ts';
import { timeBatches } from './timeBatches.ts';

const BATCH = 1000;
const PX = 1_000_000_000;

/**
 * The risk and halt gate on one order, every limit switched on and 8 live orders to count
 * (the maker's steady state is 2). Baseline: a gate that only checks the halt flag, the
 * least any order path must do.
 */
export function benchRiskGate(quick: boolean): BenchFigure {
  const oms = new Oms();
  for (let id = 1; id <= 8; id++) {
    oms.apply({ kind: 'order', tsNs: 0, label: 'm', venue: 'v', symbol: 'S', algoOrderId: id, clientOrderId: `m.${id}`, side: id % 2 === 0 ? 1 : -1, px1e9: 60_000 * PX, qty1e8: 1_000_000, orderType: OrderType.PostOnly, replaces: '' });
  }
  const position = new Position();
  position.applyFill(1, 60_000 * PX, 2_000_000, 0);
  const c: OrderContext = {
    limits: { maxOrderQty1e8: 50_000_000, maxOrderNotional1e9: 50_000 * PX, maxPosition1e8: 100_000_000, maxOpenOrders: 32, maxPriceDeviationBps: 50, maxOrdersPerSec: 100, maxDailyLoss1e9: 1000 * PX },
    halted: false,
    pauseCode: 0,
    position,
    liveOrders: oms.liveOrders('m'),
    replacing: undefined,
    mark1e9: 60_000 * PX,
    meta: { tickSize1e9: 100_000_000, lotSize1e8: 10_000, minQty1e8: 10_000, minNotional1e9: 0, pricePrecision: 1, qtyPrecision: 4 },
    rateExceeded: false,
  };
  const intent: OrderIntent = { side: 1, px1e9: 59_990 * PX, qty1e8: 1_000_000, orderType: OrderType.PostOnly };
  let sink = 0;
  const full = () => {
    sink += checkOrder(intent, c).code;
  };
  const haltOnly = () => {
    sink += c.halted ? 1 : 0;
  };
  const batches = quick ? 500 : 5000;
  timeBatches(batches / 5, BATCH, full);
  timeBatches(batches / 5, BATCH, haltOnly);
  const ours: number[] = [];
  const base: number[] = [];
  for (let round = 0; round < 10; round++) {
    ours.push(...timeBatches(batches / 10, BATCH, full));
    base.push(...timeBatches(batches / 10, BATCH, haltOnly));
  }
  if (sink !== 0) throw new Error('the benchmark order was rejected');
  return {
    name: 'risk and halt gate, one order (all limits on, 8 live orders)',
    unit: 'ns',
    ours: summarize(ours),
    baselineName: 'halt flag check only',
    baseline: summarize(base),
    goal: 'p99 < 1000 ns',
  };
}
