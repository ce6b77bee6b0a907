import { POW10 } from '../../node/fixedPoint.ts';
import { crc32Append, crc32Byte, crc32Pair, crc32Shift, TEXT_BYTES, TEXT_NOT_HELD } from './checksum.ts';
import { grownArray } from '../grownArray.ts';
import { KnownNames, LiteralMatcher, NOT_PLAIN, nameHash, wireLiteral } from '../wireBytes.ts';

// Reads Kraken WS v2 `book` frames straight from their bytes. JSON.parse cannot be used on
// them: it turns 0.10000000 into 0.1 and loses the digits the checksum is computed over.
// The scanner walks the frame once, left to right, and leaves the result in reusable
// typed arrays: per message (one `data` entry) its symbol, checksum and the ranges of its
// bids and asks; per level entry the price (px_1e9), qty (qty_1e8), their digit text (the
// decimal with the dot removed and leading zeros stripped: what the checksum runs over),
// held as an integer plus a count of trailing zeros, and their decimal places (to print the
// text back exactly), and the CRC of the level's digit text, run over the frame's bytes as
// they are read (the checksum folds it in per level; see checksum.ts).
// Nothing is written to a book here, so a frame that fails half way corrupts nothing.
//
// It reads bytes (the socket read, in place) rather than a string. Measured on Node 20.20
// over the capture's 4,269 update frames (186 bytes on average), best of 8 rounds: scanning
// the Buffer 0.82 us a frame; Buffer -> toString() -> scanning the string 1.07 us; scanning
// a string directly 1.02 us; a string copied into a reused buffer, then scanned, 1.07 us.
// So the feed scans what the socket delivers, and string callers pay about 5%.

export type BookFrameType = 'snapshot' | 'update';

/** A frame that claims to be a book frame but cannot be read; `reason` says why. */
export class BookFrameError extends Error {
  constructor(
    readonly reason: string,
    /** Byte offset in the frame where reading failed. */
    readonly position: number,
  ) {
    super(`bad Kraken book frame at ${position}: ${reason}`);
    this.name = 'BookFrameError';
  }
}

export interface BookFrameScannerOptions {
  /** Level entries one frame may hold, all messages together; default 200,000. */
  maxEntries?: number;
  /** Messages (data entries) one frame may hold; default 1,000. */
  maxMessages?: number;
  /** Bytes one frame may have; default 8 MiB (a depth-1000 snapshot is about 60 KB). */
  maxFrameBytes?: number;
  /**
   * Symbols the frames are expected to name (the subscribed ones): a message naming one
   * gets this very string and its index here in symbolIndex, with no string built per
   * message. Others are read into a new string, with symbolIndex -1.
   */
  symbols?: readonly string[];
}

const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const LBRACKET = 91;
const RBRACKET = 93;
const LBRACE = 123;
const RBRACE = 125;
const BACKSLASH = 92;
const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const LOWER_E = 101;
const UPPER_E = 69;

/** Nesting allowed inside a skipped value (fields this scanner does not read). */
const MAX_SKIP_DEPTH = 64;
const UINT32_MAX = 4_294_967_295;
const PX_DECIMALS = 9;
/** Significant digits the canonical path reads into one integer: 15 always fit in 2^53. */
const FAST_DIGITS = 15;
const QTY_DECIMALS = 8;

const EMPTY = Buffer.alloc(0);
const INITIAL_ENTRIES = 256;
const INITIAL_MESSAGES = 16;

// The literals of the canonical layout, compared four bytes at a time (LiteralMatcher).
const WIRE_UPDATE_HEAD = wireLiteral('{"channel":"book","type":"update","data":[');
const WIRE_SNAPSHOT_HEAD = wireLiteral('{"channel":"book","type":"snapshot","data":[');
const WIRE_BIDS = wireLiteral('","bids":[');
const WIRE_ASKS = wireLiteral(',"asks":[');
const WIRE_CHECKSUM = wireLiteral(',"checksum":');
const WIRE_QTY = wireLiteral(',"qty":');
const WIRE_TIMESTAMP = wireLiteral(',"timestamp":"');
const WIRE_PRICE = wireLiteral('{"price":');
const WIRE_SYMBOL = wireLiteral('{"symbol":"');

export class BookFrameScanner {
  readonly maxEntries: number;
  readonly maxMessages: number;
  readonly maxFrameBytes: number;

