// The mesh wire protocol between a coordinator and its edges: one JSON object per
// WebSocket text frame, snake_case on the wire, camelCase in the decoded frames below.
// Pure: encoding, decoding and validation only; sockets live in meshCoordinator/meshEdge.
//
// JSON rather than binary: the largest routine frame (a 256-byte payload in base64 plus
// two labels) is about 450 bytes, parsing it costs a few microseconds against tens of
// microseconds for the loopback hop itself, and a text protocol can be read in a packet
// capture when a link misbehaves. Every integer is a JSON number; prices and sizes are the
// ABI's fixed-point integers (px x 1e9, size x 1e8) and must be safe integers.
//
// Handshake: the coordinator sends `challenge`; the edge answers `hello` with an HMAC of
// that nonce (the secret never crosses the wire) and a nonce of its own; the coordinator
// answers `welcome` with an HMAC of the edge's nonce (so an edge never trusts an impostor
// coordinator's NBBO) or `refused` and closes.

import { MAX_LABEL_BYTES, MAX_MESSAGE_BYTES } from '../../wasm/abi.ts';

export const MESH_PROTOCOL_VERSION = 1;
/** Largest frame either side accepts (enforced by ws as maxPayload): a labels frame at the label limit fits with room. */
export const MAX_FRAME_BYTES = 64 * 1024;
/** Instances one node may host in the mesh: bounds the coordinator's label table per peer. */
export const MAX_LABELS_PER_NODE = 256;
export const MAX_NODE_NAME_BYTES = 64;
export const MAX_SYMBOL_BYTES = 32;
export const MAX_VENUE_NAME_BYTES = 32;
/** Reasons are shown to operators: one short line. */
export const MAX_REASON_CHARS = 500;
/** Nonces and MACs are 32 bytes, hex-encoded. */
const HEX_32_BYTES = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A venue's top of book as one node sees it. A top with both sides zero withdraws that venue. */
export interface MeshTop {
  venueId: number;
  venue: string;
  symbol: string;
  bidPx1e9: number;
  bidSz1e8: number;
  askPx1e9: number;
  askSz1e8: number;
}

/** The cross-venue best bid and offer; the same field names as the ABI's NbboFields, less the node-local symbolId and recvNs. */
export interface MeshNbbo {
  bidPx1e9: number;
  bidSz1e8: number;
  askPx1e9: number;
  askSz1e8: number;
  bidVenue: number;
  askVenue: number;
  venueCount: number;
}

export type MeshFrame =
  | { type: 'challenge'; nonce: string }
  | { type: 'hello'; node: string; labels: string[]; nonce: string; mac: string }
  | { type: 'welcome'; mac: string }
  | { type: 'refused'; reason: string }
  | { type: 'error'; reason: string }
  | { type: 'labels'; labels: string[] }
  /** `sentNs` is the sender's wall clock: above 2^53, so exact only to 256 ns (see clock.ts). */
  | { type: 'msg'; from: string; to: string; payload: Uint8Array; sentNs: number }
  | ({ type: 'top' } & MeshTop)
  | { type: 'nbbo'; symbol: string; nbbo: MeshNbbo }
  /** `t` is opaque to the answering side: it echoes it in the pong. */
  | { type: 'ping'; t: number }
  | { type: 'pong'; t: number };

export type MeshFrameType = MeshFrame['type'];

/** A frame that is not this protocol: the receiver answers `error` and closes the link. */
export class MeshProtocolError extends Error {}

export function encodeFrame(frame: MeshFrame): string {
  switch (frame.type) {
    case 'challenge':
      return JSON.stringify({ type: 'challenge', v: MESH_PROTOCOL_VERSION, nonce: frame.nonce });
    case 'hello':
      return JSON.stringify({ type: 'hello', v: MESH_PROTOCOL_VERSION, node: frame.node, labels: frame.labels, nonce: frame.nonce, mac: frame.mac });
    case 'refused':
    case 'error':
      return JSON.stringify({ type: frame.type, reason: frame.reason.slice(0, MAX_REASON_CHARS) });
    case 'msg':
      return JSON.stringify({ type: 'msg', from: frame.from, to: frame.to, payload_b64: Buffer.from(frame.payload.buffer, frame.payload.byteOffset, frame.payload.byteLength).toString('base64'), sent_ns: frame.sentNs });
    case 'top':
      return JSON.stringify({ type: 'top', ...topToWire(frame) });
    case 'nbbo': {
      const n = frame.nbbo;
      return JSON.stringify({ type: 'nbbo', symbol: frame.symbol, bid_px: n.bidPx1e9, bid_sz: n.bidSz1e8, ask_px: n.askPx1e9, ask_sz: n.askSz1e8, bid_venue: n.bidVenue, ask_venue: n.askVenue, venue_ct: n.venueCount });
    }
    case 'welcome':
    case 'labels':
    case 'ping':
    case 'pong':
      return JSON.stringify(frame);
  }
}

