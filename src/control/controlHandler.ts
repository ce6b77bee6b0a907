import type { DeployParams, HaltParams, ResumeParams, ShutdownParams } from './protocol.ts';

/**
 * What the node does for control requests. Params arrive validated. A throw or a rejected
 * promise becomes an error response carrying the error's message, so the message should be
 * one line written for the operator. Results are sent as JSON.
 */
export interface ControlHandler {
  status(): unknown;
  halt(p: HaltParams): Promise<unknown> | unknown;
  resume(p: ResumeParams): Promise<unknown> | unknown;
  deploy(p: DeployParams): Promise<unknown> | unknown;
  /**
   * Starts the node's shutdown and answers. It must not wait for the control server to
   * close: the answer is written after it returns, and closing drops the connection.
   */
  shutdown(p: ShutdownParams): Promise<unknown> | unknown;
}