  /** Type of the last book frame read. */
  type: BookFrameType = 'snapshot';
  /** Messages in the last book frame read. */
  messageCount = 0;
  /** Level entries in the last book frame read, all messages together. */
  entryCount = 0;

  // Per message; index < messageCount.
  symbols: string[] = [];
  /** Index of the message's symbol in the options' symbols; -1 for any other symbol. */
  symbolIndex = new Int32Array(INITIAL_MESSAGES);
  checksums = new Float64Array(INITIAL_MESSAGES);
  bidStart = new Int32Array(INITIAL_MESSAGES);
  bidEnd = new Int32Array(INITIAL_MESSAGES);
  askStart = new Int32Array(INITIAL_MESSAGES);
  askEnd = new Int32Array(INITIAL_MESSAGES);

  // Per level entry; index < entryCount.
  px1e9 = new Float64Array(INITIAL_ENTRIES);
  qty1e8 = new Float64Array(INITIAL_ENTRIES);
  pxDigits = new Float64Array(INITIAL_ENTRIES);
  qtyDigits = new Float64Array(INITIAL_ENTRIES);
  pxZeros = new Uint8Array(INITIAL_ENTRIES);
  qtyZeros = new Uint8Array(INITIAL_ENTRIES);
  pxDecimals = new Uint8Array(INITIAL_ENTRIES);
  qtyDecimals = new Uint8Array(INITIAL_ENTRIES);
  /** CRC-32 from a zero register of the entry's price digits then qty digits, and their length (TEXT_NOT_HELD: not held). */
  textCrc = new Int32Array(INITIAL_ENTRIES);
  textLength = new Uint8Array(INITIAL_ENTRIES);

  private text: Buffer = EMPTY;
  private readonly literals = new LiteralMatcher();
  /** The frame is bytes [start, end) of `text`; positions are absolute, errors name them from start. */
  private start = 0;
  private end = 0;
  private pos = 0;
  private scratch: Buffer = Buffer.alloc(4096);
  // Results of the last readString / readNumber, kept in fields so reading allocates nothing.
  private strStart = 0;
  private strEnd = 0;
  private numScaled = 0;
  private numDigits = 0;
  private numZeros = 0;
  private numDecimals = 0;
  private numTextCrc = 0;
  private numTextLength = 0;
  private runValue = 0;
  private runCrc = 0;
  private readonly known: KnownNames;

  constructor(options: BookFrameScannerOptions = {}) {
    this.maxEntries = options.maxEntries ?? 200_000;
    this.maxMessages = options.maxMessages ?? 1_000;
    this.maxFrameBytes = options.maxFrameBytes ?? 8 * 1024 * 1024;
    this.known = new KnownNames(options.symbols ?? []);
    if (!(Number.isInteger(this.maxFrameBytes) && this.maxFrameBytes > 0)) throw new RangeError(`maxFrameBytes must be a positive integer, got ${this.maxFrameBytes}`);
    if (!(Number.isInteger(this.maxEntries) && this.maxEntries > 0)) throw new RangeError(`maxEntries must be a positive integer, got ${this.maxEntries}`);
    if (!(Number.isInteger(this.maxMessages) && this.maxMessages > 0)) throw new RangeError(`maxMessages must be a positive integer, got ${this.maxMessages}`);
  }

  /**
   * scan() for a frame held as a string (replay, tests): copies it into a reused buffer,
   * which costs about 5% over a string-only scanner (see the top of this file) and keeps
   * one scanner for both.
   */
  scanText(text: string): boolean {
    this.start = 0;
    // UTF-8 needs at most 3 bytes per UTF-16 unit; one more for the terminator.
    const room = text.length * 3 + 1;
    if (room > this.scratch.length) {
      if (text.length > this.maxFrameBytes) throw this.fail(`frame of ${text.length} characters exceeds ${this.maxFrameBytes} bytes`, 0);
      this.scratch = Buffer.alloc(Math.max(room, this.scratch.length * 2));
    }
    const length = this.scratch.write(text, 0, 'utf8');
    // A terminator that matches no token, so reading one past the end sees no stale byte.
    this.scratch[length] = 0;
    return this.scanBytes(this.scratch, 0, length);
  }

  /**
   * Reads one frame. Returns true for a `book` frame, whose content is then in the
   * scanner's arrays, and false for any other frame (status, heartbeat, acks, pong,
   * errors; the caller may JSON.parse those). Throws BookFrameError for a book frame (or
   * a frame that is not a JSON object) that cannot be read.
   */
  scan(frame: Buffer): boolean {
    return this.scanBytes(frame, 0, frame.length);
  }