/** Parses and validates one text frame; throws MeshProtocolError naming what is wrong. */
export function decodeFrame(text: string): MeshFrame {
  if (text.length > MAX_FRAME_BYTES) throw new MeshProtocolError(`frame is ${text.length} characters; the limit is ${MAX_FRAME_BYTES}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new MeshProtocolError(`frame is not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MeshProtocolError(`frame must be a JSON object, got ${describe(value)}`);
  const o = value as Record<string, unknown>;
  const type = o.type;
  if (typeof type !== 'string') throw new MeshProtocolError(`frame field type must be a string, got ${describe(type)}`);
  switch (type) {
    case 'challenge':
      expectFields(o, type, ['v', 'nonce']);
      expectVersion(o);
      return { type, nonce: hex32(o, type, 'nonce') };
    case 'hello':
      expectFields(o, type, ['v', 'node', 'labels', 'nonce', 'mac']);
      expectVersion(o);
      return { type, node: text1(o, type, 'node', MAX_NODE_NAME_BYTES), labels: labelList(o, type), nonce: hex32(o, type, 'nonce'), mac: hex32(o, type, 'mac') };
    case 'welcome':
      expectFields(o, type, ['mac']);
      return { type, mac: hex32(o, type, 'mac') };
    case 'refused':
    case 'error':
      expectFields(o, type, ['reason']);
      if (typeof o.reason !== 'string' || o.reason.length > MAX_REASON_CHARS) throw new MeshProtocolError(`${type}.reason must be a string of at most ${MAX_REASON_CHARS} characters`);
      return { type, reason: o.reason };
    case 'labels':
      expectFields(o, type, ['labels']);
      return { type, labels: labelList(o, type) };
    case 'msg':
      expectFields(o, type, ['from', 'to', 'payload_b64', 'sent_ns']);
      return { type, from: label(o.from, `${type}.from`), to: label(o.to, `${type}.to`), payload: payload(o.payload_b64), sentNs: integer(o, type, 'sent_ns', 0, Number.MAX_VALUE) };
    case 'top':
      expectFields(o, type, ['venue_id', 'venue', 'symbol', 'bid_px', 'bid_sz', 'ask_px', 'ask_sz']);
      return { type, ...topFromWire(o) };
    case 'nbbo':
      expectFields(o, type, ['symbol', 'bid_px', 'bid_sz', 'ask_px', 'ask_sz', 'bid_venue', 'ask_venue', 'venue_ct']);
      return {
        type,
        symbol: text1(o, type, 'symbol', MAX_SYMBOL_BYTES),
        nbbo: {
          bidPx1e9: fixedPoint(o, type, 'bid_px'),
          bidSz1e8: fixedPoint(o, type, 'bid_sz'),
          askPx1e9: fixedPoint(o, type, 'ask_px'),
          askSz1e8: fixedPoint(o, type, 'ask_sz'),
          bidVenue: integer(o, type, 'bid_venue', 0, 255),
          askVenue: integer(o, type, 'ask_venue', 0, 255),
          venueCount: integer(o, type, 'venue_ct', 0, 255),
        },
      };
    case 'ping':
    case 'pong':
      expectFields(o, type, ['t']);
      return { type, t: fixedPoint(o, type, 't') };
    default:
      throw new MeshProtocolError(`unknown frame type ${JSON.stringify(type.slice(0, 40))}`);
  }
}

/** Why `value` is not a mesh label (1..32 UTF-8 bytes, as the ABI's __seq_send), or null. */
export function labelError(value: unknown): string | null {
  if (typeof value !== 'string') return `must be a string, got ${describe(value)}`;
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes < 1 || bytes > MAX_LABEL_BYTES) return `must be 1..${MAX_LABEL_BYTES} UTF-8 bytes, got ${bytes}`;
  return null;
}

/** Why `payload` cannot be carried (over the ABI's 256 bytes), or null. */
export function payloadError(payload: Uint8Array): string | null {
  return payload.byteLength > MAX_MESSAGE_BYTES ? `payload is ${payload.byteLength} bytes; a mesh message carries at most ${MAX_MESSAGE_BYTES}` : null;
}

/** The checks __seq_send makes for an algorithm, for direct callers: throws RangeError naming the problem. */
export function assertSendable(to: string, payload: Uint8Array): void {
  const toErr = labelError(to);
  if (toErr !== null) throw new RangeError(`mesh send: label "to" ${toErr}`);
  const payloadErr = payloadError(payload);
  if (payloadErr !== null) throw new RangeError(`mesh send: ${payloadErr}`);
}

