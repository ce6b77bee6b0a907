import type { ControlHandler } from '../control/controlHandler.ts';
import type { Engine } from './engine.ts';

/**
 * What the control socket's requests do on this node. Halt and resume record who asked
 * ("operator:<by>") and why; a halt with cancel all answers with each cancel's outcome.
 */
export function nodeControlHandler(engine: Engine, status: () => unknown, shutdown: (reason: string) => void): ControlHandler {
  return {
    status,
    halt: async (p) => {
      if (engine.role !== 'leader') throw new Error(`this node is ${engine.role}, not leader: halt the leader`);
      return engine.halt(`operator:${p.by}`, p.reason, p.cancelAll);
    },
    resume: (p) => {
      if (engine.role !== 'leader') throw new Error(`this node is ${engine.role}, not leader: resume on the leader`);
      engine.resume(`operator:${p.by}`, p.reason);
      return { resumed: true };
    },
    deploy: () => {
      throw new Error('applying a config to a running node is not in this build; restart the node with the new config (sequence deploy --check validates it first)');
    },
    shutdown: (p) => {
      shutdown(`shutdown requested by ${p.by}`);
      return { shuttingDown: true };
    },
  };
}