  /**
   * scan() for a frame that is bytes [start, end) of a larger buffer (the socket read it
   * came in), read in place: a Buffer view per frame would cost about as much as the
   * socket's whole share of it.
   */
  scanAt(buffer: Buffer, start: number, end: number): boolean {
    return this.scanBytes(buffer, start, end);
  }

  private scanBytes(frame: Buffer, start: number, end: number): boolean {
    this.start = start;
    if (end - start > this.maxFrameBytes) throw this.fail(`frame of ${end - start} bytes exceeds ${this.maxFrameBytes}`, start);
    this.text = frame;
    this.literals.point(frame, end);
    this.end = end;
    this.pos = start;
    this.messageCount = 0;
    this.entryCount = 0;
    if (this.scanCanonical()) return true;
    this.messageCount = 0;
    this.entryCount = 0;
    this.pos = start;
    this.skipWs();
    this.expect(LBRACE, 'a frame must be a JSON object');
    let isBook = false;
    let typeSeen = false;
    let typeKnown = true;
    let typeAt = 0;
    let dataAt = -1;
    this.skipWs();
    if (this.peek() === RBRACE) return false;
    for (;;) {
      this.readString('an object key');
      this.skipWs();
      this.expect(COLON, 'expected ":" after a key');
      this.skipWs();
      if (this.keyIs('channel')) {
        this.readString('the channel name');
        if (!this.keyIs('book')) return false;
        isBook = true;
      } else if (this.keyIs('type')) {
        // Checked only once the frame proves to be a book frame: other channels have other types.
        this.readString('the frame type');
        typeAt = this.strStart;
        if (this.keyIs('snapshot')) this.type = 'snapshot';
        else if (this.keyIs('update')) this.type = 'update';
        else typeKnown = false;
        typeSeen = true;
      } else if (this.keyIs('data') && isBook) {
        this.readData();
        dataAt = -2;
      } else if (this.keyIs('data')) {
        // The channel is not known yet; read the data once the frame proves to be a book frame.
        dataAt = this.pos;
        this.skipValue();
      } else {
        this.skipValue();
      }
      this.skipWs();
      const c = this.peek();
      if (c === COMMA) {
        this.pos++;
        this.skipWs();
        continue;
      }
      this.expect(RBRACE, 'expected "," or "}" in the frame object');
      break;
    }
    this.skipWs();
    if (this.pos !== this.end) throw this.fail('text after the frame object', this.pos);
    if (!isBook) return false;
    if (!typeSeen) throw this.fail('book frame without "type"', this.start);
    if (!typeKnown) throw this.fail('book frame type is neither "snapshot" nor "update"', typeAt);
    if (dataAt === -1) throw this.fail('book frame without "data"', this.start);
    if (dataAt >= 0) {
      this.pos = dataAt;
      this.readData();
    }
    return true;
  }

