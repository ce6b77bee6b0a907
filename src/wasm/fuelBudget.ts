import { FUEL_EXPORT, instrumentModule } from './instrument.ts';

// Fuel is charged once per function entry and once per loop iteration. To turn a deadline
// in milliseconds into fuel, the node measures at start how fast this machine burns fuel
// in the tightest possible loop; a tight infinite loop then runs out of fuel at about its
// deadline. Heavier loop bodies burn fuel more slowly, and the runner's wall-clock check
// after each call catches those (the instance is aborted when the call returns late).

// (func (export "run") (param i32) (loop (br_if 0 (local.tee 0 (i32.sub (local.get 0) (i32.const 1))))))
const TIGHT_LOOP_MODULE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x01, 0x7f, 0x00,
  0x03, 0x02, 0x01, 0x00,
  0x07, 0x07, 0x01, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x00,
  0x0a, 0x10, 0x01, 0x0e, 0x00, 0x03, 0x40, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x22, 0x00, 0x0d, 0x00, 0x0b, 0x0b,
]);

const CALIBRATION_ITERATIONS = 2_000_000;
const MIN_FUEL_PER_MS = 100_000;
const MAX_FUEL_PER_MS = 50_000_000;

let measured = 0;

/** Fuel units this machine burns per millisecond in a tight loop (measured once, then cached). */
export function fuelPerMs(): number {
  if (measured > 0) return measured;
  const module = new WebAssembly.Module(instrumentModule(TIGHT_LOOP_MODULE, { memoryMaxPages: 1 }));
  const instance = new WebAssembly.Instance(module, {});
  const run = instance.exports.run as (n: number) => void;
  const fuel = instance.exports[FUEL_EXPORT] as WebAssembly.Global;
  let best = Infinity;
  for (let attempt = 0; attempt < 5; attempt++) {
    fuel.value = 0x7fffffff;
    const t0 = performance.now();
    run(CALIBRATION_ITERATIONS);
    best = Math.min(best, performance.now() - t0);
  }
  const perMs = CALIBRATION_ITERATIONS / Math.max(best, 1e-3);
  measured = Math.round(Math.min(MAX_FUEL_PER_MS, Math.max(MIN_FUEL_PER_MS, perMs)));
  return measured;
}

/** The fuel for one callback with the given deadline; capped to the i32 counter. */
export function fuelForDeadline(deadlineMs: number): number {
  return Math.min(0x7fffffff, Math.round(deadlineMs * fuelPerMs()));
}

/**
 * Fuel per millisecond of deadline in a replay, where the budget must not depend on the
 * machine: the same bundle and inputs must give the same orders anywhere, so a replay
 * counts fuel against this fixed rate (about a 2020s server core's tight-loop rate) and
 * skips the wall-clock check.
 */
export const REPLAY_FUEL_PER_MS = 3_000_000;

/** How a callback's time is bounded: live by measured fuel and the wall clock, in a replay by fixed fuel alone. */
export interface CallBudget {
  fuel: number;
  /** A call that returns later than this is aborted; Infinity in a replay. */
  wallLimitMs: number;
}

export function liveBudget(deadlineMs: number): CallBudget {
  return { fuel: fuelForDeadline(deadlineMs), wallLimitMs: deadlineMs };
}

export function replayBudget(deadlineMs: number): CallBudget {
  return { fuel: Math.min(0x7fffffff, Math.round(deadlineMs * REPLAY_FUEL_PER_MS)), wallLimitMs: Infinity };
}
