import { randomBytes, randomFillSync } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { CLOSE_NO_STATUS, DEFAULT_MAX_PAYLOAD_BYTES, WsFrameReader, WsProtocolError, type WsFrameHandlers } from './wsFrameReader.ts';
import { closeFrame, emptyCloseFrame, pongFrame, textFrame } from './wsFrameWriter.ts';
import { readUpgradeResponse, upgradeRequest } from './wsHandshake.ts';

// A minimal WebSocket client (the book feeds, Kraken's private link): one TCP (or TLS)
// socket, the handshake, then every read goes straight to a WsFrameReader, whose handlers
// run synchronously inside it. No stream, no emitter, no per-message copy or view: the
// socket's share of a received frame is a header decode.
//
// The socket reads into one buffer of the client's own (net's and tls's `onread`), not a
// fresh Buffer per read through the stream's 'data' event. In two alternating pairs of
// codec benchmark runs its bare-socket rounds took 133 to 177 ns a frame this way, 179 to
// 258 ns the other. So a message is valid only during onMessage: the next read overwrites it.
//
// Lifecycle: connecting -> open -> closing -> closed, and onClose exactly once, from the
// socket's 'close' event, whatever ended it. Every way down (server close, our close(),
// terminate(), a protocol error, a failed connect or handshake, a handler that threw) first
// moves the state on and records the code and reason, so the client is consistent before
// any handler can observe it.

export interface WsClientHandlers {
  onOpen(): void;
  /**
   * Before the messages of each TCP (or TLS) read. Frames read together arrived together,
   * so one clock read here can serve as the receive time of them all.
   */
  onRead?(): void;
  /**
   * A whole message, bytes [start, end) of `data`, valid only during the call (the socket's
   * next read reuses the buffer): copy what you keep. Text is not UTF-8 checked.
   */
  onMessage(data: Buffer, start: number, end: number, isBinary: boolean): void;
  /** Exactly once per client, after open or after a failed connect/handshake.
   *  code: the server's close code, or 1006 when the link dropped/failed without one.
   *  reason: the server's reason, or the error (ECONNREFUSED..., handshake error,
   *  protocol error, handshake timeout, close timeout). */
  onClose(code: number, reason: string): void;
}

export interface WsClientOptions {
  handshakeTimeoutMs?: number; // default 10_000
  maxPayloadBytes?: number; // default 64 MiB
  closeTimeoutMs?: number; // default 2_000: after close(), wait this for the server's close
  headers?: Record<string, string>;
  tls?: tls.ConnectionOptions; // extra options for wss:// (tests pass `ca`)
}

/** What onClose reports when the link ended without a close frame from the server. */
export const CLOSE_ABNORMAL = 1006;
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 2_000;
/** The socket's read buffer: a read takes at most this many bytes. */
const READ_BYTES = 64 * 1024;

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
type State = typeof CONNECTING | typeof OPEN | typeof CLOSING | typeof CLOSED;

/**
 * Masks for client frames, 4 bytes each from a buffer filled by the CSPRNG (RFC 6455
 * section 10.3 wants them unpredictable), refilled when used up. One per process: a frame
 * builder copies its mask into the frame, so a refill never touches a mask in use.
 */
const MASK_POOL_BYTES = 4 * 1024;
const maskPool = Buffer.allocUnsafeSlow(MASK_POOL_BYTES);
let maskAt = MASK_POOL_BYTES;

