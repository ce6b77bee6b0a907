import { STAGE_NAMES, type LatencyTraceFile } from '../../src/node/latencyTrace.ts';

// The node's in-process breakdown, from the latency trace it writes at exit: each stage's
// share of the path from a book frame's arrival to its first order reaching the gateway,
// per sample, in microseconds. Pure.

export interface StageSpan {
  name: string;
  /** Stage indexes into the trace's stamps: the span is to - from. */
  from: number;
  to: number;
}

const at = (name: (typeof STAGE_NAMES)[number]) => STAGE_NAMES.indexOf(name);

export const STAGE_SPANS: readonly StageSpan[] = [
  { name: 'frame parse', from: at('received'), to: at('parsed') },
  { name: 'book apply and checksum', from: at('parsed'), to: at('applied') },
  { name: 'encode (engine bookkeeping, book and state into the instance)', from: at('applied'), to: at('encoded') },
  { name: 'WASM call (on_book, actions decoded)', from: at('encoded'), to: at('called') },
  { name: 'risk (first order through the gate)', from: at('called'), to: at('risked') },
  { name: 'orders recorded (both quotes: risk, core state, events)', from: at('risked'), to: at('committed') },
  { name: 'journal append (the turn\'s batch, one transaction)', from: at('committed'), to: at('journaled') },
  { name: 'gateway handoff (the replaced quote\'s cancel, then the order)', from: at('journaled'), to: at('handed') },
];

export const WHOLE_PATH: StageSpan = { name: 'frame received to order handed to the gateway', from: at('received'), to: at('handed') };

export interface Breakdown {
  /** Per span of STAGE_SPANS, then WHOLE_PATH last: microseconds per complete sample. */
  spansUs: number[][];
  /** Samples with a missing stamp or stamps out of order, left out. */
  malformed: number;
}

export function stageBreakdown(trace: LatencyTraceFile): Breakdown {
  if (trace.stages.length !== STAGE_NAMES.length || trace.stages.some((s, i) => s !== STAGE_NAMES[i])) {
    throw new Error(`the trace's stages (${trace.stages.join(', ')}) are not this build's (${STAGE_NAMES.join(', ')})`);
  }
  const spans = [...STAGE_SPANS, WHOLE_PATH];
  const spansUs = spans.map(() => [] as number[]);
  let malformed = 0;
  for (const sample of trace.samples) {
    let ordered = sample.length === STAGE_NAMES.length;
    for (let i = 1; ordered && i < sample.length; i++) {
      const t = sample[i];
      if (typeof t !== 'number' || !(t >= (sample[i - 1] as number))) ordered = false;
    }
    if (!ordered) {
      malformed++;
      continue;
    }
    spans.forEach((span, k) => spansUs[k]!.push(((sample[span.to] as number) - (sample[span.from] as number)) / 1000));
  }
  return { spansUs, malformed };
}
