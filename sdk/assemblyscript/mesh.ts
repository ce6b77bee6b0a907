// Messages to sibling instances by label (env.__seq_send). The node queues them and
// delivers after the callback returns, to the sibling's onMessage.

import { __seq_send } from "./host";

export const MAX_MESSAGE_BYTES: i32 = 256;
export const MAX_SENDS_PER_CALLBACK: i32 = 16;
export const MAX_LABEL_BYTES: i32 = 32;

export enum SendResult {
  Queued = 0,
  PayloadTooLarge = -1,
  OutboxFull = -2,
  BadLabel = -3,
}

// Room for a label of MAX_LABEL_BYTES code units at 3 UTF-8 bytes each, so an over-long
// label still reaches the node, which answers BadLabel.
const labelScratch = memory.data(MAX_LABEL_BYTES * 3);

/**
 * Queues `payload` (at most 256 bytes) for the instance labelled `label`. Returns a
 * SendResult: 0 when queued, negative when refused. An unknown label is accepted and
 * dropped at delivery.
 */
export function send(label: string, payload: Uint8Array): i32 {
  if (label.length > MAX_LABEL_BYTES) return SendResult.BadLabel;
  const labelBytes = String.UTF8.encodeUnsafe(changetype<usize>(label), label.length, labelScratch);
  return __seq_send(labelScratch, <i32>labelBytes, payload.dataStart, payload.byteLength);
}
