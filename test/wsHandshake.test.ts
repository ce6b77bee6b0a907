import { describe, expect, it } from 'vitest';
import { acceptKey, readUpgradeResponse, upgradeRequest, WsHandshakeError } from '../src/venues/wsClient/wsHandshake.ts';

// RFC 6455 section 1.3's example.
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

function response(lines: string[], after = ''): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${after}`, 'latin1');
}

const GOOD = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${ACCEPT}`];

function refusal(buf: Buffer): string {
  try {
    readUpgradeResponse(buf, KEY);
  } catch (error) {
    expect(error).toBeInstanceOf(WsHandshakeError);
    return (error as Error).message;
  }
  throw new Error('the response was accepted');
}

describe('upgradeRequest', () => {
  it('asks for path and query with the handshake headers and no extension', () => {
    expect(upgradeRequest(new URL('ws://127.0.0.1:8080/v2/feed?x=1&y=2'), KEY)).toBe(
      'GET /v2/feed?x=1&y=2 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });

  it('leaves the default port out of Host and asks for / when the URL has no path', () => {
    expect(upgradeRequest(new URL('wss://ws.kraken.com'), KEY)).toMatch(/^GET \/ HTTP\/1\.1\r\nHost: ws\.kraken\.com\r\n/);
    expect(upgradeRequest(new URL('wss://ws.kraken.com:443/v2'), KEY)).toMatch(/^GET \/v2 HTTP\/1\.1\r\nHost: ws\.kraken\.com\r\n/);
    expect(upgradeRequest(new URL('ws://example.com:80/'), KEY)).toMatch(/\r\nHost: example\.com\r\n/);
    expect(upgradeRequest(new URL('ws://example.com:443/'), KEY)).toMatch(/\r\nHost: example\.com:443\r\n/);
    expect(upgradeRequest(new URL('ws://[::1]:9000/'), KEY)).toMatch(/\r\nHost: \[::1\]:9000\r\n/);
  });

  it('adds the caller\'s headers', () => {
    const request = upgradeRequest(new URL('ws://h/'), KEY, { Origin: 'https://sequence.local', 'User-Agent': 'sequence/0.1' });
    expect(request.endsWith('Sec-WebSocket-Version: 13\r\nOrigin: https://sequence.local\r\nUser-Agent: sequence/0.1\r\n\r\n')).toBe(true);
  });

  it('refuses headers the handshake sets itself, bad names and values that would split the request', () => {
    expect(() => upgradeRequest(new URL('ws://h/'), KEY, { 'sec-websocket-extensions': 'permessage-deflate' })).toThrow(
      'header sec-websocket-extensions is set by the WebSocket handshake itself and cannot be overridden',
    );
    expect(() => upgradeRequest(new URL('ws://h/'), KEY, { Host: 'other' })).toThrow('header Host is set by the WebSocket handshake itself');
    expect(() => upgradeRequest(new URL('ws://h/'), KEY, { 'Bad Name': 'x' })).toThrow('not a valid HTTP header name: "Bad Name"');
    expect(() => upgradeRequest(new URL('ws://h/'), KEY, { 'X-Token': 'a\r\nEvil: yes' })).toThrow('header X-Token has a value with CR, LF or NUL in it');
  });
});

describe('readUpgradeResponse', () => {
  it('computes RFC 6455 section 1.3\'s accept value', () => {
    expect(acceptKey(KEY)).toBe(ACCEPT);
  });

  it('waits while the header block is incomplete', () => {
    expect(readUpgradeResponse(Buffer.alloc(0), KEY)).toBeNull();
    expect(readUpgradeResponse(Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n'), KEY)).toBeNull();
  });

  it('accepts a valid 101 and says where the first frame bytes start', () => {
    const headers = response(GOOD);
    expect(readUpgradeResponse(headers, KEY)).toEqual({ headerBytes: headers.length });
    const withFrame = response(GOOD, '\x81\x02hi');
    expect(readUpgradeResponse(withFrame, KEY)).toEqual({ headerBytes: withFrame.length - 4 });
  });

  it('reads header names and the Upgrade and Connection values case-insensitively', () => {
    const buf = response(['HTTP/1.1 101 Switching Protocols', 'upgrade: WebSocket', 'CONNECTION: keep-alive, upgrade', `sec-websocket-accept: ${ACCEPT}`, 'Server: test']);
    expect(readUpgradeResponse(buf, KEY)).toEqual({ headerBytes: buf.length });
  });

  it('names the status a refusing server answered with, quoting the start of its body', () => {
    expect(refusal(response(['HTTP/1.1 503 Service Unavailable', 'Content-Length: 23'], 'venue under maintenance'))).toBe(
      'server answered 503 Service Unavailable: venue under maintenance',
    );
    expect(refusal(response(['HTTP/1.1 404 Not Found']))).toBe('server answered 404 Not Found');
    expect(refusal(response(['HTTP/1.1 429']))).toBe('server answered 429');
    const longBody = refusal(response(['HTTP/1.1 403 Forbidden'], `${'x'.repeat(200)}TAIL`));
    expect(longBody).toBe(`server answered 403 Forbidden: ${'x'.repeat(200)}`);
    expect(refusal(response(['HTTP/1.1 500 Internal Server Error'], '<html>\r\n  <b>down</b>\r\n</html>'))).toBe('server answered 500 Internal Server Error: <html> <b>down</b> </html>');
  });

  it('quotes a chunked refusal body without its chunk sizes, and ignores a refusal\'s malformed header lines', () => {
    expect(refusal(response(['HTTP/1.1 503 Service Unavailable', 'Transfer-Encoding: chunked', 'garbage line'], '6\r\nvenue \r\n11\r\nunder maintenance\r\n0\r\n\r\n'))).toBe(
      'server answered 503 Service Unavailable: venue under maintenance',
    );
  });

  it('refuses a wrong or missing Sec-WebSocket-Accept', () => {
    expect(refusal(response([...GOOD.slice(0, 3), 'Sec-WebSocket-Accept: AAAA']))).toBe(
      `bad Sec-WebSocket-Accept: expected ${ACCEPT}, got "AAAA" (a proxy or a server that is not speaking WebSocket?)`,
    );
    expect(refusal(response(GOOD.slice(0, 3)))).toMatch(/^bad Sec-WebSocket-Accept: expected .*, got none/);
  });

  it('refuses an extension or a subprotocol we did not offer', () => {
    expect(refusal(response([...GOOD, 'Sec-WebSocket-Extensions: permessage-deflate']))).toBe('server negotiated an extension we did not offer: permessage-deflate');
    expect(refusal(response([...GOOD, 'Sec-WebSocket-Protocol: chat']))).toBe('server chose a subprotocol we did not offer: chat');
  });

  it('refuses a 101 without Upgrade: websocket or without Connection: Upgrade', () => {
    expect(refusal(response([GOOD[0], 'Upgrade: h2c', GOOD[2], GOOD[3]]))).toBe('server answered 101 but its Upgrade header is "h2c", not "websocket"');
    expect(refusal(response([GOOD[0], GOOD[2], GOOD[3]]))).toBe('server answered 101 but its Upgrade header is missing, not "websocket"');
    expect(refusal(response([GOOD[0], GOOD[1], 'Connection: keep-alive', GOOD[3]]))).toBe('server answered 101 but its Connection header is "keep-alive", without "Upgrade"');
    expect(refusal(response([GOOD[0], GOOD[1], GOOD[3]]))).toBe('server answered 101 but its Connection header is missing, without "Upgrade"');
  });

  it('refuses an answer that is not HTTP, and a malformed header line', () => {
    expect(refusal(response(['SSH-2.0-OpenSSH_9.6']))).toBe('the server did not answer with HTTP: "SSH-2.0-OpenSSH_9.6"');
    expect(refusal(response([...GOOD, 'no colon here']))).toBe('malformed header line in the server\'s 101 response: "no colon here"');
  });

  it('refuses a header block that does not end within 16 KiB', () => {
    const endless = Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nX-Pad: ${'p'.repeat(16 * 1024)}`);
    expect(refusal(endless)).toBe('the server\'s response headers do not end within 16384 bytes');
    const tooLong = response([...GOOD, `X-Pad: ${'p'.repeat(16 * 1024)}`]);
    expect(refusal(tooLong)).toBe('the server\'s response headers do not end within 16384 bytes');
  });
});
