// algo_on_kill_switch: emitted when the algorithm overrides onKillSwitch.

import { actions } from "../actions";
import { registeredAlgo } from "../algo";
import { AlgoState } from "../state";

export function algo_on_kill_switch(halted: i32, statePtr: usize): usize {
  actions.reset();
  registeredAlgo().onKillSwitch(halted != 0, changetype<AlgoState>(statePtr), actions);
  return changetype<usize>(actions);
}
