// Tick-to-trade samples from the emulator's two clocks readings: when each driven book
// frame was written, and when each AddOrder arrived. A frame's answer is the first
// AddOrder for its symbol that arrives after it and before the next driven frame of that
// symbol; later orders in the window (the other side's quote, other instances) are not
// samples, and a frame nothing answered is counted, not paired with a later order. Pure.

export interface FrameMark {
  symbol: string;
  /** Emulator clock, ns. */
  atNs: number;
}

export interface OrderMark {
  symbol: string;
  /** Emulator clock, ns. */
  arrivedNs: number;
}

export interface Pairing {
  /** One per answered frame, in frame order: arrival minus write, ns. */
  latenciesNs: number[];
  /** Frames with no order in their window. */
  unanswered: number;
}

function checkTimes<T>(items: readonly T[], time: (item: T) => number, what: string): void {
  let last = -Infinity;
  for (let i = 0; i < items.length; i++) {
    const t = time(items[i] as T);
    if (!Number.isFinite(t)) throw new RangeError(`${what} ${i} has no finite time (${t})`);
    if (t < last) throw new RangeError(`${what} ${i} is earlier than the one before it: ${what}s must be in time order`);
    last = t;
  }
}

export function pairFramesToOrders(frames: readonly FrameMark[], orders: readonly OrderMark[]): Pairing {
  checkTimes(frames, (f) => f.atNs, 'frame');
  checkTimes(orders, (o) => o.arrivedNs, 'order');
  const ordersBySymbol = new Map<string, number[]>();
  for (const o of orders) {
    let list = ordersBySymbol.get(o.symbol);
    if (list === undefined) ordersBySymbol.set(o.symbol, (list = []));
    list.push(o.arrivedNs);
  }
  // The next driven frame of the same symbol closes a frame's window.
  const windowEnd = new Float64Array(frames.length).fill(Infinity);
  const lastIndex = new Map<string, number>();
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i] as FrameMark;
    const previous = lastIndex.get(f.symbol);
    if (previous !== undefined) windowEnd[previous] = f.atNs;
    lastIndex.set(f.symbol, i);
  }
  const cursor = new Map<string, number>();
  const latenciesNs: number[] = [];
  let unanswered = 0;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i] as FrameMark;
    const list = ordersBySymbol.get(f.symbol) ?? [];
    let k = cursor.get(f.symbol) ?? 0;
    while (k < list.length && (list[k] as number) < f.atNs) k++;
    cursor.set(f.symbol, k);
    const arrived = list[k];
    if (arrived !== undefined && arrived < (windowEnd[i] as number)) latenciesNs.push(arrived - f.atNs);
    else unanswered++;
  }
  return { latenciesNs, unanswered };
}