  /**
   * Reads a book frame laid out exactly as Kraken sends it, with no key dispatch:
   * {"channel":"book","type":"update","data":[{"symbol":"…","bids":[{"price":…,"qty":…}],
   * "asks":[…],"checksum":…,"timestamp":"…"}]} (the timestamp optional, as in snapshots),
   * and plain numbers of at most FAST_DIGITS significant digits and no more decimals than
   * the scale. Returns false when the frame differs in any way, and the general path then
   * reads it from the start (and names what is wrong, if anything); what this path accepts
   * the general one reads to the same result, so only speed depends on the layout.
   *
   * Reads past `end` are safe: a Buffer yields undefined there, the scratch buffer a 0
   * terminator and a socket read (scanAt) the first byte of the next frame's header (0x80
   * and up, or 0x00 or 0x01 for a fragment), none a digit, a quote or a bracket, so every
   * loop stops by itself without testing the bound on each byte.
   */
  private scanCanonical(): boolean {
    const text = this.text;
    const end = this.end;
    let p: number;
    const start = this.start;
    if (this.literals.matches(start, WIRE_UPDATE_HEAD)) {
      this.type = 'update';
      p = start + WIRE_UPDATE_HEAD.bytes.length;
    } else if (this.literals.matches(start, WIRE_SNAPSHOT_HEAD)) {
      this.type = 'snapshot';
      p = start + WIRE_SNAPSHOT_HEAD.bytes.length;
    } else {
      return false;
    }
    if (text[p] === RBRACKET) return p + 2 === end && text[p + 1] === RBRACE;
    for (;;) {
      const index = this.messageCount;
      if (index >= this.maxMessages || !this.literals.matches(p, WIRE_SYMBOL)) return false;
      this.ensureMessages(index + 1);
      p += WIRE_SYMBOL.bytes.length;
      const symbolStart = p;
      const symbolIndex = this.known.findQuoted(text, symbolStart, end);
      if (symbolIndex === NOT_PLAIN) return false;
      const symbolEnd = this.known.quotedEnd;
      p = symbolEnd;
      if (!this.literals.matches(p, WIRE_BIDS)) return false;
      this.bidStart[index] = this.entryCount;
      p = this.canonicalLevels(p + WIRE_BIDS.bytes.length);
      if (p < 0) return false;
      this.bidEnd[index] = this.entryCount;
      if (!this.literals.matches(p, WIRE_ASKS)) return false;
      this.askStart[index] = this.entryCount;
      p = this.canonicalLevels(p + WIRE_ASKS.bytes.length);
      if (p < 0) return false;
      this.askEnd[index] = this.entryCount;
      if (!this.literals.matches(p, WIRE_CHECKSUM)) return false;
      p += WIRE_CHECKSUM.bytes.length;
      const checksumStart = p;
      let checksum = 0;
      let c = text[p];
      while (c >= ZERO && c <= NINE) {
        checksum = checksum * 10 + (c - ZERO);
        c = text[++p];
      }
      if (p === checksumStart || p - checksumStart > 10 || checksum > UINT32_MAX) return false;
      if (c === COMMA && this.literals.matches(p, WIRE_TIMESTAMP)) {
        // The first quote closes the timestamp unless a backslash escapes it (the general
        // path then reads it). A loop bounded by the frame: Buffer.indexOf would search on
        // through the rest of the socket read.
        let close = p + WIRE_TIMESTAMP.bytes.length;
        while (close < end && text[close] !== QUOTE) close++;
        if (close >= end || text[close - 1] === BACKSLASH) return false;
        p = close + 1;
      }
      if (p >= end || text[p] !== RBRACE) return false;
      p++;
      this.symbols[index] = symbolIndex >= 0 ? this.known.names[symbolIndex] : text.toString('utf8', symbolStart, symbolEnd);
      this.symbolIndex[index] = symbolIndex;
      this.checksums[index] = checksum;
      this.messageCount = index + 1;
      if (text[p] === COMMA) {
        p++;
        continue;
      }
      return p + 2 === end && text[p] === RBRACKET && text[p + 1] === RBRACE;
    }
  }

  /** The canonical path's level list from just after its "[": the position after its "]", or -1 to fall back. */
  private canonicalLevels(from: number): number {
    const text = this.text;
    let p = from;
    if (text[p] === RBRACKET) return p + 1;
    for (;;) {
      const entry = this.entryCount;
      if (entry >= this.maxEntries || !this.literals.matches(p, WIRE_PRICE)) return -1;
      this.ensureEntries(entry + 1);
      p = this.canonicalNumber(p + WIRE_PRICE.bytes.length, PX_DECIMALS);
      if (p < 0 || this.numScaled === 0) return -1;
      this.px1e9[entry] = this.numScaled;
      this.pxDigits[entry] = this.numDigits;
      this.pxZeros[entry] = 0;
      this.pxDecimals[entry] = this.numDecimals;
      const pxCrc = this.numTextCrc;
      const pxLength = this.numTextLength;
      if (!this.literals.matches(p, WIRE_QTY)) return -1;
      p = this.canonicalNumber(p + WIRE_QTY.bytes.length, QTY_DECIMALS);
      if (p < 0 || text[p] !== RBRACE) return -1;
      this.qty1e8[entry] = this.numScaled;
      this.qtyDigits[entry] = this.numDigits;
      this.qtyZeros[entry] = 0;
      this.qtyDecimals[entry] = this.numDecimals;
      // The qty text follows the price text: shift the price's CRC over the qty's length.
      this.textCrc[entry] = crc32Shift(pxCrc, this.numTextLength) ^ this.numTextCrc;
      this.textLength[entry] = pxLength + this.numTextLength;
      this.entryCount = entry + 1;
      const next = text[p + 1];
      p += 2;
      if (next === RBRACKET) return p;
      if (next !== COMMA) return -1;
    }
  }

