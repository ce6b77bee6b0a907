import { isValidCloseCode } from './wsFrameReader.ts';

// Builds the frames a WebSocket CLIENT sends (RFC 6455 section 5): FIN set, never
// fragmented, always masked. The mask comes from the caller, because RFC 6455 section
// 10.3 wants it unpredictable: the I/O layer draws it from a crypto-filled pool. Each
// builder makes one Buffer holding header and masked payload, ready for one write; the
// caller's payload is never modified.

export const WsOpcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

const MAX_CONTROL_PAYLOAD_BYTES = 125;
/** A close body is a 2-byte code then the reason, within the 125-byte control limit. */
export const MAX_CLOSE_REASON_BYTES = 123;
const TWO_POW_32 = 0x1_0000_0000;

function checkMask(mask: Buffer): void {
  if (mask.length !== 4) throw new RangeError(`a WebSocket mask is 4 bytes, got ${mask.length}`);
}

/** Header bytes for a masked frame of `length` payload bytes. */
function headerBytes(length: number): number {
  return length < 126 ? 6 : length < 0x1_0000 ? 8 : 14;
}

/**
 * Writes the header of a masked FIN frame at the start of `frame` and returns where the
 * payload goes.
 */
function writeHeader(frame: Buffer, opcode: number, length: number, mask: Buffer): number {
  frame[0] = 0x80 | opcode;
  let at: number;
  if (length < 126) {
    frame[1] = 0x80 | length;
    at = 2;
  } else if (length < 0x1_0000) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
    at = 4;
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(length / TWO_POW_32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
    at = 10;
  }
  frame[at] = mask[0];
  frame[at + 1] = mask[1];
  frame[at + 2] = mask[2];
  frame[at + 3] = mask[3];
  return at + 4;
}

/** XORs frame[from..] with the mask, in place (RFC 6455 section 5.3). */
function applyMask(frame: Buffer, from: number, mask: Buffer): void {
  const m0 = mask[0];
  const m1 = mask[1];
  const m2 = mask[2];
  const m3 = mask[3];
  const end = frame.length;
  let i = from;
  for (; i + 3 < end; i += 4) {
    frame[i] ^= m0;
    frame[i + 1] ^= m1;
    frame[i + 2] ^= m2;
    frame[i + 3] ^= m3;
  }
  for (let k = 0; i < end; i++, k++) frame[i] ^= mask[k];
}

/** A masked client frame with FIN set, for any opcode of RFC 6455 section 5.2. */
export function clientFrame(opcode: number, payload: Buffer, mask: Buffer): Buffer {
  checkMask(mask);
  const isControl = opcode === WsOpcode.Close || opcode === WsOpcode.Ping || opcode === WsOpcode.Pong;
  if (!isControl && opcode !== WsOpcode.Text && opcode !== WsOpcode.Binary && opcode !== WsOpcode.Continuation) {
    throw new RangeError(`not a WebSocket opcode: ${opcode}`);
  }
  if (isControl && payload.length > MAX_CONTROL_PAYLOAD_BYTES) {
    throw new RangeError(`a control frame carries at most 125 bytes, got ${payload.length}`);
  }
  const frame = Buffer.allocUnsafe(headerBytes(payload.length) + payload.length);
  const at = writeHeader(frame, opcode, payload.length, mask);
  payload.copy(frame, at);
  applyMask(frame, at, mask);
  return frame;
}

/** A masked text frame; the string is encoded straight into the frame. */
export function textFrame(text: string, mask: Buffer): Buffer {
  checkMask(mask);
  const length = Buffer.byteLength(text, 'utf8');
  const frame = Buffer.allocUnsafe(headerBytes(length) + length);
  const at = writeHeader(frame, WsOpcode.Text, length, mask);
  frame.write(text, at, 'utf8');
  applyMask(frame, at, mask);
  return frame;
}

export function pingFrame(payload: Buffer, mask: Buffer): Buffer {
  return clientFrame(WsOpcode.Ping, payload, mask);
}

/** Answers a ping: RFC 6455 section 5.5.3 wants the ping's payload echoed. */
export function pongFrame(payload: Buffer, mask: Buffer): Buffer {
  return clientFrame(WsOpcode.Pong, payload, mask);
}

/**
 * A close frame with a code a peer may send (1000-1003, 1007-1014, 3000-4999) and a reason
 * of at most 123 UTF-8 bytes.
 */
export function closeFrame(code: number, reason: string, mask: Buffer): Buffer {
  if (!Number.isInteger(code) || !isValidCloseCode(code)) {
    throw new RangeError(`close code ${code} may not be sent (use 1000-1003, 1007-1014 or 3000-4999)`);
  }
  const reasonBytes = Buffer.byteLength(reason, 'utf8');
  if (reasonBytes > MAX_CLOSE_REASON_BYTES) throw new RangeError(`close reason is ${reasonBytes} bytes of UTF-8; the limit is ${MAX_CLOSE_REASON_BYTES}`);
  const body = Buffer.allocUnsafe(2 + reasonBytes);
  body.writeUInt16BE(code, 0);
  body.write(reason, 2, 'utf8');
  return clientFrame(WsOpcode.Close, body, mask);
}

/** A close frame without a body: how a close that carried no status (1005) is echoed. */
export function emptyCloseFrame(mask: Buffer): Buffer {
  return clientFrame(WsOpcode.Close, Buffer.alloc(0), mask);
}
