import { describe, expect, it } from 'vitest';
import { makerTraffic } from '../scripts/benchLifecycle.ts';
import { CoreState } from '../src/node/coreState.ts';
import type { TradingMessage } from '../src/node/tradingMessage.ts';

describe('benchmark harness', () => {
  it("the Bootstrap benchmark's journal is traffic the OMS accepts: no anomalies, the maker's two quotes live, hedges flat", () => {
    const core = new CoreState();
    const traffic = makerTraffic();
    const kinds: Record<string, number> = {};
    for (let k = 0; k < 20_000; k++) {
      const m = traffic.next().value as TradingMessage;
      kinds[m.kind] = (kinds[m.kind] ?? 0) + 1;
      core.apply(m);
    }
    expect(core.oms.anomalies).toBe(0);
    expect(core.oms.liveCount).toBe(2);
    expect(Object.keys(kinds).sort()).toEqual(['ack', 'canceled', 'fill', 'mesh', 'order']);
    const maker = core.oms.position('maker', 'BTC/USD').qty1e8;
    const hedger = core.oms.position('hedger', 'BTC/USD').qty1e8;
    expect(maker + hedger).toBe(0);
  });
});