  /**
   * The canonical path's number: digits with an optional fraction, no sign or exponent, at
   * most FAST_DIGITS significant digits (so every digit accumulates exactly into one
   * integer) and at most `scaleDecimals` decimals. Leaves what readNumber would in the num*
   * fields (numZeros is always 0 here) and returns the position after it, or -1 to fall back.
   * Leading zeros are skipped in loops of their own, so the digit loops run the CRC on
   * every digit without asking whether it is significant.
   */
  private canonicalNumber(from: number, scaleDecimals: number): number {
    const text = this.text;
    let p = from;
    let c = text[p];
    while (c === ZERO) c = text[++p];
    let significantFrom = p;
    p = this.digitRun(p, 0, 0);
    let all = this.runValue;
    let crc = this.runCrc;
    c = text[p];
    if (p === from) return -1;
    let significant = p - significantFrom;
    let decimals = 0;
    if (c === DOT) {
      const fractionStart = ++p;
      c = text[p];
      if (all === 0) while (c === ZERO) c = text[++p];
      significantFrom = p;
      p = this.digitRun(p, all, crc);
      all = this.runValue;
      crc = this.runCrc;
      c = text[p];
      significant += p - significantFrom;
      decimals = p - fractionStart;
      if (decimals === 0 || decimals > scaleDecimals) return -1;
    }
    if (significant > FAST_DIGITS || c === LOWER_E || c === UPPER_E) return -1;
    this.numScaled = all * POW10[scaleDecimals - decimals];
    this.numDigits = all;
    this.numDecimals = decimals;
    this.numTextCrc = crc;
    this.numTextLength = significant;
    return p;
  }

  /**
   * Continues a value's digits (`value`, with the CRC register `crc` over their text) with
   * the run of digits at `from`, two at a time: the two chains, value and CRC, then take
   * half the steps. Leaves both in runValue and runCrc; returns the position after the run.
   */
  private digitRun(from: number, value: number, crc: number): number {
    const text = this.text;
    let p = from;
    let all = value;
    let register = crc;
    for (;;) {
      const c = text[p];
      if (!(c >= ZERO && c <= NINE)) break;
      const d = text[p + 1];
      if (!(d >= ZERO && d <= NINE)) {
        all = all * 10 + (c - ZERO);
        register = crc32Byte(register, c);
        p++;
        break;
      }
      all = all * 100 + (c - ZERO) * 10 + (d - ZERO);
      register = crc32Pair(register, c, d);
      p += 2;
    }
    this.runValue = all;
    this.runCrc = register;
    return p;
  }

  private readData(): void {
    this.expect(LBRACKET, '"data" must be an array');
    this.skipWs();
    if (this.peek() === RBRACKET) {
      this.pos++;
      return;
    }
    for (;;) {
      this.readMessage();
      this.skipWs();
      if (this.peek() === COMMA) {
        this.pos++;
        this.skipWs();
        continue;
      }
      this.expect(RBRACKET, 'expected "," or "]" in "data"');
      return;
    }
  }

  private readMessage(): void {
    const messageAt = this.pos;
    const index = this.messageCount;
    if (index >= this.maxMessages) throw this.fail(`more than ${this.maxMessages} messages in one frame`, messageAt);
    this.ensureMessages(index + 1);
    this.expect(LBRACE, 'a "data" entry must be an object');
    let symbol: string | null = null;
    let symbolIndex = -1;
    let checksum = -1;
    this.bidStart[index] = this.bidEnd[index] = this.entryCount;
    this.askStart[index] = this.askEnd[index] = this.entryCount;
    this.skipWs();
    if (this.peek() !== RBRACE) {
      for (;;) {
        this.readString('a key of a "data" entry');
        this.skipWs();
        this.expect(COLON, 'expected ":" after a key');
        this.skipWs();
        if (this.keyIs('symbol')) {
          this.readString('the symbol');
          symbolIndex = this.knownIndex();
          symbol = symbolIndex >= 0 ? this.known.names[symbolIndex] : this.text.toString('utf8', this.strStart, this.strEnd);
        } else if (this.keyIs('bids')) {
          this.bidStart[index] = this.entryCount;
          this.readLevels();
          this.bidEnd[index] = this.entryCount;
        } else if (this.keyIs('asks')) {
          this.askStart[index] = this.entryCount;
          this.readLevels();
          this.askEnd[index] = this.entryCount;
        } else if (this.keyIs('checksum')) {
          checksum = this.readChecksum();
        } else {
          this.skipValue();
        }
        this.skipWs();
        if (this.peek() === COMMA) {
          this.pos++;
          this.skipWs();
          continue;
        }
        this.expect(RBRACE, 'expected "," or "}" in a "data" entry');
        break;
      }
    } else {
      this.pos++;
    }
    if (symbol === null) throw this.fail('a "data" entry has no "symbol"', messageAt);
    if (checksum < 0) throw this.fail(`the entry for ${symbol} has no "checksum"`, messageAt);
    this.symbols[index] = symbol;
    this.symbolIndex[index] = symbolIndex;
    this.checksums[index] = checksum;
    this.messageCount = index + 1;
  }

