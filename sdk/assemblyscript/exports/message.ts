// algo_on_message: emitted when the algorithm overrides onMessage. The label and payload
// are copied out of the host's buffer, so the algorithm may keep them.

import { actions } from "../actions";
import { registeredAlgo } from "../algo";
import { AlgoState } from "../state";

export function algo_on_message(fromPtr: usize, fromLen: i32, payloadPtr: usize, payloadLen: i32, statePtr: usize): usize {
  actions.reset();
  const from = String.UTF8.decodeUnsafe(fromPtr, <usize>max(fromLen, 0));
  const payload = new Uint8Array(max(payloadLen, 0));
  memory.copy(payload.dataStart, payloadPtr, <usize>payload.byteLength);
  registeredAlgo().onMessage(from, payload, changetype<AlgoState>(statePtr), actions);
  return changetype<usize>(actions);
}
