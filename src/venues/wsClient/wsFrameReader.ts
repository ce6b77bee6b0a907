import { constants } from 'node:buffer';

// Incremental RFC 6455 reader of the frames a WebSocket SERVER sends, for the market-data
// feeds. A TCP read on a busy feed carries many frames; push() walks them in place and
// hands each whole message on as a range of the chunk: no stream, no copy, no view, no emitter.
// Only a frame that spans reads, or a fragmented message, is assembled into a fresh Buffer.
//
// Limits, on purpose:
// - Text messages are NOT checked for valid UTF-8 (RFC 6455 section 8.1 asks for it). The
//   venue decoders read bytes and refuse any frame that is not one they know, so invalid
//   UTF-8 is just a bad frame to them; validating every byte first would cost more than
//   decoding does. A close frame's reason is decoded leniently (bad bytes become U+FFFD).
// - No extension is ever negotiated, so any reserved bit set is a protocol error.
// - Non-minimal length encodings (a 16- or 64-bit length for a short payload) are
//   accepted, as the `ws` package accepts them.
//
// State between reads is bounded: at most one frame header (10 bytes from a server, the
// scratch is 14), one control frame payload (<= 125 bytes) and the current message
// (<= maxPayloadBytes, refused from the header before anything is buffered).

export interface WsFrameHandlers {
  /**
   * A whole message: bytes [start, end) of `data`. A single frame that arrived inside one
   * chunk is a range of that chunk (no copy, and no view made: a Buffer view costs about as
   * much as the socket's whole share of a frame); otherwise a fresh Buffer from 0. The
   * reader never writes to either again, but WsClient's socket reads into the same chunk
   * each time, so there a message is valid only during the call. Past `end`, data
   * holds nothing or the first byte of the next frame's header (0x80 and up, or 0x00-0x02
   * for a fragment): never a byte of text a scanner could take for more of the message.
   */
  onMessage(data: Buffer, start: number, end: number, isBinary: boolean): void;
  onPing(payload: Buffer): void;
  onPong(payload: Buffer): void;
  /** code is 1005 when the close frame had no body. */
  onClose(code: number, reason: string): void;
}

/** RFC 6455 close codes a protocol violation is answered with. */
export const CLOSE_PROTOCOL_ERROR = 1002;
export const CLOSE_MESSAGE_TOO_BIG = 1009;
/** What onClose reports for a close frame without a body (RFC 6455 section 7.1.5). */
export const CLOSE_NO_STATUS = 1005;

/** The server broke RFC 6455; closeCode is what to send it in the close frame. */
export class WsProtocolError extends Error {
  readonly closeCode: typeof CLOSE_PROTOCOL_ERROR | typeof CLOSE_MESSAGE_TOO_BIG;

  constructor(message: string, closeCode: typeof CLOSE_PROTOCOL_ERROR | typeof CLOSE_MESSAGE_TOO_BIG = CLOSE_PROTOCOL_ERROR) {
    super(message);
    this.name = 'WsProtocolError';
    this.closeCode = closeCode;
  }
}

/** A close code a peer may send (RFC 6455 section 7.4; same set as the `ws` package). */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

const OP_CONTINUATION = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;
const MAX_CONTROL_PAYLOAD_BYTES = 125;
/** The longest header: 2 bytes, 8 of extended length, 4 of mask (a server never masks). */
const MAX_HEADER_BYTES = 14;
/** A fragmented message's buffer starts at least this big and doubles, capped at the limit. */
const MIN_ASSEMBLY_BYTES = 1024;
/** frameOp when no frame is under way. */
const NO_FRAME = -1;
const TWO_POW_32 = 0x1_0000_0000;

function hex(opcode: number): string {
  return `0x${opcode.toString(16)}`;
}

export class WsFrameReader {
  readonly maxPayloadBytes: number;
  private readonly handlers: WsFrameHandlers;

  /** A header cut by the end of a chunk: its first headerHave bytes. */
  private readonly header = Buffer.alloc(MAX_HEADER_BYTES);
  private headerHave = 0;

  /** The frame whose payload is still arriving (NO_FRAME between frames). */
  private frameOp = NO_FRAME;
  private frameFin = false;
  private frameLeftBytes = 0;

  /** A control frame's payload so far (control frames may arrive inside a fragmented message). */
  private readonly control = Buffer.alloc(MAX_CONTROL_PAYLOAD_BYTES);
  private controlHave = 0;

  /** The data message being assembled: OP_TEXT or OP_BINARY, or 0 when none. */
  private messageOp = 0;
  private message: Buffer | null = null;
  private messageHave = 0;

  /** Set by halt() (or once a push threw): every later byte is ignored. */
  private halted = false;
  private dead = false;

