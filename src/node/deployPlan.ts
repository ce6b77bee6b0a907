import { isDeepStrictEqual } from 'node:util';
import type { DeploymentConfig } from './configTypes.ts';

/** A running deployment as the plan sees it: its config and its bundle's hash. */
export interface DeployedInstance {
  config: DeploymentConfig;
  sha256: string;
}

export interface DeployPlan {
  start: DeploymentConfig[];
  stop: string[];
  /** Bundle, params, symbols or limits changed: on_shutdown, then a fresh instance. */
  restart: DeploymentConfig[];
  unchanged: string[];
}

/**
 * What `sequence deploy` must do to go from the running deployments to the ones in a new
 * config, by label: new labels start, missing labels stop, and a label whose bundle (by
 * hash) or settings differ restarts. Pure: the caller has loaded and hashed the bundles.
 */
export function planDeployments(running: readonly DeployedInstance[], next: readonly DeploymentConfig[], nextSha256: ReadonlyMap<string, string>): DeployPlan {
  const current = new Map(running.map((r) => [r.config.label, r]));
  const plan: DeployPlan = { start: [], stop: [], restart: [], unchanged: [] };
  for (const d of next) {
    const now = current.get(d.label);
    if (now === undefined) plan.start.push(d);
    else if (now.sha256 !== nextSha256.get(d.label) || !sameSettings(now.config, d)) plan.restart.push(d);
    else plan.unchanged.push(d.label);
  }
  const labels = new Set(next.map((d) => d.label));
  for (const r of running) if (!labels.has(r.config.label)) plan.stop.push(r.config.label);
  return plan;
}

/** Everything but the table's name and the bundle path (the hash speaks for the bundle). */
function sameSettings(a: DeploymentConfig, b: DeploymentConfig): boolean {
  const { name: _an, bundle: _ab, ...restA } = a;
  const { name: _bn, bundle: _bb, ...restB } = b;
  return isDeepStrictEqual(restA, restB);
}
