// A test hook for crash tests: with SEQUENCE_CRASH_POINT=<name> and SEQUENCE_CRASH_AFTER=N
// in the environment, the process kills itself with SIGKILL the Nth time it passes that
// point, so tests can stop a node exactly between journaling an order and sending it.
// Without the variables this is one boolean test per order.

const point = process.env.SEQUENCE_CRASH_POINT ?? '';
let remaining = Number(process.env.SEQUENCE_CRASH_AFTER ?? '1');

export type CrashPointName = 'order-journaled' | 'order-sent';

export function crashPoint(name: CrashPointName): void {
  if (point !== name) return;
  if (--remaining > 0) return;
  process.kill(process.pid, 'SIGKILL');
}
