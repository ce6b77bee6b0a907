// algo_init: emitted when the algorithm overrides onInit.

import { registeredAlgo } from "../algo";
import { Params } from "../params";

export function algo_init(paramsPtr: usize, paramsLen: i32): void {
  const text = String.UTF8.decodeUnsafe(paramsPtr, <usize>max(paramsLen, 0));
  registeredAlgo().onInit(Params.parse(text));
}
