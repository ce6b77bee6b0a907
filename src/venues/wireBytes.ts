// Byte-level matching for the venues' frame scanners (Kraken's book frames, Coinbase's
// l2_data): the fixed literals of a canonical frame layout, compared four bytes at a
// time, and the subscribed names (symbols, product ids) found from a frame's bytes by hash.

function wireBytes(literal: string): Uint8Array {
  return Uint8Array.from(literal, (c) => c.charCodeAt(0));
}

/** A literal of the canonical layout: its bytes, and its whole 4-byte groups as little-endian words. */
export interface WireLiteral {
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
}

export function wireLiteral(literal: string): WireLiteral {
  const bytes = wireBytes(literal);
  const words = new Int32Array(bytes.length >> 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < words.length; i++) words[i] = view.getInt32(4 * i, true);
  return { bytes, words };
}

/** The hash KnownNames files a name under: the canonical paths compute it inline as they read. */
export function nameHash(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0;
  for (let i = start; i < end; i++) hash = (Math.imul(hash, 31) + bytes[i]) | 0;
  return hash;
}

/**
 * The subscribed names (symbols, product ids), found from their bytes in a frame with one
 * hash probe and one compare rather than a compare against each (10 symbols: about 40 ns a
 * message less).
 * Only printable ASCII names without a quote or backslash can appear unescaped in a
 * frame, so only those are filed; the others are read as text each time.
 */
export class KnownNames {
  private readonly bytes: Uint8Array[] = [];
  /** First name of each hash slot, then the next name in the same slot; -1 ends a chain. */
  private readonly slotFirst: Int32Array;
  private readonly nextInSlot: Int32Array;
  private readonly mask: number;

  constructor(readonly names: readonly string[]) {
    let slots = 16;
    while (slots < names.length * 4) slots *= 2;
    this.mask = slots - 1;
    this.slotFirst = new Int32Array(slots).fill(-1);
    this.nextInSlot = new Int32Array(names.length).fill(-1);
    const lastInSlot = new Int32Array(slots).fill(-1);
    names.forEach((name, k) => {
      const bytes = wireBytes(name);
      this.bytes.push(bytes);
      if (!/^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/.test(name)) return;
      // Appended at the chain's end, so of equal names the first listed is found.
      const slot = nameHash(bytes, 0, bytes.length) & this.mask;
      if (lastInSlot[slot] < 0) this.slotFirst[slot] = k;
      else this.nextInSlot[lastInSlot[slot]] = k;
      lastInSlot[slot] = k;
    });
  }

  /** Index of the name held in text[start, end) whose nameHash is `hash`, or -1. */
  find(text: Uint8Array, start: number, end: number, hash: number): number {
    const length = end - start;
    for (let k = this.slotFirst[hash & this.mask]; k >= 0; k = this.nextInSlot[k]) {
      const name = this.bytes[k];
      if (name.length !== length) continue;
      let diff = 0;
      for (let i = 0; i < length; i++) diff |= text[start + i] ^ name[i];
      if (diff === 0) return k;
    }
    return -1;
  }
}
