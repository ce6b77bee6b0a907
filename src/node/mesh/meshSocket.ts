import type { RawData, WebSocket } from 'ws';
import { decodeFrame, encodeFrame, MeshProtocolError, type MeshFrame } from './meshProtocol.ts';

/**
 * Bytes that may wait in one link's send buffer (ws's queue plus the socket's) before new
 * frames to it are dropped: a peer that stops reading costs at most this much memory.
 */
export const DEFAULT_QUEUE_CAP_BYTES = 1024 * 1024;

/** WebSocket close codes the mesh uses (RFC 6455 section 7.4.1). */
export const CloseCode = { Normal: 1000, GoingAway: 1001, Protocol: 1002, Policy: 1008 } as const;

/**
 * One mesh link's framing and send bound, over a connected WebSocket from either side.
 * Frames in are decoded and validated before the owner sees them; a frame that is not the
 * protocol is answered with `error` and the link closed, since nothing after it can be
 * trusted. Frames out are dropped and counted once the link's buffer is over its cap.
 */
export class MeshSocket {
  /** Frames not sent because the buffer was over its cap. */
  dropped = 0;
  /** The most bytes ever waiting to be written on this link, for checking the bound holds. */
  maxBufferedBytes = 0;
  lastReceiveMs = Date.now();
  private closed = false;
  private lastError = '';

  constructor(
    readonly ws: WebSocket,
    private readonly capBytes: number,
    onFrame: (frame: MeshFrame) => void,
    onClose: (reason: string) => void,
  ) {
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (this.closed) return;
      this.lastReceiveMs = Date.now();
      let frame: MeshFrame;
      try {
        if (isBinary) throw new MeshProtocolError('binary frames are not part of the mesh protocol');
        frame = decodeFrame(rawText(data));
      } catch (err) {
        if (!(err instanceof MeshProtocolError)) throw err;
        this.fail(err.message);
        return;
      }
      onFrame(frame);
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closed = true;
      onClose(reason.length > 0 ? reason.toString('utf8') : this.lastError !== '' ? this.lastError : `connection closed (code ${code})`);
    });
    // ws emits 'close' after every 'error'; the error's text reaches the owner as the close reason.
    ws.on('error', (err: Error) => {
      this.lastError = err.message;
    });
  }

  get open(): boolean {
    return !this.closed && this.ws.readyState === this.ws.OPEN;
  }

  get bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  /** Queues a frame; false (and counted) when the link is closed or its buffer is full. */
  send(frame: MeshFrame): boolean {
    if (!this.open) return false;
    const text = encodeFrame(frame);
    const buffered = this.ws.bufferedAmount;
    if (buffered + text.length > this.capBytes) {
      this.dropped++;
      return false;
    }
    this.ws.send(text);
    const after = buffered + text.length;
    if (after > this.maxBufferedBytes) this.maxBufferedBytes = after;
    return true;
  }

  /** Tells the peer why (error or refused frame, regardless of the cap: it is the last one) and closes. */
  fail(reason: string, type: 'error' | 'refused' = 'error', code: number = CloseCode.Policy): void {
    if (!this.open) return;
    this.ws.send(encodeFrame({ type, reason }));
    this.close(code, reason);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    // Close reasons are limited to 123 bytes by RFC 6455; the full reason went in the frame.
    let short = reason;
    while (Buffer.byteLength(short, 'utf8') > 123) short = short.slice(0, -1);
    this.ws.close(code, short);
  }

  /** Drops the TCP connection without a closing handshake: for peers that stopped answering. */
  terminate(): void {
    this.closed = true;
    this.ws.terminate();
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