  constructor(handlers: WsFrameHandlers, maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES) {
    if (!Number.isSafeInteger(maxPayloadBytes) || maxPayloadBytes < 1) throw new RangeError(`maxPayloadBytes must be a positive integer, got ${maxPayloadBytes}`);
    // A message must fit one Buffer.
    if (maxPayloadBytes > constants.MAX_LENGTH) throw new RangeError(`maxPayloadBytes ${maxPayloadBytes} is over the largest Buffer, ${constants.MAX_LENGTH} bytes`);
    this.handlers = handlers;
    this.maxPayloadBytes = maxPayloadBytes;
  }

  /**
   * Stops delivery: a handler calling this gets no further callback for the rest of the
   * chunk, and later pushes are ignored. For a client that is tearing the link down.
   */
  halt(): void {
    this.halted = true;
  }

  /** True once halted, or once a push threw (a protocol error or a throwing handler). */
  get isHalted(): boolean {
    return this.dead;
  }

  /**
   * Parses every whole frame in the chunk, calling the handlers synchronously, and keeps
   * the tail of a cut frame for the next push. Throws WsProtocolError on a violation. The
   * byte stream cannot be resynchronised after any throw (a protocol error, or a handler
   * that threw, which loses the rest of the chunk), so the reader then ignores later pushes.
   */
  push(chunk: Buffer): void {
    if (this.dead) return;
    // Stays set if anything below throws.
    this.dead = true;
    this.parse(chunk);
    this.dead = this.halted;
  }

  private parse(chunk: Buffer): void {
    const end = chunk.length;
    let pos = 0;
    if (this.headerHave > 0) {
      pos = this.completeHeader(chunk);
      if (this.headerHave > 0 || this.halted) return;
    }
    if (this.frameOp !== NO_FRAME) {
      pos = this.continuePayload(chunk, pos);
      if (this.frameOp !== NO_FRAME || this.halted) return;
    }
    const handlers = this.handlers;
    while (pos < end) {
      const available = end - pos;
      if (available < 2) {
        this.keepHeader(chunk, pos);
        return;
      }
      const b0 = chunk[pos];
      const b1 = chunk[pos + 1];
      if ((b1 & 0x80) !== 0) throw new WsProtocolError('masked frame from the server (RFC 6455 section 5.1: servers must not mask)');
      let length = b1 & 0x7f;
      let headerBytes = 2;
      if (length === 126) headerBytes = 4;
      else if (length === 127) headerBytes = 10;
      if (available < headerBytes) {
        this.keepHeader(chunk, pos);
        return;
      }
      if (headerBytes === 4) length = chunk.readUInt16BE(pos + 2);
      else if (headerBytes === 10) length = this.length64(chunk, pos + 2);
      pos += headerBytes;
      // The hot path: a whole unfragmented data frame inside this chunk, outside any
      // fragmented message. b0 is then exactly 0x81 or 0x82 (FIN, no reserved bits).
      if ((b0 === 0x81 || b0 === 0x82) && this.messageOp === 0 && length <= end - pos) {
        if (length > this.maxPayloadBytes) this.tooBig(length);
        const start = pos;
        pos += length;
        handlers.onMessage(chunk, start, pos, b0 === 0x82);
        if (this.halted) return;
        continue;
      }
      this.beginFrame(b0, length);
      if (this.frameOp >= OP_CLOSE && length <= end - pos) {
        // A whole control frame: handed on in place, like a data frame.
        this.frameOp = NO_FRAME;
        const start = pos;
        pos += length;
        this.deliverControl(b0 & 0x0f, chunk.subarray(start, pos));
        if (this.halted) return;
        continue;
      }
      pos = this.continuePayload(chunk, pos);
      if (this.frameOp !== NO_FRAME || this.halted) return;
    }
  }

  /** Copies an incomplete header's bytes (from pos to the chunk's end) to the scratch. */
  private keepHeader(chunk: Buffer, pos: number): void {
    chunk.copy(this.header, 0, pos);
    this.headerHave = chunk.length - pos;
  }

  /**
   * Adds the chunk's first bytes to the cut header; once whole, starts its frame. Returns
   * the position after the bytes it used.
   */
  private completeHeader(chunk: Buffer): number {
    const header = this.header;
    let pos = 0;
    while (this.headerHave < 2 && pos < chunk.length) header[this.headerHave++] = chunk[pos++];
    if (this.headerHave < 2) return pos;
    if ((header[1] & 0x80) !== 0) throw new WsProtocolError('masked frame from the server (RFC 6455 section 5.1: servers must not mask)');
    const lengthCode = header[1] & 0x7f;
    const headerBytes = lengthCode === 126 ? 4 : lengthCode === 127 ? 10 : 2;
    while (this.headerHave < headerBytes && pos < chunk.length) header[this.headerHave++] = chunk[pos++];
    if (this.headerHave < headerBytes) return pos;
    this.headerHave = 0;
    const length = headerBytes === 4 ? header.readUInt16BE(2) : headerBytes === 10 ? this.length64(header, 2) : lengthCode;
    this.beginFrame(header[0], length);
    return pos;
  }

