import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OrderType } from '../src/wasm/abi.ts';
import { EmulatorMarket } from '../src/venues/emulator/emulatorMarket.ts';

const PX = 1_000_000_000;
const QTY = 100_000_000;
const TICK = PX / 10;

describe('emulator market', () => {
  let market: EmulatorMarket;

  beforeEach(async () => {
    market = new EmulatorMarket({
      name: 'emu',
      seed: 3,
      markets: [{ symbol: 'BTC/USD', startPrice1e9: 60_000 * PX, tickSize1e9: TICK, lotSize1e8: 1, minQty1e8: QTY / 10_000 }],
      tickIntervalMs: 20,
    });
    await market.start();
    while (market.book('BTC/USD').askCount === 0) await new Promise((r) => setTimeout(r, 10));
  });

  afterEach(() => market.stop());

  const passiveBuy = () => market.book('BTC/USD').bidPx[0] - 100 * TICK;

  it('rests a passive order and lists it as open', async () => {
    const order = await market.place({ clientOrderId: 'a', symbol: 'BTC/USD', side: 1, type: OrderType.Limit, px1e9: passiveBuy(), qty1e8: QTY / 100 });
    expect(order).toMatchObject({ clientOrderId: 'a', status: 'open', filled1e8: 0, venueOrderId: 'emu-1' });
    expect(market.openOrders().map((o) => o.clientOrderId)).toEqual(['a']);
    expect(market.order('emu-1')).toBe(order);
  });

  it('answers a repeated client order id with the existing order and places nothing new', async () => {
    const first = await market.place({ clientOrderId: 'dup', symbol: 'BTC/USD', side: 1, type: OrderType.Limit, px1e9: passiveBuy(), qty1e8: QTY / 100 });
    const again = await market.place({ clientOrderId: 'dup', symbol: 'BTC/USD', side: -1, type: OrderType.Market, px1e9: 0, qty1e8: QTY });
    expect(again).toBe(first);
    expect(market.openOrders()).toHaveLength(1);
  });

  it('fills an aggressive IOC at once and records its fills with fees and notional', async () => {
    const seen: string[] = [];
    market.subscribe({ onOrder: (o, fill) => seen.push(`${o.status}${fill === null ? '' : ':fill'}`) });
    const px = market.book('BTC/USD').askPx[0] + 100 * TICK;
    const order = await market.place({ clientOrderId: 'ioc', symbol: 'BTC/USD', side: 1, type: OrderType.Ioc, px1e9: px, qty1e8: QTY / 1000 });
    expect(['filled', 'canceled']).toContain(order.status);
    const fills = market.fills().filter((f) => f.clientOrderId === 'ioc');
    expect(fills.length).toBeGreaterThan(0);
    expect(fills.reduce((a, f) => a + f.qty1e8, 0)).toBe(order.filled1e8);
    expect(seen.some((s) => s.endsWith(':fill'))).toBe(true);
    expect(market.openOrders()).toHaveLength(0);
  });

  it('cancels by either id, and a second cancel of the same order does nothing', async () => {
    const order = await market.place({ clientOrderId: 'c', symbol: 'BTC/USD', side: 1, type: OrderType.Limit, px1e9: passiveBuy(), qty1e8: QTY / 100 });
    expect(await market.cancel(order.venueOrderId)).toEqual({ order, cancelled: true });
    expect(order.status).toBe('canceled');
    expect(await market.cancel('c')).toEqual({ order, cancelled: false });
    expect(await market.cancel('nope')).toEqual({ order: null, cancelled: false });
  });

  it('cancels all open orders and counts them', async () => {
    for (const id of ['x', 'y', 'z']) await market.place({ clientOrderId: id, symbol: 'BTC/USD', side: 1, type: OrderType.Limit, px1e9: passiveBuy(), qty1e8: QTY / 100 });
    expect(await market.cancelAll()).toBe(3);
    expect(market.openOrders()).toHaveLength(0);
  });

  it('rejects new orders in cancel_only with the reason, and records them as rejected', async () => {
    market.setStatus('cancel_only');
    const order = await market.place({ clientOrderId: 'r', symbol: 'BTC/USD', side: 1, type: OrderType.Limit, px1e9: passiveBuy(), qty1e8: QTY / 100 });
    expect(order).toMatchObject({ status: 'rejected', reason: 'venue is in cancel_only' });
  });

  it('rejects an order under the minimum quantity with the reason', async () => {
    const order = await market.place({ clientOrderId: 'm', symbol: 'BTC/USD', side: 1, type: OrderType.Limit, px1e9: passiveBuy(), qty1e8: 1 });
    expect(order.status).toBe('rejected');
    expect(order.reason).toMatch(/under the minimum/);
  });
});
