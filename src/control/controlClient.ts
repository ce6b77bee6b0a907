import { connect, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { ViewModel } from '../tui/viewModel.ts';
import { ControlError } from './controlError.ts';
import { LineFramer } from './lineFramer.ts';
import { encodeRequest, MAX_LINE_BYTES, parseServerLine, PROTOCOL_VERSION, ProtocolError } from './protocol.ts';
import { checkSocketFile } from './socketFileCheck.ts';

export { ControlError } from './controlError.ts';

interface Pending {
  resolve(result: unknown): void;
  reject(error: ControlError): void;
}

/**
 * The CLI's end of the control socket. Requests may overlap; each resolves with its own
 * answer. Every failure is a ControlError whose message is one line for the operator.
 */
export class ControlClient {
  private readonly framer = new LineFramer(MAX_LINE_BYTES);
  private readonly pending = new Map<number, Pending>();
  private readonly closeListeners: (() => void)[] = [];
  private nextId = 1;
  private onSnapshot: ((vm: ViewModel) => void) | undefined;
  /** Why the connection ended; set once, and every later request fails with it. */
  private closedBecause: ControlError | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.end(new ControlError(`the connection to the node failed: ${err.code ?? err.message}`)));
    socket.on('close', () => {
      this.end(new ControlError('the node closed the connection'));
      for (const listener of this.closeListeners) listener();
    });
  }

  /**
   * Connects to the node at `socketPath` after checking that the socket file is this user's
   * and mode 0600, then says hello; a node of another protocol version is refused here.
   */
  static async connect(socketPath: string): Promise<ControlClient> {
    checkSocketFile(socketPath);
    const socket = await open(socketPath);
    const client = new ControlClient(socket);
    try {
      await client.request('hello', { v: PROTOCOL_VERSION });
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  request(method: string, params?: object): Promise<unknown> {
    if (this.closedBecause !== undefined) return Promise.reject(this.closedBecause);
    const id = this.nextId++;
    const line = encodeRequest(id, method, params);
    if (Buffer.byteLength(line) - 1 > MAX_LINE_BYTES) {
      return Promise.reject(new ControlError(`the ${method} request is ${Buffer.byteLength(line) - 1} bytes; the limit is ${MAX_LINE_BYTES}`));
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(line);
    });
  }

  /** Starts the node pushing snapshots; `onSnapshot` gets each one, the node's newest first. */
  async subscribe(onSnapshot: (vm: ViewModel) => void): Promise<void> {
    this.onSnapshot = onSnapshot;
    await this.request('subscribe');
  }

  /** Called once when the connection ends, whoever ended it. */
  onClose(cb: () => void): void {
    this.closeListeners.push(cb);
  }

  close(): void {
    this.end(new ControlError('the connection to the node is closed'));
    this.socket.destroy();
  }

  private received(chunk: Buffer): void {
    const { lines, overflow } = this.framer.push(chunk);
    for (const line of lines) {
      if (this.closedBecause !== undefined) return;
      this.dispatch(line);
    }
    if (overflow) this.fail(new ControlError(`the node sent a line over ${MAX_LINE_BYTES} bytes`));
  }

  private dispatch(line: string): void {
    let message;
    try {
      message = parseServerLine(line);
    } catch (err) {
      if (err instanceof ProtocolError) return this.fail(new ControlError(err.message));
      throw err;
    }
    if (message.kind === 'event') {
      // Events this client does not know are a later node's additions; they are not for it.
      if (message.event === 'snapshot' && this.onSnapshot !== undefined) this.onSnapshot(message.data as ViewModel);
      return;
    }
    if (message.id === null) {
      // The node's answer to a line it could not attribute: the connection is over.
      if (!message.ok) this.fail(new ControlError(message.error));
      return;
    }
    const waiter = this.pending.get(message.id);
    if (waiter === undefined) return this.fail(new ControlError(`the node answered request ${message.id}, which was never sent`));
    this.pending.delete(message.id);
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(new ControlError(message.error));
  }

  private fail(error: ControlError): void {
    this.end(error);
    this.socket.destroy();
  }

  /** Fails every unanswered request with `error` and refuses new ones. */
  private end(error: ControlError): void {
    if (this.closedBecause !== undefined) return;
    this.closedBecause = error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

function open(socketPath: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(socket);
    });
    const onError = (err: NodeJS.ErrnoException) => {
      socket.destroy();
      reject(connectError(socketPath, err));
    };
    socket.once('error', onError);
  });
}

function connectError(socketPath: string, err: NodeJS.ErrnoException): ControlError {
  const dataDir = dirname(socketPath);
  switch (err.code) {
    case 'ECONNREFUSED':
      return new ControlError(`connection refused at ${socketPath}: no node is running with data directory ${dataDir} (the socket was left by one that stopped)`);
    case 'ENOENT':
      return new ControlError(`no node is running with data directory ${dataDir} (no socket at ${socketPath})`);
    case 'EACCES':
      return new ControlError(`permission denied connecting to ${socketPath}`);
    default:
      return new ControlError(`cannot connect to ${socketPath}: ${err.code ?? err.message}`);
  }
}
