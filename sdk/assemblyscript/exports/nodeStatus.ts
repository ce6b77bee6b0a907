// algo_on_node_status: emitted when the algorithm overrides onNodeStatus.

import { registeredAlgo } from "../algo";
import { NodeRole } from "../codes";

export function algo_on_node_status(role: i32): void {
  registeredAlgo().onNodeStatus(<NodeRole>role);
}
