import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

// The venue codec benchmark's frame server, run as a child process (fork, IPC) so the
// client being measured does not also pay for ws.send on its own thread, nor count the
// server's CPU time as its own. It answers one client's subscriptions as the emulators
// do, then sends a stream of recorded frames, either as fast as the socket takes them
// or paced, noting each frame's send time on the clock both processes share:
// performance.timeOrigin + performance.now(), in ms (the Unix epoch, read through each
// process's monotonic clock; on one machine the two agree to about a microsecond).
//
// As fast as the socket takes them means the server must not be the bottleneck: ws.send
// costs a few microseconds a frame (a write per frame), about what a fast client spends,
// so burst mode writes the frames pre-framed (WebSocket headers built once per stream) in
// chunks of BURST_BYTES straight to the TCP socket, as a busy venue's socket delivers
// them. Paced mode sends each frame with ws.send when it is due.
//
// The parent sends the streams once, then a run at a time: `run` opens a listening
// socket and answers `listening` with its URL; `finish` closes it and answers with the
// send times. A request the server cannot answer is reported as `failure` at once.

/** A stream of frames the parent registers by name, sent after the subscriptions are answered. */
export interface ServedStream {
  readonly venue: 'Kraken' | 'Coinbase';
  readonly symbols: readonly string[];
  /** Kraken book depth the client must subscribe at. */
  readonly depth: number;
  /** Sent once before the frames (Coinbase's subscriptions ack). */
  readonly preamble: readonly string[];
  readonly frames: readonly string[];
}

export type SendMode = { kind: 'burst' } | { kind: 'paced'; intervalMs: number };

export type ToFrameServer =
  | { type: 'stream'; name: string; stream: ServedStream }
  | { type: 'run'; name: string; mode: SendMode }
  | { type: 'finish' };

export type FromFrameServer =
  | { type: 'ready' }
  | { type: 'listening'; url: string }
  | { type: 'failure'; message: string }
  /** startMs: shared-clock ms of the first send; sentAtMs[i]: just before frame i's send (NaN if it was not sent). */
  | { type: 'finished'; startMs: number; sentAtMs: number[] };

/** Burst mode writes about this many bytes of frames per event-loop turn, so requests (pings) are still answered. */
const BURST_BYTES = 64 * 1024;

/** Milliseconds since the Unix epoch through the monotonic clock: comparable across processes on one machine. */
export function sharedClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** A stream's frames as a server sends them on the wire (unmasked text frames), back to back. */
interface WireFrames {
  readonly bytes: Buffer;
  /** Frame i is bytes [offsets[i], offsets[i + 1]). */
  readonly offsets: Float64Array;
}

/** RFC 6455 framing of server-to-client text frames: FIN + text opcode, unmasked, 7/16/64-bit length. */
export function wireFrames(frames: readonly string[]): WireFrames {
  const payloads = frames.map((frame) => Buffer.from(frame, 'utf8'));
  const parts: Buffer[] = [];
  const offsets = new Float64Array(frames.length + 1);
  let at = 0;
  for (let i = 0; i < payloads.length; i++) {
    const length = payloads[i].length;
    let header: Buffer;
    if (length < 126) {
      header = Buffer.from([0x81, length]);
    } else if (length < 65536) {
      header = Buffer.from([0x81, 126, length >> 8, length & 0xff]);
    } else {
      header = Buffer.alloc(10);
      header[0] = 0x81;
      header[1] = 127;
      header.writeBigUInt64BE(BigInt(length), 2);
    }
    parts.push(header, payloads[i]);
    offsets[i] = at;
    at += header.length + length;
  }
  offsets[frames.length] = at;
  return { bytes: Buffer.concat(parts, at), offsets };
}

interface Run {
  readonly server: Server;
  startMs: number;
  readonly sentAtMs: Float64Array;
  connected: boolean;
  started: boolean;
  stopped: boolean;
}

class FrameServer {
  private readonly streams = new Map<string, { stream: ServedStream; wire: WireFrames }>();
  private run: Run | null = null;

  constructor(private readonly reply: (message: FromFrameServer) => void) {}

  async onMessage(message: ToFrameServer): Promise<void> {
    if (message.type === 'stream') {
      this.streams.set(message.name, { stream: message.stream, wire: wireFrames(message.stream.frames) });
    } else if (message.type === 'run') {
      const served = this.streams.get(message.name);
      if (served === undefined) throw new Error(`no stream named ${message.name}`);
      if (this.run !== null) throw new Error('a run is already open: finish it first');
      this.reply({ type: 'listening', url: await this.start(served.stream, served.wire, message.mode) });
    } else {
      const run = this.run;
      if (run === null) throw new Error('finish without a run');
      this.run = null;
      run.stopped = true;
      run.server.closeAllConnections();
      await new Promise<void>((resolve) => run.server.close(() => resolve()));
      this.reply({ type: 'finished', startMs: run.startMs, sentAtMs: Array.from(run.sentAtMs) });
    }
  }

