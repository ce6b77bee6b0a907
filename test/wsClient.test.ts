import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { WsClient, type WsClientOptions } from '../src/venues/wsClient/wsClient.ts';
import { acceptKey } from '../src/venues/wsClient/wsHandshake.ts';
import { waitFor } from './support/meshHarness.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A real `ws` server on loopback, port 0; `accepted` lists its server-side sockets in order. */
async function wsServer(): Promise<{ url: string; accepted: WebSocket[] }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const accepted: WebSocket[] = [];
  wss.on('connection', (ws) => accepted.push(ws));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  );
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, accepted };
}

/** Listens on loopback port 0 and returns the port; every accepted socket is destroyed at cleanup. */
async function listen(server: Server): Promise<number> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return closeServer(server);
  });
  return (server.address() as AddressInfo).port;
}

/**
 * A raw TCP server doing the upgrade by hand: answers 101 (followed by `afterUpgrade` in
 * the same write), then hands the socket on with what it has received from the client.
 */
async function rawServer(onUpgraded: (socket: Socket) => void, afterUpgrade: Buffer = Buffer.alloc(0)): Promise<string> {
  const server = createServer((socket) => {
    let request = '';
    const onData = (chunk: Buffer): void => {
      request += chunk.toString('latin1');
      if (!request.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      const key = /\r\nSec-WebSocket-Key: (\S+)\r\n/i.exec(request)![1];
      const head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`;
      socket.write(Buffer.concat([Buffer.from(head, 'latin1'), afterUpgrade]));
      onUpgraded(socket);
    };
    socket.on('data', onData);
  });
  return `ws://127.0.0.1:${await listen(server)}`;
}

/** Whole masked client frames in `buf`, unmasked. */
function clientFrames(buf: Buffer): { opcode: number; payload: Buffer }[] {
  const frames: { opcode: number; payload: Buffer }[] = [];
  let at = 0;
  while (at + 2 <= buf.length) {
    let length = buf[at + 1] & 0x7f;
    let header = 2;
    if (length === 126) {
      length = buf.readUInt16BE(at + 2);
      header = 4;
    } else if (length === 127) {
      length = Number(buf.readBigUInt64BE(at + 2));
      header = 10;
    }
    const mask = buf.subarray(at + header, at + header + 4);
    const start = at + header + 4;
    if (start + length > buf.length) break;
    frames.push({ opcode: buf[at] & 0x0f, payload: Buffer.from(buf.subarray(start, start + length).map((b, i) => b ^ mask[i & 3])) });
    at = start + length;
  }
  return frames;
}

function serverFrame(opcode: number, payload: string | Buffer): Buffer {
  const body = Buffer.from(payload);
  return Buffer.concat([Buffer.from([0x80 | opcode, body.length]), body]);
}

interface Recorded {
  client: WsClient;
  opens: number;
  messages: { data: Buffer; isBinary: boolean }[];
  closes: { code: number; reason: string }[];
}

/** A client whose callbacks are recorded; terminated at cleanup. */
function connect(url: string, options?: WsClientOptions, onMessage?: (rec: Recorded, data: Buffer) => void): Recorded {
  const rec = { opens: 0, messages: [], closes: [] } as unknown as Recorded;
  rec.client = new WsClient(
    url,
    {
      onOpen: () => {
        rec.opens++;
      },
      onMessage: (whole, start, end, isBinary) => {
        // A copy: the client's next read overwrites the bytes it hands over.
        const data = Buffer.from(whole.subarray(start, end));
        rec.messages.push({ data, isBinary });
        onMessage?.(rec, data);
      },
      onClose: (code, reason) => {
        rec.closes.push({ code, reason });
      },
    },
    options,
  );
  cleanups.push(() => rec.client.terminate());
  return rec;
}

async function opened(rec: Recorded): Promise<void> {
  await waitFor(() => rec.opens === 1 || rec.closes.length > 0, 'the client to open');
  expect(rec.closes).toEqual([]);
}

async function closed(rec: Recorded): Promise<{ code: number; reason: string }> {
  await waitFor(() => rec.closes.length > 0, 'onClose');
  return rec.closes[0];
}

describe('WsClient against a ws server', () => {
  it('opens, sends text and receives text and binary messages', async () => {
    const { url, accepted } = await wsServer();
    const rec = connect(`${url}/feed?depth=10`);
    await opened(rec);
    expect(rec.client.isOpen).toBe(true);
    const received: string[] = [];
    accepted[0].on('message', (data) => received.push(String(data)));
    expect(rec.client.send('{"method":"subscribe"}')).toBe(true);
    await waitFor(() => received.length === 1, 'the server to receive the text');
    expect(received).toEqual(['{"method":"subscribe"}']);
    accepted[0].send('{"channel":"book"}');
    accepted[0].send(Buffer.from([0, 1, 2, 255]));
    await waitFor(() => rec.messages.length === 2, 'two messages');
    expect(rec.messages).toEqual([
      { data: Buffer.from('{"channel":"book"}'), isBinary: false },
      { data: Buffer.from([0, 1, 2, 255]), isBinary: true },
    ]);
  });

  it('carries messages with 16-bit and 64-bit lengths both ways', async () => {
    const { url, accepted } = await wsServer();
    const rec = connect(url);
    await opened(rec);
    const medium = 'm'.repeat(300);
    const big = 'b'.repeat(200_000);
    const received: string[] = [];
    accepted[0].on('message', (data) => received.push(String(data)));
    rec.client.send(medium);
    rec.client.send(big);
    accepted[0].send(medium);
    accepted[0].send(big);
    await waitFor(() => received.length === 2 && rec.messages.length === 2, 'both messages both ways');
    expect(received).toEqual([medium, big]);
    expect(rec.messages.map((m) => m.data.toString())).toEqual([medium, big]);
  });

  it('answers a server ping with a pong carrying the same payload', async () => {
    const { url, accepted } = await wsServer();
    const rec = connect(url);
    await opened(rec);
    const pongs: string[] = [];
    accepted[0].on('pong', (data) => pongs.push(data.toString()));
    accepted[0].ping('are you there');
    await waitFor(() => pongs.length === 1, 'the pong');
    expect(pongs).toEqual(['are you there']);
  });

  it('reports the server\'s close code and reason, echoing the code back', async () => {
    const { url, accepted } = await wsServer();
    const rec = connect(url);
    await opened(rec);
    let serverSaw: number | null = null;
    accepted[0].on('close', (code) => {
      serverSaw = code;
    });
    accepted[0].close(4001, 'maintenance window');
    expect(await closed(rec)).toEqual({ code: 4001, reason: 'maintenance window' });
    expect(rec.client.isOpen).toBe(false);
    await waitFor(() => serverSaw !== null, 'the server to finish closing');
    expect(serverSaw).toBe(4001);
  });

  it('reports a close frame without a status as 1005', async () => {
    const { url, accepted } = await wsServer();
    const rec = connect(url);
    await opened(rec);
    accepted[0].close();
    expect(await closed(rec)).toEqual({ code: 1005, reason: '' });
  });

  it('completes the close handshake when the client closes', async () => {
    const { url, accepted } = await wsServer();
    const rec = connect(url);
    await opened(rec);
    let serverSaw: { code: number; reason: string } | null = null;
    accepted[0].on('close', (code, reason) => {
      serverSaw = { code, reason: reason.toString() };
    });
    rec.client.close(4002, 'bye');
    expect(rec.client.isOpen).toBe(false);
    expect(rec.client.send('too late')).toBe(false);
    rec.client.close(1000, 'again');
    expect(await closed(rec)).toEqual({ code: 4002, reason: 'bye' });
    await waitFor(() => serverSaw !== null, 'the server to see the close');
    expect(serverSaw).toEqual({ code: 4002, reason: 'bye' });
    expect(rec.closes).toHaveLength(1);
  });

  it('terminates at once: not open, nothing sent, onClose once with 1006', async () => {
    const { url, accepted } = await wsServer();
    const rec = connect(url);
    await opened(rec);
    let serverSaw: number | null = null;
    accepted[0].on('close', (code) => {
      serverSaw = code;
    });
    rec.client.terminate();
    rec.client.terminate();
    expect(rec.client.isOpen).toBe(false);
    expect(rec.client.send('x')).toBe(false);
    rec.client.close();
    expect(await closed(rec)).toEqual({ code: 1006, reason: 'terminated' });
    await waitFor(() => serverSaw !== null, 'the server to see the drop');
    expect(serverSaw).toBe(1006);
    await new Promise((r) => setTimeout(r, 50));
    expect(rec.closes).toHaveLength(1);
  });

  it('refuses a message over maxPayloadBytes as a protocol error, sending close 1009', async () => {
    const { url, accepted } = await wsServer();
    const rec = connect(url, { maxPayloadBytes: 1000 });
    await opened(rec);
    let serverSaw: number | null = null;
    accepted[0].on('close', (code) => {
      serverSaw = code;
    });
    accepted[0].send('x'.repeat(1001));
    expect(await closed(rec)).toEqual({ code: 1006, reason: 'protocol error: message of 1001 bytes exceeds maxPayloadBytes 1000 (sent close 1009)' });
    await waitFor(() => serverSaw !== null, 'the server to see the close');
    expect(serverSaw).toBe(1009);
    expect(rec.messages).toEqual([]);
  });

  it('stops delivering the rest of a read when a handler terminates', async () => {
    const burst = Buffer.concat([serverFrame(1, 'one'), serverFrame(1, 'two'), serverFrame(1, 'three')]);
    const url = await rawServer((socket) => setTimeout(() => socket.write(burst), 20));
    const rec = connect(url, {}, (r, data) => {
      if (data.toString() === 'two') r.client.terminate();
    });
    expect(await closed(rec)).toEqual({ code: 1006, reason: 'terminated' });
    expect(rec.messages.map((m) => m.data.toString())).toEqual(['one', 'two']);
  });

  it('drops the rest of a read after a handler calls close(), and still completes the close handshake', async () => {
    const seen: Buffer[] = [];
    const burst = Buffer.concat([serverFrame(1, 'one'), serverFrame(1, 'two'), serverFrame(1, 'three')]);
    const url = await rawServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        seen.push(chunk);
        const frames = clientFrames(Buffer.concat(seen));
        // Answers the client's close, as a server does.
        if (frames.some((f) => f.opcode === 8)) socket.end(serverFrame(8, frames.find((f) => f.opcode === 8)!.payload));
      });
      setTimeout(() => socket.write(burst), 20);
    });
    const rec = connect(url, {}, (r, data) => {
      if (data.toString() === 'one') r.client.close(1000, 'enough');
    });
    expect(await closed(rec)).toEqual({ code: 1000, reason: 'enough' });
    expect(rec.messages.map((m) => m.data.toString())).toEqual(['one']);
  });

  it('reports 1006 when the server drops the connection without a close frame', async () => {
    const url = await rawServer((socket) => setTimeout(() => socket.destroy(), 20));
    const rec = connect(url);
    expect(await closed(rec)).toEqual({ code: 1006, reason: 'connection dropped without a close frame' });
    expect(rec.opens).toBe(1);
  });

  it('gives up on the close handshake after closeTimeoutMs when the server never answers', async () => {
    const url = await rawServer(() => {});
    const rec = connect(url, { closeTimeoutMs: 200 });
    await opened(rec);
    rec.client.close();
    expect(await closed(rec)).toEqual({ code: 1006, reason: 'close timeout: no close frame from the server within 200 ms' });
  });

  it('delivers frames that arrive in the same read as the 101, after onOpen', async () => {
    const order: string[] = [];
    const url = await rawServer(() => {}, Buffer.concat([serverFrame(1, 'snapshot'), serverFrame(2, Buffer.from([7]))]));
    const client = new WsClient(url, {
      onOpen: () => order.push('open'),
      onMessage: (data, start, end, isBinary) => order.push(`${isBinary ? 'binary' : 'text'}:${data.toString('hex', start, end)}`),
      onClose: () => order.push('close'),
    });
    cleanups.push(() => client.terminate());
    await waitFor(() => order.length === 3, 'open and two messages');
    expect(order).toEqual(['open', `text:${Buffer.from('snapshot').toString('hex')}`, 'binary:07']);
  });

  it('calls onRead once per socket read, before that read\'s messages, the 101\'s read included', async () => {
    const order: string[] = [];
    let server: Socket | null = null;
    const url = await rawServer((socket) => (server = socket), Buffer.concat([serverFrame(1, 'a'), serverFrame(1, 'b')]));
    const client = new WsClient(url, {
      onOpen: () => order.push('open'),
      onRead: () => order.push('read'),
      onMessage: (data, start, end) => order.push(data.toString('utf8', start, end)),
      onClose: () => {},
    });
    cleanups.push(() => client.terminate());
    await waitFor(() => order.length === 4, 'open and the first read');
    server!.write(Buffer.concat([serverFrame(1, 'c'), serverFrame(1, 'd')]));
    await waitFor(() => order.length === 7, 'the second read');
    expect(order).toEqual(['open', 'read', 'a', 'b', 'read', 'c', 'd']);
  });

  it('hands each read over as a view that ends with it, so the byte after a message is never a stale one of an earlier read', async () => {
    let server: Socket | null = null;
    const url = await rawServer((socket) => (server = socket));
    const seen: { length: number; after: number | undefined }[] = [];
    const client = new WsClient(url, {
      onOpen: () => {},
      onMessage: (data, start, end) => seen.push({ length: end - start, after: data[end] }),
      onClose: () => {},
    });
    cleanups.push(() => client.terminate());
    await waitFor(() => server !== null && client.isOpen, 'the upgrade');
    // 60,000 digits fill most of the read buffer; the next read is one short message.
    const big = Buffer.alloc(60_000, '7');
    const head = Buffer.from([0x81, 126, 0, 0]);
    head.writeUInt16BE(big.length, 2);
    server!.write(Buffer.concat([head, big]));
    await waitFor(() => seen.length === 1, 'the long message');
    server!.write(serverFrame(1, '1'));
    await waitFor(() => seen.length === 2, 'the short message');
    expect(seen).toEqual([
      { length: 60_000, after: undefined },
      { length: 1, after: undefined },
    ]);
  });

  it('sends corked messages in one TCP write', async () => {
    const chunks: Buffer[] = [];
    const url = await rawServer((socket) => socket.on('data', (chunk: Buffer) => chunks.push(chunk)));
    const rec = connect(url);
    await opened(rec);
    rec.client.cork();
    rec.client.send('first');
    rec.client.send('second');
    expect(rec.client.bufferedBytes).toBe(2 + 4 + 5 + (2 + 4 + 6));
    rec.client.uncork();
    await waitFor(() => chunks.length > 0, 'the corked write');
    await new Promise((r) => setTimeout(r, 50));
    expect(chunks).toHaveLength(1);
    expect(clientFrames(chunks[0]).map((f) => [f.opcode, f.payload.toString()])).toEqual([
      [1, 'first'],
      [1, 'second'],
    ]);
    await waitFor(() => rec.client.bufferedBytes === 0, 'the socket to drain');
  });

  it('closes with a protocol error when the server sends garbage, telling the server 1002', async () => {
    const received: Buffer[] = [];
    const url = await rawServer((socket) => {
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      setTimeout(() => socket.write('this is not a websocket frame'), 20);
    });
    const rec = connect(url);
    const close = await closed(rec);
    expect(close.code).toBe(1006);
    expect(close.reason).toMatch(/^protocol error: .* \(sent close 1002\)$/);
    expect(rec.opens).toBe(1);
    await waitFor(() => clientFrames(Buffer.concat(received)).length === 1, 'the close frame');
    const [frame] = clientFrames(Buffer.concat(received));
    expect(frame.opcode).toBe(8);
    expect(frame.payload.readUInt16BE(0)).toBe(1002);
  });
});

