import { isDeepStrictEqual } from 'node:util';
import type { ControlHandler } from '../control/controlHandler.ts';
import { loadBundle, type LoadedBundle } from '../wasm/loader.ts';
import { ConfigError, loadConfig } from './config.ts';
import type { NodeConfig } from './configTypes.ts';
import { planDeployments } from './deployPlan.ts';
import type { Engine } from './engine.ts';

/**
 * What the control socket's requests do on this node. Halt and resume record who asked
 * ("operator:<by>") and why; a halt with cancel all answers with each cancel's outcome.
 */
export function nodeControlHandler(engine: Engine, status: () => unknown, shutdown: (reason: string) => void): ControlHandler {
  const mustLead = (action: string) => {
    if (engine.role !== 'leader') throw new Error(`this node is ${engine.role}, not leader: ${action} the leader`);
  };
  return {
    status,
    halt: async (p) => {
      mustLead('halt');
      return engine.halt(`operator:${p.by}`, p.reason, p.cancelAll);
    },
    resume: (p) => {
      mustLead('resume');
      engine.resume(`operator:${p.by}`, p.reason);
      return { resumed: true };
    },
    deploy: (p) => {
      mustLead('deploy to');
      return deploy(engine, p.config);
    },
    shutdown: (p) => {
      shutdown(`shutdown requested by ${p.by}`);
      return { shuttingDown: true };
    },
  };
}

/**
 * `sequence deploy`: validates the whole new config and loads every bundle before
 * anything changes, then applies the difference. Node-wide settings ([node], [venues],
 * the halt triggers) are not changed by a deploy: the answer says so when they differ.
 */
function deploy(engine: Engine, file: string) {
  let next: NodeConfig;
  try {
    next = loadConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) throw new Error(error.issues.map((i) => `${i.file}:${i.line}: ${i.key}: ${i.message}`).join('; '));
    throw error;
  }
  for (const dc of next.deployments) {
    const why = engine.cannotRun(dc);
    if (why !== '') throw new Error(why);
  }
  const bundles = new Map<string, LoadedBundle>();
  for (const dc of next.deployments) bundles.set(dc.label, loadBundle(dc.bundle, { memoryMaxMib: dc.memoryMaxMib, callbackDeadlineMs: dc.callbackDeadlineMs }));
  const plan = planDeployments(engine.runningDeployments(), next.deployments, new Map([...bundles].map(([label, b]) => [label, b.sha256])));
  engine.redeploy(plan, bundles);
  const current = engine.config;
  const nodeWideChanged = !isDeepStrictEqual(next.venues, current.venues) || !isDeepStrictEqual(next.haltTriggers, current.haltTriggers) || !isDeepStrictEqual({ ...next.node }, { ...current.node });
  return {
    started: plan.start.map((d) => d.label),
    stopped: plan.stop,
    restarted: plan.restart.map((d) => d.label),
    unchanged: plan.unchanged,
    ...(nodeWideChanged ? { not_applied: '[node], [venues] and the halt triggers in [risk] changed; they take effect at the next restart' } : {}),
  };
}
