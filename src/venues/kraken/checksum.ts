// Kraken's order-book checksum (VENUES.md section 2): CRC-32 (IEEE, as zlib computes it)
// over the digit text of the top 10 asks, best first, then the top 10 bids, best first,
// each level contributing its price digits then its qty digits. A level's digit text is
// the wire decimal with the dot removed and leading zeros stripped ("0.00000500" -> "500"),
// which is exactly the decimal rendering of the integer formed by all its digits.
//
// Two ways in. The fast one: the scanner runs the CRC over a level's digit bytes as it
// reads them from the frame, and the book folds that per-level CRC into the running
// register with crc32Append (four table lookups a level). The general one: every level
// also holds its text as an integer (the "digits" value), which crc32Digits renders digit
// by digit; it serves texts too long for the fast path, exponent forms, and levels built
// from numbers rather than frames (the emulator's live books).
//
// The CRC is a table-driven loop in JS rather than zlib.crc32: the input is 40 short
// texts, and zlib.crc32 needs them joined into one string first (40 allocations per
// message). Measured on Node 20.20 over the v1 example book (500k runs, best of 3): this
// loop over the digit values 0.60 us per checksum; joining the text and calling
// zlib.crc32 0.71 us; joining and running this table over the text 0.84 us.

/** Levels of each side that the checksum covers. */
export const CHECKSUM_LEVELS = 10;

const CRC_TABLE = buildTable();

function buildTable(): Int32Array {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
}

/**
 * Slicing by two: CRC_TABLE_2[n] is the register after byte n and then a zero byte, from a
 * zero register, so crc32Pair takes two bytes with two independent lookups where two
 * crc32Byte calls chain one lookup on the other.
 */
const CRC_TABLE_2 = buildPairTable();

function buildPairTable(): Int32Array {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) table[n] = CRC_TABLE[CRC_TABLE[n] & 0xff] ^ (CRC_TABLE[n] >>> 8);
  return table;
}

/** Reversed digits of one number; 16 digits cover every safe integer. */
const digitScratch = new Uint8Array(16);

/** Longest digit text of one value the scanner folds into a level's text CRC; a longer one is rendered from its digit value. */
export const TEXT_BYTES = 32;
/** A level text length meaning its text CRC is not held: the checksum renders the digit values instead. */
export const TEXT_NOT_HELD = 255;

/** Continues a running CRC register with one byte. */
export function crc32Byte(register: number, byte: number): number {
  return CRC_TABLE[(register ^ byte) & 0xff] ^ (register >>> 8);
}

/** Continues a running CRC register with two bytes, `first` then `second`: crc32Byte twice in one step. */
export function crc32Pair(register: number, first: number, second: number): number {
  const x = register ^ first ^ (second << 8);
  return CRC_TABLE_2[x & 0xff] ^ CRC_TABLE[(x >>> 8) & 0xff] ^ (register >>> 16);
}

/**
 * Shift tables, built on first use, by text length: SHIFT_TABLES[n] maps a register to
 * the register after n zero bytes, one 256-entry part per register byte (the map is
 * linear over GF(2), so the parts XOR together). An empty table stands for one not built
 * yet, so the list holds one kind of element and its lookup stays monomorphic.
 */
const NOT_BUILT = new Int32Array(0);
const SHIFT_TABLES: Int32Array[] = Array.from({ length: 2 * TEXT_BYTES + 1 }, () => NOT_BUILT);

function shiftTable(length: number): Int32Array {
  const table = new Int32Array(4 * 256);
  for (let part = 0; part < 4; part++) {
    for (let v = 0; v < 256; v++) {
      let crc = v << (8 * part);
      for (let k = 0; k < length; k++) crc = CRC_TABLE[crc & 0xff] ^ (crc >>> 8);
      table[part * 256 + v] = crc;
    }
  }
  return (SHIFT_TABLES[length] = table);
}

/**
 * A running CRC register after `length` zero bytes (0 to 2 * TEXT_BYTES; unchecked: the
 * hot paths call it with lengths they hold in range, crc32Append checks).
 */
export function crc32Shift(register: number, length: number): number {
  let table = SHIFT_TABLES[length];
  if (table.length === 0) table = shiftTable(length);
  return table[register & 0xff] ^ table[256 + ((register >>> 8) & 0xff)] ^ table[512 + ((register >>> 16) & 0xff)] ^ table[768 + (register >>> 24)];
}

/** Texts up to this long are shifted over with one table of their own (up to 10 levels of 64 bytes). */
const LONG_SHIFT_MAX = 10 * 2 * TEXT_BYTES;
/**
 * Shift tables for lengths past 2 * TEXT_BYTES, built on first use, as SHIFT_TABLES: the
 * first message whose bids' text has a length not seen before pays for its table (1,024
 * entries, 20 to 65 us here); the capture's 10 books at depth 10 show 47 lengths, 2 to 10 a book.
 */
const LONG_SHIFT_TABLES: Int32Array[] = Array.from({ length: LONG_SHIFT_MAX + 1 }, () => NOT_BUILT);

