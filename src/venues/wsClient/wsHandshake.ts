import { createHash } from 'node:crypto';

// The client's side of the WebSocket opening handshake (RFC 6455 section 4.1): the HTTP
// upgrade request, and the check of the server's answer. We offer no extension and no
// subprotocol, so a server that picks one is refused: its frames would not be readable.
// Errors are written for the operator: what the server said, in its words where possible.

/** RFC 6455 section 1.3: appended to the key before hashing. */
export const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** A response header block longer than this without its end is refused. */
export const MAX_UPGRADE_RESPONSE_HEADER_BYTES = 16 * 1024;
/** How much of a refusal's body the error quotes. */
const QUOTED_BODY_BYTES = 200;

/** The upgrade failed; the message says why in terms an operator can act on. */
export class WsHandshakeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WsHandshakeError';
  }
}

/** The Sec-WebSocket-Accept a server must answer `key` with: base64 SHA-1 of key + GUID. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + WS_GUID).digest('base64');
}

/** Headers the handshake sets itself; a caller may not override them. */
const RESERVED_HEADERS = new Set(['host', 'upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-protocol']);
/** RFC 7230 token characters, for header names. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Header values may not hold CR, LF or NUL (they would split or end the request). */
const HEADER_VALUE_FORBIDDEN = /[\r\n\0]/;

/**
 * The HTTP/1.1 upgrade request for `url` (ws: or wss:; the caller has checked the scheme).
 * `key` is 16 random bytes in base64. Host carries the port only when it is not the
 * scheme's default, which the URL class already knows for ws: (80) and wss: (443).
 */
export function upgradeRequest(url: URL, key: string, headers: Record<string, string> = {}): string {
  const path = (url.pathname === '' ? '/' : url.pathname) + url.search;
  let request = `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) throw new RangeError(`not a valid HTTP header name: ${JSON.stringify(name)}`);
    if (RESERVED_HEADERS.has(name.toLowerCase())) throw new RangeError(`header ${name} is set by the WebSocket handshake itself and cannot be overridden`);
    if (HEADER_VALUE_FORBIDDEN.test(value)) throw new RangeError(`header ${name} has a value with CR, LF or NUL in it`);
    request += `${name}: ${value}\r\n`;
  }
  return request + '\r\n';
}

/** Control characters and runs of whitespace become one space: the quote stays on one line. */
function printable(text: string): string {
  return text.replace(/[\s\x00-\x1f\x7f]+/g, ' ').trim();
}

/**
 * The first QUOTED_BODY_BYTES of a refusal's body among the bytes received so far, with
 * chunked transfer coding removed (Node's http server chunks by default).
 */
function bodyStart(body: Buffer, chunked: boolean): Buffer {
  if (!chunked) return body.subarray(0, QUOTED_BODY_BYTES);
  const parts: Buffer[] = [];
  let have = 0;
  let at = 0;
  while (have < QUOTED_BODY_BYTES) {
    const lineEnd = body.indexOf('\r\n', at, 'latin1');
    if (lineEnd === -1) break;
    const size = Number.parseInt(body.toString('latin1', at, lineEnd), 16);
    if (!(size > 0)) break;
    const part = body.subarray(lineEnd + 2, Math.min(lineEnd + 2 + size, body.length));
    parts.push(part);
    have += part.length;
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts).subarray(0, QUOTED_BODY_BYTES);
}

/**
 * Reads the server's answer from the start of `buf` (everything received so far). Returns
 * null while the header block is incomplete; `{ headerBytes }` for a valid 101, where
 * buf[headerBytes..] are the first frame bytes; throws WsHandshakeError otherwise.
 */
export function readUpgradeResponse(buf: Buffer, key: string): { headerBytes: number } | null {
  const end = buf.indexOf('\r\n\r\n', 0, 'latin1');
  if (end === -1 || end + 4 > MAX_UPGRADE_RESPONSE_HEADER_BYTES) {
    if (end === -1 && buf.length <= MAX_UPGRADE_RESPONSE_HEADER_BYTES) return null;
    throw new WsHandshakeError(`the server's response headers do not end within ${MAX_UPGRADE_RESPONSE_HEADER_BYTES} bytes`);
  }
  const headerBytes = end + 4;
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (status === null) throw new WsHandshakeError(`the server did not answer with HTTP: ${JSON.stringify(printable(lines[0]).slice(0, 80))}`);
  const code = Number(status[1]);
  const fields = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':');
    if (colon <= 0) {
      // A refusal is reported by its status whatever its headers look like.
      if (code !== 101) continue;
      throw new WsHandshakeError(`malformed header line in the server's 101 response: ${JSON.stringify(printable(lines[i]).slice(0, 80))}`);
    }
    const name = lines[i].slice(0, colon).trim().toLowerCase();
    const value = lines[i].slice(colon + 1).trim();
    const seen = fields.get(name);
    fields.set(name, seen === undefined ? value : `${seen}, ${value}`);
  }
  if (code !== 101) {
    const statusText = status[2] === undefined || status[2] === '' ? '' : ` ${status[2]}`;
    const chunked = /\bchunked\b/i.test(fields.get('transfer-encoding') ?? '');
    const body = printable(bodyStart(buf.subarray(headerBytes), chunked).toString('utf8'));
    throw new WsHandshakeError(`server answered ${code}${statusText}${body === '' ? '' : `: ${body}`}`);
  }
  const upgrade = fields.get('upgrade');
  if (upgrade === undefined || upgrade.toLowerCase() !== 'websocket') {
    throw new WsHandshakeError(`server answered 101 but its Upgrade header is ${upgrade === undefined ? 'missing' : JSON.stringify(upgrade)}, not "websocket"`);
  }
  const connection = fields.get('connection');
  if (connection === undefined || !connection.split(',').some((token) => token.trim().toLowerCase() === 'upgrade')) {
    throw new WsHandshakeError(`server answered 101 but its Connection header is ${connection === undefined ? 'missing' : JSON.stringify(connection)}, without "Upgrade"`);
  }
  const accept = fields.get('sec-websocket-accept');
  const expected = acceptKey(key);
  if (accept !== expected) {
    throw new WsHandshakeError(`bad Sec-WebSocket-Accept: expected ${expected}, got ${accept === undefined ? 'none' : JSON.stringify(accept)} (a proxy or a server that is not speaking WebSocket?)`);
  }
  const extensions = fields.get('sec-websocket-extensions');
  if (extensions !== undefined) throw new WsHandshakeError(`server negotiated an extension we did not offer: ${extensions}`);
  const protocol = fields.get('sec-websocket-protocol');
  if (protocol !== undefined) throw new WsHandshakeError(`server chose a subprotocol we did not offer: ${protocol}`);
  return { headerBytes };
}
