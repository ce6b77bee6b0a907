// Log lines to the node (env.host_log_impl), UTF-8 encoded in a static buffer. Lines are cut
// at MAX_LOG_CHARS; the node bounds what it keeps anyway.

import { host_log_impl } from "./host";

const MAX_LOG_CHARS: i32 = 1024;
// UTF-8 needs at most 3 bytes per UTF-16 code unit.
const scratch = memory.data(MAX_LOG_CHARS * 3);

export enum LogLevel {
  Trace = 0,
  Debug = 1,
  Info = 2,
  Warn = 3,
  Error = 4,
}

export namespace log {
  export function write(level: LogLevel, message: string): void {
    const chars = min(message.length, MAX_LOG_CHARS);
    const bytes = String.UTF8.encodeUnsafe(changetype<usize>(message), chars, scratch);
    host_log_impl(level, scratch, <i32>bytes);
  }

  export function trace(message: string): void {
    write(LogLevel.Trace, message);
  }

  export function debug(message: string): void {
    write(LogLevel.Debug, message);
  }

  export function info(message: string): void {
    write(LogLevel.Info, message);
  }

  export function warn(message: string): void {
    write(LogLevel.Warn, message);
  }

  export function error(message: string): void {
    write(LogLevel.Error, message);
  }
}