describe('WsClient failures before open', () => {
  it('reports a refused connection', async () => {
    const server = createServer();
    const port = await listen(server);
    await closeServer(server);
    const rec = connect(`ws://127.0.0.1:${port}`);
    const close = await closed(rec);
    expect(close.code).toBe(1006);
    expect(close.reason).toContain(`ECONNREFUSED 127.0.0.1:${port}`);
    expect(rec.opens).toBe(0);
  });

  it('names the status of a refused handshake', async () => {
    const server = createHttpServer((_req, res) => {
      res.writeHead(503, { 'Content-Type': 'text/plain' });
      res.end('venue under maintenance');
    });
    const port = await listen(server);
    const rec = connect(`ws://127.0.0.1:${port}/v2`);
    expect(await closed(rec)).toEqual({ code: 1006, reason: 'handshake failed: server answered 503 Service Unavailable: venue under maintenance' });
    expect(rec.opens).toBe(0);
  });

  it('times out a server that never answers the upgrade', async () => {
    const port = await listen(createServer(() => {}));
    const rec = connect(`ws://127.0.0.1:${port}`, { handshakeTimeoutMs: 300 });
    expect(await closed(rec)).toEqual({ code: 1006, reason: 'handshake timeout: no upgrade response within 300 ms' });
    expect(rec.opens).toBe(0);
  });

  it('aborts the connection when closed before the handshake completes, sending nothing', async () => {
    const port = await listen(createServer(() => {}));
    const rec = connect(`ws://127.0.0.1:${port}`);
    expect(rec.client.send('early')).toBe(false);
    rec.client.close();
    expect(await closed(rec)).toEqual({ code: 1006, reason: 'closed before the handshake completed' });
  });
});

