import { describe, expect, it } from 'vitest';
import { OrderType, RejectCode } from '../src/wasm/abi.ts';
import type { RiskLimits } from '../src/node/configTypes.ts';
import { Oms } from '../src/node/oms.ts';
import { Position } from '../src/node/position.ts';
import { RateWindow } from '../src/node/rateWindow.ts';
import { checkOrder, type OrderContext, type OrderIntent } from '../src/node/riskGate.ts';

const PX = 1_000_000_000;
const NONE: RiskLimits = { maxOrderQty1e8: 0, maxOrderNotional1e9: 0, maxPosition1e8: 0, maxOpenOrders: 32, maxPriceDeviationBps: 0, maxOrdersPerSec: 0, maxDailyLoss1e9: 0 };
const META = { tickSize1e9: 100_000_000, lotSize1e8: 10_000, minQty1e8: 20_000, minNotional1e9: 0, pricePrecision: 1, qtyPrecision: 4 };

function ctx(overrides: Partial<OrderContext> = {}): OrderContext {
  return { limits: NONE, halted: false, pauseCode: 0, position: new Position(), liveOrders: [], replacing: undefined, mark1e9: 60_000 * PX, meta: META, rateExceeded: false, ...overrides };
}
const buy = (qty1e8: number, px1e9 = 60_000 * PX, orderType: OrderType = OrderType.Limit): OrderIntent => ({ side: 1, px1e9, qty1e8, orderType });
const sell = (qty1e8: number, px1e9 = 60_000 * PX): OrderIntent => ({ side: -1, px1e9, qty1e8, orderType: OrderType.Limit });
const limits = (l: Partial<RiskLimits>) => ({ ...NONE, ...l });
const code = (o: OrderIntent, c: OrderContext) => checkOrder(o, c).code;

function liveOrders(n: number, side: 1 | -1 = 1, qty1e8 = 10_000) {
  const oms = new Oms();
  for (let id = 1; id <= n; id++) {
    oms.apply({ kind: 'order', tsNs: 0, label: 'm', venue: 'v', symbol: 'S', algoOrderId: id, clientOrderId: `m.${id}`, side, px1e9: PX, qty1e8, orderType: OrderType.Limit, replaces: '' });
  }
  return oms.liveOrders('m');
}

describe('the halt and pause gate', () => {
  it('while halted every new order is KILL_SWITCH, whatever else is true', () => {
    expect(checkOrder(buy(20_000), ctx({ halted: true }))).toEqual({ code: RejectCode.KillSwitch, reason: 'trading is halted' });
  });

  it('a daily-loss pause rejects every order with DAILY_LOSS_LIMIT', () => {
    const position = new Position();
    position.applyFill(1, 60_000 * PX, 100_000, 0);
    expect(code(sell(20_000), ctx({ pauseCode: RejectCode.DailyLossLimit, position }))).toBe(RejectCode.DailyLossLimit);
  });

  it('a position-limit pause rejects orders that add, and lets the instance reduce', () => {
    const position = new Position();
    position.applyFill(1, 60_000 * PX, 100_000, 0);
    const c = ctx({ pauseCode: RejectCode.PositionLimit, position });
    expect(code(buy(20_000), c)).toBe(RejectCode.PositionLimit);
    expect(code(sell(100_000), c)).toBe(0);
    expect(code(sell(110_000), c)).toBe(RejectCode.PositionLimit);
  });
});