function nextMask(): Buffer {
  if (maskAt === MASK_POOL_BYTES) {
    randomFillSync(maskPool);
    maskAt = 0;
  }
  const mask = maskPool.subarray(maskAt, maskAt + 4);
  maskAt += 4;
  return mask;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class WsClient {
  private readonly handlers: WsClientHandlers;
  private readonly key: string;
  private readonly socket: net.Socket;
  private readonly reader: WsFrameReader;
  private readonly closeTimeoutMs: number;
  private state: State = CONNECTING;
  /** Response bytes while the upgrade answer is incomplete (bounded by the handshake's 16 KiB). */
  private handshakeBytes: Buffer | null = Buffer.alloc(0);
  private handshakeTimer: NodeJS.Timeout | null;
  private closeTimer: NodeJS.Timeout | null = null;
  /** The server's close frame, once received. */
  private serverCloseCode = 0;
  private serverCloseReason = '';
  /** Why the link went down when no close frame came (first cause wins). */
  private failure = '';
  /** Set while a caller's handler runs, to tell its throw from a protocol error. */
  private inHandler = false;

  constructor(url: string, handlers: WsClientHandlers, options: WsClientOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new RangeError(`not a WebSocket URL: ${JSON.stringify(url)}`);
    }
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') throw new RangeError(`unsupported URL scheme "${parsed.protocol}" in ${url}: use ws:// or wss://`);
    if (parsed.hash !== '') throw new RangeError(`a WebSocket URL has no fragment, got ${url}`);
    const handshakeTimeoutMs = positive('handshakeTimeoutMs', options.handshakeTimeoutMs, DEFAULT_HANDSHAKE_TIMEOUT_MS);
    const maxPayloadBytes = positive('maxPayloadBytes', options.maxPayloadBytes, DEFAULT_MAX_PAYLOAD_BYTES);
    this.closeTimeoutMs = positive('closeTimeoutMs', options.closeTimeoutMs, DEFAULT_CLOSE_TIMEOUT_MS);
    this.handlers = handlers;
    this.key = randomBytes(16).toString('base64');
    const request = upgradeRequest(parsed, this.key, options.headers);
    this.reader = new WsFrameReader(this.frameHandlers(), maxPayloadBytes);

    // URL keeps an IPv6 literal's brackets; sockets want the bare address.
    const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
    const secure = parsed.protocol === 'wss:';
    const port = parsed.port === '' ? (secure ? 443 : 80) : Number(parsed.port);
    const readBuffer = Buffer.allocUnsafeSlow(READ_BYTES);
    const onread: net.OnReadOpts = {
      buffer: readBuffer,
      callback: (bytes) => {
        this.onData(readBuffer, bytes);
        return true;
      },
    };
    // tls.connect takes onread as net.connect does (the wss:// tests read through it); @types/node does not list it.
    const tlsOptions = { ...options.tls, host, port, servername: options.tls?.servername ?? (net.isIP(host) === 0 ? host : undefined), onread } as tls.ConnectionOptions;
    this.socket = secure ? tls.connect(tlsOptions) : net.connect({ host, port, onread });
    this.socket.setNoDelay(true);
    this.socket.on('error', (error) => this.fail(error.message));
    this.socket.on('close', () => this.onSocketClose());
    // Writes before the connection is up are queued by the socket.
    this.socket.write(request, 'latin1');
    this.handshakeTimer = setTimeout(() => this.fail(`handshake timeout: no upgrade response within ${handshakeTimeoutMs} ms`), handshakeTimeoutMs);
  }

  get isOpen(): boolean {
    return this.state === OPEN;
  }

  /** Masked text frame. Returns false (and sends nothing) when not open. */
  send(text: string): boolean {
    if (this.state !== OPEN) return false;
    this.socket.write(textFrame(text, nextMask()));
    return true;
  }

  /** Holds writes until uncork(): several sends leave in one TCP write. */
  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
  }

  /** Bytes queued in the socket, not yet written. */
  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  /**
   * Starts the close handshake: sends a close frame (after any corked sends) and waits up
   * to closeTimeoutMs for the server's, then ends the socket. Messages arriving meanwhile
   * are dropped. Before the handshake completes it aborts the connection. Idempotent.
   */
  close(code = 1000, reason = ''): void {
    if (this.state === CONNECTING) {
      this.fail('closed before the handshake completed');
      return;
    }
    if (this.state !== OPEN) return;
    // Throws on a bad code or reason before anything changes.
    const frame = closeFrame(code, reason, nextMask());
    this.state = CLOSING;
    this.socket.write(frame);
    this.flushCorked();
    this.closeTimer = setTimeout(() => this.fail(`close timeout: no close frame from the server within ${this.closeTimeoutMs} ms`), this.closeTimeoutMs);
  }

  /** Destroys the socket now; onClose follows with 1006 "terminated". Idempotent. */
  terminate(): void {
    this.fail('terminated');
  }

  private frameHandlers(): WsFrameHandlers {
    return {
      onMessage: (data, start, end, isBinary) => {
        // After close() the rest of the stream is only read for the server's close frame.
        if (this.state !== OPEN) return;
        this.inHandler = true;
        this.handlers.onMessage(data, start, end, isBinary);
        this.inHandler = false;
      },
      onPing: (payload) => {
        if (this.state === OPEN) this.socket.write(pongFrame(payload, nextMask()));
      },
      onPong: () => {},
      onClose: (code, reason) => this.onServerClose(code, reason),
    };
  }

  /**
   * A read of `bytes` bytes into the read buffer. The reader gets them as a view that ends
   * there, so what a scanner reads past a message's end is never a stale byte of an earlier read.
   */
  private onData(buffer: Buffer, bytes: number): void {
    const chunk = buffer.subarray(0, bytes);
    if (this.state === OPEN || this.state === CLOSING) {
      try {
        this.deliver(chunk);
      } catch (error) {
        this.onReadError(error);
      }
    } else if (this.state === CONNECTING) {
      this.onHandshakeData(chunk);
    }
  }

  private onHandshakeData(chunk: Buffer): void {
    const received = Buffer.concat([this.handshakeBytes!, chunk]);
    let answer: { headerBytes: number } | null;
    try {
      answer = readUpgradeResponse(received, this.key);
    } catch (error) {
      this.fail(`handshake failed: ${errorMessage(error)}`);
      return;
    }
    if (answer === null) {
      this.handshakeBytes = received;
      return;
    }
    this.handshakeBytes = null;
    clearTimeout(this.handshakeTimer!);
    this.handshakeTimer = null;
    this.state = OPEN;
    try {
      this.inHandler = true;
      this.handlers.onOpen();
      this.inHandler = false;
      // Frames the server sent right behind its 101 arrived in the same read (a reader
      // halted by a terminate() in onOpen ignores them).
      if (answer.headerBytes < received.length) this.deliver(received.subarray(answer.headerBytes));
    } catch (error) {
      this.onReadError(error);
    }
  }

  /** One read's bytes to the reader, after onRead (only while open: closing reads only look for the close frame). */
  private deliver(chunk: Buffer): void {
    if (this.state === OPEN && this.handlers.onRead !== undefined) {
      this.inHandler = true;
      this.handlers.onRead();
      this.inHandler = false;
    }
    this.reader.push(chunk);
  }

  /**
   * A throw while reading: the server's protocol violation is answered with a close frame
   * carrying its code; a caller's handler that threw takes the link down (the rest of the
   * chunk is lost, so the stream cannot go on) and its error propagates.
   */
  private onReadError(error: unknown): void {
    if (this.inHandler) {
      this.inHandler = false;
      this.fail(`handler threw: ${errorMessage(error)}`);
      throw error;
    }
    if (!(error instanceof WsProtocolError)) {
      this.fail(`internal error: ${errorMessage(error)}`);
      throw error;
    }
    if (this.state === OPEN) {
      // Best effort: a small write on a connected socket leaves before the destroy.
      this.socket.write(closeFrame(error.closeCode, '', nextMask()));
      this.flushCorked();
    }
    this.fail(`protocol error: ${error.message} (sent close ${error.closeCode})`);
  }

  private onServerClose(code: number, reason: string): void {
    this.serverCloseCode = code;
    this.serverCloseReason = reason;
    if (this.state === OPEN) {
      // RFC 6455 section 5.5.1: answer with a close frame, echoing the status.
      this.state = CLOSING;
      this.socket.write(code === CLOSE_NO_STATUS ? emptyCloseFrame(nextMask()) : closeFrame(code, '', nextMask()));
      this.flushCorked();
    }
    // The close handshake is done; the server drops the TCP connection next (section 7.1.1).
    this.reader.halt();
    this.socket.end();
    if (this.closeTimer !== null) clearTimeout(this.closeTimer);
    this.closeTimer = setTimeout(() => this.fail(`close timeout: the server did not drop the connection within ${this.closeTimeoutMs} ms of its close frame`), this.closeTimeoutMs);
  }

  /** Sends anything a caller left corked: a close must not wait on a forgotten uncork(). */
  private flushCorked(): void {
    while (this.socket.writableCorked > 0) this.socket.uncork();
  }

  /** Takes the link down now; the first failure's reason is the one reported. */
  private fail(reason: string): void {
    if (this.failure === '') this.failure = reason;
    if (this.state === CLOSED) return;
    this.state = CLOSED;
    this.reader.halt();
    this.clearTimers();
    this.socket.destroy();
  }

  private clearTimers(): void {
    if (this.handshakeTimer !== null) clearTimeout(this.handshakeTimer);
    if (this.closeTimer !== null) clearTimeout(this.closeTimer);
    this.handshakeTimer = null;
    this.closeTimer = null;
  }

  private onSocketClose(): void {
    this.state = CLOSED;
    this.reader.halt();
    this.clearTimers();
    this.handshakeBytes = null;
    if (this.serverCloseCode !== 0) {
      this.handlers.onClose(this.serverCloseCode, this.serverCloseReason);
    } else {
      this.handlers.onClose(CLOSE_ABNORMAL, this.failure === '' ? 'connection dropped without a close frame' : this.failure);
    }
  }
}
