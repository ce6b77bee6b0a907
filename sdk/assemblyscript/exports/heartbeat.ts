// algo_on_heartbeat: emitted when the algorithm overrides onHeartbeat.

import { actions } from "../actions";
import { registeredAlgo } from "../algo";
import { AlgoState } from "../state";

export function algo_on_heartbeat(statePtr: usize): usize {
  actions.reset();
  registeredAlgo().onHeartbeat(changetype<AlgoState>(statePtr), actions);
  return changetype<usize>(actions);
}