/** Why a set of hosted labels cannot be announced (invalid, duplicated, too many), or null. */
export function labelListError(labels: readonly unknown[]): string | null {
  if (labels.length > MAX_LABELS_PER_NODE) return `${labels.length} labels; a node hosts at most ${MAX_LABELS_PER_NODE}`;
  const seen = new Set<unknown>();
  for (const l of labels) {
    const err = labelError(l);
    if (err !== null) return `label ${describe(l)} ${err}`;
    if (seen.has(l)) return `label ${JSON.stringify(l)} is listed twice`;
    seen.add(l);
  }
  return null;
}

/** Why a top cannot be published (the same checks its frame gets on arrival), or null. */
export function topError(top: MeshTop): string | null {
  try {
    topFromWire(topToWire(top));
    return null;
  } catch (err) {
    if (err instanceof MeshProtocolError) return err.message;
    throw err;
  }
}

function topToWire(top: MeshTop): Record<string, unknown> {
  return { venue_id: top.venueId, venue: top.venue, symbol: top.symbol, bid_px: top.bidPx1e9, bid_sz: top.bidSz1e8, ask_px: top.askPx1e9, ask_sz: top.askSz1e8 };
}

function topFromWire(o: Record<string, unknown>): MeshTop {
  const type = 'top';
  return {
    venueId: integer(o, type, 'venue_id', 1, 255),
    venue: text1(o, type, 'venue', MAX_VENUE_NAME_BYTES),
    symbol: text1(o, type, 'symbol', MAX_SYMBOL_BYTES),
    bidPx1e9: fixedPoint(o, type, 'bid_px'),
    bidSz1e8: fixedPoint(o, type, 'bid_sz'),
    askPx1e9: fixedPoint(o, type, 'ask_px'),
    askSz1e8: fixedPoint(o, type, 'ask_sz'),
  };
}

function expectFields(o: Record<string, unknown>, type: string, names: readonly string[]): void {
  for (const key of Object.keys(o)) {
    if (key !== 'type' && !names.includes(key)) throw new MeshProtocolError(`${type} frame has unknown field ${JSON.stringify(key.slice(0, 40))}`);
  }
  for (const name of names) if (!(name in o)) throw new MeshProtocolError(`${type} frame lacks field ${name}`);
}

function expectVersion(o: Record<string, unknown>): void {
  if (o.v !== MESH_PROTOCOL_VERSION) throw new MeshProtocolError(`peer speaks mesh protocol v${describe(o.v)}; this node speaks v${MESH_PROTOCOL_VERSION}`);
}

function label(value: unknown, where: string): string {
  const err = labelError(value);
  if (err !== null) throw new MeshProtocolError(`${where} ${err}`);
  return value as string;
}

function labelList(o: Record<string, unknown>, type: string): string[] {
  const labels = o.labels;
  if (!Array.isArray(labels)) throw new MeshProtocolError(`${type}.labels must be an array, got ${describe(labels)}`);
  const err = labelListError(labels);
  if (err !== null) throw new MeshProtocolError(`${type}.labels: ${err}`);
  return labels as string[];
}

function text1(o: Record<string, unknown>, type: string, name: string, maxBytes: number): string {
  const value = o[name];
  if (typeof value !== 'string') throw new MeshProtocolError(`${type}.${name} must be a string, got ${describe(value)}`);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes < 1 || bytes > maxBytes) throw new MeshProtocolError(`${type}.${name} must be 1..${maxBytes} UTF-8 bytes, got ${bytes}`);
  return value;
}

function hex32(o: Record<string, unknown>, type: string, name: string): string {
  const value = o[name];
  if (typeof value !== 'string' || !HEX_32_BYTES.test(value)) throw new MeshProtocolError(`${type}.${name} must be 64 lowercase hex digits`);
  return value;
}

function integer(o: Record<string, unknown>, type: string, name: string, min: number, max: number): number {
  const value = o[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new MeshProtocolError(`${type}.${name} must be an integer in ${min}..${max === Number.MAX_VALUE ? 'inf' : max}, got ${describe(value)}`);
  }
  return value;
}

function fixedPoint(o: Record<string, unknown>, type: string, name: string): number {
  return integer(o, type, name, 0, Number.MAX_SAFE_INTEGER);
}

function payload(value: unknown): Uint8Array {
  if (typeof value !== 'string' || value.length % 4 !== 0 || !BASE64.test(value)) throw new MeshProtocolError('msg.payload_b64 must be padded standard base64');
  const bytes = Buffer.from(value, 'base64');
  // Node's decoder tolerates non-zero padding bits; requiring the canonical form means one payload has one spelling.
  if (bytes.toString('base64') !== value) throw new MeshProtocolError('msg.payload_b64 is not canonical base64');
  const err = payloadError(bytes);
  if (err !== null) throw new MeshProtocolError(`msg.${err}`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? text.slice(0, 40) + '...' : text;
}
