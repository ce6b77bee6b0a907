import { MeshCoordinator } from './mesh/meshCoordinator.ts';
import { MeshEdge } from './mesh/meshEdge.ts';
import type { MeshNbbo, MeshTop } from './mesh/meshProtocol.ts';
import type { MeshConfig } from './configTypes.ts';

/** What the engine needs from the mesh beyond its own process, whether this node runs the coordinator or joins one. */
export interface RemoteMesh {
  /** Sends to a label hosted elsewhere; false when it was dropped (link down, buffer full). */
  send(from: string, to: string, payload: Uint8Array): boolean;
  /** This node's best bid and offer on one of its venues, for the cross-venue NBBO. */
  publishTop(top: MeshTop): void;
  /** Per-link counters for the UI and the status line. */
  stats(): unknown;
  close(): Promise<void>;
}

export interface RemoteMeshHandlers {
  onMessage(from: string, to: string, payload: Uint8Array): void;
  onNbbo(symbol: string, nbbo: MeshNbbo): void;
  onLink(up: boolean, reason: string): void;
}

/** The mesh cannot be joined or run as configured (no secret, the port taken). */
export class MeshError extends Error {}

/**
 * Joins (or runs) the mesh the config names. The shared secret comes from the environment
 * variable `[mesh] secret_env` names, never from the config file; a missing or short one
 * is an error naming the variable.
 */
export async function openRemoteMesh(config: MeshConfig, node: string, labels: string[], handlers: RemoteMeshHandlers): Promise<RemoteMesh> {
  const secret = process.env[config.secretEnv] ?? '';
  if (Buffer.byteLength(secret) < 16) {
    throw new MeshError(`the mesh secret must be in the environment variable ${config.secretEnv}, at least 16 bytes (it is ${secret === '' ? 'not set' : 'shorter'})`);
  }
  if (config.role === 'coordinator') {
    let coordinator: MeshCoordinator;
    try {
      coordinator = await MeshCoordinator.listen(config.host, config.port, secret, {
        node,
        labels,
        onLocalMessage: (from, to, payload) => handlers.onMessage(from, to, payload),
        onNbbo: (symbol, nbbo) => handlers.onNbbo(symbol, nbbo),
      });
    } catch (error) {
      throw new MeshError(`cannot run the mesh coordinator on ${config.host}:${config.port}: ${(error as Error).message}`);
    }
    handlers.onLink(true, `coordinator listening on ${config.host}:${coordinator.port}`);
    return {
      send: (from, to, payload) => coordinator.sendFromLocal(from, to, payload),
      publishTop: (top) => coordinator.publishLocalTop(top),
      stats: () => coordinator.stats(),
      close: () => coordinator.close(),
    };
  }
  const edge = new MeshEdge(config.url, node, secret, labels, {
    onMessage: (from, to, payload) => handlers.onMessage(from, to, payload),
    onNbbo: (symbol, nbbo) => handlers.onNbbo(symbol, nbbo),
    onLinkChange: (up, reason) => handlers.onLink(up, reason),
  });
  edge.start();
  return {
    send: (from, to, payload) => edge.send(from, to, payload),
    publishTop: (top) => edge.publishTop(top),
    stats: () => edge.stats(),
    close: () => edge.stop(),
  };
}
