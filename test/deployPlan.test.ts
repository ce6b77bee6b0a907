import { describe, expect, it } from 'vitest';
import type { DeploymentConfig } from '../src/node/configTypes.ts';
import { planDeployments } from '../src/node/deployPlan.ts';

const base: DeploymentConfig = {
  name: 'maker',
  venue: 'sim_a',
  label: 'maker',
  symbols: ['BTC/USD'],
  bundle: '/algos/maker.wasm',
  params: { spread_bps: 3 },
  callbackDeadlineMs: 50,
  memoryMaxMib: 64,
  risk: { maxOrderQty1e8: 0, maxOrderNotional1e9: 0, maxPosition1e8: 0, maxOpenOrders: 32, maxPriceDeviationBps: 0, maxOrdersPerSec: 0, maxDailyLoss1e9: 0 },
};
const dep = (o: Partial<DeploymentConfig>): DeploymentConfig => ({ ...base, ...o });

describe('deployment plans', () => {
  it('a new label starts, a missing label stops, an identical one is unchanged', () => {
    const plan = planDeployments([{ config: base, sha256: 'a' }, { config: dep({ label: 'old', name: 'old' }), sha256: 'b' }], [base, dep({ label: 'new', name: 'new' })], new Map([['maker', 'a'], ['new', 'c']]));
    expect(plan.start.map((d) => d.label)).toEqual(['new']);
    expect(plan.stop).toEqual(['old']);
    expect(plan.restart).toEqual([]);
    expect(plan.unchanged).toEqual(['maker']);
  });

  it('a changed bundle hash restarts, even at the same path', () => {
    expect(planDeployments([{ config: base, sha256: 'a' }], [base], new Map([['maker', 'b']])).restart.map((d) => d.label)).toEqual(['maker']);
  });

  it('changed params, symbols or limits restart; a moved bundle file with the same hash and a renamed table do not', () => {
    const running = [{ config: base, sha256: 'a' }];
    const sha = new Map([['maker', 'a']]);
    expect(planDeployments(running, [dep({ params: { spread_bps: 4 } })], sha).restart).toHaveLength(1);
    expect(planDeployments(running, [dep({ callbackDeadlineMs: 20 })], sha).restart).toHaveLength(1);
    expect(planDeployments(running, [dep({ risk: { ...base.risk, maxOrdersPerSec: 5 } })], sha).restart).toHaveLength(1);
    expect(planDeployments(running, [dep({ bundle: '/elsewhere/maker.wasm', name: 'renamed' })], sha).unchanged).toEqual(['maker']);
  });
});
