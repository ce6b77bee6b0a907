// Byte-level matching for the venues' frame scanners (Kraken's book frames, Coinbase's
// l2_data): the fixed literals of a canonical frame layout, compared four bytes at a
// time (LiteralMatcher), and the subscribed names (symbols, product ids) found from a
// frame's bytes by hash (KnownNames).

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

const EMPTY = new Uint8Array(0);
const QUOTE = 34;
const BACKSLASH = 92;

/**
 * Compares a frame's bytes with literals, four bytes a read (unaligned little-endian words)
 * then the tail byte by byte. One per scanner, pointed at each frame in turn; the DataView
 * is kept while frames share an ArrayBuffer, as a burst from one socket read does.
 */
export class LiteralMatcher {
  private text: Uint8Array = EMPTY;
  private view: DataView<ArrayBufferLike> = new DataView(EMPTY.buffer);
  private viewBuffer: ArrayBufferLike = EMPTY.buffer;
  private viewOffset = 0;
  private end = 0;

  /** The frame compared from now on: its first `length` bytes. */
  point(frame: Uint8Array, length: number): void {
    this.end = length;
    // The frames of one socket read come in the same Buffer: its buffer and byteOffset
    // getters, which cost about a tenth of a frame's scan, are read once per read.
    if (frame === this.text) return;
    this.text = frame;
    // Compared with the buffer held in a field: DataView's buffer getter costs as much again.
    const buffer = frame.buffer;
    if (buffer !== this.viewBuffer) {
      this.viewBuffer = buffer;
      this.view = new DataView(buffer);
    }
    this.viewOffset = frame.byteOffset;
  }

  /** Whether the frame holds `literal` at `at`. No early exit: OR-ing the differences runs faster than a branch per step. */
  matches(at: number, literal: WireLiteral): boolean {
    const length = literal.bytes.length;
    if (at + length > this.end) return false;
    const view = this.view;
    const base = this.viewOffset + at;
    const words = literal.words;
    let diff = 0;
    for (let i = 0; i < words.length; i++) diff |= view.getInt32(base + 4 * i, true) ^ words[i];
    const text = this.text;
    const bytes = literal.bytes;
    for (let i = 4 * words.length; i < length; i++) diff |= text[at + i] ^ bytes[i];
    return diff === 0;
  }
}

/** findQuoted's answer for a name with an escape or no closing quote: the general path reads it. */
export const NOT_PLAIN = -2;

/** The hash KnownNames files a name under (findQuoted computes it as it reads). */
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

  /** After findQuoted: the position of the quote that closed the name. */
  quotedEnd = 0;

  /**
   * Reads a name from text[start] to its closing quote (before `end`), hashing on the way,
   * so matching it takes one probe: its index, -1 for a name not filed, or NOT_PLAIN for
   * one with an escape or no closing quote. quotedEnd is then the closing quote's position.
   */
  findQuoted(text: Uint8Array, start: number, end: number): number {
    let p = start;
    let hash = 0;
    let c = text[p];
    while (c !== QUOTE) {
      if (c === BACKSLASH || p >= end) return NOT_PLAIN;
      hash = (Math.imul(hash, 31) + c) | 0;
      c = text[++p];
    }
    this.quotedEnd = p;
    return this.find(text, start, p, hash);
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
