/**
 * A control-socket failure worded for the operator: one line that says what is wrong and,
 * where it helps, what was expected. The CLI prints the message alone, without a stack.
 */
export class ControlError extends Error {
  override name = 'ControlError';
}