describe('pre-trade checks at their boundaries', () => {
  it('order quantity: under and at the limit pass, one unit over is RISK', () => {
    const c = ctx({ limits: limits({ maxOrderQty1e8: 50_000 }) });
    expect(code(buy(40_000), c)).toBe(0);
    expect(code(buy(50_000), c)).toBe(0);
    expect(code(buy(60_000), c)).toBe(RejectCode.Risk);
  });

  it('notional: under and at the limit pass, over is RISK; a market order is valued at the mid', () => {
    const c = ctx({ limits: limits({ maxOrderNotional1e9: 30_000 * PX }) });
    expect(code(buy(40_000_000, 60_000 * PX), c)).toBe(0);
    expect(code(buy(50_000_000, 60_000 * PX), c)).toBe(0);
    expect(code(buy(50_000_000, 60_000 * PX + 100_000_000), c)).toBe(RejectCode.Risk);
    expect(code(buy(50_000_000, 0, OrderType.Market), ctx({ limits: limits({ maxOrderNotional1e9: 30_000 * PX }), mark1e9: 61_000 * PX }))).toBe(RejectCode.Risk);
  });

  it('position: open orders on the same side count; under and at pass, over is POSITION_LIMIT', () => {
    const position = new Position();
    position.applyFill(1, PX, 30_000, 0);
    const c = ctx({ limits: limits({ maxPosition1e8: 100_000 }), position, liveOrders: liveOrders(1, 1, 50_000), meta: { ...META, minQty1e8: 10_000 } });
    expect(code(buy(10_000), c)).toBe(0);
    expect(code(buy(20_000), c)).toBe(0);
    expect(code(buy(30_000), c)).toBe(RejectCode.PositionLimit);
    expect(code(sell(30_000), c)).toBe(0);
  });

  it('an order that reduces a position already over the limit passes', () => {
    const position = new Position();
    position.applyFill(1, PX, 150_000, 0);
    expect(code(sell(50_000), ctx({ limits: limits({ maxPosition1e8: 100_000 }), position }))).toBe(0);
  });

  it('open orders: one under the limit passes, at the limit is RISK, and a replace does not take a second slot', () => {
    const two = liveOrders(2);
    expect(code(buy(20_000), ctx({ limits: limits({ maxOpenOrders: 3 }), liveOrders: two }))).toBe(0);
    expect(code(buy(20_000), ctx({ limits: limits({ maxOpenOrders: 2 }), liveOrders: two }))).toBe(RejectCode.Risk);
    expect(code(buy(20_000), ctx({ limits: limits({ maxOpenOrders: 2 }), liveOrders: two, replacing: two[0] }))).toBe(0);
  });

  it('price deviation from the mid: under and at the limit pass, over is PRICE_DEVIATION, on both sides', () => {
    const c = ctx({ limits: limits({ maxPriceDeviationBps: 50 }), mark1e9: 60_000 * PX });
    expect(code(buy(20_000, 59_700 * PX + 100_000_000), c)).toBe(0);
    expect(code(buy(20_000, 59_700 * PX), c)).toBe(0);
    expect(code(buy(20_000, 59_700 * PX - 100_000_000), c)).toBe(RejectCode.PriceDeviation);
    expect(code(sell(20_000, 60_300 * PX), c)).toBe(0);
    expect(code(sell(20_000, 60_300 * PX + 100_000_000), c)).toBe(RejectCode.PriceDeviation);
  });

  it('price deviation cannot pass without a market price to compare with', () => {
    expect(checkOrder(buy(20_000), ctx({ limits: limits({ maxPriceDeviationBps: 50 }), mark1e9: 0 }))).toMatchObject({ code: RejectCode.PriceDeviation, reason: 'no market price yet to check the order price against' });
  });

  it('min quantity: at the minimum passes, one lot under is INVALID_PARAMS', () => {
    expect(code(buy(20_000), ctx())).toBe(0);
    expect(checkOrder(buy(10_000), ctx())).toEqual({ code: RejectCode.InvalidParams, reason: 'quantity 0.0001 is under the minimum 0.0002' });
  });

  it('lot and tick: off-grid quantity or price is INVALID_PARAMS with the grid named', () => {
    expect(checkOrder(buy(25_000), ctx())).toEqual({ code: RejectCode.InvalidParams, reason: 'quantity 0.00025 is not a multiple of the lot size 0.0001' });
    expect(checkOrder(buy(20_000, 60_000 * PX + 50_000_000), ctx())).toEqual({ code: RejectCode.InvalidParams, reason: 'price 60000.05 is not a multiple of the tick size 0.1' });
  });

  it('a limit order without a price is INVALID_PARAMS', () => {
    expect(code(buy(20_000, 0), ctx())).toBe(RejectCode.InvalidParams);
  });

  it('orders per second: the rate flag from the window rejects with RATE_LIMIT, as a venue limiter does', () => {
    expect(checkOrder(buy(20_000), ctx({ limits: limits({ maxOrdersPerSec: 5 }), rateExceeded: true }))).toEqual({ code: RejectCode.RateLimit, reason: 'more than 5 orders in one second' });
  });

  it('zero limits mean no limit', () => {
    expect(code(buy(9_000_000_000_000, 9_000 * PX), ctx({ mark1e9: 1 }))).toBe(0);
  });
});

describe('the one-second rate window', () => {
  it('allows the limit within one second, refuses one more, and allows again a second later', () => {
    const w = new RateWindow(3);
    for (const t of [0, 100, 200]) {
      expect(w.full(t)).toBe(false);
      w.record(t);
    }
    expect(w.full(999)).toBe(true);
    expect(w.full(1000)).toBe(false);
  });

  it('a limit of 0 never fills', () => {
    const w = new RateWindow(0);
    for (let t = 0; t < 100; t++) w.record(t);
    expect(w.full(100)).toBe(false);
  });
});
