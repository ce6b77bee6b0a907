import { OrderType, RejectCode } from '../wasm/abi.ts';
import type { SymbolMeta, Side } from '../venues/venue.ts';
import type { RiskLimits } from './configTypes.ts';
import { formatDecimalShort, notional1e9, PX_DECIMALS, QTY_DECIMALS } from './fixedPoint.ts';
import type { Order } from './oms.ts';
import type { Position } from './position.ts';

/** The order being checked. */
export interface OrderIntent {
  side: Side;
  px1e9: number;
  qty1e8: number;
  orderType: OrderType;
}

/** Everything the gate reads besides the order; the engine reuses one of these. */
export interface OrderContext {
  limits: RiskLimits;
  halted: boolean;
  /** The instance's pause reject code (DAILY_LOSS_LIMIT, POSITION_LIMIT), 0 when not paused. */
  pauseCode: number;
  position: Position;
  liveOrders: readonly Order[];
  /** The live order a replace supersedes: its remaining quantity and slot no longer count. */
  replacing: Order | undefined;
  /** The venue's mid for the symbol, px_1e9; 0 before its first book. */
  mark1e9: number;
  meta: SymbolMeta;
  /** True when this instance already sent its limit of orders in the last second. */
  rateExceeded: boolean;
}

export interface RiskVerdict {
  code: RejectCode | 0;
  reason: string;
}

const PASS: RiskVerdict = { code: 0, reason: '' };
const px = (v: number) => formatDecimalShort(v, PX_DECIMALS);
const qty = (v: number) => formatDecimalShort(v, QTY_DECIMALS);

/**
 * The pre-trade gate every new and replace order passes before it is recorded or sent.
 * Halt is enforced here, inside the order path: while halted every new order and every
 * replace is rejected with KILL_SWITCH. Cancels never come through this gate.
 */
export function checkOrder(o: OrderIntent, c: OrderContext): RiskVerdict {
  if (c.halted) return { code: RejectCode.KillSwitch, reason: 'trading is halted' };
  const limits = c.limits;
  const position = c.position.qty1e8;
  if (c.pauseCode !== 0) {
    const reducing = position !== 0 && Math.sign(position) !== o.side && o.qty1e8 <= Math.abs(position);
    // A position-limit pause still lets the instance work its position down.
    if (!(c.pauseCode === RejectCode.PositionLimit && reducing)) return { code: c.pauseCode as RejectCode, reason: 'the instance is paused' };
  }
  const priced = o.orderType !== OrderType.Market;
  if (priced && o.px1e9 <= 0) return { code: RejectCode.InvalidParams, reason: 'a priced order needs a positive price' };
  const meta = c.meta;
  if (meta.minQty1e8 > 0 && o.qty1e8 < meta.minQty1e8) {
    return { code: RejectCode.InvalidParams, reason: `quantity ${qty(o.qty1e8)} is under the minimum ${qty(meta.minQty1e8)}` };
  }
  if (meta.lotSize1e8 > 0 && o.qty1e8 % meta.lotSize1e8 !== 0) {
    return { code: RejectCode.InvalidParams, reason: `quantity ${qty(o.qty1e8)} is not a multiple of the lot size ${qty(meta.lotSize1e8)}` };
  }
  if (priced && meta.tickSize1e9 > 0 && o.px1e9 % meta.tickSize1e9 !== 0) {
    return { code: RejectCode.InvalidParams, reason: `price ${px(o.px1e9)} is not a multiple of the tick size ${px(meta.tickSize1e9)}` };
  }
  // RATE_LIMIT, not RISK: an algorithm backs off from the node's order rate as it would from
  // a venue's, where a RISK reject would only meet the limit again on the next book.
  if (c.rateExceeded) return { code: RejectCode.RateLimit, reason: `more than ${limits.maxOrdersPerSec} orders in one second` };
  let openCount = 0;
  let openBuy = 0;
  let openSell = 0;
  const live = c.liveOrders;
  for (let i = 0; i < live.length; i++) {
    const order = live[i];
    if (order === c.replacing || order.cancelRequested) continue;
    openCount++;
    if (order.side === 1) openBuy += order.qty1e8 - order.filled1e8;
    else openSell += order.qty1e8 - order.filled1e8;
  }
  if (openCount >= limits.maxOpenOrders) {
    return { code: RejectCode.Risk, reason: `${openCount} open orders, the limit is ${limits.maxOpenOrders}` };
  }
  if (limits.maxOrderQty1e8 > 0 && o.qty1e8 > limits.maxOrderQty1e8) {
    return { code: RejectCode.Risk, reason: `quantity ${qty(o.qty1e8)} over the limit ${qty(limits.maxOrderQty1e8)}` };
  }
  if (limits.maxOrderNotional1e9 > 0) {
    const notional = notional1e9(priced ? o.px1e9 : c.mark1e9, o.qty1e8);
    if (notional > limits.maxOrderNotional1e9) {
      return { code: RejectCode.Risk, reason: `notional ${px(notional)} over the limit ${px(limits.maxOrderNotional1e9)}` };
    }
  }
  if (limits.maxPriceDeviationBps > 0 && priced) {
    if (c.mark1e9 <= 0) return { code: RejectCode.PriceDeviation, reason: 'no market price yet to check the order price against' };
    // |px - mark| / mark > bps / 10^4, compared without division: both sides are exact integers below 2^53.
    const deviation = Math.abs(o.px1e9 - c.mark1e9);
    if (deviation * 10_000 > limits.maxPriceDeviationBps * c.mark1e9) {
      return { code: RejectCode.PriceDeviation, reason: `price ${px(o.px1e9)} is more than ${limits.maxPriceDeviationBps} bps from the mid ${px(c.mark1e9)}` };
    }
  }
  if (limits.maxPosition1e8 > 0) {
    const worst = o.side === 1 ? position + openBuy + o.qty1e8 : position - openSell - o.qty1e8;
    if (Math.abs(worst) > limits.maxPosition1e8 && Math.abs(worst) > Math.abs(position)) {
      return { code: RejectCode.PositionLimit, reason: `position could reach ${qty(worst)}, the limit is ${qty(limits.maxPosition1e8)}` };
    }
  }
  return PASS;
}