describe('WsClient over TLS', () => {
  let dir = '';
  let cert: Buffer;
  let key: Buffer;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ws-client-tls-'));
    execFileSync('/usr/bin/openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'));
    key = readFileSync(join(dir, 'key.pem'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function wssServer(): Promise<{ port: number; accepted: WebSocket[] }> {
    const https = createHttpsServer({ cert, key });
    const wss = new WebSocketServer({ server: https });
    const accepted: WebSocket[] = [];
    wss.on('connection', (ws) => {
      accepted.push(ws);
      ws.on('message', (data) => ws.send(`echo ${String(data)}`));
    });
    cleanups.push(() => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    });
    return { port: await listen(https), accepted };
  }

  it('talks wss:// to a server whose self-signed certificate it is given', async () => {
    const { port } = await wssServer();
    const rec = connect(`wss://127.0.0.1:${port}/secure`, { tls: { ca: cert } });
    await opened(rec);
    rec.client.send('hello');
    await waitFor(() => rec.messages.length === 1, 'the echo');
    expect(rec.messages[0].data.toString()).toBe('echo hello');
  });

  it('refuses the same server when its certificate is not trusted', async () => {
    const { port } = await wssServer();
    const rec = connect(`wss://127.0.0.1:${port}/secure`);
    const close = await closed(rec);
    expect(close.code).toBe(1006);
    expect(close.reason).toContain('self-signed certificate');
    expect(rec.opens).toBe(0);
  });
});

