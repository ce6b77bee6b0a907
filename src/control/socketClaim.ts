import { chmodSync, linkSync, lstatSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { connect, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { ControlError } from './controlError.ts';
import { LineFramer } from './lineFramer.ts';
import { encodeRequest, MAX_LINE_BYTES, parseServerLine, PROTOCOL_VERSION } from './protocol.ts';

/** Longest path a Unix socket can be bound or connected by on Linux (sun_path, NUL excluded). */
export const MAX_SOCKET_PATH_BYTES = 107;
/** How long a listener found at the path gets to answer hello before it counts as foreign. */
const PROBE_TIMEOUT_MS = 2000;

/** The socket file a server made, recognised by inode so it never removes a successor's. */
export interface ClaimedSocket {
  path: string;
  dev: number;
  ino: number;
}

type Occupant = { kind: 'none' } | { kind: 'stale' } | { kind: 'live'; pid: number | null };

/**
 * Binds `server` at `socketPath` with mode 0600 and no moment at a wider mode: it binds in
 * a fresh 0700 directory beside the path, narrows the mode, then hard-links the socket into
 * place, which fails rather than replaces if another node got there first. A socket file a
 * dead node left behind (nothing accepts on it) is removed first; a live one is refused.
 */
export async function claimSocket(server: Server, socketPath: string): Promise<ClaimedSocket> {
  const dataDir = dirname(socketPath);
  const occupant = await probe(socketPath);
  if (occupant.kind === 'live') throw alreadyRunning(socketPath, occupant.pid);
  if (occupant.kind === 'stale') unlinkSync(socketPath);

  let privateDir;
  try {
    privateDir = mkdtempSync(join(dataDir, '.ctl-'));
  } catch (err) {
    throw new ControlError(`cannot create the control socket in ${dataDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const bindPath = join(privateDir, 's');
  try {
    for (const path of [socketPath, bindPath]) {
      const bytes = Buffer.byteLength(path);
      if (bytes > MAX_SOCKET_PATH_BYTES) {
        throw new ControlError(`socket path ${path} is ${bytes} bytes; Unix sockets allow ${MAX_SOCKET_PATH_BYTES} — use a shorter data directory`);
      }
    }
    await listenAt(server, bindPath);
    try {
      chmodSync(bindPath, 0o600);
      linkSync(bindPath, socketPath);
    } catch (err) {
      server.close();
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const winner = await probe(socketPath);
      throw winner.kind === 'live' ? alreadyRunning(socketPath, winner.pid) : new ControlError(`${socketPath} appeared while this node was starting; try again`);
    }
  } finally {
    rmSync(privateDir, { recursive: true, force: true });
  }
  const stat = lstatSync(socketPath);
  return { path: socketPath, dev: stat.dev, ino: stat.ino };
}

/** Removes the socket file if it is still the one this server made. */
export function releaseSocket(claimed: ClaimedSocket): void {
  try {
    const stat = lstatSync(claimed.path);
    if (stat.dev === claimed.dev && stat.ino === claimed.ino) unlinkSync(claimed.path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function alreadyRunning(socketPath: string, pid: number | null): ControlError {
  const who = pid === null ? `something answers at ${socketPath}` : `pid ${pid}`;
  return new ControlError(`a node is already running with data directory ${dirname(socketPath)} (${who})`);
}

function listenAt(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(path, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Who is at the path: nobody, a dead node's leftover socket, or a live listener (and its pid). */
async function probe(socketPath: string): Promise<Occupant> {
  let stat;
  try {
    stat = lstatSync(socketPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    throw err;
  }
  if (!stat.isSocket()) throw new ControlError(`${socketPath} exists and is not a socket — refusing to replace it`);
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const framer = new LineFramer(MAX_LINE_BYTES);
    const settle = (occupant: Occupant) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(occupant);
    };
    const timer = setTimeout(() => settle({ kind: 'live', pid: null }), PROBE_TIMEOUT_MS);
    socket.on('connect', () => socket.write(encodeRequest(1, 'hello', { v: PROTOCOL_VERSION })));
    socket.on('data', (chunk: Buffer) => {
      const { lines, overflow } = framer.push(chunk);
      if (overflow) return settle({ kind: 'live', pid: null });
      if (lines.length === 0) return;
      settle({ kind: 'live', pid: helloPid(lines[0]) });
    });
    socket.on('end', () => settle({ kind: 'live', pid: null }));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      if (err.code === 'ECONNREFUSED') resolve({ kind: 'stale' });
      else if (err.code === 'ENOENT') resolve({ kind: 'none' });
      else reject(new ControlError(`cannot tell whether a node is listening at ${socketPath}: ${err.code ?? err.message}`));
    });
  });
}

function helloPid(line: string): number | null {
  try {
    const message = parseServerLine(line);
    if (message.kind !== 'response' || !message.ok) return null;
    const pid = (message.result as { pid?: unknown } | null)?.pid;
    return typeof pid === 'number' ? pid : null;
  } catch {
    return null;
  }
}