  private readLevels(): void {
    this.expect(LBRACKET, '"bids" and "asks" must be arrays');
    this.skipWs();
    if (this.peek() === RBRACKET) {
      this.pos++;
      return;
    }
    for (;;) {
      this.readLevel();
      this.skipWs();
      if (this.peek() === COMMA) {
        this.pos++;
        this.skipWs();
        continue;
      }
      this.expect(RBRACKET, 'expected "," or "]" in a level list');
      return;
    }
  }

  private readLevel(): void {
    const levelAt = this.pos;
    const entry = this.entryCount;
    if (entry >= this.maxEntries) throw this.fail(`more than ${this.maxEntries} levels in one frame`, levelAt);
    this.ensureEntries(entry + 1);
    this.expect(LBRACE, 'a level must be an object');
    let havePrice = false;
    let haveQty = false;
    let pxCrc = 0;
    let pxLength = 0;
    let qtyCrc = 0;
    let qtyLength = 0;
    this.skipWs();
    if (this.peek() !== RBRACE) {
      for (;;) {
        this.readString('a key of a level');
        this.skipWs();
        this.expect(COLON, 'expected ":" after a key');
        this.skipWs();
        if (this.keyIs('price')) {
          this.readNumber(PX_DECIMALS, 'price');
          pxCrc = this.numTextCrc;
          pxLength = this.numTextLength;
          this.px1e9[entry] = this.numScaled;
          this.pxDigits[entry] = this.numDigits;
          this.pxZeros[entry] = this.numZeros;
          this.pxDecimals[entry] = this.numDecimals;
          havePrice = true;
        } else if (this.keyIs('qty')) {
          this.readNumber(QTY_DECIMALS, 'qty');
          qtyCrc = this.numTextCrc;
          qtyLength = this.numTextLength;
          this.qty1e8[entry] = this.numScaled;
          this.qtyDigits[entry] = this.numDigits;
          this.qtyZeros[entry] = this.numZeros;
          this.qtyDecimals[entry] = this.numDecimals;
          haveQty = true;
        } else {
          this.skipValue();
        }
        this.skipWs();
        if (this.peek() === COMMA) {
          this.pos++;
          this.skipWs();
          continue;
        }
        this.expect(RBRACE, 'expected "," or "}" in a level');
        break;
      }
    } else {
      this.pos++;
    }
    if (!havePrice) throw this.fail('a level has no "price"', levelAt);
    if (!haveQty) throw this.fail('a level has no "qty"', levelAt);
    if (this.px1e9[entry] <= 0) throw this.fail('a level has a price of zero', levelAt);
    if (pxLength === TEXT_NOT_HELD || qtyLength === TEXT_NOT_HELD) {
      this.textLength[entry] = TEXT_NOT_HELD;
    } else {
      // The qty text follows the price text: shift the price's CRC over the qty's length.
      this.textCrc[entry] = crc32Append(pxCrc, qtyCrc, qtyLength);
      this.textLength[entry] = pxLength + qtyLength;
    }
    this.entryCount = entry + 1;
  }

