import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { getDefaultHighWaterMark } from 'node:stream';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient, ControlError } from '../src/control/controlClient.ts';
import { ControlServer, MAX_CONTROL_CLIENTS } from '../src/control/controlServer.ts';
import { SNAPSHOT_QUEUE_CAP } from '../src/control/controlSession.ts';
import { MAX_LINE_BYTES } from '../src/control/protocol.ts';
import type { ViewModel } from '../src/tui/viewModel.ts';
import { controlDataDir as makeDataDir, leaveStaleSocket, RawClient, RecordingHandler, runAs, snapshot, until } from './support/controlHarness.ts';

const NOBODY = 65534;
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function controlDataDir(): string {
  const dir = makeDataDir();
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function startNode(handler = new RecordingHandler()): Promise<{ dir: string; path: string; server: ControlServer; handler: RecordingHandler }> {
  const dir = controlDataDir();
  const path = join(dir, 'control.sock');
  const server = await ControlServer.listen(path, handler);
  cleanups.push(() => server.close());
  return { dir, path, server, handler };
}

async function attach(path: string): Promise<ControlClient> {
  const client = await ControlClient.connect(path);
  cleanups.push(() => client.close());
  return client;
}

async function openRaw(path: string, greeted = true): Promise<RawClient> {
  const raw = greeted ? await RawClient.greeted(path) : await RawClient.open(path);
  cleanups.push(() => raw.socket.destroy());
  return raw;
}

/** A listener at a 0600 socket that is not a node: it answers every connection with `greet`. */
async function fakeNode(greet: (socket: Socket) => void): Promise<string> {
  const path = join(controlDataDir(), 'control.sock');
  const server = createServer((socket) => {
    // Read (and discard) so the client's close is noticed and the server can close.
    socket.resume();
    socket.on('error', () => socket.destroy());
    greet(socket);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  chmodSync(path, 0o600);
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return path;
}

const modeOf = (path: string) => lstatSync(path).mode & 0o777;

describe('control socket: requests', () => {
  it('answers every method through the handler', async () => {
    const { path, handler } = await startNode();
    const client = await attach(path);
    expect(await client.request('status')).toEqual({ role: 'leader', halted: false });
    expect(await client.request('halt', { cancelAll: true, reason: 'venue misbehaving', by: 'cli:ops' })).toEqual({ halted: true, cancelled: 3 });
    expect(await client.request('resume', { reason: 'venue back', by: 'cli:ops' })).toEqual({ halted: false });
    expect(await client.request('deploy', { config: '[deploy.maker]' })).toEqual({ deployed: ['maker'] });
    expect(await client.request('subscribe')).toBeNull();
    expect(await client.request('unsubscribe')).toBeNull();
    expect(await client.request('shutdown', { by: 'cli:ops' })).toBeNull();
    expect(handler.calls).toEqual([
      { method: 'status' },
      { method: 'halt', params: { cancelAll: true, reason: 'venue misbehaving', by: 'cli:ops' } },
      { method: 'resume', params: { reason: 'venue back', by: 'cli:ops' } },
      { method: 'deploy', params: { config: '[deploy.maker]' } },
      { method: 'shutdown', params: { by: 'cli:ops' } },
    ]);
  });

  it('answers overlapping requests each with its own result', async () => {
    const { path, handler } = await startNode();
    const client = await attach(path);
    handler.statusResult = { n: 1 };
    const [a, b] = await Promise.all([client.request('status'), client.request('resume', { reason: 'r', by: 'b' })]);
    expect(a).toEqual({ n: 1 });
    expect(b).toEqual({ halted: false });
  });

  it('turns handler errors, thrown or rejected, into one-line errors', async () => {
    const { path, handler } = await startNode();
    const client = await attach(path);
    handler.fail = new Error('the journal is read-only\n    at Journal.append (journal.ts:1)');
    await expect(client.request('status')).rejects.toThrow(new ControlError('the journal is read-only'));
    await expect(client.request('halt', { cancelAll: false, reason: 'r', by: 'b' })).rejects.toThrow('the journal is read-only');
    await expect(client.request('deploy', { config: 'x' })).rejects.toThrow('the journal is read-only');
    handler.fail = undefined;
    expect(await client.request('status')).toEqual({ role: 'leader', halted: false });
  });

  it('rejects invalid params and unknown methods without calling the handler, and keeps serving', async () => {
    const { path, handler } = await startNode();
    const client = await attach(path);
    await expect(client.request('halt', { cancelAll: true, by: 'ops' })).rejects.toThrow(new ControlError('halt: params.reason is required'));
    await expect(client.request('halt', { cancelAll: 'yes', reason: 'r', by: 'ops' })).rejects.toThrow('halt: params.cancelAll must be a boolean, got a string');
    await expect(client.request('resume', { reason: 'x'.repeat(501), by: 'ops' })).rejects.toThrow('resume: params.reason is 501 characters; the limit is 500');
    await expect(client.request('frobnicate')).rejects.toThrow('unknown method "frobnicate"; known: hello, status, halt, resume, deploy, subscribe, unsubscribe, shutdown');
    expect(handler.calls).toEqual([]);
    expect(await client.request('status')).toEqual({ role: 'leader', halted: false });
  });

  it('answers with an error when a result would not fit in one line', async () => {
    const { path, handler } = await startNode();
    const client = await attach(path);
    handler.statusResult = 'x'.repeat(MAX_LINE_BYTES);
    await expect(client.request('status')).rejects.toThrow(/^the status result is 1048\d{3} bytes; the limit is 1048576$/);
  });

  it('refuses to send a request over the line limit', async () => {
    const { path, handler } = await startNode();
    const client = await attach(path);
    await expect(client.request('deploy', { config: 'x'.repeat(MAX_LINE_BYTES) })).rejects.toThrow(/^the deploy request is 1048\d{3} bytes; the limit is 1048576$/);
    expect(handler.calls).toEqual([]);
  });

  it('answers every request of a client that has already ended its side, skipping blank lines', async () => {
    const { path } = await startNode();
    const raw = await openRaw(path, false);
    raw.socket.end(
      JSON.stringify({ v: 1, id: 1, method: 'hello', params: { v: 1 } }) + '\n\n \r\n' + JSON.stringify({ v: 1, id: 2, method: 'status' }) + '\n',
    );
    const messages = await raw.drainUntilClosed();
    expect(messages).toEqual([
      { id: 1, ok: true, result: { v: 1, pid: process.pid } },
      { id: 2, ok: true, result: { role: 'leader', halted: false } },
    ]);
  });
});

describe('control socket: the hello exchange', () => {
  it('refuses another protocol version, naming both, and disconnects', async () => {
    const { path, handler } = await startNode();
    const raw = await openRaw(path, false);
    raw.send({ v: 2, id: 1, method: 'hello', params: { v: 2 } });
    raw.send({ v: 2, id: 2, method: 'status' });
    expect(await raw.drainUntilClosed()).toEqual([{ id: 1, ok: false, error: 'the node speaks control protocol v1; this sequence speaks v2' }]);
    expect(handler.calls).toEqual([]);
  });

  it('refuses a v1 envelope whose hello asks for another version', async () => {
    const { path } = await startNode();
    const raw = await openRaw(path, false);
    raw.send({ v: 1, id: 1, method: 'hello', params: { v: 3 } });
    expect(await raw.drainUntilClosed()).toEqual([{ id: 1, ok: false, error: 'the node speaks control protocol v1; this sequence speaks v3' }]);
  });

  it('disconnects a client whose first request is not hello', async () => {
    const { path, handler } = await startNode();
    const raw = await openRaw(path, false);
    raw.send({ v: 1, id: 1, method: 'status' });
    expect(await raw.drainUntilClosed()).toEqual([{ id: 1, ok: false, error: 'the first request must be hello, got "status"' }]);
    expect(handler.calls).toEqual([]);
  });
});

describe('control socket: snapshots', () => {
  it('sends published snapshots to every subscriber, and not to others', async () => {
    const { path, server } = await startNode();
    const seen: number[][] = [[], []];
    for (const i of [0, 1]) await (await attach(path)).subscribe((vm) => seen[i].push(vm.node.journalSeq));
    const bystander = await openRaw(path);
    expect(server.clientCount).toBe(3);
    for (const seq of [1, 2, 3]) server.publish(snapshot(seq));
    await until(() => seen[0].length === 3 && seen[1].length === 3);
    expect(seen).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    bystander.send({ v: 1, id: 9, method: 'status' });
    expect(await bystander.next()).toMatchObject({ id: 9, ok: true });
  });

  it('gives a new subscriber the newest snapshot at once, and stops after unsubscribe', async () => {
    const { path, server } = await startNode();
    server.publish(snapshot(41));
    server.publish(snapshot(42));
    const client = await attach(path);
    const seen: ViewModel[] = [];
    await client.subscribe((vm) => seen.push(vm));
    await until(() => seen.length === 1);
    expect(seen[0]).toEqual(snapshot(42));
    await client.request('unsubscribe');
    server.publish(snapshot(43));
    // A status answer written after the publish arrives after anything the publish sent.
    await client.request('status');
    expect(seen.map((vm) => vm.node.journalSeq)).toEqual([42]);
  });

  it('keeps a client that never reads at its queue cap, counting what it drops', async () => {
    const { path, server } = await startNode();
    const slow = await openRaw(path);
    slow.send({ v: 1, id: 1, method: 'subscribe' });
    await slow.next();
    slow.socket.pause();
    const published = 300;
    const lineBytes = Buffer.byteLength(JSON.stringify({ event: 'snapshot', data: snapshot(0, 64 * 1024) })) + 1;
    for (let seq = 0; seq < published; seq++) server.publish(snapshot(seq, 64 * 1024));

    const [stats] = server.sessionStats();
    expect(stats.snapshotsQueued).toBe(SNAPSHOT_QUEUE_CAP);
    expect(stats.snapshotsDropped).toBeGreaterThan(0);
    expect(stats.snapshotsWritten + stats.snapshotsQueued + stats.snapshotsDropped).toBe(published);
    expect(stats.unsentBytes).toBeLessThanOrEqual(lineBytes + getDefaultHighWaterMark(false));

    slow.socket.resume();
    const received: number[] = [];
    while (received.at(-1) !== published - 1) received.push(((await slow.next()).data as ViewModel).node.journalSeq);
    expect(received.length).toBe(stats.snapshotsWritten + stats.snapshotsQueued);
    expect(received.slice(-SNAPSHOT_QUEUE_CAP)).toEqual([296, 297, 298, 299]);
    expect([...received].sort((a, b) => a - b)).toEqual(received);
  });

  it('does not publish a snapshot over the line limit, and counts it', async () => {
    const { path, server } = await startNode();
    const client = await attach(path);
    const seen: number[] = [];
    await client.subscribe((vm) => seen.push(vm.node.journalSeq));
    server.publish(snapshot(1, MAX_LINE_BYTES));
    server.publish(snapshot(2));
    await until(() => seen.length === 1);
    expect(seen).toEqual([2]);
    expect(server.oversizedSnapshotCount).toBe(1);
  });
});

describe('control socket: clients that break the protocol', () => {
  it('disconnects a client that sends a line over 1 MiB, and keeps serving others', async () => {
    const { path, server } = await startNode();
    const good = await attach(path);
    const bad = await openRaw(path);
    bad.socket.write('x'.repeat(MAX_LINE_BYTES + 1));
    expect(await bad.drainUntilClosed()).toEqual([{ id: null, ok: false, error: 'request line exceeds 1048576 bytes' }]);
    expect(await good.request('status')).toEqual({ role: 'leader', halted: false });
    await until(() => server.clientCount === 1);
  });

  it('disconnects a client that sends non-JSON, and keeps serving others', async () => {
    const { path } = await startNode();
    const good = await attach(path);
    const bad = await openRaw(path);
    bad.socket.write('GET / HTTP/1.1\n');
    const [answer, ...rest] = await bad.drainUntilClosed();
    expect(answer).toMatchObject({ id: null, ok: false, error: expect.stringMatching(/^request is not JSON: /) });
    expect(rest).toEqual([]);
    expect(await good.request('status')).toEqual({ role: 'leader', halted: false });
  });

  it('disconnects a client without an id', async () => {
    const { path } = await startNode();
    const bad = await openRaw(path);
    bad.send({ v: 1, method: 'status' });
    expect(await bad.drainUntilClosed()).toEqual([{ id: null, ok: false, error: 'request field id must be an integer, got nothing' }]);
  });

  it('disconnects a client that sends requests and never reads the answers', async () => {
    const { path, server, handler } = await startNode();
    handler.statusResult = 'x'.repeat(512 * 1024);
    const greedy = await openRaw(path);
    greedy.socket.pause();
    const asked = 40;
    for (let id = 1; id <= asked; id++) greedy.send({ v: 1, id, method: 'status' });
    await until(() => server.clientCount === 0);
    greedy.socket.resume();
    const answers = await greedy.drainUntilClosed();
    expect(answers.length).toBeLessThan(asked);
    for (const answer of answers) expect(answer).toMatchObject({ ok: true });
  });

  it(`turns away client ${MAX_CONTROL_CLIENTS + 1} with an error`, async () => {
    const { path, server } = await startNode();
    for (let i = 0; i < MAX_CONTROL_CLIENTS; i++) await openRaw(path);
    const extra = await openRaw(path, false);
    expect(await extra.drainUntilClosed()).toEqual([
      { id: null, ok: false, error: `the node already serves ${MAX_CONTROL_CLIENTS} control clients; close one and try again` },
    ]);
    expect(server.clientCount).toBe(MAX_CONTROL_CLIENTS);
  });
});

describe('control socket: the socket file', () => {
  it('is mode 0600 while the node runs and is removed on close', async () => {
    const { path, server, dir } = await startNode();
    expect(lstatSync(path).isSocket()).toBe(true);
    expect(modeOf(path)).toBe(0o600);
    const client = await attach(path);
    const closed = new Promise<void>((resolve) => client.onClose(resolve));
    await server.close();
    await closed;
    expect(existsSync(path)).toBe(false);
    expect(existsSync(dir)).toBe(true);
    await expect(client.request('status')).rejects.toThrow(new ControlError('the node closed the connection'));
  });

  it('replaces a stale socket file left by a dead node', async () => {
    const dir = controlDataDir();
    const path = join(dir, 'control.sock');
    await leaveStaleSocket(path);
    expect(lstatSync(path).isSocket()).toBe(true);
    await expect(ControlClient.connect(path)).rejects.toThrow(/^connection refused at /);
    const server = await ControlServer.listen(path, new RecordingHandler());
    cleanups.push(() => server.close());
    expect(modeOf(path)).toBe(0o600);
    expect(await (await attach(path)).request('status')).toEqual({ role: 'leader', halted: false });
  });

  it('refuses to start a second node on the same data directory', async () => {
    const { dir, path } = await startNode();
    await expect(ControlServer.listen(path, new RecordingHandler())).rejects.toThrow(
      new ControlError(`a node is already running with data directory ${dir} (pid ${process.pid})`),
    );
    expect(await (await attach(path)).request('status')).toEqual({ role: 'leader', halted: false });
  });

  it('refuses to replace a file that is not a socket', async () => {
    const dir = controlDataDir();
    const path = join(dir, 'control.sock');
    writeFileSync(path, 'notes');
    await expect(ControlServer.listen(path, new RecordingHandler())).rejects.toThrow(`${path} exists and is not a socket — refusing to replace it`);
  });

  it('refuses a data directory too long for a Unix socket path', async () => {
    const dir = controlDataDir();
    const deep = join(dir, 'd'.repeat(100));
    mkdirSync(deep);
    const path = join(deep, 'control.sock');
    await expect(ControlServer.listen(path, new RecordingHandler())).rejects.toThrow(/^socket path .* is \d+ bytes; Unix sockets allow 107 — use a shorter data directory$/);
    expect(readdirSync(deep)).toEqual([]);
  });

  it('says so when the data directory does not exist', async () => {
    const dir = join(controlDataDir(), 'missing');
    await expect(ControlServer.listen(join(dir, 'control.sock'), new RecordingHandler())).rejects.toThrow(
      new ControlError(`cannot create the control socket in ${dir}: ENOENT`),
    );
  });

  it('refuses connections from another user because of the 0600 mode', async () => {
    const { dir, path } = await startNode();
    chmodSync(dir, 0o755);
    const script = `require('node:net').connect(process.argv[1]).on('connect', function () { console.log('connected'); this.destroy(); }).on('error', (e) => console.log(e.code))`;
    expect(await runAs(NOBODY, script, [path])).toBe('EACCES');
    // The same child gets through once the mode allows it: the refusal above is the mode's doing.
    chmodSync(path, 0o666);
    expect(await runAs(NOBODY, script, [path])).toBe('connected');
  });
});

describe('control client: checks before connecting', () => {
  it('says no node is running when there is no socket', async () => {
    const dir = controlDataDir();
    await expect(ControlClient.connect(join(dir, 'control.sock'))).rejects.toThrow(
      new ControlError(`no node is running with data directory ${dir} (no socket at ${dir}/control.sock)`),
    );
  });

  it('refuses a socket with mode 0644', async () => {
    const { path, server } = await startNode();
    chmodSync(path, 0o644);
    await expect(ControlClient.connect(path)).rejects.toThrow(new ControlError(`${path} has mode 0644; expected 0600 — refusing to talk to it`));
    expect(server.clientCount).toBe(0);
  });

  it('refuses a socket owned by another user', async () => {
    const { path } = await startNode();
    chownSync(path, NOBODY, NOBODY);
    await expect(ControlClient.connect(path)).rejects.toThrow(new ControlError(`${path} is owned by uid ${NOBODY}, not you (uid 0)`));
  });

  it('refuses a path that is not a socket', async () => {
    const dir = controlDataDir();
    const path = join(dir, 'control.sock');
    writeFileSync(path, '', { mode: 0o600 });
    await expect(ControlClient.connect(path)).rejects.toThrow(new ControlError(`${path} is not a socket — refusing to talk to it`));
  });

  it('drops a node that answers with something other than the protocol', async () => {
    const path = await fakeNode((socket) => socket.write('SSH-2.0-OpenSSH_9.6\n'));
    await expect(ControlClient.connect(path)).rejects.toThrow(/^the node sent a line that is not JSON: /);
  });

  it('drops a node that sends a line over 1 MiB', async () => {
    const path = await fakeNode((socket) => socket.write(Buffer.alloc(MAX_LINE_BYTES + 1, 'x')));
    await expect(ControlClient.connect(path)).rejects.toThrow(new ControlError(`the node sent a line over ${MAX_LINE_BYTES} bytes`));
  });

  it('fails its requests and reports the close when the node goes away', async () => {
    const { path, server } = await startNode();
    const client = await attach(path);
    let closes = 0;
    client.onClose(() => closes++);
    await server.close();
    await until(() => closes === 1);
    await expect(client.request('status')).rejects.toThrow('the node closed the connection');
  });
});