describe('WsClient when a handler throws', () => {
  it('is already closed when the error propagates, and reports onClose once', async () => {
    // The error escapes the socket's data event, so it is seen in a process of its own.
    const clientModule = resolve('src/venues/wsClient/wsClient.ts');
    const script = `
      import { WebSocketServer } from 'ws';
      import { WsClient } from ${JSON.stringify(clientModule)};
      const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
      wss.on('connection', (ws) => { ws.send('boom'); ws.send('after'); });
      wss.on('listening', () => {
        const report = { messages: [], closes: [] };
        process.on('uncaughtException', (error) => {
          report.uncaught = error.message;
          report.isOpen = client.isOpen;
          report.sendAccepted = client.send('x');
        });
        const client = new WsClient('ws://127.0.0.1:' + wss.address().port, {
          onOpen() {},
          onMessage(data, start, end) {
            report.messages.push(data.toString('utf8', start, end));
            if (data.toString('utf8', start, end) === 'boom') throw new Error('caller bug');
          },
          onClose(code, reason) {
            report.closes.push([code, reason]);
            setTimeout(() => { console.log(JSON.stringify(report)); process.exit(0); }, 100);
          },
        });
      });
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual({
      messages: ['boom'],
      uncaught: 'caller bug',
      isOpen: false,
      sendAccepted: false,
      closes: [[1006, 'handler threw: caller bug']],
    });
  });
});

describe('WsClient bad input', () => {
  const handlers = { onOpen: () => {}, onMessage: () => {}, onClose: () => {} };

  it('refuses a URL it cannot use', () => {
    expect(() => new WsClient('https://ws.kraken.com/v2', handlers)).toThrow(new RangeError('unsupported URL scheme "https:" in https://ws.kraken.com/v2: use ws:// or wss://'));
    expect(() => new WsClient('ws.kraken.com/v2', handlers)).toThrow(new RangeError('not a WebSocket URL: "ws.kraken.com/v2"'));
    expect(() => new WsClient('ws://127.0.0.1:1/#top', handlers)).toThrow(new RangeError('a WebSocket URL has no fragment, got ws://127.0.0.1:1/#top'));
  });

  it('refuses timeouts and limits that are not positive integers', () => {
    expect(() => new WsClient('ws://127.0.0.1:1', handlers, { handshakeTimeoutMs: 0 })).toThrow('handshakeTimeoutMs must be a positive integer, got 0');
    expect(() => new WsClient('ws://127.0.0.1:1', handlers, { closeTimeoutMs: -5 })).toThrow('closeTimeoutMs must be a positive integer, got -5');
    expect(() => new WsClient('ws://127.0.0.1:1', handlers, { maxPayloadBytes: 1.5 })).toThrow('maxPayloadBytes must be a positive integer, got 1.5');
  });

  it('refuses a header the handshake sets itself', () => {
    expect(() => new WsClient('ws://127.0.0.1:1', handlers, { headers: { Upgrade: 'h2c' } })).toThrow('header Upgrade is set by the WebSocket handshake itself');
  });

  it('refuses a close code it may not send, and stays open', async () => {
    const { url } = await wsServer();
    const rec = connect(url);
    await opened(rec);
    expect(() => rec.client.close(1006)).toThrow('close code 1006 may not be sent');
    expect(() => rec.client.close(1000, 'r'.repeat(124))).toThrow('close reason is 124 bytes of UTF-8; the limit is 123');
    expect(rec.client.isOpen).toBe(true);
  });
});