  /**
   * Reads a JSON number into numScaled (value x 10^scaleDecimals), numDigits and numZeros
   * (its digit text, leading zeros dropped: numDigits followed by numZeros zeros, the
   * checksum text) and numDecimals (decimal places of its plain form). An exponent form
   * (5.1e-05) is read exactly; its digit text is that of its shortest plain form
   * (0.000051 -> 51).
   *
   * numZeros is non-zero only when all the digits together exceed 2^53: the real capture
   * has an XMR/USD ask at 99999997.00000000. Such values, and those whose px_1e9 exceeds
   * 2^53 (an XBT/CHF ask at 9999999997.00000), get the nearest double as numScaled, which
   * still orders and matches levels correctly (equal text, equal value) while the
   * checksum uses the exact digits. Nothing tradable is quoted that high.
   *
   * The CRC of the digit text from a zero register goes to numTextCrc and its length to
   * numTextLength: TEXT_NOT_HELD when it exceeds TEXT_BYTES or the number has an exponent
   * (the checksum then renders numDigits and numZeros instead).
   */
  private readNumber(scaleDecimals: number, what: string): void {
    const text = this.text;
    const start = this.pos;
    let i = start;
    if (text[i] === MINUS) throw this.fail(`negative ${what}`, start);
    // The digits so far are sig followed by `zeros` zeros; textLength of them are past the leading zeros.
    let sig = 0;
    let zeros = 0;
    let digitCount = 0;
    let fraction = -1;
    let textLength = 0;
    let textCrc = 0;
    for (; i < this.end; i++) {
      const c = text[i];
      if (c === ZERO) {
        zeros++;
        digitCount++;
        if (fraction >= 0) fraction++;
        if (sig !== 0) {
          textCrc = crc32Byte(textCrc, c);
          textLength++;
        }
      } else if (c > ZERO && c <= NINE) {
        sig = zeros === 0 ? sig * 10 + (c - ZERO) : sig * POW10[Math.min(zeros + 1, 18)] + (c - ZERO);
        zeros = 0;
        digitCount++;
        if (fraction >= 0) fraction++;
        textCrc = crc32Byte(textCrc, c);
        textLength++;
      } else if (c === DOT && fraction < 0) {
        fraction = 0;
      } else {
        break;
      }
    }
    if (digitCount === 0 || fraction === 0) throw this.fail(`${what} is not a number`, start);
    this.numTextCrc = textCrc;
    this.numTextLength = textLength > TEXT_BYTES ? TEXT_NOT_HELD : textLength;
    let exponent = 0;
    const e = text[i];
    if (e === LOWER_E || e === UPPER_E) {
      this.numTextLength = TEXT_NOT_HELD;
      i++;
      let sign = 1;
      const s = text[i];
      if (s === MINUS || s === PLUS) {
        sign = s === MINUS ? -1 : 1;
        i++;
      }
      const expStart = i;
      for (; i < this.end; i++) {
        const c = text[i];
        if (c < ZERO || c > NINE) break;
        exponent = exponent * 10 + (c - ZERO);
        if (exponent > 30) throw this.fail(`${what} exponent out of range`, start);
      }
      if (i === expStart) throw this.fail(`${what} has an empty exponent`, start);
      exponent *= sign;
    }
    this.pos = i;
    if (!Number.isSafeInteger(sig)) throw this.fail(`${what} has more significant digits than can be held exactly`, start);
    if (sig === 0) zeros = 0;
    let decimals = (fraction < 0 ? 0 : fraction) - exponent;
    if (decimals < 0) {
      if (sig !== 0) zeros -= decimals;
      decimals = 0;
    }
    const power = zeros + scaleDecimals - decimals;
    if (power < 0 && sig !== 0) throw this.fail(`${what} has more than ${scaleDecimals} decimal places`, start);
    this.numScaled = power <= 0 ? sig : sig * 10 ** power;
    if (zeros > 0 && zeros < POW10.length && Number.isSafeInteger(sig * POW10[zeros])) {
      sig *= POW10[zeros];
      zeros = 0;
    }
    if (decimals > 255 || zeros > 255) throw this.fail(`${what} has too many digits`, start);
    this.numDigits = sig;
    this.numZeros = zeros;
    this.numDecimals = decimals;
  }

  private readChecksum(): number {
    const text = this.text;
    const start = this.pos;
    let value = 0;
    let i = start;
    for (; i < this.end; i++) {
      const c = text[i];
      if (c < ZERO || c > NINE) break;
      value = value * 10 + (c - ZERO);
      if (value > UINT32_MAX) throw this.fail('checksum exceeds 32 bits', start);
    }
    if (i === start) throw this.fail('checksum is not an unsigned integer', start);
    const next = text[i];
    if (next === DOT || next === LOWER_E || next === UPPER_E) throw this.fail('checksum is not an unsigned integer', start);
    this.pos = i;
    return value;
  }

