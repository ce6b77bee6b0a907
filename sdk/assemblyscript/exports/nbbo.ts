// algo_on_nbbo: emitted when the algorithm overrides onNbbo.

import { actions } from "../actions";
import { registeredAlgo } from "../algo";
import { Nbbo } from "../nbbo";
import { AlgoState } from "../state";

export function algo_on_nbbo(nbboPtr: usize, statePtr: usize): usize {
  actions.reset();
  registeredAlgo().onNbbo(changetype<Nbbo>(nbboPtr), changetype<AlgoState>(statePtr), actions);
  return changetype<usize>(actions);
}
