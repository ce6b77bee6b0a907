import { OrderType, RejectCode } from '../wasm/abi.ts';
import type { RiskLimits } from './configTypes.ts';
import { notional1e9 } from './fixedPoint.ts';
import type { Order } from './oms.ts';
import type { Position } from './position.ts';
import type { Side } from '../venues/venue.ts';

/** The order being checked. */
export interface OrderIntent {
  side: Side;
  px1e9: number;
  qty1e8: number;
  orderType: OrderType;
}

export interface RiskVerdict {
  code: RejectCode | 0;
  reason: string;
}

const PASS: RiskVerdict = { code: 0, reason: '' };

/**
 * The pre-trade gate every new and replace order passes before it is recorded or sent.
 * Halt is enforced here, inside the order path: while halted every new order and every
 * replace is rejected with KILL_SWITCH, and cancels never come through this gate.
 *
 * `replacing` is the live order a replace supersedes: its remaining quantity no longer
 * counts toward open exposure, and it does not take a second open-order slot.
 */
export function checkOrder(
  intent: OrderIntent,
  limits: RiskLimits,
  halted: boolean,
  position: Position,
  liveOrders: readonly Order[],
  replacing: Order | undefined,
  mark1e9: number,
): RiskVerdict {
  if (halted) return { code: RejectCode.KillSwitch, reason: 'trading is halted' };
  if (intent.orderType !== OrderType.Market && intent.px1e9 <= 0) {
    return { code: RejectCode.InvalidParams, reason: 'a limit order needs a positive price' };
  }
  let openCount = 0;
  let openBuy = 0;
  let openSell = 0;
  for (let i = 0; i < liveOrders.length; i++) {
    const o = liveOrders[i];
    if (o === replacing || o.cancelRequested) continue;
    openCount++;
    if (o.side === 1) openBuy += o.qty1e8 - o.filled1e8;
    else openSell += o.qty1e8 - o.filled1e8;
  }
  if (openCount >= limits.maxOpenOrders) {
    return { code: RejectCode.Risk, reason: `${openCount} open orders, the limit is ${limits.maxOpenOrders}` };
  }
  if (limits.maxOrderQty1e8 > 0 && intent.qty1e8 > limits.maxOrderQty1e8) {
    return { code: RejectCode.Risk, reason: `quantity ${intent.qty1e8} over the limit ${limits.maxOrderQty1e8} (qty_1e8)` };
  }
  if (limits.maxOrderNotional1e9 > 0) {
    const px = intent.orderType === OrderType.Market ? mark1e9 : intent.px1e9;
    const notional = notional1e9(px, intent.qty1e8);
    if (notional > limits.maxOrderNotional1e9) {
      return { code: RejectCode.Risk, reason: `notional ${notional} over the limit ${limits.maxOrderNotional1e9} (px_1e9)` };
    }
  }
  if (limits.maxPosition1e8 > 0) {
    const worst = intent.side === 1 ? position.qty1e8 + openBuy + intent.qty1e8 : position.qty1e8 - openSell - intent.qty1e8;
    if (Math.abs(worst) > limits.maxPosition1e8 && Math.abs(worst) > Math.abs(position.qty1e8)) {
      return { code: RejectCode.PositionLimit, reason: `position could reach ${worst}, the limit is ${limits.maxPosition1e8} (qty_1e8)` };
    }
  }
  return PASS;
}