  private async start(stream: ServedStream, wire: WireFrames, mode: SendMode): Promise<string> {
    const server = createServer();
    // The upgrade hands over the TCP socket, which burst mode writes to directly.
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    const run: Run = { server, startMs: NaN, sentAtMs: new Float64Array(stream.frames.length).fill(NaN), connected: false, started: false, stopped: false };
    server.on('upgrade', (request, socket, head) => {
      wss.handleUpgrade(request, socket, head, (ws) => this.serve(ws, socket as Socket, stream, wire, mode, run));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    this.run = run;
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // ccxt speaks Kraken v2 only to a URL with "v2" in it (its ping, for one).
    return stream.venue === 'Kraken' ? `${url}/v2` : url;
  }

  private serve(ws: WebSocket, socket: Socket, stream: ServedStream, wire: WireFrames, mode: SendMode, run: Run): void {
    if (run.connected) {
      ws.close(1008, 'one client per run');
      return;
    }
    run.connected = true;
    const pending = new Set(stream.symbols);
    if (stream.venue === 'Kraken') ws.send(`{"channel":"status","type":"update","data":[{"version":"2.0.10","system":"online","api_version":"v2","connection_id":15113583034416118705}]}`);
    ws.on('message', (data) => {
      let subscribed: string[];
      try {
        const request = JSON.parse(String(data)) as Record<string, unknown>;
        subscribed = stream.venue === 'Kraken' ? onKrakenRequest(ws, request, stream.depth) : onCoinbaseRequest(request);
      } catch (error) {
        this.reply({ type: 'failure', message: (error as Error).message });
        return;
      }
      for (const symbol of subscribed) pending.delete(symbol);
      if (subscribed.length > 0 && pending.size === 0 && !run.started) {
        run.started = true;
        run.startMs = sharedClockMs();
        for (const frame of stream.preamble) ws.send(frame);
        if (mode.kind === 'burst') sendBurst(ws, socket, wire, run);
        else sendPaced(ws, stream.frames, mode.intervalMs, run);
      }
    });
  }
}

/** Kraken v2 as the emulator answers it: a pong per ping, an ack per subscribed symbol. */
function onKrakenRequest(ws: WebSocket, request: Record<string, unknown>, depth: number): string[] {
  const reqId = typeof request.req_id === 'number' ? { req_id: request.req_id } : {};
  const now = new Date().toISOString().replace('Z', '000Z');
  if (request.method === 'ping') {
    ws.send(JSON.stringify({ method: 'pong', ...reqId, time_in: now, time_out: now }));
    return [];
  }
  const params = request.params as { channel?: string; symbol?: string[]; depth?: number } | undefined;
  if (request.method !== 'subscribe' || params?.channel !== 'book' || params.depth !== depth || !Array.isArray(params.symbol)) {
    throw new Error(`unexpected Kraken request ${JSON.stringify(request)}`);
  }
  for (const symbol of params.symbol) {
    ws.send(JSON.stringify({ method: 'subscribe', result: { channel: 'book', depth, snapshot: true, symbol }, success: true, time_in: now, time_out: now, ...reqId }));
  }
  return params.symbol;
}

/** Coinbase subscribes as the emulator sees them: level2 product ids count, heartbeats are left unanswered to keep sequence_num whole. */
function onCoinbaseRequest(request: Record<string, unknown>): string[] {
  if (request.type !== 'subscribe' || (request.channel !== 'level2' && request.channel !== 'heartbeats')) throw new Error(`unexpected Coinbase request ${JSON.stringify(request)}`);
  if (request.channel === 'heartbeats') return [];
  return (request.product_ids as string[]).map((id) => id.replace('-', '/'));
}

/** Every frame as fast as the socket takes them: a chunk of pre-framed frames per turn, waiting for drain when the socket is full. */
function sendBurst(ws: WebSocket, socket: Socket, wire: WireFrames, run: Run): void {
  const { bytes, offsets } = wire;
  const count = offsets.length - 1;
  let next = 0;
  const burst = () => {
    if (run.stopped || ws.readyState !== WebSocket.OPEN) return;
    let end = next + 1;
    while (end < count && offsets[end + 1] - offsets[next] <= BURST_BYTES) end++;
    const now = sharedClockMs();
    for (let i = next; i < end; i++) run.sentAtMs[i] = now;
    const room = socket.write(bytes.subarray(offsets[next], offsets[end]));
    next = end;
    if (next >= count) return;
    if (room) setImmediate(burst);
    else socket.once('drain', burst);
  };
  burst();
}

/** One frame every intervalMs from the run's start, each with ws.send. */
function sendPaced(ws: WebSocket, frames: readonly string[], intervalMs: number, run: Run): void {
  let next = 0;
  const paced = () => {
    if (run.stopped || ws.readyState !== WebSocket.OPEN) return;
    const now = sharedClockMs();
    // Every frame now due goes out (a late turn sends them back to back, and they count from their own send).
    while (next < frames.length && run.startMs + next * intervalMs <= now) {
      run.sentAtMs[next] = sharedClockMs();
      ws.send(frames[next++]);
    }
    if (next < frames.length) setImmediate(paced);
  };
  paced();
}

/** The argument the parent forks this file with: importing it elsewhere starts nothing. */
export const FRAME_SERVER_ARG = '--bench-frame-server';

// Run as a forked child: serve the parent over IPC until it disconnects.
if (process.argv[2] === FRAME_SERVER_ARG && process.send !== undefined) {
  const reply = (message: FromFrameServer) => process.send!(message);
  const server = new FrameServer(reply);
  process.on('message', (message: ToFrameServer) => {
    server.onMessage(message).catch((error: unknown) => reply({ type: 'failure', message: (error as Error).message }));
  });
  process.on('disconnect', () => process.exit(0));
  reply({ type: 'ready' });
}
