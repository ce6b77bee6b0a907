import { describe, expect, it } from 'vitest';
import { KrakenClientIdMap, krakenClientOrderId } from '../src/venues/kraken/krakenClientId.ts';

describe('Kraken client order ids', () => {
  it('maps a node id longer than 18 characters to a UUID Kraken accepts, the same every time', () => {
    const id = 'maker.1234567.3.with-a-long-label-and-suffix';
    const wire = krakenClientOrderId(id);
    expect(wire).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(krakenClientOrderId(id)).toBe(wire);
    expect(krakenClientOrderId('maker.1234567.4')).not.toBe(wire);
  });

  it('refuses an empty id', () => {
    expect(() => krakenClientOrderId('')).toThrow(/client order id must not be empty/);
  });

  it('maps wire ids it sent back to node ids, in either letter case, and knows nothing of others', () => {
    const map = new KrakenClientIdMap();
    const wire = map.wireFor('maker.1.1');
    expect(map.nodeIdFor(wire)).toBe('maker.1.1');
    expect(map.nodeIdFor(wire.toUpperCase())).toBe('maker.1.1');
    expect(map.nodeIdFor(krakenClientOrderId('someone.else'))).toBeUndefined();
  });

  it('rebuilds the way back from the node ids it is told about (after a restart)', () => {
    const map = new KrakenClientIdMap();
    map.rebuild(['hedger.5.1', '', 'maker.9.2']);
    expect(map.nodeIdFor(krakenClientOrderId('hedger.5.1'))).toBe('hedger.5.1');
    expect(map.nodeIdFor(krakenClientOrderId('maker.9.2'))).toBe('maker.9.2');
    expect(map.size).toBe(2);
  });

  it('forgets the oldest ids past its bound', () => {
    const map = new KrakenClientIdMap(2);
    map.wireFor('a.1.1');
    map.wireFor('a.2.1');
    map.wireFor('a.3.1');
    expect(map.size).toBe(2);
    expect(map.nodeIdFor(krakenClientOrderId('a.1.1'))).toBeUndefined();
    expect(map.nodeIdFor(krakenClientOrderId('a.3.1'))).toBe('a.3.1');
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new KrakenClientIdMap(0)).toThrow(/maxEntries must be a positive integer, got 0/);
  });
});
