import { createServer, type Server, type Socket } from 'node:net';
import type { ViewModel } from '../tui/viewModel.ts';
import type { ControlHandler } from './controlHandler.ts';
import { ControlSession, type ControlSessionStats } from './controlSession.ts';
import { encodeEvent, MAX_LINE_BYTES } from './protocol.ts';
import { claimSocket, releaseSocket, type ClaimedSocket } from './socketClaim.ts';

export type { ControlHandler } from './controlHandler.ts';
export type { ControlSessionStats } from './controlSession.ts';

/** Viewers and CLI commands attached at once; one more is answered with an error and closed. */
export const MAX_CONTROL_CLIENTS = 32;

/**
 * The node's end of the control socket (`<dataDir>/control.sock`, mode 0600): answers the
 * CLI's requests through a ControlHandler and fans snapshots out to attached viewers.
 */
export class ControlServer {
  private readonly sessions = new Set<ControlSession>();
  /** Clients turned away at the limit, held only until their error line is written. */
  private readonly refused = new Set<ControlSession>();
  private latest: Buffer | undefined;
  private oversizedSnapshots = 0;
  private acceptErrors = 0;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly claimed: ClaimedSocket,
  ) {}

  /**
   * Listens at `socketPath`. Refuses to start when a live node answers there; replaces a
   * socket file a dead node left behind. Requests are served only once the file is 0600.
   */
  static async listen(socketPath: string, handler: ControlHandler): Promise<ControlServer> {
    // Half-open: a client may send its requests, end its side, and still read the answers.
    const server = createServer({ allowHalfOpen: true });
    const claimed = await claimSocket(server, socketPath);
    const control = new ControlServer(server, claimed);
    server.on('connection', (socket: Socket) => control.accept(socket, handler));
    // Accept failures (out of file descriptors) cost that one client, not the node.
    server.on('error', () => control.acceptErrors++);
    return control;
  }

  /** Sends a snapshot to every subscribed client; serialised once, shared by all of them. */
  publish(snapshot: ViewModel): void {
    if (this.closing !== undefined) return;
    const line = Buffer.from(encodeEvent('snapshot', snapshot));
    if (line.length - 1 > MAX_LINE_BYTES) {
      // A client would have to drop the connection over it; keep showing the last one that fit.
      this.oversizedSnapshots++;
      return;
    }
    this.latest = line;
    for (const session of this.sessions) session.offerSnapshot(line);
  }

  get clientCount(): number {
    return this.sessions.size;
  }

  /** Snapshots not published because they serialised to more than one protocol line allows. */
  get oversizedSnapshotCount(): number {
    return this.oversizedSnapshots;
  }

  get acceptErrorCount(): number {
    return this.acceptErrors;
  }

  /** Per-client delivery counters, for the node's own health view and for tests. */
  sessionStats(): ControlSessionStats[] {
    return [...this.sessions].map((s) => s.stats);
  }

  /** Disconnects every client, stops listening and removes the socket file. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const session of [...this.sessions, ...this.refused]) session.close();
    }).then(() => releaseSocket(this.claimed));
    return this.closing;
  }

  private accept(socket: Socket, handler: ControlHandler): void {
    const session = new ControlSession(socket, {
      handler,
      latestSnapshot: () => this.latest,
      closed: (s) => {
        this.sessions.delete(s);
        this.refused.delete(s);
      },
    });
    if (this.closing !== undefined) {
      session.close();
      return;
    }
    if (this.sessions.size >= MAX_CONTROL_CLIENTS) {
      this.refused.add(session);
      session.refuse(`the node already serves ${MAX_CONTROL_CLIENTS} control clients; close one and try again`);
      return;
    }
    this.sessions.add(session);
  }
}
