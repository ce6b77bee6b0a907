import { describe, expect, it } from 'vitest';
import { OrderStatus, OrderType, RejectCode } from '../src/wasm/abi.ts';
import { Oms } from '../src/node/oms.ts';
import type { OrderRequestMessage } from '../src/node/tradingMessage.ts';

function order(overrides: Partial<OrderRequestMessage> = {}): OrderRequestMessage {
  return {
    kind: 'order',
    tsNs: 1,
    label: 'maker',
    venue: 'sim_a',
    symbol: 'BTC/USD',
    algoOrderId: 1,
    clientOrderId: 'maker.1.1',
    side: 1,
    px1e9: 60_000_000_000_000,
    qty1e8: 1_000_000,
    orderType: OrderType.Limit,
    replaces: '',
    ...overrides,
  };
}

const fill = (clientOrderId: string, fillId: string, qty1e8: number, px1e9 = 60_000_000_000_000) =>
  ({ kind: 'fill', clientOrderId, fillId, px1e9, qty1e8, fee1e9: 0, liquidity: 'maker', tsNs: 2 }) as const;

describe('OMS order lifecycle', () => {
  it('an order goes pending, acked, partial, then dead when fully filled, and moves the position', () => {
    const oms = new Oms();
    oms.apply(order());
    const o = oms.order('maker.1.1')!;
    expect(o.status).toBe(OrderStatus.Pending);
    oms.apply({ kind: 'ack', clientOrderId: 'maker.1.1', venueOrderId: 'V1', tsNs: 2 });
    expect(o.status).toBe(OrderStatus.Acked);
    const first = oms.apply(fill('maker.1.1', 'f1', 400_000));
    expect(first.kind).toBe('fill');
    expect(o.status).toBe(OrderStatus.Partial);
    oms.apply(fill('maker.1.1', 'f2', 600_000));
    expect(o.status).toBe(OrderStatus.Dead);
    expect(oms.liveOrders('maker')).toHaveLength(0);
    expect(oms.position('maker', 'BTC/USD').qty1e8).toBe(1_000_000);
  });

  it('a fill repeated by the venue is applied once', () => {
    const oms = new Oms();
    oms.apply(order({ qty1e8: 2_000_000 }));
    oms.apply(fill('maker.1.1', 'f1', 1_000_000));
    const again = oms.apply(fill('maker.1.1', 'f1', 1_000_000));
    expect(again.kind).toBe('none');
    expect(oms.position('maker', 'BTC/USD').qty1e8).toBe(1_000_000);
  });

  it('a fill larger than the remaining quantity is an anomaly and changes nothing', () => {
    const oms = new Oms();
    oms.apply(order());
    const outcome = oms.apply(fill('maker.1.1', 'f1', 2_000_000));
    expect(outcome).toMatchObject({ kind: 'anomaly' });
    expect(oms.anomalies).toBe(1);
    expect(oms.position('maker', 'BTC/USD').qty1e8).toBe(0);
  });

  it('a fill that arrives after the cancel confirmation is still applied to the position', () => {
    const oms = new Oms();
    oms.apply(order());
    oms.apply({ kind: 'canceled', clientOrderId: 'maker.1.1', reason: 'requested', tsNs: 2 });
    const late = oms.apply(fill('maker.1.1', 'f1', 500_000));
    expect(late.kind).toBe('fill');
    expect(oms.position('maker', 'BTC/USD').qty1e8).toBe(500_000);
  });

  it('a replace keeps the algorithm id on the new order and marks the old one for cancel', () => {
    const oms = new Oms();
    oms.apply(order());
    oms.apply(order({ clientOrderId: 'maker.1.2', px1e9: 60_001_000_000_000, replaces: 'maker.1.1' }));
    expect(oms.liveByAlgoOrderId('maker', 1)?.clientOrderId).toBe('maker.1.2');
    expect(oms.order('maker.1.1')?.cancelRequested).toBe(true);
    expect(oms.liveOrders('maker')).toHaveLength(2);
    oms.apply({ kind: 'canceled', clientOrderId: 'maker.1.1', reason: 'requested', tsNs: 3 });
    expect(oms.liveByAlgoOrderId('maker', 1)?.clientOrderId).toBe('maker.1.2');
    expect(oms.liveOrders('maker')).toHaveLength(1);
  });

  it('a venue reject retires the order and reports its code', () => {
    const oms = new Oms();
    oms.apply(order());
    const outcome = oms.apply({ kind: 'reject', clientOrderId: 'maker.1.1', code: RejectCode.InvalidParams, reason: 'bad tick', tsNs: 2 });
    expect(outcome).toMatchObject({ kind: 'reject', code: RejectCode.InvalidParams });
    expect(oms.liveCount).toBe(0);
  });

  it('a second request with a client order id already used is refused as an anomaly', () => {
    const oms = new Oms();
    oms.apply(order());
    expect(oms.apply(order()).kind).toBe('anomaly');
    expect(oms.liveOrders('maker')).toHaveLength(1);
  });

  it('events for orders it never saw are anomalies, not crashes', () => {
    const oms = new Oms();
    expect(oms.apply({ kind: 'ack', clientOrderId: 'x', venueOrderId: 'V', tsNs: 1 }).kind).toBe('anomaly');
    expect(oms.apply(fill('x', 'f', 1)).kind).toBe('anomaly');
    expect(oms.anomalies).toBe(2);
  });

  it('applying the same messages to two OMS instances gives the same state', () => {
    const messages = [
      order(),
      { kind: 'ack', clientOrderId: 'maker.1.1', venueOrderId: 'V1', tsNs: 2 } as const,
      fill('maker.1.1', 'f1', 300_000),
      order({ clientOrderId: 'maker.2.2', algoOrderId: 2, side: -1, px1e9: 60_010_000_000_000 }),
      fill('maker.2.2', 'f2', 1_000_000, 60_010_000_000_000),
    ];
    const a = new Oms();
    const b = new Oms();
    for (const m of messages) a.apply(m);
    for (const m of messages) b.apply(m);
    const pa = a.position('maker', 'BTC/USD');
    const pb = b.position('maker', 'BTC/USD');
    expect([pa.qty1e8, pa.realizedPnl1e9(), pa.avgEntry1e9()]).toEqual([pb.qty1e8, pb.realizedPnl1e9(), pb.avgEntry1e9()]);
    expect(pa.qty1e8).toBe(-700_000);
    expect(pa.realizedPnl1e9()).toBe(30_000_000);
  });
});
