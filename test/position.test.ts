import { describe, expect, it } from 'vitest';
import { Position } from '../src/node/position.ts';

const PX = 1_000_000_000;
const QTY = 100_000_000;

describe('position accounting on integer fixed point', () => {
  it('averages the entry price of fills that add to the position', () => {
    const p = new Position();
    p.applyFill(1, 100 * PX, 1 * QTY, 0);
    p.applyFill(1, 110 * PX, 3 * QTY, 0);
    expect(p.qty1e8).toBe(4 * QTY);
    expect(p.avgEntry1e9()).toBe(107_500_000_000);
    expect(p.realizedPnl1e9()).toBe(0);
  });

  it('realizes the difference to the average entry when a long is reduced', () => {
    const p = new Position();
    p.applyFill(1, 100 * PX, 2 * QTY, 0);
    p.applyFill(-1, 110 * PX, 1 * QTY, 0);
    expect(p.qty1e8).toBe(1 * QTY);
    expect(p.realizedPnl1e9()).toBe(10 * PX);
    expect(p.avgEntry1e9()).toBe(100 * PX);
  });

  it('realizes gains on a short covered lower', () => {
    const p = new Position();
    p.applyFill(-1, 100 * PX, 2 * QTY, 0);
    p.applyFill(1, 90 * PX, 2 * QTY, 0);
    expect(p.qty1e8).toBe(0);
    expect(p.realizedPnl1e9()).toBe(20 * PX);
    expect(p.avgEntry1e9()).toBe(0);
  });

  it('a fill through zero closes the old side and opens the new one at the fill price', () => {
    const p = new Position();
    p.applyFill(1, 100 * PX, 1 * QTY, 0);
    p.applyFill(-1, 105 * PX, 3 * QTY, 0);
    expect(p.qty1e8).toBe(-2 * QTY);
    expect(p.realizedPnl1e9()).toBe(5 * PX);
    expect(p.avgEntry1e9()).toBe(105 * PX);
  });

  it('marks unrealized PnL against the mark price, signed by the side', () => {
    const long = new Position();
    long.applyFill(1, 100 * PX, 2 * QTY, 0);
    expect(long.unrealizedPnl1e9(103 * PX)).toBe(6 * PX);
    const short = new Position();
    short.applyFill(-1, 100 * PX, 2 * QTY, 0);
    expect(short.unrealizedPnl1e9(103 * PX)).toBe(-6 * PX);
    expect(short.unrealizedPnl1e9(0)).toBe(0);
  });

  it('subtracts fees from realized PnL', () => {
    const p = new Position();
    p.applyFill(1, 100 * PX, 1 * QTY, 50_000_000);
    p.applyFill(-1, 101 * PX, 1 * QTY, 50_000_000);
    expect(p.realizedPnl1e9()).toBe(1 * PX - 100_000_000);
    expect(p.fees1e9).toBe(100_000_000);
    expect(p.fillCount).toBe(2);
  });

  it('stays exact where px x qty passes 2^53 (60,000 x 1,000 BTC)', () => {
    const p = new Position();
    p.applyFill(1, 60_000.1 * PX, 1000 * QTY, 0);
    p.applyFill(1, 60_000.3 * PX, 1000 * QTY, 0);
    expect(p.avgEntry1e9()).toBe(60_000_200_000_000);
    p.applyFill(-1, 60_001.2 * PX, 2000 * QTY, 0);
    expect(p.realizedPnl1e9()).toBe(2000 * PX);
  });

  it('a thousand 0.01 BTC round trips at a 0.1 spread realize exactly 1.0, without drift', () => {
    const p = new Position();
    for (let i = 0; i < 1000; i++) {
      p.applyFill(1, 60_000_100_000_000, 1_000_000, 0);
      p.applyFill(-1, 60_000_200_000_000, 1_000_000, 0);
    }
    expect(p.qty1e8).toBe(0);
    expect(p.realizedPnl1e9()).toBe(1 * PX);
  });
});