  /** Reads a string without escapes (keys, symbols and type names never carry any) into strStart/strEnd. */
  private readString(what: string): void {
    const text = this.text;
    if (text[this.pos] !== QUOTE) throw this.fail(`expected ${what} (a string)`, this.pos);
    const start = this.pos + 1;
    let i = start;
    for (; i < this.end; i++) {
      const c = text[i];
      if (c === QUOTE) break;
      if (c === BACKSLASH) throw this.fail(`escape sequence in ${what}`, i);
    }
    if (i >= this.end) throw this.fail(`unterminated ${what}`, this.pos);
    this.strStart = start;
    this.strEnd = i;
    this.pos = i + 1;
  }

  /** Index in `known` of the last string read, or -1. */
  private knownIndex(): number {
    return this.known.find(this.text, this.strStart, this.strEnd, nameHash(this.text, this.strStart, this.strEnd));
  }

  private keyIs(literal: string): boolean {
    const len = this.strEnd - this.strStart;
    if (len !== literal.length) return false;
    const text = this.text;
    for (let k = 0; k < len; k++) if (text[this.strStart + k] !== literal.charCodeAt(k)) return false;
    return true;
  }

  /** Skips one JSON value this scanner does not read (strings may carry escapes here). */
  private skipValue(): void {
    const text = this.text;
    const start = this.pos;
    const c = text[start];
    if (c === QUOTE) {
      this.pos = this.skipStringAt(start);
      return;
    }
    if (c === LBRACE || c === LBRACKET) {
      let depth = 0;
      let i = start;
      while (i < this.end) {
        const d = text[i];
        if (d === QUOTE) {
          i = this.skipStringAt(i);
          continue;
        }
        if (d === LBRACE || d === LBRACKET) {
          if (++depth > MAX_SKIP_DEPTH) throw this.fail(`nesting deeper than ${MAX_SKIP_DEPTH}`, i);
        } else if (d === RBRACE || d === RBRACKET) {
          if (--depth === 0) {
            this.pos = i + 1;
            return;
          }
        }
        i++;
      }
      throw this.fail('unterminated object or array', start);
    }
    // A number or a literal (true, false, null).
    let i = start;
    while (i < this.end) {
      const d = text[i];
      if (d === COMMA || d === RBRACE || d === RBRACKET || d <= 32) break;
      i++;
    }
    if (i === start) throw this.fail('expected a value', start);
    this.pos = i;
  }

  private skipStringAt(start: number): number {
    const text = this.text;
    for (let i = start + 1; i < this.end; i++) {
      const c = text[i];
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) return i + 1;
    }
    throw this.fail('unterminated string', start);
  }

  private skipWs(): void {
    const text = this.text;
    let i = this.pos;
    while (i < this.end && text[i] <= 32) i++;
    this.pos = i;
  }

  /** Whether the frame holds `expected` at `at`. */

  private peek(): number {
    return this.pos < this.end ? this.text[this.pos] : -1;
  }

  private expect(char: number, reason: string): void {
    if (this.pos >= this.end || this.text[this.pos] !== char) {
      throw this.fail(this.pos >= this.end ? `${reason} (frame ends early)` : reason, this.pos);
    }
    this.pos++;
  }

  private fail(reason: string, position: number): BookFrameError {
    return new BookFrameError(reason, position - this.start);
  }

  private ensureEntries(needed: number): void {
    if (needed <= this.px1e9.length) return;
    const size = Math.min(this.maxEntries, Math.max(needed, this.px1e9.length * 2));
    this.px1e9 = grownArray(this.px1e9, size);
    this.qty1e8 = grownArray(this.qty1e8, size);
    this.pxDigits = grownArray(this.pxDigits, size);
    this.qtyDigits = grownArray(this.qtyDigits, size);
    this.pxZeros = grownArray(this.pxZeros, size);
    this.qtyZeros = grownArray(this.qtyZeros, size);
    this.pxDecimals = grownArray(this.pxDecimals, size);
    this.qtyDecimals = grownArray(this.qtyDecimals, size);
    this.textCrc = grownArray(this.textCrc, size);
    this.textLength = grownArray(this.textLength, size);
  }

  private ensureMessages(needed: number): void {
    if (needed <= this.checksums.length) return;
    const size = Math.min(this.maxMessages, Math.max(needed, this.checksums.length * 2));
    this.checksums = grownArray(this.checksums, size);
    this.symbolIndex = grownArray(this.symbolIndex, size);
    this.bidStart = grownArray(this.bidStart, size);
    this.bidEnd = grownArray(this.bidEnd, size);
    this.askStart = grownArray(this.askStart, size);
    this.askEnd = grownArray(this.askEnd, size);
  }
}
