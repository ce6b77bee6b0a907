import type { Socket } from 'node:net';
import type { ControlHandler } from './controlHandler.ts';
import { LineFramer } from './lineFramer.ts';
import {
  encodeError,
  encodeResult,
  MAX_LINE_BYTES,
  oneLine,
  parseRequestLine,
  PROTOCOL_VERSION,
  versionMismatch,
  type ControlRequest,
} from './protocol.ts';
import { SnapshotOutbox } from './snapshotOutbox.ts';

/** Snapshots held for a client that is behind; older ones are dropped (see SnapshotOutbox). */
export const SNAPSHOT_QUEUE_CAP = 4;
/**
 * Unsent response bytes a client may leave behind before it is disconnected: only a client
 * that sends requests and never reads the answers gets here (snapshots never pile up, they
 * wait in the outbox instead).
 */
export const MAX_UNREAD_RESPONSE_BYTES = 8 * MAX_LINE_BYTES;

export interface ControlSessionStats {
  subscribed: boolean;
  snapshotsWritten: number;
  snapshotsQueued: number;
  snapshotsDropped: number;
  /** Bytes handed to the socket that the client has not taken yet. */
  unsentBytes: number;
}

export interface SessionHost {
  handler: ControlHandler;
  /** The newest published snapshot line, sent to a client as soon as it subscribes. */
  latestSnapshot(): Buffer | undefined;
  closed(session: ControlSession): void;
}

/**
 * One client connection on the node: reads request lines, answers them one at a time in
 * order, and pushes snapshots while subscribed. Reading pauses while requests are being
 * answered, so the unanswered requests held here are at most one socket read's worth.
 */
export class ControlSession {
  private readonly framer = new LineFramer(MAX_LINE_BYTES);
  private readonly outbox = new SnapshotOutbox(SNAPSHOT_QUEUE_CAP);
  private readonly inbox: string[] = [];
  private greeted = false;
  private subscribed = false;
  private serving = false;
  private inputEnded = false;
  /** Set once the session is finishing (protocol violation or close); nothing more is read. */
  private ending = false;
  private snapshotsWritten = 0;

  constructor(
    private readonly socket: Socket,
    private readonly host: SessionHost,
  ) {
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('end', () => {
      this.inputEnded = true;
      this.finishIfDone();
    });
    socket.on('drain', () => this.flushSnapshots());
    // A reset or a broken pipe ends the session; 'close' follows and reports it.
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.ending = true;
      this.outbox.clear();
      host.closed(this);
    });
  }

  get stats(): ControlSessionStats {
    return {
      subscribed: this.subscribed,
      snapshotsWritten: this.snapshotsWritten,
      snapshotsQueued: this.outbox.length,
      snapshotsDropped: this.outbox.dropped,
      unsentBytes: this.socket.writableLength,
    };
  }

  /** Sends a serialised snapshot line now if the socket can take it, else queues it. */
  offerSnapshot(line: Buffer): void {
    if (!this.subscribed || this.ending) return;
    if (this.outbox.length === 0 && !this.socket.writableNeedDrain) this.writeSnapshot(line);
    else this.outbox.push(line);
  }

  /** Refuses the connection with one error line (the node is at its client limit). */
  refuse(error: string): void {
    this.disconnect(null, error);
  }

  close(): void {
    this.ending = true;
    this.socket.destroy();
  }

  private received(chunk: Buffer): void {
    if (this.ending) return;
    const { lines, overflow } = this.framer.push(chunk);
    if (overflow) return this.disconnect(null, `request line exceeds ${MAX_LINE_BYTES} bytes`);
    // A blank line is not a request: an operator typing into socat presses enter twice.
    for (const line of lines) if (line.trim() !== '') this.inbox.push(line);
    if (this.inbox.length > 0) {
      this.socket.pause();
      void this.serveInbox();
    }
  }

  private async serveInbox(): Promise<void> {
    if (this.serving) return;
    this.serving = true;
    while (this.inbox.length > 0 && !this.ending) await this.serve(this.inbox.shift() as string);
    this.serving = false;
    if (this.ending) return;
    this.socket.resume();
    this.finishIfDone();
  }

  /** A client that has sent its last request and had every answer gets its side closed too. */
  private finishIfDone(): void {
    if (this.inputEnded && !this.serving && !this.ending) {
      this.ending = true;
      this.socket.end();
    }
  }

  private async serve(line: string): Promise<void> {
    const parsed = parseRequestLine(line);
    if (parsed.kind === 'fatal') return this.disconnect(parsed.id, parsed.error);
    if (parsed.kind === 'invalid') {
      if (!this.greeted) return this.disconnect(parsed.id, `the first request must be hello; ${parsed.error}`);
      return this.respondError(parsed.id, parsed.error);
    }
    const request = parsed.request;
    if (!this.greeted && request.method !== 'hello') {
      return this.disconnect(request.id, `the first request must be hello, got "${request.method}"`);
    }
    let result: unknown;
    try {
      result = await this.perform(request);
    } catch (err) {
      return this.respondError(request.id, err instanceof Error ? err.message : String(err));
    }
    if (this.ending) return;
    const answer = encodeResult(request.id, result);
    const bytes = Buffer.byteLength(answer) - 1;
    if (bytes > MAX_LINE_BYTES) return this.respondError(request.id, `the ${request.method} result is ${bytes} bytes; the limit is ${MAX_LINE_BYTES}`);
    this.writeResponse(answer);
    if (request.method === 'subscribe') {
      const latest = this.host.latestSnapshot();
      if (latest !== undefined) this.offerSnapshot(latest);
    }
  }

  private perform(request: ControlRequest): unknown {
    const handler = this.host.handler;
    switch (request.method) {
      case 'hello':
        if (request.params.v !== PROTOCOL_VERSION) {
          this.disconnect(request.id, versionMismatch(request.params.v));
          return null;
        }
        this.greeted = true;
        return { v: PROTOCOL_VERSION, pid: process.pid };
      case 'status':
        return handler.status();
      case 'halt':
        return handler.halt(request.params);
      case 'resume':
        return handler.resume(request.params);
      case 'deploy':
        return handler.deploy(request.params);
      case 'shutdown':
        return handler.shutdown(request.params);
      case 'subscribe':
        this.subscribed = true;
        return null;
      case 'unsubscribe':
        this.subscribed = false;
        this.outbox.clear();
        return null;
    }
  }

  private respondError(id: number, error: string): void {
    if (!this.ending) this.writeResponse(encodeError(id, oneLine(error)));
  }

  private writeResponse(line: string): void {
    this.socket.write(line);
    if (this.socket.writableLength > MAX_UNREAD_RESPONSE_BYTES) {
      // Its output buffer is full, so no error line could reach it anyway.
      this.close();
    }
  }

  private writeSnapshot(line: Buffer): void {
    this.socket.write(line);
    this.snapshotsWritten++;
  }

  private flushSnapshots(): void {
    let next: Buffer | undefined;
    while (!this.ending && !this.socket.writableNeedDrain && (next = this.outbox.take()) !== undefined) this.writeSnapshot(next);
  }

  /** Answers with one error line, then closes once it is written; nothing more is read. */
  private disconnect(id: number | null, error: string): void {
    if (this.ending) return;
    this.ending = true;
    this.inbox.length = 0;
    this.outbox.clear();
    this.socket.end(encodeError(id, error), () => this.socket.destroy());
  }
}
