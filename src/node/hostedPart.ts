import type { NodeConfig } from './configTypes.ts';

export class HostedPartError extends Error {}

/**
 * The part of a config this node hosts (`sequence run --labels a,b --venues x`): the
 * deployments that match both filters. A node may host none only when it runs the mesh
 * coordinator for the others.
 */
export function hostedPart(config: NodeConfig, labels: string | undefined, venues: string | undefined): NodeConfig {
  const split = (list: string | undefined) => (list === undefined ? undefined : new Set(list.split(',').map((s) => s.trim()).filter((s) => s !== '')));
  const wantLabels = split(labels);
  const wantVenues = split(venues);
  for (const label of wantLabels ?? []) {
    if (!config.deployments.some((d) => d.label === label)) throw new HostedPartError(`--labels: no deployment is labelled "${label}" in ${config.file}`);
  }
  for (const venue of wantVenues ?? []) {
    if (!config.venues.some((v) => v.name === venue)) throw new HostedPartError(`--venues: no venue "${venue}" in ${config.file}`);
  }
  const deployments = config.deployments.filter((d) => (wantLabels === undefined || wantLabels.has(d.label)) && (wantVenues === undefined || wantVenues.has(d.venue)));
  if (deployments.length === 0 && config.mesh?.role !== 'coordinator') {
    throw new HostedPartError('no deployment is left to host here; only a node that runs the mesh coordinator may host none');
  }
  return { ...config, node: { ...config.node }, deployments };
}
