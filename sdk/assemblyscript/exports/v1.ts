// The version-1 exports (the Rust sequence-algo-sdk 0.1 set); every bundle has them.

import { actions } from "../actions";
import { registeredAlgo } from "../algo";
import { L2Book } from "../book";
import { Fill } from "../fill";
import { Reject } from "../reject";
import { AlgoState } from "../state";

/** Memory for the host's buffers: 8-aligned, never freed or moved. */
export function algo_alloc(size: i32): usize {
  return heap.alloc(<usize>max(size, 0));
}

export function algo_on_book(bookPtr: usize, statePtr: usize): usize {
  actions.reset();
  registeredAlgo().onBook(changetype<L2Book>(bookPtr), changetype<AlgoState>(statePtr), actions);
  return changetype<usize>(actions);
}

export function algo_on_fill(fillPtr: usize, statePtr: usize): void {
  registeredAlgo().onFill(changetype<Fill>(fillPtr), changetype<AlgoState>(statePtr));
}

export function algo_on_reject(rejectPtr: usize): void {
  registeredAlgo().onReject(changetype<Reject>(rejectPtr));
}

export function algo_on_shutdown(statePtr: usize): usize {
  actions.reset();
  registeredAlgo().onShutdown(changetype<AlgoState>(statePtr), actions);
  return changetype<usize>(actions);
}