  private length64(buf: Buffer, at: number): number {
    const high = buf.readUInt32BE(at);
    if (high >= 0x8000_0000) throw new WsProtocolError('64-bit payload length with the most significant bit set (RFC 6455 section 5.2)');
    // Exact below 2^53; anything larger is refused as too big before it is used.
    return high * TWO_POW_32 + buf.readUInt32BE(at + 4);
  }

  private tooBig(bytes: number): never {
    throw new WsProtocolError(`message of ${bytes} bytes exceeds maxPayloadBytes ${this.maxPayloadBytes}`, CLOSE_MESSAGE_TOO_BIG);
  }

  /** Validates a header and makes its frame the current one, ready for its payload. */
  private beginFrame(b0: number, length: number): void {
    if ((b0 & 0x70) !== 0) throw new WsProtocolError(`reserved bits set (RSV1-3 = ${(b0 >> 4) & 7}) but no extension was negotiated`);
    const opcode = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    switch (opcode) {
      case OP_CLOSE:
      case OP_PING:
      case OP_PONG:
        if (!fin) throw new WsProtocolError(`fragmented control frame (opcode ${hex(opcode)})`);
        if (length > MAX_CONTROL_PAYLOAD_BYTES) throw new WsProtocolError(`control frame (opcode ${hex(opcode)}) of ${length} bytes; the limit is 125`);
        if (opcode === OP_CLOSE && length === 1) throw new WsProtocolError('close frame with a 1-byte body (a close code takes 2 bytes)');
        this.controlHave = 0;
        break;
      case OP_TEXT:
      case OP_BINARY:
        if (this.messageOp !== 0) throw new WsProtocolError(`new data frame (opcode ${hex(opcode)}) inside a fragmented message`);
        if (length > this.maxPayloadBytes) this.tooBig(length);
        this.messageOp = opcode;
        this.messageHave = 0;
        // A whole single frame is allocated at its size; a fragmented message grows.
        this.message = Buffer.allocUnsafe(fin ? length : Math.min(this.maxPayloadBytes, Math.max(length, MIN_ASSEMBLY_BYTES)));
        break;
      case OP_CONTINUATION:
        if (this.messageOp === 0) throw new WsProtocolError('continuation frame without a message to continue');
        if (this.messageHave + length > this.maxPayloadBytes) this.tooBig(this.messageHave + length);
        this.reserve(this.messageHave + length);
        break;
      default:
        throw new WsProtocolError(`unknown opcode ${hex(opcode)}`);
    }
    this.frameOp = opcode;
    this.frameFin = fin;
    this.frameLeftBytes = length;
  }

  /** Grows the message being assembled to hold `bytes` (already checked against the limit). */
  private reserve(bytes: number): void {
    const message = this.message!;
    if (bytes <= message.length) return;
    const grown = Buffer.allocUnsafe(Math.min(this.maxPayloadBytes, Math.max(bytes, 2 * message.length)));
    message.copy(grown, 0, 0, this.messageHave);
    this.message = grown;
  }

  /** Copies the current frame's payload from the chunk; ends the frame when it is whole. */
  private continuePayload(chunk: Buffer, pos: number): number {
    const take = Math.min(this.frameLeftBytes, chunk.length - pos);
    if (this.frameOp >= OP_CLOSE) {
      chunk.copy(this.control, this.controlHave, pos, pos + take);
      this.controlHave += take;
    } else {
      chunk.copy(this.message!, this.messageHave, pos, pos + take);
      this.messageHave += take;
    }
    this.frameLeftBytes -= take;
    if (this.frameLeftBytes === 0) this.endFrame();
    return pos + take;
  }

  private endFrame(): void {
    const opcode = this.frameOp;
    // Reset before any handler runs, so the state is whole whatever the handler does.
    this.frameOp = NO_FRAME;
    if (opcode >= OP_CLOSE) {
      this.deliverControl(opcode, Buffer.from(this.control.subarray(0, this.controlHave)));
      return;
    }
    if (!this.frameFin) return;
    const message = this.message!;
    const bytes = this.messageHave;
    const isBinary = this.messageOp === OP_BINARY;
    this.message = null;
    this.messageOp = 0;
    this.messageHave = 0;
    // Cut to its length, so what follows `end` is always nothing or a frame header (see WsFrameHandlers).
    const data = bytes === message.length ? message : message.subarray(0, bytes);
    this.handlers.onMessage(data, 0, bytes, isBinary);
  }

  /** Delivers a whole control frame. */
  private deliverControl(opcode: number, payload: Buffer): void {
    if (opcode === OP_PING) {
      this.handlers.onPing(payload);
    } else if (opcode === OP_PONG) {
      this.handlers.onPong(payload);
    } else if (payload.length === 0) {
      this.handlers.onClose(CLOSE_NO_STATUS, '');
    } else {
      const code = payload.readUInt16BE(0);
      if (!isValidCloseCode(code)) throw new WsProtocolError(`close frame with invalid close code ${code}`);
      this.handlers.onClose(code, payload.toString('utf8', 2));
    }
  }
}
