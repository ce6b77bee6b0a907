import { describe, expect, it } from 'vitest';
import { OrderType, RejectCode } from '../src/wasm/abi.ts';
import type { RiskLimits } from '../src/node/configTypes.ts';
import { Oms } from '../src/node/oms.ts';
import { Position } from '../src/node/position.ts';
import { checkOrder } from '../src/node/riskGate.ts';

const PX = 1_000_000_000;
const limits: RiskLimits = { maxOrderQty1e8: 50_000_000, maxOrderNotional1e9: 30_000 * PX, maxPosition1e8: 100_000_000, maxOpenOrders: 2 };
const buy = (qty1e8: number, px1e9 = 60_000 * PX) => ({ side: 1 as const, px1e9, qty1e8, orderType: OrderType.Limit });

describe('pre-trade risk gate', () => {
  it('rejects every new order with KILL_SWITCH while halted', () => {
    expect(checkOrder(buy(1), limits, true, new Position(), [], undefined, 0).code).toBe(RejectCode.KillSwitch);
  });

  it('order quantity: at the limit passes, one unit over is RISK', () => {
    expect(checkOrder(buy(50_000_000, 100 * PX), limits, false, new Position(), [], undefined, 0).code).toBe(0);
    expect(checkOrder(buy(50_000_001, 100 * PX), limits, false, new Position(), [], undefined, 0).code).toBe(RejectCode.Risk);
  });

  it('notional: at the limit passes, over is RISK; a market order is valued at the mark', () => {
    expect(checkOrder(buy(50_000_000, 60_000 * PX), limits, false, new Position(), [], undefined, 0).code).toBe(0);
    expect(checkOrder(buy(50_000_000, 60_000 * PX + 2), limits, false, new Position(), [], undefined, 0).code).toBe(RejectCode.Risk);
    const market = { side: 1 as const, px1e9: 0, qty1e8: 50_000_000, orderType: OrderType.Market };
    expect(checkOrder(market, limits, false, new Position(), [], undefined, 70_000 * PX).code).toBe(RejectCode.Risk);
  });

  it('position: open orders on the same side count toward the worst case', () => {
    const oms = new Oms();
    oms.apply({ kind: 'order', tsNs: 0, label: 'm', venue: 'v', symbol: 'S', algoOrderId: 1, clientOrderId: 'm.1.1', side: 1, px1e9: PX, qty1e8: 50_000_000, orderType: OrderType.Limit, replaces: '' });
    const position = new Position();
    position.applyFill(1, PX, 40_000_000, 0);
    expect(checkOrder(buy(10_000_000, PX), limits, false, position, oms.liveOrders('m'), undefined, 0).code).toBe(0);
    expect(checkOrder(buy(10_000_001, PX), limits, false, position, oms.liveOrders('m'), undefined, 0).code).toBe(RejectCode.PositionLimit);
  });

  it('an order that reduces a position already over the limit passes', () => {
    const position = new Position();
    position.applyFill(1, PX, 150_000_000, 0);
    const sell = { side: -1 as const, px1e9: PX, qty1e8: 50_000_000, orderType: OrderType.Limit };
    expect(checkOrder(sell, limits, false, position, [], undefined, 0).code).toBe(0);
  });

  it('open orders: the limit counts live orders, and a replace does not take a second slot', () => {
    const oms = new Oms();
    for (const id of [1, 2]) {
      oms.apply({ kind: 'order', tsNs: 0, label: 'm', venue: 'v', symbol: 'S', algoOrderId: id, clientOrderId: `m.${id}`, side: 1, px1e9: PX, qty1e8: 1, orderType: OrderType.Limit, replaces: '' });
    }
    const live = oms.liveOrders('m');
    expect(checkOrder(buy(1, PX), limits, false, new Position(), live, undefined, 0).code).toBe(RejectCode.Risk);
    expect(checkOrder(buy(1, PX), limits, false, new Position(), live, live[0], 0).code).toBe(0);
  });

  it('a limit order without a price is INVALID_PARAMS', () => {
    expect(checkOrder(buy(1, 0), limits, false, new Position(), [], undefined, 0).code).toBe(RejectCode.InvalidParams);
  });

  it('zero limits mean no limit', () => {
    const none: RiskLimits = { maxOrderQty1e8: 0, maxOrderNotional1e9: 0, maxPosition1e8: 0, maxOpenOrders: 32 };
    expect(checkOrder(buy(9_000_000_000_000, 9_000 * PX), none, false, new Position(), [], undefined, 0).code).toBe(0);
  });
});
