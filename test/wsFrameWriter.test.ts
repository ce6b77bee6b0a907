import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { clientFrame, closeFrame, emptyCloseFrame, pingFrame, pongFrame, textFrame, WsOpcode } from '../src/venues/wsClient/wsFrameWriter.ts';
import { readUpgradeResponse, upgradeRequest } from '../src/venues/wsClient/wsHandshake.ts';
import { waitFor } from './support/meshHarness.ts';

const RFC_MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Splits a masked client frame into its header fields and unmasked payload. */
function parseClientFrame(frame: Buffer): { b0: number; lengthCode: number; payload: Buffer } {
  const lengthCode = frame[1] & 0x7f;
  const at = lengthCode === 126 ? 4 : lengthCode === 127 ? 10 : 2;
  expect(frame[1] & 0x80).toBe(0x80);
  const mask = frame.subarray(at, at + 4);
  const payload = Buffer.from(frame.subarray(at + 4).map((b, i) => b ^ mask[i & 3]));
  return { b0: frame[0], lengthCode, payload };
}

/** A real `ws` server and a raw TCP socket upgraded to it by hand, to write our frames on. */
async function rawConnection(): Promise<{ socket: Socket; server: WebSocket }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  );
  const serverSide = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const port = (wss.address() as AddressInfo).port;
  const key = randomBytes(16).toString('base64');
  const socket = connect({ host: '127.0.0.1', port });
  cleanups.push(() => {
    socket.destroy();
  });
  socket.write(upgradeRequest(new URL(`ws://127.0.0.1:${port}/`), key));
  let received = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      received = Buffer.concat([received, chunk]);
      try {
        if (readUpgradeResponse(received, key) === null) return;
      } catch (error) {
        reject(error);
        return;
      }
      socket.off('data', onData);
      resolve();
    };
    socket.on('data', onData);
  });
  return { socket, server: await serverSide };
}

describe('wsFrameWriter', () => {
  it('masks "Hello" as in RFC 6455 section 5.7', () => {
    const expected = Buffer.from([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    expect(textFrame('Hello', RFC_MASK)).toEqual(expected);
    expect(clientFrame(WsOpcode.Text, Buffer.from('Hello'), RFC_MASK)).toEqual(expected);
  });

  it('uses the 7-bit, 16-bit and 64-bit length forms at their boundaries', () => {
    for (const [length, lengthCode] of [
      [0, 0],
      [125, 125],
      [126, 126],
      [65_535, 126],
      [65_536, 127],
    ] as const) {
      const payload = randomBytes(length);
      const parsed = parseClientFrame(clientFrame(WsOpcode.Binary, payload, randomBytes(4)));
      expect(parsed.b0).toBe(0x82);
      expect(parsed.lengthCode).toBe(lengthCode);
      expect(parsed.payload).toEqual(payload);
    }
    const big = clientFrame(WsOpcode.Binary, Buffer.alloc(65_536), RFC_MASK);
    expect([...big.subarray(2, 10)]).toEqual([0, 0, 0, 0, 0, 1, 0, 0]);
    const medium = textFrame('é'.repeat(200), RFC_MASK);
    expect(medium.readUInt16BE(2)).toBe(400);
    expect(parseClientFrame(medium).payload.toString()).toBe('é'.repeat(200));
  });

  it('leaves the caller\'s payload unmasked', () => {
    const payload = Buffer.from('keep me');
    clientFrame(WsOpcode.Binary, payload, RFC_MASK);
    expect(payload.toString()).toBe('keep me');
  });

  it('builds ping, pong and close frames with FIN set', () => {
    expect(parseClientFrame(pingFrame(Buffer.from('p'), RFC_MASK))).toEqual({ b0: 0x89, lengthCode: 1, payload: Buffer.from('p') });
    expect(parseClientFrame(pongFrame(Buffer.from('p'), RFC_MASK))).toEqual({ b0: 0x8a, lengthCode: 1, payload: Buffer.from('p') });
    expect(parseClientFrame(closeFrame(1000, 'bye', RFC_MASK))).toEqual({ b0: 0x88, lengthCode: 5, payload: Buffer.from([0x03, 0xe8, 0x62, 0x79, 0x65]) });
    expect(parseClientFrame(emptyCloseFrame(RFC_MASK))).toEqual({ b0: 0x88, lengthCode: 0, payload: Buffer.alloc(0) });
  });

  it('refuses close codes a peer may not send', () => {
    for (const code of [999, 1004, 1005, 1006, 1015, 2000, 5000, 1000.5]) {
      expect(() => closeFrame(code, '', RFC_MASK)).toThrow(`close code ${code} may not be sent (use 1000-1003, 1007-1014 or 3000-4999)`);
    }
  });

  it('refuses a close reason over 123 bytes of UTF-8, counting bytes rather than characters', () => {
    expect(closeFrame(1000, 'a'.repeat(123), RFC_MASK).length).toBe(2 + 4 + 125);
    expect(() => closeFrame(1000, 'é'.repeat(62), RFC_MASK)).toThrow('close reason is 124 bytes of UTF-8; the limit is 123');
  });

  it('refuses a control frame over 125 bytes, an unknown opcode and a mask that is not 4 bytes', () => {
    expect(() => pingFrame(Buffer.alloc(126), RFC_MASK)).toThrow('a control frame carries at most 125 bytes, got 126');
    expect(() => clientFrame(3, Buffer.alloc(0), RFC_MASK)).toThrow('not a WebSocket opcode: 3');
    expect(() => clientFrame(WsOpcode.Text, Buffer.alloc(0), Buffer.alloc(3))).toThrow('a WebSocket mask is 4 bytes, got 3');
    expect(() => textFrame('x', Buffer.alloc(5))).toThrow('a WebSocket mask is 4 bytes, got 5');
  });

  it('writes frames the ws package\'s server reads: text, binary of every length form, ping and close', async () => {
    const { socket, server } = await rawConnection();
    const messages: { data: Buffer; isBinary: boolean }[] = [];
    const pings: Buffer[] = [];
    let closed: { code: number; reason: string } | null = null;
    server.on('message', (data, isBinary) => messages.push({ data: data as Buffer, isBinary }));
    server.on('ping', (data) => pings.push(data));
    server.on('close', (code, reason) => {
      closed = { code, reason: reason.toString() };
    });
    const medium = randomBytes(300);
    const big = randomBytes(100_000);
    socket.write(textFrame('hello ✓', randomBytes(4)));
    socket.write(clientFrame(WsOpcode.Binary, medium, randomBytes(4)));
    socket.write(clientFrame(WsOpcode.Binary, big, randomBytes(4)));
    socket.write(pingFrame(Buffer.from('are you there'), randomBytes(4)));
    socket.write(closeFrame(4000, 'done for today', randomBytes(4)));
    await waitFor(() => closed !== null, 'the server to see the close frame');
    expect(messages).toEqual([
      { data: Buffer.from('hello ✓'), isBinary: false },
      { data: medium, isBinary: true },
      { data: big, isBinary: true },
    ]);
    expect(pings).toEqual([Buffer.from('are you there')]);
    expect(closed).toEqual({ code: 4000, reason: 'done for today' });
  });
});