/** The table for `length` zero bytes (2 * TEXT_BYTES < length <= LONG_SHIFT_MAX), composed from the short ones. */
function longShiftTable(length: number): Int32Array {
  const table = new Int32Array(4 * 256);
  for (let part = 0; part < 4; part++) {
    for (let v = 0; v < 256; v++) table[part * 256 + v] = crc32ShiftInSteps(v << (8 * part), length);
  }
  return (LONG_SHIFT_TABLES[length] = table);
}

/** crc32ShiftBy the short tables alone: steps of at most 2 * TEXT_BYTES bytes. */
function crc32ShiftInSteps(register: number, length: number): number {
  let crc = register;
  let left = length;
  for (; left > 2 * TEXT_BYTES; left -= 2 * TEXT_BYTES) crc = crc32Shift(crc, 2 * TEXT_BYTES);
  return crc32Shift(crc, left);
}

/**
 * A running CRC register after `length` zero bytes, for any length >= 0: four table
 * lookups up to the length of ten levels' texts, then steps of 2 * TEXT_BYTES. It joins
 * two registers: crc(r, text) = crc32ShiftBy(r, text length) ^ crc(0, text).
 */
export function crc32ShiftBy(register: number, length: number): number {
  if (length <= 2 * TEXT_BYTES) return crc32Shift(register, length);
  if (length > LONG_SHIFT_MAX) return crc32ShiftInSteps(register, length);
  let table = LONG_SHIFT_TABLES[length];
  if (table.length === 0) table = longShiftTable(length);
  return table[register & 0xff] ^ table[256 + ((register >>> 8) & 0xff)] ^ table[512 + ((register >>> 16) & 0xff)] ^ table[768 + (register >>> 24)];
}

/**
 * Continues a running CRC register (not yet finalised: start from -1) over a text of
 * `length` bytes (at most 2 * TEXT_BYTES) whose own CRC from a zero register is `textCrc`.
 * CRC-32 is affine in its register: crc(r, text) = crc(r, zeros) ^ crc(0, text), and
 * crc(r, zeros) is four table lookups. So a level folds its digit text into one number
 * when it is set, and every checksum after costs four lookups a level, whatever the
 * text's length (capture, depth 10, top 20 levels from scratch: 2.6 us rendering digit
 * values, 0.45 us over bytes held per level, 0.1 us this way).
 */
export function crc32Append(register: number, textCrc: number, length: number): number {
  if (!(length >= 0 && length <= 2 * TEXT_BYTES)) throw new RangeError(`a folded text is 0 to ${2 * TEXT_BYTES} bytes long, got ${length}`);
  return crc32Shift(register, length) ^ textCrc;
}

/** CRC-32 (IEEE) of a text of single-byte characters (the checksum input is ASCII digits). */
export function crc32Ascii(text: string): number {
  let crc = -1;
  for (let i = 0; i < text.length; i++) crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/**
 * Continues a running CRC register (not yet finalised: start from -1) with the decimal
 * digits of a non-negative safe integer; 0 contributes nothing, as "0.0" strips to "".
 */
export function crc32Digits(register: number, digits: number): number {
  let count = 0;
  let rest = digits;
  while (rest > 0) {
    const next = Math.floor(rest / 10);
    digitScratch[count++] = rest - next * 10;
    rest = next;
  }
  let crc = register;
  while (count > 0) crc = CRC_TABLE[(crc ^ (48 + digitScratch[--count])) & 0xff] ^ (crc >>> 8);
  return crc;
}

/**
 * One side of a book as the checksum reads it, best level first. A level's digit text is
 * its digits followed by its zeros: the split exists only for values whose digits exceed
 * 2^53 (zeros is 0 otherwise), as the real capture's ask at 99999997.00000000 does.
 */
export interface ChecksumSide {
  readonly count: number;
  pxDigits(index: number): number;
  pxZeros(index: number): number;
  qtyDigits(index: number): number;
  qtyZeros(index: number): number;
}

/** The length of crc32Digits' text for `digits`: its decimal digits, none for 0. */
export function digitsLength(digits: number): number {
  let count = 0;
  for (let rest = digits; rest > 0; rest = Math.floor(rest / 10)) count++;
  return count;
}

/** Continues a running CRC register with `count` ASCII zeros. */
export function crc32Zeros(register: number, count: number): number {
  let crc = register;
  for (let i = 0; i < count; i++) crc = CRC_TABLE[(crc ^ 48) & 0xff] ^ (crc >>> 8);
  return crc;
}

function crc32Side(register: number, side: ChecksumSide): number {
  let crc = register;
  const levels = Math.min(side.count, CHECKSUM_LEVELS);
  for (let i = 0; i < levels; i++) {
    crc = crc32Zeros(crc32Digits(crc, side.pxDigits(i)), side.pxZeros(i));
    crc = crc32Zeros(crc32Digits(crc, side.qtyDigits(i)), side.qtyZeros(i));
  }
  return crc;
}

/** Kraken's checksum of a book: up to the top 10 asks (ascending), then the top 10 bids (descending). */
export function bookChecksum(asks: ChecksumSide, bids: ChecksumSide): number {
  return (crc32Side(crc32Side(-1, asks), bids) ^ -1) >>> 0;
}

/** The digit text of a level value as the checksum reads it: "0.00000500" -> "500". */
export function checksumText(decimalText: string): string {
  return decimalText.replace('.', '').replace(/^0+/, '');
}
