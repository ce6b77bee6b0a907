// Replaces AssemblyScript's `env.abort` import (the build passes `--use abort=` pointing
// here): the node allows no such import. The message goes to the node's log at Error level,
// then the instance traps, which the node reports as Aborted.
//
// The line is assembled in a static buffer without allocating, because an abort can come
// from the allocator itself (out of memory) and must not recurse into it.

import { host_log_impl } from "../host";

const LOG_LEVEL_ERROR: i32 = 4;
const MAX_PART_CHARS: i32 = 300;
const BUFFER_BYTES: i32 = 2048;
const buffer = memory.data(BUFFER_BYTES);

function appendAscii(at: usize, text: string): usize {
  for (let i = 0; i < text.length; i++) store<u8>(at + <usize>i, <u8>text.charCodeAt(i));
  return at + <usize>text.length;
}

function appendText(at: usize, text: string | null): usize {
  if (text === null) return appendAscii(at, "?");
  const chars = min(text.length, MAX_PART_CHARS);
  return at + String.UTF8.encodeUnsafe(changetype<usize>(text), chars, at);
}

function appendDecimal(at: usize, value: u32): usize {
  let digits: i32 = 1;
  for (let rest = value / 10; rest > 0; rest /= 10) digits++;
  let end = at + <usize>digits;
  let rest = value;
  for (let i = 1; i <= digits; i++) {
    store<u8>(end - <usize>i, <u8>(48 + rest % 10));
    rest /= 10;
  }
  return end;
}

export function abortHandler(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let at = appendAscii(buffer, "abort: ");
  at = appendText(at, message);
  at = appendAscii(at, " at ");
  at = appendText(at, fileName);
  at = appendAscii(at, ":");
  at = appendDecimal(at, line);
  at = appendAscii(at, ":");
  at = appendDecimal(at, column);
  host_log_impl(LOG_LEVEL_ERROR, buffer, <i32>(at - buffer));
  unreachable();
}
