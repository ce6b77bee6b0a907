// The Algo base class and the one registered instance the exports call into.
//
// Override only the callbacks you need: the build emits the optional wasm exports
// (algo_init, algo_on_message, ...) only for the methods your class declares, so the node
// wires up exactly those.

import "./abort/abortHandler";
import { Actions } from "./actions";
import { NodeRole } from "./codes";
import { L2Book } from "./book";
import { Fill } from "./fill";
import { Nbbo } from "./nbbo";
import { Params } from "./params";
import { Reject } from "./reject";
import { AlgoState } from "./state";

export class Algo {
  /** Once, after instantiation and before any other callback, with the deployment's params. */
  onInit(params: Params): void {}

  /** Every book update of the instance's symbol on its venue. */
  onBook(book: L2Book, state: AlgoState, actions: Actions): void {}

  /** A fill of one of this instance's orders; `state` already includes it. */
  onFill(fill: Fill, state: AlgoState): void {}

  /** An order was rejected by the venue or by the node's checks. */
  onReject(reject: Reject): void {}

  /** The node is stopping; by default every live order is cancelled. */
  onShutdown(state: AlgoState, actions: Actions): void {
    actions.cancelAll(state);
  }

  /** A message from the sibling instance labelled `from`. */
  onMessage(from: string, payload: Uint8Array, state: AlgoState, actions: Actions): void {}

  /** The best bid and offer across venues changed. */
  onNbbo(nbbo: Nbbo, state: AlgoState, actions: Actions): void {}

  /** Once a second. */
  onHeartbeat(state: AlgoState, actions: Actions): void {}

  /** The node's role changed; only a Leader's actions reach a venue. */
  onNodeStatus(role: NodeRole): void {}

  /** Trading halted (true) or resumed (false); while halted only cancels are accepted. */
  onKillSwitch(halted: bool, state: AlgoState, actions: Actions): void {}
}

let registered: Algo | null = null;

/** Installs the algorithm instance; call it once at the top level of algo.ts. */
export function register(algo: Algo): void {
  if (registered !== null) throw new Error("register: an algorithm is already registered");
  registered = algo;
}

/** The registered instance; traps with a clear message when algo.ts never registered one. */
export function registeredAlgo(): Algo {
  const algo = registered;
  if (algo === null) throw new Error("no algorithm registered: call register(new YourAlgo()) in algo.ts");
  return algo;
}
